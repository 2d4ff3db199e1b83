// Replicator: the peer status call, readiness after a start and the
// tombstone horizons it feeds the store, against a peer whose status comes
// from a real Store behind a small in-test HTTP server.
#include "replication/replicator.h"

#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <filesystem>
#include <thread>

#include "replication/wire.h"

namespace tandem::replication {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

constexpr char kSecret[] = "0123456789abcdef-cluster";

std::vector<auth::Header> View(const std::vector<auth::OwnedHeader>& owned) {
  std::vector<auth::Header> out;
  for (const auto& h : owned) out.push_back({h.name, h.value});
  return out;
}

// Serves POST kStatusPath and kApplyPath with a Replicator's handlers, a
// thread per connection answering its requests in order (as the node's
// server), on a loopback port of its own. The replicator can be swapped (a
// peer restored from nothing).
class StatusServer {
 public:
  explicit StatusServer(Replicator* replicator)
      : replicator_(replicator),
        acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    thread_ = std::thread([this] { Serve(); });
  }
  ~StatusServer() {
    stopping_ = true;
    boost::system::error_code ec;
    tcp::socket poke(io_);
    poke.connect(acceptor_.local_endpoint(), ec);  // wakes accept()
    thread_.join();
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& socket : sockets_) socket->shutdown(tcp::socket::shutdown_both, ec);
    }
    for (auto& t : connections_) t.join();
  }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
  }
  void set_replicator(Replicator* replicator) { replicator_ = replicator; }

 private:
  void Serve() {
    while (!stopping_) {
      auto socket = std::make_shared<tcp::socket>(io_);
      boost::system::error_code ec;
      acceptor_.accept(*socket, ec);
      if (ec || stopping_) continue;
      std::lock_guard<std::mutex> lock(mu_);
      sockets_.push_back(socket);
      connections_.emplace_back([this, socket] { Answer(*socket); });
    }
  }
  void Answer(tcp::socket& socket) {
    boost::system::error_code ec;
    boost::beast::flat_buffer buffer;
    for (;;) {
      http::request<http::string_body> req;
      http::read(socket, buffer, req, ec);
      if (ec) break;
      std::vector<auth::OwnedHeader> owned;
      for (const auto& f : req)
        owned.push_back({std::string(f.name_string()), std::string(f.value())});
      Replicator* replicator = replicator_.load();
      auto answer = req.target() == kApplyPath ? replicator->HandleApply(View(owned), req.body())
                                               : replicator->HandleStatus(View(owned), req.body());
      http::response<http::string_body> res{static_cast<http::status>(answer.status), 11};
      res.body() = answer.body;
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      http::write(socket, res, ec);
      if (ec || !req.keep_alive()) break;
    }
  }
  std::atomic<Replicator*> replicator_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::shared_ptr<tcp::socket>> sockets_;
  std::vector<std::thread> connections_;
};

class ReplicatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = std::filesystem::temp_directory_path() /
            ("tandem-replicator-test-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(base_);
    here_ = OpenStore("us-east-1");
    peer_ = OpenStore("eu-west-1");
  }
  void TearDown() override {
    here_.reset();
    peer_.reset();
    std::filesystem::remove_all(base_);
  }
  std::unique_ptr<storage::Store> OpenStore(const std::string& region,
                                            const std::string& dir = "") {
    storage::Store::Options options;
    options.dir = base_ + "/" + (dir.empty() ? region : dir);
    options.region = region;
    options.sync = false;
    options.maintenance_interval = std::chrono::milliseconds(0);
    return std::move(storage::Store::Open(options)).value();
  }
  ReplicatorOptions FastOptions() {
    ReplicatorOptions o;
    o.ready_lag = 100;
    o.status_interval = std::chrono::milliseconds(10);
    o.idle_status_interval = std::chrono::milliseconds(10);
    o.status_timeout = std::chrono::milliseconds(500);
    return o;
  }
  std::shared_ptr<const storage::TableMeta> MakeTable(storage::Store* store, bool global) {
    storage::TableMeta meta;
    meta.name = "orders";
    meta.hash_key = {"id", ValueType::kS};
    if (global) meta.replicas = {{"us-east-1", "ACTIVE"}, {"eu-west-1", "ACTIVE"}};
    return *store->CreateTable(meta);
  }
  void Write(storage::Store* store, const storage::TableMeta& t, const std::string& id,
             bool del = false) {
    Item key{{"id", Value::S(id)}};
    ASSERT_TRUE(
        store
            ->Mutate(
                t, key,
                [&](const std::optional<Item>&) -> StatusOr<storage::Store::Mutation> {
                  if (del)
                    return storage::Store::Mutation{storage::Store::Mutation::Kind::kDelete, {}};
                  return storage::Store::Mutation{storage::Store::Mutation::Kind::kPut, key};
                })
            .ok());
  }
  // A replicator for eu-west-1 over `store` (its own shipping goes nowhere),
  // and one for us-east-1 over here_ shipping to `url`.
  std::unique_ptr<Replicator> Peer(storage::Store* store) {
    return std::make_unique<Replicator>(
        store, std::make_shared<PeerAuth>(kSecret, "eu-west-1", &clock_),
        std::vector<replication::Peer>{{"us-east-1", "http://127.0.0.1:1"}}, FastOptions(),
        &clock_);
  }
  std::unique_ptr<Replicator> Here(const std::string& url) {
    return std::make_unique<Replicator>(
        here_.get(), std::make_shared<PeerAuth>(kSecret, "us-east-1", &clock_),
        std::vector<replication::Peer>{{"eu-west-1", url}}, FastOptions(), &clock_);
  }
  static bool Eventually(const std::function<bool()>& predicate) {
    for (int i = 0; i < 500; ++i) {
      if (predicate()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return predicate();
  }

  ManualClock clock_;
  std::string base_;
  std::unique_ptr<storage::Store> here_;
  std::unique_ptr<storage::Store> peer_;
};

TEST_F(ReplicatorTest, StatusAnswersOnlySignedCallsWithCommittedAndShipped) {
  auto t = MakeTable(peer_.get(), false);
  for (int i = 0; i < 5; ++i) Write(peer_.get(), *t, "k" + std::to_string(i));
  ASSERT_TRUE(peer_->SetShipCursor("us-east-1", 3).ok());
  Replicator there(peer_.get(), std::make_shared<PeerAuth>(kSecret, "eu-west-1", &clock_),
                   {{"us-east-1", "http://127.0.0.1:1"}}, FastOptions(), &clock_);
  PeerAuth caller(kSecret, "us-east-1", &clock_);
  auto answer = there.HandleStatus(View(caller.Sign("POST", kStatusPath, "{}")), "{}");
  ASSERT_EQ(answer.status, 200) << answer.body;
  auto o = boost::json::parse(answer.body).as_object();
  EXPECT_EQ(o.at("committed_seq").to_number<uint64_t>(), 5u);
  EXPECT_EQ(o.at("shipped_seq").to_number<uint64_t>(), 3u);
  EXPECT_TRUE(o.at("ships_to_you").as_bool());
  // A region that is not a peer is told so.
  PeerAuth stranger_region(kSecret, "ap-south-1", &clock_);
  answer = there.HandleStatus(View(stranger_region.Sign("POST", kStatusPath, "{}")), "{}");
  ASSERT_EQ(answer.status, 200);
  EXPECT_FALSE(boost::json::parse(answer.body).as_object().at("ships_to_you").as_bool());
  // Unsigned, wrongly signed or replayed: refused.
  EXPECT_EQ(there.HandleStatus({}, "{}").status, 403);
  PeerAuth forger("another-secret-0123456789", "us-east-1", &clock_);
  EXPECT_EQ(there.HandleStatus(View(forger.Sign("POST", kStatusPath, "{}")), "{}").status, 403);
  const auto headers = caller.Sign("POST", kStatusPath, "{}");
  EXPECT_EQ(there.HandleStatus(View(headers), "{}").status, 200);
  EXPECT_EQ(there.HandleStatus(View(headers), "{}").status, 403);
}

TEST_F(ReplicatorTest, UnreachablePeersDoNotHoldReadinessBack) {
  Replicator here(here_.get(), std::make_shared<PeerAuth>(kSecret, "us-east-1", &clock_),
                  {{"eu-west-1", "http://127.0.0.1:1"}}, FastOptions(), &clock_);
  std::string reason;
  EXPECT_FALSE(here.Ready(&reason));  // nothing asked yet
  EXPECT_NE(reason.find("checking"), std::string::npos) << reason;
  here.Start();
  EXPECT_TRUE(Eventually([&] { return here.Ready(nullptr); }));
  here.Stop();
}

TEST_F(ReplicatorTest, NotReadyUntilTheBacklogFromAPeerIsBelowTheLagThenStaysReady) {
  auto t = MakeTable(peer_.get(), false);
  for (int i = 0; i < 150; ++i) Write(peer_.get(), *t, "k" + std::to_string(i));
  ASSERT_TRUE(peer_->SetShipCursor("us-east-1", 20).ok());  // 130 left to ship here
  auto there = Peer(peer_.get());
  StatusServer server(there.get());
  auto here = Here(server.url());
  here->Start();
  std::string reason;
  ASSERT_TRUE(Eventually([&] {
    here->Ready(&reason);
    return reason.find("130") != std::string::npos;
  })) << reason;
  EXPECT_FALSE(here->Ready(nullptr));
  EXPECT_NE(reason.find("eu-west-1"), std::string::npos) << reason;
  ASSERT_TRUE(peer_->SetShipCursor("us-east-1", 60).ok());  // 90 left: below 100
  EXPECT_TRUE(Eventually([&] { return here->Ready(nullptr); }));
  // A later burst does not take readiness away.
  ASSERT_TRUE(peer_->SetShipCursor("us-east-1", 0).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_TRUE(here->Ready(nullptr));
  here->Stop();
}

TEST_F(ReplicatorTest, TombstonesGoOnceThePeerHasThemAndHasShippedEverythingOlder) {
  auto t = MakeTable(here_.get(), true);
  Write(here_.get(), *t, "a");
  Write(here_.get(), *t, "a", /*del=*/true);  // seq 2: a tombstone
  auto pt = MakeTable(peer_.get(), true);
  for (int i = 0; i < 3; ++i) Write(peer_.get(), *pt, "p" + std::to_string(i));
  auto there = Peer(peer_.get());
  StatusServer server(there.get());
  auto here = Here(server.url());
  // The peer has the tombstone, but has not shipped its own log here yet: an
  // older version of the item may still be on its way.
  ASSERT_TRUE(here_->SetShipCursor("eu-west-1", 2).ok());
  here->Start();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(here_->RunMaintenance()->tombstones_collected, 0u);
  // Once it has shipped everything here, the tombstone goes.
  ASSERT_TRUE(peer_->SetShipCursor("us-east-1", 3).ok());
  EXPECT_TRUE(Eventually([&] { return here_->RunMaintenance()->tombstones_collected == 1; }));
  here->Stop();
}

TEST_F(ReplicatorTest, ABatchThatSkipsPartOfTheSourceLogIsRefusedWithTheCursor) {
  auto t = MakeTable(peer_.get(), true);
  auto source = MakeTable(here_.get(), true);
  for (int i = 0; i < 6; ++i) Write(here_.get(), *source, "k" + std::to_string(i));
  auto changes = here_->ReadChanges(0, 100);
  ASSERT_TRUE(changes.ok());
  ASSERT_EQ(changes->size(), 6u);
  Replicator there(peer_.get(), std::make_shared<PeerAuth>(kSecret, "eu-west-1", &clock_),
                   {{"us-east-1", "http://127.0.0.1:1"}}, FastOptions(), &clock_);
  PeerAuth sender(kSecret, "us-east-1", &clock_);
  auto send = [&](uint64_t first, uint64_t last) {
    Batch batch;
    batch.source_region = "us-east-1";
    batch.first_seq = first;
    batch.last_seq = last;
    for (const auto& r : *changes) {
      if (r.seq >= first && r.seq <= last) batch.records.push_back(r);
    }
    const std::string body = EncodeBatch(batch);
    return there.HandleApply(View(sender.Sign("POST", kApplyPath, body)), body);
  };
  ASSERT_EQ(send(1, 2).status, 200);
  // 3..4 lost in flight: 5..6 would leave a hole.
  auto refused = send(5, 6);
  ASSERT_EQ(refused.status, 409) << refused.body;
  EXPECT_EQ(boost::json::parse(refused.body).as_object().at("cursor").to_number<uint64_t>(), 2u);
  EXPECT_EQ(peer_->ReceiveCursor("us-east-1"), 2u);
  // In order it applies; a replay of what it has is harmless.
  ASSERT_EQ(send(3, 6).status, 200);
  ASSERT_EQ(send(2, 4).status, 200);
  EXPECT_EQ(peer_->ReceiveCursor("us-east-1"), 6u);
  auto items = peer_->ReadChanges(0, 100);
  ASSERT_TRUE(items.ok());
  EXPECT_EQ(items->size(), 6u);  // each record applied once
}

TEST_F(ReplicatorTest, ShipsThroughAPeerAndStartsOverWhenThePeerLosesItsData) {
  // A real pair over HTTP: here ships to there; there is then "restored"
  // (its receive cursor set back), and here ships again from that point.
  auto t = MakeTable(here_.get(), true);
  MakeTable(peer_.get(), true);
  auto there = Peer(peer_.get());
  StatusServer server(there.get());
  auto here = Here(server.url());
  here->Start();
  for (int i = 0; i < 40; ++i) Write(here_.get(), *t, "k" + std::to_string(i));
  ASSERT_TRUE(Eventually([&] { return here_->ShipCursor("eu-west-1") == 40; }))
      << here->Peers()[0].last_error << " at " << here_->ShipCursor("eu-west-1");
  EXPECT_EQ(peer_->ReceiveCursor("us-east-1"), 40u);
  EXPECT_EQ(peer_->ReadChanges(0, 1000)->size(), 40u);
  // The peer comes back with none of it (a fresh data directory).
  auto restored = OpenStore("eu-west-1", "eu-west-1-restored");
  MakeTable(restored.get(), true);
  auto there_again = Peer(restored.get());
  server.set_replicator(there_again.get());
  ASSERT_TRUE(Eventually([&] { return restored->ReceiveCursor("us-east-1") == 40; }));
  EXPECT_EQ(restored->ReadChanges(0, 1000)->size(), 40u);
  Write(here_.get(), *t, "after");
  ASSERT_TRUE(Eventually([&] { return restored->ReceiveCursor("us-east-1") == 41; }));
  EXPECT_EQ(here_->ShipCursor("eu-west-1"), 41u);
  here->Stop();
}

}  // namespace
}  // namespace tandem::replication
