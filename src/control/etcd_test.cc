// Leader election and event claims against a real etcd (Debian's
// etcd-server), started on loopback with a temporary data directory and
// free ports. Skipped, saying why, when the etcd binary is not installed.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <cstring>
#include <filesystem>
#include <thread>

#include "control/controller.h"
#include "control/controller_testing.h"
#include "control/etcd_client.h"
#include "control/etcd_coordinator.h"

extern char** environ;

namespace tandem::control {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

std::string FindEtcd() {
  const char* path = std::getenv("PATH");
  std::string dirs = std::string(path != nullptr ? path : "") + ":/usr/bin:/usr/local/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    const size_t end = std::min(dirs.find(':', start), dirs.size());
    const std::string candidate = dirs.substr(start, end - start) + "/etcd";
    if (end > start && ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    start = end + 1;
  }
  return "";
}

uint16_t FreePort() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

// Waits for `condition` up to `limit`; whether it held.
template <class F>
bool WaitFor(F condition, std::chrono::milliseconds limit) {
  const auto deadline = SteadyClock::now() + limit;
  while (!condition()) {
    if (SteadyClock::now() > deadline) {
      return false;
    }
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

// One etcd member on loopback, stopped (and its data removed) at the end.
class EtcdProcess {
 public:
  bool Start(const std::string& binary, std::string* error) {
    dir_ = std::filesystem::temp_directory_path() /
           ("control-etcd-" + std::to_string(::getpid()) + "-" + std::to_string(FreePort()));
    std::filesystem::create_directories(dir_);
    const std::string client = "http://127.0.0.1:" + std::to_string(FreePort());
    const std::string peer = "http://127.0.0.1:" + std::to_string(FreePort());
    endpoint_ = client;
    std::vector<std::string> args = {binary,
                                     "--name=test",
                                     "--data-dir=" + (dir_ / "data").string(),
                                     "--listen-client-urls=" + client,
                                     "--advertise-client-urls=" + client,
                                     "--listen-peer-urls=" + peer,
                                     "--initial-advertise-peer-urls=" + peer,
                                     "--initial-cluster=test=" + peer};
    std::vector<char*> argv;
    for (auto& a : args) {
      argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    const std::string log = (dir_ / "etcd.log").string();
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    const int rc = ::posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
      *error = "cannot start " + binary + ": " + std::strerror(rc);
      pid_ = -1;
      return false;
    }
    auto transport = NewHttpTransport("");
    if (!transport.ok()) {
      *error = transport.status().ToString();
      return false;
    }
    EtcdClient etcd({endpoint_}, transport->get(), 1s);
    if (!WaitFor([&] { return etcd.Get("/ready").ok(); }, 30s)) {
      *error = "etcd did not answer within 30 s; see " + log;
      return false;
    }
    return true;
  }

  ~EtcdProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      if (!WaitFor([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; }, 10s)) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
      }
    }
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }

  const std::string& endpoint() const { return endpoint_; }

 private:
  pid_t pid_ = -1;
  std::filesystem::path dir_;
  std::string endpoint_;
};

class EtcdTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string binary = FindEtcd();
    if (binary.empty()) {
      skip_ = "etcd is not installed (Debian: apt-get install etcd-server)";
      return;
    }
    etcd_ = new EtcdProcess();
    std::string error;
    if (!etcd_->Start(binary, &error)) {
      failure_ = error;
    }
  }
  static void TearDownTestSuite() {
    delete etcd_;
    etcd_ = nullptr;
  }
  void SetUp() override {
    if (!skip_.empty()) {
      GTEST_SKIP() << skip_;
    }
    ASSERT_TRUE(failure_.empty()) << failure_;
    auto t = NewHttpTransport("");
    ASSERT_TRUE(t.ok());
    transport_ = std::move(t).value();
    // Every test its own prefix: nothing leaks between them.
    prefix_ = std::string("/test/") +
              ::testing::UnitTest::GetInstance()->current_test_info()->name() + "/";
  }

  EtcdCoordinatorOptions Options(const std::string& name) {
    EtcdCoordinatorOptions o;
    o.endpoints = {etcd_->endpoint()};
    o.prefix = prefix_;
    o.name = name;
    o.ttl = 2s;
    o.request_timeout = 1s;
    return o;
  }

  static inline EtcdProcess* etcd_ = nullptr;
  static inline std::string skip_;
  static inline std::string failure_;
  std::unique_ptr<HttpTransport> transport_;
  std::string prefix_;
};

