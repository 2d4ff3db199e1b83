#include "probe/http_client.h"

#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <thread>

namespace tandem::probe {
namespace {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

Url LocalUrl(uint16_t port, const std::string& path = "/") {
  return *ParseUrl("http://127.0.0.1:" + std::to_string(port) + path);
}

// A listening socket that never accepts: connections complete in the
// kernel's backlog and then hear nothing, like a stopped server.
class HungServer {
 public:
  HungServer() : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {}
  uint16_t port() const { return acceptor_.local_endpoint().port(); }

 private:
  asio::io_context io_;
  tcp::acceptor acceptor_;
};

// Answers one connection's first request with `response`, on its own thread.
class OneShotServer {
 public:
  explicit OneShotServer(std::string response)
      : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    thread_ = std::thread([this, response = std::move(response)] {
      tcp::socket socket(io_);
      acceptor_.accept(socket);
      asio::streambuf in;
      boost::system::error_code ec;
      asio::read_until(socket, in, "\r\n\r\n", ec);
      asio::write(socket, asio::buffer(response), ec);
      socket.shutdown(tcp::socket::shutdown_both, ec);
    });
  }
  ~OneShotServer() { thread_.join(); }
  uint16_t port() const { return acceptor_.local_endpoint().port(); }

 private:
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::thread thread_;
};

TEST(HttpConnection, Exchange) {
  OneShotServer server("HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nhi");
  Network net(nullptr, true);
  HttpConnection conn(&net, LocalUrl(server.port(), "/x?y=1"));
  HttpRequest req;
  req.method = "POST";
  req.target = "/x?y=1";
  req.headers = {{"X-Test", "1"}};
  req.body = "body";
  auto res = conn.RoundTrip(req, SteadyClock::now() + 10s);
  ASSERT_TRUE(res.ok()) << res.status().message();
  EXPECT_EQ(res->status, 201);
  EXPECT_EQ(res->body, "hi");
}

TEST(HttpConnection, HeadOnly) {
  OneShotServer server("HTTP/1.1 500 Oops\r\nContent-Length: 100000\r\n\r\npartial");
  Network net(nullptr, true);
  HttpConnection conn(&net, LocalUrl(server.port()));
  auto res = conn.RoundTrip(HttpRequest{}, SteadyClock::now() + 10s, /*head_only=*/true);
  ASSERT_TRUE(res.ok()) << res.status().message();
  EXPECT_EQ(res->status, 500);
  EXPECT_EQ(res->body, "");
}

TEST(HttpConnection, ASilentServerCostsTheDeadlineAndNoMore) {
  HungServer server;
  Network net(nullptr, true);
  HttpConnection conn(&net, LocalUrl(server.port()));
  const auto start = SteadyClock::now();
  auto res = conn.RoundTrip(HttpRequest{}, start + 300ms);
  const auto took = SteadyClock::now() - start;
  ASSERT_FALSE(res.ok());
  EXPECT_NE(res.status().message().find("timed out"), std::string::npos) << res.status().message();
  EXPECT_GE(took, 290ms);
  EXPECT_LT(took, 2s);
}

TEST(HttpConnection, RefusedConnection) {
  uint16_t port = 0;
  {
    HungServer closed;
    port = closed.port();
  }
  Network net(nullptr, true);
  HttpConnection conn(&net, LocalUrl(port));
  auto res = conn.RoundTrip(HttpRequest{}, SteadyClock::now() + 5s);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().message(),
            "cannot connect to 127.0.0.1:" + std::to_string(port) + ": Connection refused");
}

TEST(HttpConnection, AbandonEndsAnExchangeAtOnce) {
  HungServer server;
  Network net(nullptr, true);
  std::thread stopper([&] {
    std::this_thread::sleep_for(100ms);  // let the exchange start; not a wait for a result
    net.Abandon();
  });
  HttpConnection conn(&net, LocalUrl(server.port()));
  const auto start = SteadyClock::now();
  auto res = conn.RoundTrip(HttpRequest{}, start + 30s);
  stopper.join();
  ASSERT_FALSE(res.ok());
  EXPECT_LT(SteadyClock::now() - start, 10s);
  // Every later exchange fails at once too.
  res = conn.RoundTrip(HttpRequest{}, SteadyClock::now() + 30s);
  ASSERT_FALSE(res.ok());
  EXPECT_NE(res.status().message().find("abandoned"), std::string::npos) << res.status().message();
}

TEST(MakeClientTlsContext, UnreadableCaFile) {
  auto tls = MakeClientTlsContext({"/nonexistent/ca.pem", false});
  ASSERT_FALSE(tls.ok());
  EXPECT_NE(tls.status().message().find("/nonexistent/ca.pem"), std::string::npos);
  EXPECT_TRUE(MakeClientTlsContext({"", true}).ok());
}

}  // namespace
}  // namespace tandem::probe
