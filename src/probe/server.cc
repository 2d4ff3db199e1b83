#include "probe/server.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>
#include <thread>

namespace tandem::probe {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kIdle = std::chrono::seconds(10);
constexpr uint32_t kMaxHead = 8 * 1024;
constexpr uint64_t kMaxBody = 64 * 1024;
constexpr int kMaxConnections = 1024;
constexpr auto kAcceptRetry = std::chrono::milliseconds(100);

// The path of a request target, without its query.
std::string_view PathOf(beast::string_view target) {
  std::string_view t(target.data(), target.size());
  return t.substr(0, t.find('?'));
}

}  // namespace

struct HealthServer::Impl {
  HostPort listen;
  Check check;
  uint16_t bound_port = 0;
  std::atomic<int> open_connections{0};  // before `io`: sessions die with it
  asio::io_context io;
  tcp::acceptor acceptor{io};
  asio::steady_timer accept_retry{io};
  std::thread thread;

  void Accept();
};

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const HealthServer::Check* check, std::atomic<int>* open_connections)
      : stream_(std::move(socket)), check_(check), open_connections_(open_connections) {
    ++*open_connections_;
  }
  ~Session() { --*open_connections_; }

  void Read() {
    parser_.emplace();
    parser_->header_limit(kMaxHead);
    parser_->body_limit(kMaxBody);
    stream_.expires_after(kIdle);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

 private:
  void OnRead(beast::error_code ec) {
    if (ec == http::error::body_limit || ec == http::error::header_limit) {
      Write(Text(http::status::payload_too_large, "request too large\n"), false);
      return;
    }
    if (ec) {
      Shutdown();
      return;
    }
    const auto& request = parser_->get();
    const bool keep_alive = request.keep_alive();
    if (PathOf(request.target()) != "/health") {
      Write(Text(http::status::not_found, "not found: this probe serves /health\n"), keep_alive);
      return;
    }
    const http::verb method = request.method();
    if (method != http::verb::get && method != http::verb::head) {
      auto res = Text(http::status::method_not_allowed, "method not allowed\n");
      res.set(http::field::allow, "GET, HEAD");
      Write(std::move(res), keep_alive);
      return;
    }
    stream_.expires_never();  // the check has its own timeout
    const bool head = method == http::verb::head;
    // The callback runs on the checker's thread: it hands the session back to
    // the I/O thread, keeping no reference behind.
    (*check_)([self = shared_from_this(), executor = stream_.get_executor(), head,
               keep_alive](const HealthReport& report) mutable {
      asio::post(executor, [self = std::move(self), head, keep_alive, report] {
        self->Write(Report(report, head), keep_alive);
      });
    });
  }

  static http::response<http::string_body> Text(http::status status, std::string body) {
    http::response<http::string_body> res{status, 11};
    res.set(http::field::content_type, "text/plain; charset=utf-8");
    res.body() = std::move(body);
    res.prepare_payload();
    return res;
  }

  static http::response<http::string_body> Report(const HealthReport& report, bool head) {
    http::response<http::string_body> res{static_cast<http::status>(HttpStatus(report)), 11};
    res.set(http::field::content_type, "application/json");
    res.set(http::field::cache_control, "no-store");
    std::string body = HealthBody(report);
    if (head) {
      res.content_length(body.size());  // the GET's length, without the body
    } else {
      res.body() = std::move(body);
      res.prepare_payload();
    }
    return res;
  }

  void Write(http::response<http::string_body> res, bool keep_alive) {
    res.keep_alive(keep_alive);
    response_.emplace(std::move(res));
    stream_.expires_after(kIdle);
    http::async_write(stream_, *response_,
                      [self = shared_from_this(), keep_alive](beast::error_code ec, size_t) {
                        if (!ec && keep_alive) {
                          self->Read();
                          return;
                        }
                        self->Shutdown();
                      });
  }

  void Shutdown() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  const HealthServer::Check* check_;
  std::atomic<int>* open_connections_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::string_body>> response_;
};

}  // namespace

void HealthServer::Impl::Accept() {
  acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) {
      return;  // stopping
    }
    if (ec) {
      // Out of file descriptors, say: try again shortly rather than stop serving.
      spdlog::warn("probe: accept failed: {}", ec.message());
      accept_retry.expires_after(kAcceptRetry);
      accept_retry.async_wait([this](beast::error_code ec) {
        if (!ec) {
          Accept();
        }
      });
      return;
    }
    if (open_connections >= kMaxConnections) {
      beast::error_code ignored;
      socket.close(ignored);
    } else {
      std::make_shared<Session>(std::move(socket), &check, &open_connections)->Read();
    }
    Accept();
  });
}

HealthServer::HealthServer(HostPort listen, Check check) : impl_(std::make_unique<Impl>()) {
  impl_->listen = std::move(listen);
  impl_->check = std::move(check);
}

HealthServer::~HealthServer() { Stop(); }

Status HealthServer::Listen() {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(impl_->listen.host, ec);
  if (ec) {
    return Status::InvalidArgument("not an IP address: " + impl_->listen.host);
  }
  const tcp::endpoint endpoint(address, impl_->listen.port);
  impl_->acceptor.open(endpoint.protocol(), ec);
  if (!ec) {
    impl_->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  }
  if (!ec) {
    impl_->acceptor.bind(endpoint, ec);
  }
  if (!ec) {
    impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    return Status::Unavailable("cannot listen on " + endpoint.address().to_string() + ":" +
                               std::to_string(endpoint.port()) + ": " + ec.message());
  }
  impl_->bound_port = impl_->acceptor.local_endpoint(ec).port();
  return Status::OK();
}

void HealthServer::Serve() {
  impl_->Accept();
  impl_->thread = std::thread([impl = impl_.get()] { impl->io.run(); });
}

void HealthServer::Stop() {
  if (!impl_->thread.joinable()) {
    return;
  }
  impl_->io.stop();
  impl_->thread.join();
  // The I/O thread is gone: close from here. Connections close when the
  // io_context, which owns them through their pending handlers, is destroyed.
  beast::error_code ignored;
  impl_->acceptor.close(ignored);
}

uint16_t HealthServer::port() const { return impl_->bound_port; }

}  // namespace tandem::probe
