#include "probe/server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <mutex>
#include <thread>
#include <vector>

namespace tandem::probe {
namespace {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

class HealthServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<HealthServer>(
        HostPort{"127.0.0.1", 0}, [this](std::function<void(const HealthReport&)> done) {
          ++checks_;
          // Answer from another thread, as the coalescer does.
          std::lock_guard<std::mutex> lock(mu_);
          answerers_.emplace_back([done = std::move(done), r = report_] { done(r); });
        });
    ASSERT_TRUE(server_->Listen().ok());
    server_->Serve();
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
  }

  void TearDown() override {
    server_->Stop();
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& t : answerers_) {
      t.join();
    }
  }

  http::response<http::string_body> Send(http::verb method, const std::string& target) {
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, "probe");
    http::write(socket_, req);
    http::response_parser<http::string_body> parser;
    parser.skip(method == http::verb::head);
    http::read(socket_, buffer_, parser);
    return parser.release();
  }

  HealthReport report_ = HealthReport::Ok();
  std::atomic<int> checks_{0};
  std::mutex mu_;
  std::vector<std::thread> answerers_;
  std::unique_ptr<HealthServer> server_;
  asio::io_context io_;
  tcp::socket socket_{io_};
  beast::flat_buffer buffer_;
};

TEST_F(HealthServerTest, GetHealth) {
  auto res = Send(http::verb::get, "/health");
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res.body(), R"({"status": "ok", "message": "All systems nominal."})");
  EXPECT_EQ(res[http::field::content_type], "application/json");
  EXPECT_EQ(res[http::field::cache_control], "no-store");
  // Keep-alive: the same connection serves the next request; a query is ignored.
  report_ = HealthReport::Failed("App check failed: x");
  res = Send(http::verb::get, "/health?from=route53");
  EXPECT_EQ(res.result_int(), 503);
  EXPECT_EQ(res.body(), R"({"status": "error", "message": "App check failed: x"})");
  EXPECT_EQ(checks_.load(), 2);
}

TEST_F(HealthServerTest, HeadHealthHasTheLengthButNoBody) {
  report_ = HealthReport::Failed("boom");
  auto res = Send(http::verb::head, "/health");
  EXPECT_EQ(res.result_int(), 503);
  EXPECT_EQ(res[http::field::content_length],
            std::to_string(HealthBody(HealthReport::Failed("boom")).size()));
  EXPECT_EQ(res.body(), "");
  // The connection is still in step: a GET follows.
  EXPECT_EQ(Send(http::verb::get, "/health").result_int(), 503);
}

TEST_F(HealthServerTest, OtherPathsAndMethods) {
  EXPECT_EQ(Send(http::verb::get, "/").result_int(), 404);
  EXPECT_EQ(Send(http::verb::get, "/healthz").result_int(), 404);
  auto res = Send(http::verb::post, "/health");
  EXPECT_EQ(res.result_int(), 405);
  EXPECT_EQ(res[http::field::allow], "GET, HEAD");
  EXPECT_EQ(checks_.load(), 0);
}

TEST_F(HealthServerTest, ListenFailsOnABoundPort) {
  HealthServer second(HostPort{"127.0.0.1", server_->port()}, nullptr);
  Status s = second.Listen();
  EXPECT_EQ(s.code(), Status::Code::kUnavailable);
  EXPECT_NE(s.message().find("cannot listen on 127.0.0.1:"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace tandem::probe
