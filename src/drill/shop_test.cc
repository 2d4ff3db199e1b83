#include "drill/shop.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>
#include <set>

namespace tandem::drill {
namespace {

namespace json = boost::json;
using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

// The regions behind the fake API, by address.
struct FakeRegions {
  std::mutex mu;
  std::map<std::string, std::set<std::string>> items;
  std::set<std::string> down;       // every call fails
  std::set<std::string> forgetful;  // acks writes without keeping them
  std::map<std::string, int> clients_made;
  std::vector<json::object> puts;
};

class FakeApi : public probe::DynamoApi {
 public:
  FakeApi(FakeRegions* regions, std::string address)
      : regions_(regions), address_(std::move(address)) {}

  StatusOr<json::object> Call(std::string_view operation, const json::object& request,
                              probe::Deadline) override {
    std::lock_guard<std::mutex> lock(regions_->mu);
    if (regions_->down.contains(address_)) {
      return Status::Unavailable("connection refused");
    }
    auto& items = regions_->items[address_];
    if (operation == "PutItem") {
      regions_->puts.push_back(request);
      std::string id(request.at("Item").at("id").at("S").as_string());
      if (items.contains(id)) {
        return Status::FailedPrecondition("The conditional request failed");
      }
      if (!regions_->forgetful.contains(address_)) {
        items.insert(id);
      }
      return json::object{};
    }
    EXPECT_EQ(operation, "GetItem");
    EXPECT_EQ(request.at("ConsistentRead"), json::value(true));
    std::string id(request.at("Key").at("id").at("S").as_string());
    if (!items.contains(id)) {
      return json::object{};
    }
    return json::object{{"Item", {{"id", {{"S", id}}}}}};
  }

 private:
  FakeRegions* regions_;
  std::string address_;
};

// The DNS as the shop sees it, before the cache: a settable answer.
class FakeDns : public HostResolver {
 public:
  StatusOr<Resolution> LookupA(const std::string& name) override {
    std::lock_guard<std::mutex> lock(mu_);
    EXPECT_EQ(name, "www.shop.example.");
    ++calls_;
    return answer_;
  }
  void Answer(StatusOr<Resolution> answer) {
    std::lock_guard<std::mutex> lock(mu_);
    answer_ = std::move(answer);
  }
  int calls() {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }

 private:
  std::mutex mu_;
  int calls_ = 0;
  StatusOr<Resolution> answer_ = Status::Unavailable("no answer set");
};

Resolution Answer(std::string address, uint32_t ttl_s) {
  return Resolution{{std::move(address)}, ttl_s, "127.0.0.1:5353", false};
}

class ShopClientTest : public ::testing::Test {
 protected:
  ShopClientTest() : cache_(&dns_, [this] { return base_ + milliseconds(offset_ms_.load()); }) {
    options_.order_interval = milliseconds(1);
    options_.order_prefix = "t-";
  }

  std::unique_ptr<ShopClient> MakeClient() {
    return std::make_unique<ShopClient>(options_, &cache_, [this](const std::string& address) {
      std::lock_guard<std::mutex> lock(regions_.mu);
      ++regions_.clients_made[address];
      return std::make_unique<FakeApi>(&regions_, address);
    });
  }

  static bool Wait(ShopClient& client, const std::function<bool(const ShopCounts&)>& done) {
    return client.WaitUntil(done, SteadyClock::now() + std::chrono::seconds(10));
  }

  void SetDown(const std::string& address, bool down) {
    std::lock_guard<std::mutex> lock(regions_.mu);
    down ? (void)regions_.down.insert(address) : (void)regions_.down.erase(address);
  }

