// Relay: bytes pass intact both ways, each direction is held for at least the
// delay, a delay does not cap throughput, ends of stream and failures reach
// the other side, and many connections are relayed at once. Real sockets on
// loopback; every wait is a deadline on an observable condition.
#include "relay/relay.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <thread>
#include <vector>

namespace tandem::relay {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;
using boost::system::error_code;
using std::chrono::milliseconds;

double Ms(SteadyClock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// A broken relay fails a test at this deadline instead of hanging the suite.
constexpr auto kTimeout = std::chrono::seconds(30);

std::string RandomBytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) {
    c = static_cast<char>(rng());
  }
  return s;
}

// Everything read from one socket until its end, with when each piece came.
struct Inbox {
  std::string data;
  std::vector<std::pair<size_t, SteadyClock::time_point>> arrivals;  // (size after, when)
  bool eof = false;
  error_code error;
  std::array<char, 64 * 1024> buffer;

  // When byte `index` arrived (it must have).
  SteadyClock::time_point ArrivalOf(size_t index) const {
    for (const auto& [size, when] : arrivals) {
      if (size > index) {
        return when;
      }
    }
    ADD_FAILURE() << "byte " << index << " never arrived";
    return SteadyClock::time_point::max();
  }
  bool ended() const { return eof || error; }
};

// Keeps reading `s` into `in` until the end of stream or an error.
void ReadAll(tcp::socket& s, Inbox& in) {
  s.async_read_some(asio::buffer(in.buffer), [&s, &in](error_code ec, size_t n) {
    if (n > 0) {
      in.data.append(in.buffer.data(), n);
      in.arrivals.emplace_back(in.data.size(), SteadyClock::now());
    }
    if (ec == asio::error::eof) {
      in.eof = true;
    } else if (ec) {
      in.error = ec;
    } else {
      ReadAll(s, in);
    }
  });
}

// Echoes what it reads until the end of stream, then ends its own side.
class Echo : public std::enable_shared_from_this<Echo> {
 public:
  explicit Echo(tcp::socket s) : socket_(std::move(s)) {}
  void Run() {
    socket_.async_read_some(
        asio::buffer(buffer_), [self = shared_from_this()](error_code ec, size_t n) {
          if (ec) {
            error_code ignored;
            self->socket_.shutdown(tcp::socket::shutdown_send, ignored);
            return;
          }
          asio::async_write(self->socket_, asio::buffer(self->buffer_.data(), n),
                            [self](error_code write_ec, size_t) {
                              if (!write_ec) {
                                self->Run();
                              }
                            });
        });
  }

 private:
  tcp::socket socket_;
  std::array<char, 16 * 1024> buffer_;
};

class RelayTest : public ::testing::Test {
 protected:
  RelayTest() : target_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {}

  std::unique_ptr<Relay> StartRelay(std::chrono::microseconds delay,
                                    size_t max_buffered = 8 << 20) {
    RelayOptions options;
    options.listen = {"127.0.0.1", 0};
    options.target = {"127.0.0.1", target_.local_endpoint().port()};
    options.delay = delay;
    options.max_buffered_bytes = max_buffered;
    auto relay = Relay::Start(options);
    EXPECT_TRUE(relay.ok()) << relay.status().ToString();
    return relay.ok() ? std::move(*relay) : nullptr;
  }

  tcp::socket Connect(const Relay& relay) {
    tcp::socket s(io_);
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), relay.port()));
    s.set_option(tcp::no_delay(true));
    return s;
  }

  // Accepts one connection (from the relay) at the target, by the deadline.
  std::optional<tcp::socket> AcceptAtTarget() {
    std::optional<tcp::socket> accepted;
    target_.async_accept([&](error_code ec, tcp::socket s) {
      if (!ec) {
        accepted.emplace(std::move(s));
      }
    });
    EXPECT_TRUE(RunUntil([&] { return accepted.has_value(); })) << "the relay never connected";
    return accepted;
  }

  // Runs the test's I/O until `done()` or the deadline; whether done.
  bool RunUntil(const std::function<bool()>& done) {
    const auto deadline = SteadyClock::now() + kTimeout;
    while (!done()) {
      if (SteadyClock::now() >= deadline) {
        return false;
      }
      io_.restart();
      io_.run_one_until(std::min(deadline, SteadyClock::now() + milliseconds(10)));
    }
    return true;
  }

  // Waits for a condition the relay's own thread makes true.
  static bool WaitFor(const std::function<bool()>& done) {
    const auto deadline = SteadyClock::now() + kTimeout;
    while (!done()) {
      if (SteadyClock::now() >= deadline) {
        return false;
      }
      std::this_thread::sleep_for(milliseconds(5));
    }
    return true;
  }

  // Sends `up` and `down` at once, each side's end follows, both arrive whole.
  void ExpectIntactBothWays(Relay& relay, const std::string& up, const std::string& down) {
    tcp::socket client = Connect(relay);
    std::optional<tcp::socket> server = AcceptAtTarget();
    ASSERT_TRUE(server);
    Inbox at_client;
    Inbox at_server;
    ReadAll(client, at_client);
    ReadAll(*server, at_server);
    int writes_done = 0;
    asio::async_write(client, asio::buffer(up), [&](error_code ec, size_t) {
      EXPECT_FALSE(ec);
      error_code ignored;
      client.shutdown(tcp::socket::shutdown_send, ignored);
      ++writes_done;
    });
    asio::async_write(*server, asio::buffer(down), [&](error_code ec, size_t) {
      EXPECT_FALSE(ec);
      error_code ignored;
      server->shutdown(tcp::socket::shutdown_send, ignored);
      ++writes_done;
    });
    ASSERT_TRUE(RunUntil([&] { return writes_done == 2 && at_client.eof && at_server.eof; }))
        << "received " << at_server.data.size() << " of " << up.size() << " and "
        << at_client.data.size() << " of " << down.size();
    EXPECT_FALSE(at_client.error);
    EXPECT_FALSE(at_server.error);
    EXPECT_TRUE(at_server.data == up) << "client -> target bytes differ";
    EXPECT_TRUE(at_client.data == down) << "target -> client bytes differ";
  }

  asio::io_context io_;
  tcp::acceptor target_;
};

