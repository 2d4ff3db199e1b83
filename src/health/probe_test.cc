#include "health/probe.h"

#include <gtest/gtest.h>

#include <boost/asio/steady_timer.hpp>
#include <optional>
#include <string>
#include <vector>

#include "health/test_server.h"

namespace tandem::health {
namespace {

using config::CheckType;
using config::HealthCheckConfig;
using std::chrono::milliseconds;
using testing::RefusingPort;
using testing::TestServer;
using Mode = TestServer::Mode;

HealthCheckConfig Check(uint16_t port, CheckType type = CheckType::kHttp) {
  HealthCheckConfig check;
  check.name = "test";
  check.type = type;
  check.ip = "127.0.0.1";
  check.port = port;
  check.path = "/health";
  check.search_string = "ok";
  check.interval = milliseconds(10000);
  check.timeout = milliseconds(2000);
  return check;
}

ProbeResult RunProbe(const HealthCheckConfig& check, Resolver* resolver = nullptr) {
  boost::asio::io_context io;
  auto tls = MakeProbeTlsContext();
  std::optional<ProbeResult> result;
  StartProbe(
      io, tls, check, SystemClock::Default(), [&](ProbeResult r) { result = std::move(r); }, "",
      resolver);
  io.run();
  EXPECT_TRUE(result.has_value());
  return result.value_or(ProbeResult{});
}

TEST(ProbeTest, Status200IsHealthy) {
  TestServer server;
  const int64_t before = SystemClock::Default()->NowMicros();
  const ProbeResult r = RunProbe(Check(server.port()));
  EXPECT_TRUE(r.healthy);
  EXPECT_EQ(r.reason, "HTTP 200");
  EXPECT_GT(r.latency.count(), 0);
  EXPECT_GE(r.at_micros, before);
  // Route 53's Host header: the ip, with the port when it is not 80.
  EXPECT_EQ(server.last_host(), "127.0.0.1:" + std::to_string(server.port()));
}

TEST(ProbeTest, HostHeaderUsesConfiguredHost) {
  TestServer server;
  HealthCheckConfig check = Check(server.port());
  check.host = "shop.example";
  EXPECT_TRUE(RunProbe(check).healthy);
  EXPECT_EQ(server.last_host(), "shop.example:" + std::to_string(server.port()));
}

TEST(ProbeTest, AHostWithoutAnIpIsResolvedAtEachProbe) {
  TestServer server;
  HealthCheckConfig check = Check(server.port());
  check.ip.clear();
  check.host = "localhost";
  const ProbeResult r = RunProbe(check);
  EXPECT_TRUE(r.healthy) << r.reason;
  EXPECT_EQ(server.last_host(), "localhost:" + std::to_string(server.port()));
  check.host = "no-such-host.invalid";
  const ProbeResult bad = RunProbe(check);
  EXPECT_FALSE(bad.healthy);
  EXPECT_TRUE(bad.reason.starts_with("resolve failed: no-such-host.invalid: ")) << bad.reason;
}

TEST(ProbeTest, ASlowLookupIsBoundByTheProbeTimeout) {
  testing::FakeNames names;
  auto resolver = NewThreadedResolver(names.Function());
  HealthCheckConfig check = Check(80);
  check.ip.clear();
  check.host = "slow.test";
  check.timeout = milliseconds(200);
  // The lookup never returns (until the end of the test): the probe does.
  const ProbeResult r = RunProbe(check, resolver.get());
  EXPECT_FALSE(r.healthy);
  EXPECT_EQ(r.reason, "resolve timeout after 200 ms");
  EXPECT_GE(r.latency, milliseconds(200));
  EXPECT_LT(r.latency, milliseconds(2000));
  check.host = "missing.test";
  EXPECT_EQ(RunProbe(check, resolver.get()).reason, "resolve failed: missing.test: no such name");
}

TEST(ProbeTest, OneSlowNameDoesNotHoldUpTheOthers) {
  testing::FakeNames names;
  auto resolver = NewThreadedResolver(names.Function());
  TestServer server;
  boost::asio::io_context io;
  auto tls = MakeProbeTlsContext();
  HealthCheckConfig slow = Check(server.port());
  slow.ip.clear();
  slow.host = "slow.test";
  slow.timeout = milliseconds(1500);
  HealthCheckConfig fast = slow;
  fast.host = "fast.test";
  std::vector<ProbeResult> slow_results;
  std::optional<ProbeResult> fast_result;
  std::optional<std::chrono::steady_clock::time_point> fast_done;
  const auto start = std::chrono::steady_clock::now();
  // Two probes of the slow name share one lookup.
  for (int i = 0; i < 2; ++i) {
    StartProbe(
        io, tls, slow, SystemClock::Default(),
        [&](ProbeResult r) { slow_results.push_back(std::move(r)); }, "", resolver.get());
  }
  StartProbe(
      io, tls, fast, SystemClock::Default(),
      [&](ProbeResult r) {
        fast_result = std::move(r);
        fast_done = std::chrono::steady_clock::now();
      },
      "", resolver.get());
  io.run();
  ASSERT_TRUE(fast_result.has_value());
  EXPECT_TRUE(fast_result->healthy) << fast_result->reason;
  EXPECT_LT(*fast_done - start, milliseconds(1000));  // long before the slow ones end
  ASSERT_EQ(slow_results.size(), 2u);
  EXPECT_EQ(slow_results[0].reason, "resolve timeout after 1500 ms");
  EXPECT_EQ(names.lookups("slow.test"), 1);
  EXPECT_EQ(names.lookups("fast.test"), 1);
}

TEST(ProbeTest, StatusCodes) {
  TestServer server;
  const struct {
    int status;
    bool healthy;
  } cases[] = {{200, true},  {204, true},  {302, true},  {399, true},
               {400, false}, {404, false}, {503, false}, {199, false}};
  for (const auto& c : cases) {
    server.Set(Mode::kRespond, c.status, "");
    const ProbeResult r = RunProbe(Check(server.port()));
    EXPECT_EQ(r.healthy, c.healthy) << c.status;
    EXPECT_EQ(r.reason, "HTTP " + std::to_string(c.status));
  }
}

TEST(ProbeTest, StrMatchFindsStringWithinFirst5120Bytes) {
  TestServer server;
  server.Set(Mode::kRespond, 200, std::string(5118, 'x') + "ok" + std::string(100000, 'y'));
  const ProbeResult r = RunProbe(Check(server.port(), CheckType::kHttpStrMatch));
  EXPECT_TRUE(r.healthy) << r.reason;
  EXPECT_EQ(r.reason, "HTTP 200");
}

TEST(ProbeTest, StrMatchIgnoresStringBeyond5120Bytes) {
  TestServer server;
  // "ok" straddles byte 5120: it is not entirely within the first 5,120.
  server.Set(Mode::kRespond, 200, std::string(5119, 'x') + "ok");
  ProbeResult r = RunProbe(Check(server.port(), CheckType::kHttpStrMatch));
  EXPECT_FALSE(r.healthy);
  EXPECT_EQ(r.reason, "search string \"ok\" not in the first 5120 bytes");

  server.Set(Mode::kRespond, 200, "no match here");
  r = RunProbe(Check(server.port(), CheckType::kHttpStrMatch));
  EXPECT_FALSE(r.healthy);
  EXPECT_EQ(r.reason, "search string \"ok\" not in the first 5120 bytes");
}

TEST(ProbeTest, StrMatchReadsNoMoreThan5120Bytes) {
  // The body claims 1,000,000 bytes and stops after 6,000: the probe decides
  // after 5,120 without waiting for the rest (or its timeout).
  TestServer server;
  server.Set(Mode::kPartialBody, 200, std::string(6000, 'x'));
  ProbeResult r = RunProbe(Check(server.port(), CheckType::kHttpStrMatch));
  EXPECT_FALSE(r.healthy);
  EXPECT_EQ(r.reason, "search string \"ok\" not in the first 5120 bytes");
  EXPECT_LT(r.latency, milliseconds(1500));

  server.Set(Mode::kPartialBody, 200, "status: ok");
  r = RunProbe(Check(server.port(), CheckType::kHttpStrMatch));
  EXPECT_TRUE(r.healthy) << r.reason;
  EXPECT_LT(r.latency, milliseconds(1500));
}

TEST(ProbeTest, StrMatchNeedsAGoodStatusToo) {
  TestServer server;
  server.Set(Mode::kRespond, 503, "ok");
  const ProbeResult r = RunProbe(Check(server.port(), CheckType::kHttpStrMatch));
  EXPECT_FALSE(r.healthy);
  EXPECT_EQ(r.reason, "HTTP 503");
}

TEST(ProbeTest, TimeoutCoversTheWholeProbe) {
  TestServer server;
  server.Set(Mode::kHang);
  HealthCheckConfig check = Check(server.port());
  check.timeout = milliseconds(200);
  const ProbeResult r = RunProbe(check);
  EXPECT_FALSE(r.healthy);
  EXPECT_EQ(r.reason, "timeout after 200 ms");
  EXPECT_GE(r.latency, milliseconds(200));
  EXPECT_LT(r.latency, milliseconds(2000));
}

TEST(ProbeTest, ConnectionRefused) {
  RefusingPort port;
  ProbeResult r = RunProbe(Check(port.port()));
  EXPECT_FALSE(r.healthy);
  EXPECT_EQ(r.reason, "connection refused");
  r = RunProbe(Check(port.port(), CheckType::kTcp));
  EXPECT_FALSE(r.healthy);
  EXPECT_EQ(r.reason, "connection refused");
}

TEST(ProbeTest, ClosedWithoutAnswer) {
  TestServer server;
  server.Set(Mode::kClose);
  const ProbeResult r = RunProbe(Check(server.port()));
  EXPECT_FALSE(r.healthy);
  EXPECT_NE(r.reason.find("closed"), std::string::npos) << r.reason;
}

TEST(ProbeTest, TcpIsHealthyOnConnect) {
  TestServer server;
  server.Set(Mode::kRespond, 503);  // never asked: TCP checks send nothing
  const ProbeResult r = RunProbe(Check(server.port(), CheckType::kTcp));
  EXPECT_TRUE(r.healthy) << r.reason;
}

TEST(ProbeTest, InvalidAddress) {
  HealthCheckConfig check = Check(80);
  check.ip = "not-an-address";
  const ProbeResult r = RunProbe(check);
  EXPECT_FALSE(r.healthy);
  EXPECT_EQ(r.reason, "invalid address \"not-an-address\"");
}

TEST(ProbeTest, HttpsDoesNotValidateTheCertificate) {
  TestServer server(/*tls=*/true);
  ProbeResult r = RunProbe(Check(server.port(), CheckType::kHttps));
  EXPECT_TRUE(r.healthy) << r.reason;
  EXPECT_EQ(r.reason, "HTTP 200");
  EXPECT_EQ(server.last_sni(), "");  // SNI only when asked

  server.Set(Mode::kRespond, 200, std::string(100, 'x') + "ok");
  r = RunProbe(Check(server.port(), CheckType::kHttpsStrMatch));
  EXPECT_TRUE(r.healthy) << r.reason;
  server.Set(Mode::kRespond, 200, "nothing");
  r = RunProbe(Check(server.port(), CheckType::kHttpsStrMatch));
  EXPECT_FALSE(r.healthy);
  EXPECT_EQ(r.reason, "search string \"ok\" not in the first 5120 bytes");
}

TEST(ProbeTest, HttpsSendsSniWhenAsked) {
  TestServer server(/*tls=*/true);
  HealthCheckConfig check = Check(server.port(), CheckType::kHttps);
  check.host = "shop.example";
  check.sni = true;
  EXPECT_TRUE(RunProbe(check).healthy);
  EXPECT_EQ(server.last_sni(), "shop.example");
  EXPECT_EQ(server.last_host(), "shop.example:" + std::to_string(server.port()));
}

TEST(ProbeTest, HttpsAgainstPlainServerFailsTheHandshake) {
  TestServer server;
  const ProbeResult r = RunProbe(Check(server.port(), CheckType::kHttps));
  EXPECT_FALSE(r.healthy);
  EXPECT_EQ(r.reason.rfind("TLS handshake failed", 0), 0u) << r.reason;
}

TEST(ProbeTest, HttpsTimeoutDuringTheHandshake) {
  // A plain TCP listener that never speaks TLS: the handshake hangs.
  boost::asio::io_context io;
  testing::tcp::acceptor acceptor(
      io, testing::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  HealthCheckConfig check = Check(acceptor.local_endpoint().port(), CheckType::kHttps);
  check.timeout = milliseconds(150);
  const ProbeResult r = RunProbe(check);
  EXPECT_FALSE(r.healthy);
  EXPECT_EQ(r.reason, "timeout after 150 ms");
}

TEST(ProbeTest, CancelSuppressesTheCallback) {
  TestServer server;
  server.Set(Mode::kHang);
  boost::asio::io_context io;
  auto tls = MakeProbeTlsContext();
  bool called = false;
  auto probe = StartProbe(io, tls, Check(server.port()), SystemClock::Default(),
                          [&](ProbeResult) { called = true; });
  boost::asio::steady_timer timer(io, milliseconds(50));
  timer.async_wait([&](boost::system::error_code) { probe->Cancel(); });
  const auto start = std::chrono::steady_clock::now();
  io.run();
  EXPECT_FALSE(called);
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(1000));
}

TEST(ProbeTest, DefaultTimeout) {
  HealthCheckConfig check;
  check.interval = milliseconds(1000);
  EXPECT_EQ(EffectiveTimeout(check), milliseconds(500));
  check.interval = milliseconds(30000);
  EXPECT_EQ(EffectiveTimeout(check), milliseconds(4000));
  check.timeout = milliseconds(250);
  EXPECT_EQ(EffectiveTimeout(check), milliseconds(250));
}

}  // namespace
}  // namespace tandem::health
