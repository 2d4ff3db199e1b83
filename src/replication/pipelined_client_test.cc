// PipelinedClient against a scripted in-test HTTP server: requests go out
// before earlier answers arrive, answers come back in order with their tags,
// and a broken, closed or silent connection answers everything outstanding
// with an error, after which the next request opens a new connection.
#include "replication/pipelined_client.h"

#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace tandem::replication {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

// Runs `script` on each accepted connection in turn, on its own thread.
class ScriptedServer {
 public:
  using Script = std::function<void(tcp::socket&, boost::beast::flat_buffer&)>;
  explicit ScriptedServer(Script script)
      : script_(std::move(script)),
        acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    thread_ = std::thread([this] {
      while (!stopping_) {
        tcp::socket socket(io_);
        boost::system::error_code ec;
        acceptor_.accept(socket, ec);
        if (ec || stopping_) continue;
        ++connections_;
        boost::beast::flat_buffer buffer;
        script_(socket, buffer);
      }
    });
  }
  ~ScriptedServer() {
    stopping_ = true;
    boost::system::error_code ec;
    tcp::socket poke(io_);
    poke.connect(acceptor_.local_endpoint(), ec);
    thread_.join();
  }
  PeerUrl url() const {
    return {false, "127.0.0.1", std::to_string(acceptor_.local_endpoint().port())};
  }
  int connections() const { return connections_; }

 private:
  Script script_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  std::thread thread_;
};

bool Read(tcp::socket& s, boost::beast::flat_buffer& b, http::request<http::string_body>* req) {
  boost::system::error_code ec;
  http::read(s, b, *req, ec);
  return !ec;
}

void Answer(tcp::socket& s, const http::request<http::string_body>& req, int status = 200) {
  http::response<http::string_body> res{static_cast<http::status>(status), 11};
  res.body() = "echo:" + req.body();
  res.keep_alive(true);
  res.prepare_payload();
  boost::system::error_code ec;
  http::write(s, res, ec);
}

// Collects answers; waits for a count with a deadline.
class Answers {
 public:
  PipelinedClient::Callback callback() {
    return [this](uint64_t tag, StatusOr<HttpResponse> answer) {
      std::lock_guard<std::mutex> lock(mu_);
      got_.push_back({tag, answer.ok() ? answer->body : "error: " + answer.status().message()});
      cv_.notify_all();
    };
  }
  std::vector<std::pair<uint64_t, std::string>> Wait(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, 10s, [&] { return got_.size() >= n; });
    return got_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::pair<uint64_t, std::string>> got_;
};

TEST(PipelinedClientTest, SendsAheadOfAnswersAndMatchesThemInOrder) {
  // The server reads all three requests before it answers any: the client
  // must have sent them without waiting.
  ScriptedServer server([](tcp::socket& s, boost::beast::flat_buffer& b) {
    std::vector<http::request<http::string_body>> reqs(3);
    for (auto& r : reqs) {
      if (!Read(s, b, &r)) return;
    }
    for (auto& r : reqs) Answer(s, r);
    http::request<http::string_body> more;
    while (Read(s, b, &more)) Answer(s, more);
  });
  Answers answers;
  PipelinedClient client(server.url(), "", 5s, answers.callback());
  for (uint64_t i = 1; i <= 3; ++i) client.Post(i, "/p", {}, "b" + std::to_string(i));
  auto got = answers.Wait(3);
  ASSERT_EQ(got.size(), 3u);
  for (uint64_t i = 1; i <= 3; ++i) {
    EXPECT_EQ(got[i - 1].first, i);
    EXPECT_EQ(got[i - 1].second, "echo:b" + std::to_string(i));
  }
  client.Post(4, "/p", {}, "b4");
  got = answers.Wait(4);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[3].second, "echo:b4");
  EXPECT_EQ(server.connections(), 1);
}

TEST(PipelinedClientTest, ABrokenConnectionFailsWhatIsOutstandingThenReconnects) {
  std::atomic<int> connection{0};
  ScriptedServer server([&](tcp::socket& s, boost::beast::flat_buffer& b) {
    if (connection++ == 0) {
      // Reads two, answers the first, then drops the connection.
      http::request<http::string_body> a, c;
      if (!Read(s, b, &a) || !Read(s, b, &c)) return;
      Answer(s, a);
      return;
    }
    http::request<http::string_body> r;
    while (Read(s, b, &r)) Answer(s, r);
  });
  Answers answers;
  PipelinedClient client(server.url(), "", 5s, answers.callback());
  client.Post(1, "/p", {}, "one");
  client.Post(2, "/p", {}, "two");
  auto got = answers.Wait(2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], (std::pair<uint64_t, std::string>{1, "echo:one"}));
  EXPECT_EQ(got[1].first, 2u);
  EXPECT_TRUE(got[1].second.starts_with("error: ")) << got[1].second;
  client.Post(3, "/p", {}, "three");
  got = answers.Wait(3);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[2], (std::pair<uint64_t, std::string>{3, "echo:three"}));
  EXPECT_EQ(server.connections(), 2);
}

TEST(PipelinedClientTest, ASilentPeerTimesOutAndTheNextRequestReconnects) {
  std::atomic<int> connection{0};
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  ScriptedServer server([&](tcp::socket& s, boost::beast::flat_buffer& b) {
    http::request<http::string_body> r;
    if (connection++ == 0) {
      // Reads the request and never answers, until the test is done with it.
      Read(s, b, &r);
      std::unique_lock<std::mutex> lock(mu);
      cv.wait_for(lock, 10s, [&] { return release; });
      return;
    }
    if (Read(s, b, &r)) Answer(s, r);
  });
  Answers answers;
  PipelinedClient client(server.url(), "", 300ms, answers.callback());
  const auto started = std::chrono::steady_clock::now();
  client.Post(1, "/p", {}, "one");
  auto got = answers.Wait(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_NE(got[0].second.find("no progress"), std::string::npos) << got[0].second;
  EXPECT_GE(std::chrono::steady_clock::now() - started, 300ms);
  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
  }
  cv.notify_all();
  client.Post(2, "/p", {}, "two");
  got = answers.Wait(2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].second, "echo:two");
}

TEST(PipelinedClientTest, AnUnreachablePeerFailsEveryRequestInOrder) {
  PeerUrl nowhere{false, "127.0.0.1", "1"};
  Answers answers;
  PipelinedClient client(nowhere, "", 2s, answers.callback());
  client.Post(7, "/p", {}, "a");
  client.Post(8, "/p", {}, "b");
  auto got = answers.Wait(2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].first, 7u);
  EXPECT_EQ(got[1].first, 8u);
  EXPECT_NE(got[0].second.find("cannot connect"), std::string::npos) << got[0].second;
}

}  // namespace
}  // namespace tandem::replication