  ShopOptions options_;
  FakeRegions regions_;
  FakeDns dns_;
  const SteadyClock::time_point base_ = SteadyClock::now();
  std::atomic<int64_t> offset_ms_{0};  // the cache's clock, moved by hand
  CachingResolver cache_;
};

TEST_F(ShopClientTest, AckedOrdersGoToTheLedgerFailedOnesDoNot) {
  options_.read_every = 0;
  dns_.Answer(Answer("10.0.0.1", 60));
  auto client = MakeClient();
  client->Start();
  ASSERT_TRUE(Wait(*client, [](const ShopCounts& c) { return c.orders_ok >= 5; }));
  SetDown("10.0.0.1", true);
  const uint64_t ok_before = client->Counts().orders_ok;
  ASSERT_TRUE(Wait(*client, [](const ShopCounts& c) { return c.orders_failed >= 3; }));
  client->Stop();

  const auto ledger = client->Ledger();
  const auto attempts = client->Attempts();
  std::set<std::string> acked;
  for (const AckedOrder& o : ledger) {
    EXPECT_EQ(o.address, "10.0.0.1");
    EXPECT_EQ(o.id.rfind("t-", 0), 0u) << o.id;
    acked.insert(o.id);
  }
  EXPECT_LE(ok_before, ledger.size());
  EXPECT_EQ(acked, regions_.items["10.0.0.1"]);
  int failed = 0;
  for (const Attempt& a : attempts) {
    ASSERT_NE(a.kind, Attempt::Kind::kRead);
    if (a.kind == Attempt::Kind::kOrder && !a.ok) {
      ++failed;
      EXPECT_FALSE(acked.contains(a.order_id)) << a.order_id;
      EXPECT_NE(a.error.find("connection refused"), std::string::npos) << a.error;
    }
  }
  EXPECT_EQ(static_cast<uint64_t>(failed), client->Counts().orders_failed);
  // A failed attempt drops its connection: every failure made a new client.
  EXPECT_GE(regions_.clients_made["10.0.0.1"], failed);

  const json::object& put = regions_.puts.front();
  EXPECT_EQ(put.at("TableName"), json::value("orders"));
  EXPECT_EQ(put.at("ConditionExpression"), json::value("attribute_not_exists(id)"));
  EXPECT_EQ(put.at("Item").at("id").at("S"), json::value("t-1"));
  EXPECT_TRUE(put.at("Item").at("qty").as_object().contains("N"));
  EXPECT_TRUE(put.at("Item").at("placed_at").as_object().contains("N"));
  EXPECT_TRUE(put.at("Item").at("item").as_object().contains("S"));
}

TEST_F(ShopClientTest, ReadsFindEarlierAckedOrdersAndNoticeMissingOnes) {
  options_.read_every = 2;
  dns_.Answer(Answer("10.0.0.1", 60));
  auto client = MakeClient();
  client->Start();
  ASSERT_TRUE(Wait(*client, [](const ShopCounts& c) { return c.reads_ok >= 3; }));
  {
    std::lock_guard<std::mutex> lock(regions_.mu);
    regions_.forgetful.insert("10.0.0.1");
  }
  ASSERT_TRUE(Wait(*client, [](const ShopCounts& c) { return c.reads_failed >= 1; }));
  client->Stop();

  std::set<std::string> acked;
  for (const AckedOrder& o : client->Ledger()) {
    acked.insert(o.id);
  }
  bool saw_missing = false;
  for (const Attempt& a : client->Attempts()) {
    if (a.kind != Attempt::Kind::kRead) {
      continue;
    }
    EXPECT_TRUE(acked.contains(a.order_id)) << a.order_id;
    EXPECT_EQ(a.address, "10.0.0.1");
    if (!a.ok) {
      saw_missing = true;
      EXPECT_NE(a.error.find("acked order " + a.order_id + " not found"), std::string::npos)
          << a.error;
    }
  }
  EXPECT_TRUE(saw_missing);
}

TEST_F(ShopClientTest, SwitchesAddressOnlyWhenTheCachedAnswerExpires) {
  options_.read_every = 0;
  dns_.Answer(Answer("10.0.0.1", 5));
  auto client = MakeClient();
  client->Start();
  ASSERT_TRUE(Wait(*client, [](const ShopCounts& c) { return c.orders_ok >= 3; }));
  // The region dies and DNS fails over, but the cached answer still holds.
  SetDown("10.0.0.1", true);
  dns_.Answer(Answer("10.0.0.2", 5));
  ASSERT_TRUE(Wait(*client, [](const ShopCounts& c) { return c.orders_failed >= 5; }));
  EXPECT_EQ(dns_.calls(), 1);
  const uint64_t ok_before = client->Counts().orders_ok;

  offset_ms_ += 5000;  // the TTL expires
  ASSERT_TRUE(
      Wait(*client, [ok_before](const ShopCounts& c) { return c.orders_ok >= ok_before + 3; }));
  client->Stop();
  EXPECT_EQ(dns_.calls(), 2);

  std::vector<std::string> answers;
  for (const Attempt& a : client->Attempts()) {
    if (a.kind == Attempt::Kind::kResolve) {
      EXPECT_TRUE(a.ok);
      answers.push_back(a.address);
    }
  }
  EXPECT_EQ(answers, (std::vector<std::string>{"10.0.0.1", "10.0.0.2"}));
  const auto ledger = client->Ledger();
  EXPECT_EQ(ledger.back().address, "10.0.0.2");
  EXPECT_EQ(regions_.items["10.0.0.2"].size(), ledger.size() - ok_before);
}

TEST_F(ShopClientTest, AnUnresolvableNameFailsOrdersWithoutSendingThem) {
  dns_.Answer(Status::Unavailable("no DNS server answered"));
  auto client = MakeClient();
  client->Start();
  ASSERT_TRUE(Wait(*client, [](const ShopCounts& c) { return c.orders_failed >= 2; }));
  client.reset();  // the destructor stops

  EXPECT_TRUE(regions_.puts.empty());
  EXPECT_TRUE(regions_.clients_made.empty());
}

TEST_F(ShopClientTest, ResolveFailuresAreRecordedBesideTheOrder) {
  dns_.Answer(Status::Unavailable("no DNS server answered"));
  auto client = MakeClient();
  client->Start();
  ASSERT_TRUE(Wait(*client, [](const ShopCounts& c) { return c.orders_failed >= 1; }));
  client->Stop();
  const auto attempts = client->Attempts();
  ASSERT_GE(attempts.size(), 2u);
  EXPECT_EQ(attempts[0].kind, Attempt::Kind::kResolve);
  EXPECT_FALSE(attempts[0].ok);
  EXPECT_EQ(attempts[1].kind, Attempt::Kind::kOrder);
  EXPECT_EQ(attempts[1].address, "");
  EXPECT_NE(attempts[1].error.find("cannot resolve www.shop.example."), std::string::npos)
      << attempts[1].error;
  EXPECT_GE(client->Counts().resolves_failed, 1u);
}

// An HTTP/1.1 server on 127.0.0.1 that answers every request with 200 "{}"
// (an acked PutItem), one connection at a time, keeping the requests' heads.
class TinyHttpServer {
 public:
  TinyHttpServer() {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    socklen_t len = sizeof(a);
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    ::listen(listener_, 4);
    thread_ = std::thread([this] { Serve(); });
  }
  ~TinyHttpServer() {
    stop_ = true;
    thread_.join();
    ::close(listener_);
  }
  uint16_t port() const { return port_; }
  int connections() const { return connections_.load(); }
  std::vector<std::string> heads() {
    std::lock_guard<std::mutex> lock(mu_);
    return heads_;
  }

