// TestHttpServer: a small blocking HTTP/1.1 server on 127.0.0.1 (port 0) for
// the control tests — a fake dns admin API, node, webhook receiver. It
// serves one connection at a time on its own thread, hands every request to
// the handler, and records the requests it saw. It stops when destroyed.
//
// Thread-safety: the handler runs on the server's thread; requests() may be
// read from any thread.
#pragma once

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace tandem::control::testing {

struct TestRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;

  std::string Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? "" : it->second;
  }
};

struct TestResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
};

class TestHttpServer {
 public:
  using Handler = std::function<TestResponse(const TestRequest&)>;

  explicit TestHttpServer(Handler handler) : handler_(std::move(handler)) {
    namespace asio = boost::asio;
    acceptor_.open(asio::ip::tcp::v4());
    acceptor_.set_option(asio::ip::tcp::acceptor::reuse_address(true));
    acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { Run(); });
  }

  ~TestHttpServer() {
    stopping_ = true;
    boost::system::error_code ec;
    boost::asio::ip::tcp::socket wake(io_);
    wake.connect({boost::asio::ip::make_address("127.0.0.1"), port_}, ec);
    thread_.join();
  }

  uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string hostport() const { return "127.0.0.1:" + std::to_string(port_); }
  std::vector<TestRequest> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  void Run() {
    namespace beast = boost::beast;
    namespace http = beast::http;
    while (!stopping_) {
      boost::asio::ip::tcp::socket socket(io_);
      boost::system::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec || stopping_) {
        continue;
      }
      beast::flat_buffer buffer;
      for (;;) {
        http::request<http::string_body> req;
        http::read(socket, buffer, req, ec);
        if (ec) {
          break;
        }
        TestRequest r{std::string(req.method_string()), std::string(req.target()), {}, req.body()};
        for (const auto& f : req) {
          std::string name(f.name_string());
          for (char& c : name) {
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          }
          r.headers[name] = std::string(f.value());
        }
        {
          std::lock_guard<std::mutex> lock(mu_);
          requests_.push_back(r);
        }
        const TestResponse answer = handler_(r);
        http::response<http::string_body> res{static_cast<http::status>(answer.status), 11};
        res.set(http::field::content_type, answer.content_type);
        res.body() = answer.body;
        res.keep_alive(req.keep_alive());
        res.prepare_payload();
        http::write(socket, res, ec);
        if (ec || !req.keep_alive()) {
          break;
        }
      }
      socket.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
    }
  }

  Handler handler_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_{io_};
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mu_;
  std::vector<TestRequest> requests_;
  std::thread thread_;
};

}  // namespace tandem::control::testing
