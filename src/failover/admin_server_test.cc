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
  void Start(AdminServerOptions options) {
    server_ = std::make_unique<AdminServer>(
        "127.0.0.1:0",
        [](const AdminRequest&) {
          return AdminReply{200, R"({"ok":true})"};
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

  // Sends one GET and returns the reply's first line.
  static std::string Get(tcp::socket& s) {
    asio::write(s, asio::buffer(std::string("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")));
    std::string reply(12, '\0');
    boost::system::error_code ec;
    asio::read(s, asio::buffer(reply), ec);
    return ec ? "" : reply;
  }

  asio::io_context io_;
  std::unique_ptr<AdminServer> server_;
};

TEST_F(AdminServerTest, ConnectionsOverTheCapAreClosedAtOnce) {
  Start({.max_connections = 3, .request_timeout = milliseconds(10000)});
  std::vector<tcp::socket> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(Connect());
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