 private:
  bool Readable(int fd) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, 20) > 0;
  }

  void Serve() {
    while (!stop_) {
      if (!Readable(listener_)) {
        continue;
      }
      int fd = ::accept(listener_, nullptr, nullptr);
      ++connections_;
      ServeConnection(fd);
      ::close(fd);
    }
  }

  void ServeConnection(int fd) {
    std::string buf;
    while (!stop_) {
      const size_t head_end = buf.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        std::string head = buf.substr(0, head_end);
        std::string lower = head;
        for (char& c : lower) {
          c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        const size_t cl = lower.find("content-length:");
        const size_t body = cl == std::string::npos ? 0 : std::stoul(lower.substr(cl + 15));
        if (buf.size() >= head_end + 4 + body) {
          buf.erase(0, head_end + 4 + body);
          {
            std::lock_guard<std::mutex> lock(mu_);
            heads_.push_back(head);
          }
          const std::string response =
              "HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.0\r\n"
              "Content-Length: 2\r\n\r\n{}";
          ::send(fd, response.data(), response.size(), MSG_NOSIGNAL);
          continue;
        }
      }
      if (!Readable(fd)) {
        continue;
      }
      char chunk[4096];
      const ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
      if (n <= 0) {
        return;
      }
      buf.append(chunk, static_cast<size_t>(n));
    }
  }

  int listener_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::mutex mu_;
  std::vector<std::string> heads_;
  std::thread thread_;
};

TEST_F(ShopClientTest, TheDefaultFactorySignsOverOneConnectionPerAddress) {
  TinyHttpServer server;
  options_.port = server.port();
  options_.credentials = {"AKIDEXAMPLE", "secret", ""};
  options_.read_every = 0;
  dns_.Answer(Answer("127.0.0.1", 60));
  ShopClient client(options_, &cache_);
  client.Start();
  ASSERT_TRUE(Wait(client, [](const ShopCounts& c) { return c.orders_ok >= 5; }));
  client.Stop();
  EXPECT_EQ(client.Counts().orders_failed, 0u);
  EXPECT_EQ(server.connections(), 1);
  const auto heads = server.heads();
  ASSERT_FALSE(heads.empty());
  EXPECT_EQ(heads[0].rfind("POST / HTTP/1.1", 0), 0u) << heads[0];
  EXPECT_NE(heads[0].find("DynamoDB_20120810.PutItem"), std::string::npos) << heads[0];
  EXPECT_NE(heads[0].find("Credential=AKIDEXAMPLE/"), std::string::npos) << heads[0];
  EXPECT_NE(heads[0].find("/us-east-1/dynamodb/aws4_request"), std::string::npos) << heads[0];
}