TEST_F(EtcdTest, ClientSpeaksTheJsonGateway) {
  EtcdClient client({"http://127.0.0.1:1", etcd_->endpoint()}, transport_.get(), 1s);
  const std::string key = prefix_ + "k";
  const std::string binary("v\0\xff\xfe end", 9);
  ASSERT_TRUE(client.Put(key, binary).ok());
  auto got = client.Get(key);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->value, binary);
  EXPECT_GT((*got)->create_revision, 0);
  auto absent = client.Get(prefix_ + "nothing");
  ASSERT_TRUE(absent.ok());
  EXPECT_FALSE(absent->has_value());

  auto lease = client.Grant(5);
  ASSERT_TRUE(lease.ok()) << lease.status().ToString();
  auto ttl = client.KeepAlive(*lease);
  ASSERT_TRUE(ttl.ok()) << ttl.status().ToString();
  EXPECT_GT(*ttl, 0);
  using C = EtcdClient::Compare;
  using Op = EtcdClient::Op;
  const std::string owned = prefix_ + "owned";
  auto txn = client.Txn({C{C::Target::kCreateRevision, owned, 0, ""}},
                        {Op{Op::Kind::kPut, owned, "me", *lease}}, {Op{Op::Kind::kRange, owned}});
  ASSERT_TRUE(txn.ok()) << txn.status().ToString();
  EXPECT_TRUE(txn->succeeded);
  txn = client.Txn({C{C::Target::kCreateRevision, owned, 0, ""}},
                   {Op{Op::Kind::kPut, owned, "you", 0}}, {Op{Op::Kind::kRange, owned}});
  ASSERT_TRUE(txn.ok());
  EXPECT_FALSE(txn->succeeded);
  ASSERT_EQ(txn->ranges.size(), 1u);
  EXPECT_EQ(txn->ranges[0]->value, "me");
  EXPECT_EQ(txn->ranges[0]->lease, *lease);
  ASSERT_TRUE(client.Revoke(*lease).ok());
  ttl = client.KeepAlive(*lease);
  ASSERT_TRUE(ttl.ok());
  EXPECT_EQ(*ttl, 0);  // gone, and the key with it
  got = client.Get(owned);
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());
}

TEST(Base64Test, RoundTrips) {
  for (const std::string& s :
       std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\x01\xff", 3)}) {
    auto back = Base64Decode(Base64Encode(s));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, s);
  }
  EXPECT_EQ(Base64Encode("/tandem/control/leader"), "L3RhbmRlbS9jb250cm9sL2xlYWRlcg==");
  EXPECT_FALSE(Base64Decode("abc").ok());
}