TEST(ParseHostPortTest, AcceptsHostsAndPortsOnly) {
  auto v4 = ParseHostPort("127.0.0.2:8000");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->host, "127.0.0.2");
  EXPECT_EQ(v4->port, 8000);
  auto v6 = ParseHostPort("[::1]:0");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 0);
  for (const char* bad : {"", "8000", ":8000", "host:", "host:65536", "host:80x", "[::1:80"}) {
    EXPECT_FALSE(ParseHostPort(bad).ok()) << bad;
  }
}

TEST_F(RelayTest, PassesBytesIntactBothWaysAndEndsEachSide) {
  auto relay = StartRelay(milliseconds(5));
  ASSERT_TRUE(relay);
  ExpectIntactBothWays(*relay, RandomBytes(3 << 20, 1), RandomBytes((2 << 20) + 17, 2));
  EXPECT_TRUE(WaitFor([&] { return relay->stats().open == 0; })) << "connection left open";
  EXPECT_EQ(relay->stats().bytes_to_target, 3u << 20);
  EXPECT_EQ(relay->stats().bytes_to_client, (2u << 20) + 17);
}

TEST_F(RelayTest, StopsReadingAtTheBufferLimitAndResumes) {
  // A 16 KB limit against megabytes: reading must pause and resume many times.
  auto relay = StartRelay(milliseconds(1), 16 * 1024);
  ASSERT_TRUE(relay);
  ExpectIntactBothWays(*relay, RandomBytes(1 << 20, 3), RandomBytes(1 << 20, 4));
}

TEST_F(RelayTest, HoldsEachDirectionForAtLeastTheDelay) {
  const auto delay = milliseconds(40);
  auto relay = StartRelay(delay);
  ASSERT_TRUE(relay);
  tcp::socket client = Connect(*relay);
  std::optional<tcp::socket> server = AcceptAtTarget();
  ASSERT_TRUE(server);
  Inbox at_client;
  Inbox at_server;
  ReadAll(client, at_client);
  ReadAll(*server, at_server);
  const std::string ping = "ping-123";
  for (size_t round = 0; round < 5; ++round) {
    const size_t want = ping.size() * (round + 1);
    // Up: stamped before the bytes leave, so any relay delay counts.
    const auto sent_up = SteadyClock::now();
    asio::write(client, asio::buffer(ping));
    ASSERT_TRUE(RunUntil([&] { return at_server.data.size() >= want; }));
    EXPECT_GE(Ms(at_server.ArrivalOf(want - 1) - sent_up), Ms(delay)) << "round " << round;
    // Down.
    const auto sent_down = SteadyClock::now();
    asio::write(*server, asio::buffer(ping));
    ASSERT_TRUE(RunUntil([&] { return at_client.data.size() >= want; }));
    EXPECT_GE(Ms(at_client.ArrivalOf(want - 1) - sent_down), Ms(delay)) << "round " << round;
    EXPECT_GE(Ms(at_client.ArrivalOf(want - 1) - sent_up), Ms(2 * delay)) << "round " << round;
  }
  // A half-close is delayed like the bytes before it.
  const auto closed = SteadyClock::now();
  client.shutdown(tcp::socket::shutdown_send);
  ASSERT_TRUE(RunUntil([&] { return at_server.eof; }));
  EXPECT_GE(Ms(SteadyClock::now() - closed), Ms(delay));
}