TEST_F(ShopClientTest, TheDefaultFactoryFailsFastOnAClosedPort) {
  uint16_t closed = 0;
  {
    TinyHttpServer gone;
    closed = gone.port();
  }
  options_.port = closed;
  options_.request_timeout = milliseconds(2000);
  dns_.Answer(Answer("127.0.0.1", 60));
  ShopClient client(options_, &cache_);
  const auto start = SteadyClock::now();
  client.Start();
  ASSERT_TRUE(Wait(client, [](const ShopCounts& c) { return c.orders_failed >= 3; }));
  client.Stop();
  EXPECT_LT(SteadyClock::now() - start, milliseconds(1500));
  EXPECT_EQ(client.Attempts().back().error.rfind("Unavailable", 0), 0u)
      << client.Attempts().back().error;
}

// ClientOutage over hand-built attempts; times in ms from t0.
class ClientOutageTest : public ::testing::Test {
 protected:
  void Add(Attempt::Kind kind, int start_ms, int end_ms, bool ok) {
    Attempt a;
    a.kind = kind;
    a.start = At(start_ms);
    a.end = At(end_ms);
    a.ok = ok;
    attempts_.push_back(a);
  }
  void Order(int end_ms, bool ok) { Add(Attempt::Kind::kOrder, end_ms - 5, end_ms, ok); }
  SteadyClock::time_point At(int ms) const { return t0_ + milliseconds(ms); }

  const SteadyClock::time_point t0_ = SteadyClock::now();
  std::vector<Attempt> attempts_;
};

TEST_F(ClientOutageTest, NoFailureIsNoOutage) {
  for (int t = 10; t <= 100; t += 10) {
    Order(t, true);
  }
  EXPECT_EQ(ClientOutage(attempts_, At(50)), 0.0);
}

TEST_F(ClientOutageTest, FromTheLastSuccessBeforeToTheFirstSuccessAfter) {
  Order(100, true);
  Order(150, true);
  Order(200, false);  // the fault hits at 180
  Add(Attempt::Kind::kRead, 200, 250, false);
  Order(300, false);
  Add(Attempt::Kind::kResolve, 300, 900, true);  // ignored
  Order(1150, true);
  Order(1200, true);
  EXPECT_NEAR(*ClientOutage(attempts_, At(180)), 1.0, 1e-9);  // 150 -> 1150
}

TEST_F(ClientOutageTest, TheLongestOfSeveralOutagesAfterTheFault) {
  Order(100, true);
  Order(200, false);  // before the fault: not counted
  Order(300, true);
  Order(400, false);
  Order(500, true);  // 300 -> 500
  Order(600, false);
  Order(700, false);
  Order(1000, true);  // 500 -> 1000
  Order(1100, false);
  Order(1200, true);  // 1000 -> 1200
  EXPECT_NEAR(*ClientOutage(attempts_, At(350)), 0.5, 1e-9);
}

TEST_F(ClientOutageTest, AttemptsInAnyOrder) {
  Order(1000, true);
  Order(300, false);
  Order(100, true);
  EXPECT_NEAR(*ClientOutage(attempts_, At(200)), 0.9, 1e-9);
}

TEST_F(ClientOutageTest, NoSuccessBeforeCountsFromTheFirstAttempt) {
  Add(Attempt::Kind::kOrder, 50, 100, false);
  Order(400, true);
  EXPECT_NEAR(*ClientOutage(attempts_, At(0)), 0.35, 1e-9);  // 50 -> 400
}

TEST_F(ClientOutageTest, UnmeasurableIsNullopt) {
  // Nothing after the fault.
  Order(100, true);
  EXPECT_EQ(ClientOutage(attempts_, At(500)), std::nullopt);
  // An outage that never ended.
  Order(600, false);
  Order(700, false);
  EXPECT_EQ(ClientOutage(attempts_, At(500)), std::nullopt);
  // No attempts at all.
  EXPECT_EQ(ClientOutage({}, At(0)), std::nullopt);
}

}  // namespace
}  // namespace tandem::drill