// Two controllers: exactly one leads; when it dies without a word, the other
// takes over once the lease runs out — and never while the first still
// believes it leads.
TEST_F(EtcdTest, OneLeaderAndATakeoverWithinTheLeaseTtl) {
  EtcdCoordinator a(Options("a"), transport_.get());
  EtcdCoordinator b(Options("b"), transport_.get());
  ASSERT_TRUE(a.Start().ok());
  ASSERT_TRUE(b.Start().ok());
  ASSERT_TRUE(WaitFor([&] { return a.Leading() || b.Leading(); }, 10s));
  // Give the other a few campaign rounds: it must not lead too.
  const auto settle = SteadyClock::now() + 1500ms;
  while (SteadyClock::now() < settle) {
    ASSERT_FALSE(a.Leading() && b.Leading());
    std::this_thread::sleep_for(10ms);
  }
  EtcdCoordinator& leader = a.Leading() ? a : b;
  EtcdCoordinator& follower = a.Leading() ? b : a;
  ASSERT_TRUE(WaitFor([&] { return follower.Leader() == leader.Leader(); }, 5s));

  const auto crashed = SteadyClock::now();
  leader.Abandon();  // no revoke: as if killed
  bool both = false;
  ASSERT_TRUE(WaitFor(
      [&] {
        both = both || (leader.Leading() && follower.Leading());
        return follower.Leading();
      },
      10s));
  const auto took = SteadyClock::now() - crashed;
  EXPECT_FALSE(both);
  EXPECT_FALSE(leader.Leading());
  // The lease's TTL (2 s) after the last keepalive, plus etcd's lease check
  // (0.5 s) and one campaign interval (0.5 s).
  EXPECT_LT(took, 2s + 1500ms) << std::chrono::duration<double>(took).count() << " s";
  RecordProperty(
      "takeover_ms",
      static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));
  EXPECT_GE(follower.term(), 1u);
  follower.Stop();
}

// A clean stop revokes the lease: the other takes over at its next round.
TEST_F(EtcdTest, ACleanStopHandsOverAtOnce) {
  EtcdCoordinator a(Options("a"), transport_.get());
  ASSERT_TRUE(a.Start().ok());
  ASSERT_TRUE(WaitFor([&] { return a.Leading(); }, 10s));
  EtcdCoordinator b(Options("b"), transport_.get());
  ASSERT_TRUE(b.Start().ok());
  ASSERT_TRUE(WaitFor([&] { return b.Leader() == "a"; }, 5s));
  EXPECT_FALSE(b.Leading());
  const auto stopped = SteadyClock::now();
  a.Stop();
  ASSERT_TRUE(WaitFor([&] { return b.Leading(); }, 10s));
  EXPECT_LT(SteadyClock::now() - stopped, 1500ms);
  EXPECT_EQ(b.Leader(), "b");
  b.Stop();
}

// Only the leader claims, an id is claimed once, and the state saved with a
// claim is what the next leader loads.
TEST_F(EtcdTest, AnEventIsClaimedOnceAcrossControllers) {
  EtcdCoordinator a(Options("a"), transport_.get());
  ASSERT_TRUE(a.Start().ok());
  ASSERT_TRUE(WaitFor([&] { return a.Leading(); }, 10s));
  EtcdCoordinator b(Options("b"), transport_.get());
  ASSERT_TRUE(b.Start().ok());
  ASSERT_TRUE(WaitFor([&] { return b.Leader() == "a"; }, 5s));

  auto claim = a.ClaimEvent("failover:east:1", R"({"id":"failover:east:1"})", R"({"s":1})");
  ASSERT_TRUE(claim.ok()) << claim.status().ToString();
  EXPECT_EQ(*claim, Coordinator::Claim::kClaimed);
  claim = a.ClaimEvent("failover:east:1", "{}", R"({"s":2})");
  ASSERT_TRUE(claim.ok());
  EXPECT_EQ(*claim, Coordinator::Claim::kAlreadyClaimed);
  claim = b.ClaimEvent("failover:east:2", "{}", R"({"s":3})");
  EXPECT_EQ(claim.status().code(), Status::Code::kFailedPrecondition);  // not the leader

  a.Abandon();
  ASSERT_TRUE(WaitFor([&] { return b.Leading(); }, 10s));
  auto state = b.LoadState();
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(*state, R"({"s":1})");
  claim = b.ClaimEvent("failover:east:1", "{}", R"({"s":4})");
  ASSERT_TRUE(claim.ok());
  EXPECT_EQ(*claim, Coordinator::Claim::kAlreadyClaimed);
  claim = b.ClaimEvent("failback:east:2", "{}", R"({"s":5})");
  ASSERT_TRUE(claim.ok());
  EXPECT_EQ(*claim, Coordinator::Claim::kClaimed);
  // The deposed leader cannot claim, even believing it still leads.
  claim = a.ClaimEvent("failback:east:3", "{}", "{}");
  EXPECT_FALSE(claim.ok());
  b.Stop();
}

