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

// Serves POST kStatusPath with a Replicator's HandleStatus, one connection at
// a time, on a loopback port of its own.
class StatusServer {
 public:
  explicit StatusServer(Replicator* replicator)
      : replicator_(replicator), acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    thread_ = std::thread([this] { Serve(); });
  }
  ~StatusServer() {
    stopping_ = true;
    boost::system::error_code ec;
    tcp::socket poke(io_);
    poke.connect(acceptor_.local_endpoint(), ec);  // wakes accept()
    thread_.join();
  }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
  }

 private:
  void Serve() {
    while (!stopping_) {
      tcp::socket socket(io_);
      boost::system::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec || stopping_) continue;
      boost::beast::flat_buffer buffer;
      for (;;) {
        http::request<http::string_body> req;
        http::read(socket, buffer, req, ec);
        if (ec) break;
        std::vector<auth::OwnedHeader> owned;
        for (const auto& f : req) owned.push_back({std::string(f.name_string()), std::string(f.value())});
        auto answer = replicator_->HandleStatus(View(owned), req.body());
        http::response<http::string_body> res{static_cast<http::status>(answer.status), 11};
        res.body() = answer.body;
        res.keep_alive(req.keep_alive());
        res.prepare_payload();
        http::write(socket, res, ec);
        if (ec || !req.keep_alive()) break;
      }
    }
  }
  Replicator* replicator_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
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
  std::unique_ptr<storage::Store> OpenStore(const std::string& region) {
    storage::Store::Options options;
    options.dir = base_ + "/" + region;
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
    ASSERT_TRUE(store
                    ->Mutate(t, key,
                             [&](const std::optional<Item>&) -> StatusOr<storage::Store::Mutation> {
                               if (del) return storage::Store::Mutation{storage::Store::Mutation::Kind::kDelete, {}};
                               return storage::Store::Mutation{storage::Store::Mutation::Kind::kPut, key};
                             })
                    .ok());
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
  Replicator there(peer_.get(), std::make_shared<PeerAuth>(kSecret, "eu-west-1", &clock_),
                   {{"us-east-1", "http://127.0.0.1:1"}}, FastOptions(), &clock_);
  StatusServer server(&there);
  Replicator here(here_.get(), std::make_shared<PeerAuth>(kSecret, "us-east-1", &clock_),
                  {{"eu-west-1", server.url()}}, FastOptions(), &clock_);
  here.Start();
  std::string reason;
  ASSERT_TRUE(Eventually([&] {
    here.Ready(&reason);
    return reason.find("130") != std::string::npos;
  })) << reason;
  EXPECT_FALSE(here.Ready(nullptr));
  EXPECT_NE(reason.find("eu-west-1"), std::string::npos) << reason;
  ASSERT_TRUE(peer_->SetShipCursor("us-east-1", 60).ok());  // 90 left: below 100
  EXPECT_TRUE(Eventually([&] { return here.Ready(nullptr); }));
  // A later burst does not take readiness away.
  ASSERT_TRUE(peer_->SetShipCursor("us-east-1", 0).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_TRUE(here.Ready(nullptr));
  here.Stop();
}

TEST_F(ReplicatorTest, TombstonesGoOnceThePeerHasThemAndHasShippedEverythingOlder) {
  auto t = MakeTable(here_.get(), true);
  Write(here_.get(), *t, "a");
  Write(here_.get(), *t, "a", /*del=*/true);  // seq 2: a tombstone
  auto pt = MakeTable(peer_.get(), true);
  for (int i = 0; i < 3; ++i) Write(peer_.get(), *pt, "p" + std::to_string(i));
  Replicator there(peer_.get(), std::make_shared<PeerAuth>(kSecret, "eu-west-1", &clock_),
                   {{"us-east-1", "http://127.0.0.1:1"}}, FastOptions(), &clock_);
  StatusServer server(&there);
  Replicator here(here_.get(), std::make_shared<PeerAuth>(kSecret, "us-east-1", &clock_),
                  {{"eu-west-1", server.url()}}, FastOptions(), &clock_);
  // The peer has the tombstone, but has not shipped its own log here yet: an
  // older version of the item may still be on its way.
  ASSERT_TRUE(here_->SetShipCursor("eu-west-1", 2).ok());
  here.Start();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(here_->RunMaintenance()->tombstones_collected, 0u);
  // Once it has shipped everything here, the tombstone goes.
  ASSERT_TRUE(peer_->SetShipCursor("us-east-1", 3).ok());
  EXPECT_TRUE(Eventually([&] { return here_->RunMaintenance()->tombstones_collected == 1; }));
  here.Stop();
}

}  // namespace
}  // namespace tandem::replication
