#include "failover/admin_server.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace tandem::failover {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

template <class F>
bool WaitFor(F done, milliseconds limit = milliseconds(10000)) {
  const auto deadline = SteadyClock::now() + limit;
  while (!done()) {
    if (SteadyClock::now() > deadline) {
      return false;
    }
    std::this_thread::sleep_for(milliseconds(2));
  }
  return true;
}

class AdminServerTest : public ::testing::Test {
 protected:
  // Requests to /trusted stand for authenticated ones.
  void Start(AdminServerOptions options) {
    server_ = std::make_unique<AdminServer>(
        "127.0.0.1:0",
        [](const AdminRequest& r) {
          AdminReply reply{200, R"({"ok":true})"};
          reply.trusted = r.target == "/trusted";
          return reply;
        },
        options);
    ASSERT_TRUE(server_->Start().ok());
  }

  tcp::socket Connect() {
    tcp::socket s(io_);
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
    return s;
  }

  // Reads (whatever is left of a reply) until the server closes `s`, for up
  // to about `limit`; false if it did not close it.
  static bool ClosedByServer(tcp::socket& s, milliseconds limit) {
    const timeval tv{static_cast<time_t>(limit.count() / 1000),
                     static_cast<suseconds_t>(limit.count() % 1000 * 1000)};
    ::setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    char buf[512];
    for (;;) {
      const ssize_t n = ::recv(s.native_handle(), buf, sizeof(buf), 0);
      if (n > 0) {
        continue;
      }
      return n == 0 || errno == ECONNRESET;
    }
  }

  // Sends one GET, reads the whole reply (headers and Content-Length
  // bytes of body) and returns its first 12 bytes ("HTTP/1.1 200"); "" when
  // the connection failed.
  static std::string Get(tcp::socket& s, const std::string& path = "/metrics") {
    asio::write(s, asio::buffer("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n"));
    std::string reply;
    boost::system::error_code ec;
    char c;
    while (reply.find("\r\n\r\n") == std::string::npos) {
      asio::read(s, asio::buffer(&c, 1), ec);
      if (ec) return "";
      reply += c;
    }
    const size_t at = reply.find("Content-Length: ");
    const size_t length = at == std::string::npos ? 0 : std::stoul(reply.substr(at + 16));
    std::string body(length, '\0');
    asio::read(s, asio::buffer(body), ec);
    return ec ? "" : reply.substr(0, 12);
  }

  asio::io_context io_;
  std::unique_ptr<AdminServer> server_;
};

TEST_F(AdminServerTest, WhenAllSlotsAreTrustedANewConnectionIsClosedAtOnce) {
  Start({.max_connections = 3, .request_timeout = milliseconds(10000)});
  std::vector<tcp::socket> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(Connect());
    ASSERT_EQ(Get(held.back(), "/trusted"), "HTTP/1.1 200");
  }
  ASSERT_TRUE(WaitFor([&] { return server_->connections() == 3; }));
  tcp::socket extra = Connect();
  EXPECT_TRUE(ClosedByServer(extra, milliseconds(5000)));
  EXPECT_EQ(server_->connections(), 3u);
  // The ones within the cap are served.
  EXPECT_EQ(Get(held[0]), "HTTP/1.1 200");
  // One goes: there is room again.
  held.pop_back();
  ASSERT_TRUE(WaitFor([&] { return server_->connections() == 2; }));
  tcp::socket again = Connect();
  EXPECT_EQ(Get(again), "HTTP/1.1 200");
}

TEST_F(AdminServerTest, AnonymousConnectionsCannotLockOutAuthenticatedCallers) {
  Start({.max_connections = 3, .request_timeout = milliseconds(10000)});
  // A checker that authenticated holds one slot; an anonymous caller takes
  // the other two and sends nothing.
  tcp::socket checker = Connect();
  ASSERT_EQ(Get(checker, "/trusted"), "HTTP/1.1 200");
  tcp::socket idle1 = Connect();
  ASSERT_TRUE(WaitFor([&] { return server_->connections() == 2; }));
  tcp::socket idle2 = Connect();
  ASSERT_TRUE(WaitFor([&] { return server_->connections() == 3; }));
  // A newcomer (the controller, say) displaces the oldest anonymous one, and
  // is served.
  tcp::socket controller = Connect();
  EXPECT_TRUE(ClosedByServer(idle1, milliseconds(5000)));
  EXPECT_EQ(Get(controller, "/trusted"), "HTTP/1.1 200");
  // Another displaces the next anonymous one; the authenticated ones stay.
  tcp::socket operator_cli = Connect();
  EXPECT_TRUE(ClosedByServer(idle2, milliseconds(5000)));
  EXPECT_EQ(Get(operator_cli, "/trusted"), "HTTP/1.1 200");
  EXPECT_EQ(Get(checker, "/trusted"), "HTTP/1.1 200");
  EXPECT_EQ(Get(controller), "HTTP/1.1 200");
  EXPECT_TRUE(WaitFor([&] { return server_->connections() == 3; }));
  // Now every slot is trusted: the next newcomer is refused.
  tcp::socket late = Connect();
  EXPECT_TRUE(ClosedByServer(late, milliseconds(5000)));
}

TEST_F(AdminServerTest, AConnectionThatSendsNoCompleteRequestIsClosed) {
  Start({.max_connections = 4, .request_timeout = milliseconds(300)});
  // Idle from the start.
  tcp::socket idle = Connect();
  // Trickling: half a request, then nothing.
  tcp::socket slow = Connect();
  asio::write(slow, asio::buffer(std::string("GET /metrics HTTP/1.1\r\nHo")));
  // Idle after a request (keep-alive).
  tcp::socket kept = Connect();
  EXPECT_EQ(Get(kept), "HTTP/1.1 200");
  const auto start = SteadyClock::now();
  EXPECT_TRUE(ClosedByServer(idle, milliseconds(5000)));
  EXPECT_TRUE(ClosedByServer(slow, milliseconds(5000)));
  EXPECT_TRUE(ClosedByServer(kept, milliseconds(5000)));
  EXPECT_LT(SteadyClock::now() - start, milliseconds(4000));
  EXPECT_TRUE(WaitFor([&] { return server_->connections() == 0; }));
}

}  // namespace
}  // namespace tandem::failover