// Two whole controllers watching the same failure through etcd: the
// failover's hooks run once; after the leader dies the other carries on
// from its state and runs the failback, once.
TEST_F(EtcdTest, TwoControllersRunEachEventsHooksOnce) {
  using testing::FakeActions;
  using testing::FakeHealth;
  using testing::FakeNodes;
  using testing::FakeRouting;
  FakeHealth health;
  FakeNodes nodes;
  health.Set("east", true);
  health.Set("west", true);
  nodes.readiness["http://east"] = NodeReadiness::kReady;
  nodes.pending["http://east"] = 0;
  config::ControlConfig config = testing::TwoRegions();
  config.failovers[0].hold_down = 3s;
  for (auto& alarm : config.alarms) {
    alarm.period = 1s;
  }
  ManualClock clock(1'700'000'000'000'000);
  struct Node {
    std::unique_ptr<EtcdCoordinator> coordinator;
    FakeRouting routing;
    FakeActions actions;
    std::unique_ptr<Controller> controller;
  };
  Node nodes_[2];
  for (int i = 0; i < 2; ++i) {
    Node& n = nodes_[i];
    n.coordinator =
        std::make_unique<EtcdCoordinator>(Options(i == 0 ? "a" : "b"), transport_.get());
    ASSERT_TRUE(n.coordinator->Start().ok());
    ControllerDeps deps;
    deps.health = &health;
    deps.nodes = &nodes;
    deps.routing = &n.routing;
    deps.coordinator = n.coordinator.get();
    deps.actions = &n.actions;
    deps.clock = &clock;
    n.controller = std::make_unique<Controller>(config, deps);
  }
  ASSERT_TRUE(WaitFor(
      [&] { return nodes_[0].coordinator->Leading() || nodes_[1].coordinator->Leading(); }, 10s));
  auto tick = [&](int seconds, bool both = true) {
    for (int s = 0; s < seconds * 4; ++s) {
      clock.Advance(250'000);
      nodes_[1].controller->Tick();
      if (both) {
        nodes_[0].controller->Tick();
      }
    }
  };
  auto all = [&] {
    std::vector<std::string> ids = nodes_[0].actions.Ids();
    for (const auto& id : nodes_[1].actions.Ids()) {
      ids.push_back(id);
    }
    return ids;
  };
  tick(5);
  health.Set("east", false);
  tick(4);
  std::vector<std::string> ids = all();
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<std::string>{"failover:east:1", "region_unhealthy:east-down:1"}));

  // The leader dies; the other takes over with its state.
  const int leader = nodes_[0].coordinator->Leading() ? 0 : 1;
  ASSERT_EQ(nodes_[leader].actions.events.size(), 2u);
  nodes_[leader].coordinator->Abandon();
  Node& next = nodes_[1 - leader];
  ASSERT_TRUE(WaitFor([&] { return next.coordinator->Leading(); }, 10s));
  health.Set("east", true);
  for (int s = 0; s < 12 * 4; ++s) {
    clock.Advance(250'000);
    next.controller->Tick();
  }
  EXPECT_EQ(next.actions.Ids(),
            (std::vector<std::string>{"region_recovered:east-down:2", "failback:east:2"}));
  EXPECT_EQ(nodes_[leader].actions.events.size(), 2u);
  // The new leader re-asserted the failover's routing, then failed back.
  ASSERT_FALSE(next.routing.applied.empty());
  EXPECT_EQ(next.routing.applied.front().second, RouteControl::kOut);
  EXPECT_EQ(next.routing.applied.back().second, RouteControl::kAuto);
  next.coordinator->Stop();
}

}  // namespace
}  // namespace tandem::control