TEST_F(RelayTest, ADelayDoesNotCapThroughputAtOneChunkPerDelay) {
  // 16 MB in reads of at most 64 KB: at least 256 chunks. Held one after the
  // other, 100 ms each, they would take 25 s or more; as a delay line the
  // transfer takes the delay plus the copying.
  const auto delay = milliseconds(100);
  auto relay = StartRelay(delay);
  ASSERT_TRUE(relay);
  const std::string payload = RandomBytes(16 << 20, 5);
  tcp::socket client = Connect(*relay);
  std::optional<tcp::socket> server = AcceptAtTarget();
  ASSERT_TRUE(server);
  Inbox at_server;
  ReadAll(*server, at_server);
  const auto start = SteadyClock::now();
  bool written = false;
  asio::async_write(client, asio::buffer(payload), [&](error_code ec, size_t) {
    EXPECT_FALSE(ec);
    written = true;
  });
  ASSERT_TRUE(RunUntil([&] { return written && at_server.data.size() == payload.size(); }));
  const auto elapsed = SteadyClock::now() - start;
  EXPECT_TRUE(at_server.data == payload);
  EXPECT_GE(Ms(at_server.ArrivalOf(0) - start), Ms(delay));
  EXPECT_LT(Ms(elapsed), 5000.0);
}

TEST_F(RelayTest, TargetClosingReachesTheClientAfterItsBytes) {
  auto relay = StartRelay(milliseconds(10));
  ASSERT_TRUE(relay);
  tcp::socket client = Connect(*relay);
  std::optional<tcp::socket> server = AcceptAtTarget();
  ASSERT_TRUE(server);
  Inbox at_client;
  ReadAll(client, at_client);
  asio::write(*server, asio::buffer(std::string("last words")));
  server->close();
  ASSERT_TRUE(RunUntil([&] { return at_client.ended(); }));
  EXPECT_EQ(at_client.data, "last words");
  EXPECT_TRUE(at_client.eof) << at_client.error.message();
}

TEST_F(RelayTest, UnreachableTargetClosesTheAcceptedConnection) {
  // A port that was just free: nothing listens there.
  uint16_t dead_port = 0;
  {
    tcp::acceptor probe(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    dead_port = probe.local_endpoint().port();
  }
  RelayOptions options;
  options.listen = {"127.0.0.1", 0};
  options.target = {"127.0.0.1", dead_port};
  auto relay = Relay::Start(options);
  ASSERT_TRUE(relay.ok()) << relay.status().ToString();
  tcp::socket client = Connect(**relay);
  Inbox at_client;
  ReadAll(client, at_client);
  ASSERT_TRUE(RunUntil([&] { return at_client.ended(); }));
  EXPECT_TRUE(at_client.data.empty());
  EXPECT_EQ((*relay)->stats().connect_failures, 1u);
}

TEST_F(RelayTest, RelaysManyConnectionsAtOnce) {
  constexpr int kConnections = 64;
  auto relay = StartRelay(milliseconds(20));
  ASSERT_TRUE(relay);
  bool accepting = true;
  std::function<void()> accept_more = [&] {
    target_.async_accept([&](error_code ec, tcp::socket s) {
      if (ec) {
        accepting = false;
        return;
      }
      std::make_shared<Echo>(std::move(s))->Run();
      accept_more();
    });
  };
  accept_more();
  std::vector<tcp::socket> clients;
  std::vector<std::string> payloads;
  std::vector<Inbox> inboxes(kConnections);
  for (int i = 0; i < kConnections; ++i) {
    clients.push_back(Connect(*relay));
    payloads.push_back(RandomBytes(20000 + static_cast<size_t>(i), 100 + i));
  }
  for (int i = 0; i < kConnections; ++i) {
    ReadAll(clients[i], inboxes[i]);
    asio::async_write(clients[i], asio::buffer(payloads[i]), [&clients, i](error_code ec, size_t) {
      EXPECT_FALSE(ec);
      error_code ignored;
      clients[i].shutdown(tcp::socket::shutdown_send, ignored);
    });
  }
  ASSERT_TRUE(RunUntil([&] {
    for (const Inbox& in : inboxes) {
      if (!in.ended()) {
        return false;
      }
    }
    return true;
  }));
  for (int i = 0; i < kConnections; ++i) {
    EXPECT_TRUE(inboxes[i].eof) << i << ": " << inboxes[i].error.message();
    EXPECT_TRUE(inboxes[i].data == payloads[i]) << "connection " << i << " got other bytes";
  }
  EXPECT_EQ(relay->stats().accepted, static_cast<uint64_t>(kConnections));
  EXPECT_TRUE(WaitFor([&] { return relay->stats().open == 0; }));
  target_.close();
  EXPECT_TRUE(RunUntil([&] { return !accepting; }));
}

TEST_F(RelayTest, StopClosesOpenConnections) {
  auto relay = StartRelay(milliseconds(10));
  ASSERT_TRUE(relay);
  tcp::socket client = Connect(*relay);
  std::optional<tcp::socket> server = AcceptAtTarget();
  ASSERT_TRUE(server);
  Inbox at_client;
  Inbox at_server;
  ReadAll(client, at_client);
  ReadAll(*server, at_server);
  relay->Stop();
  relay->Stop();  // idempotent
  ASSERT_TRUE(RunUntil([&] { return at_client.ended() && at_server.ended(); }));
  EXPECT_EQ(relay->stats().open, 0u);
  tcp::socket late(io_);
  error_code ec;
  late.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), relay->port()), ec);
  EXPECT_TRUE(ec) << "still accepting after Stop";
}

}  // namespace
}  // namespace tandem::relay
