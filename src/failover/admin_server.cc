#include "failover/admin_server.h"

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <deque>
#include <thread>
#include <vector>

namespace tandem::failover {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr uint64_t kMaxBody = 1 << 20;
// Writing a reply to a caller that does not read.
constexpr auto kWriteTimeout = std::chrono::seconds(5);

class Session : public std::enable_shared_from_this<Session> {
 public:
  // `open` counts the open sessions; this one is counted until destroyed.
  Session(tcp::socket socket, const AdminServer::Handler* handler,
          std::chrono::milliseconds request_timeout, std::shared_ptr<std::atomic<size_t>> open)
      : stream_(std::move(socket)),
        handler_(handler),
        request_timeout_(request_timeout),
        open_(std::move(open)) {}
  ~Session() { open_->fetch_sub(1); }

  // On the server's thread only.
  bool trusted() const { return trusted_; }
  // Closes the connection to make room; the pending read or write ends and
  // the session goes.
  void Displace() {
    displaced_ = true;
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
  }
  bool displaced() const { return displaced_; }

  void Read() {
    parser_.emplace();
    parser_->body_limit(kMaxBody);
    // One deadline for the whole request, from the moment we wait for it:
    // an idle keep-alive connection and a trickling one end alike.
    stream_.expires_after(request_timeout_);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

 private:
  void OnRead(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      Reply(413, R"({"error":"request body too large"})", false);
      return;
    }
    if (ec) {
      beast::error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
      return;
    }
    auto request = parser_->release();
    std::vector<auth::Header> headers;
    for (const auto& f : request) {
      headers.push_back({std::string_view(f.name_string().data(), f.name_string().size()),
                         std::string_view(f.value().data(), f.value().size())});
    }
    AdminRequest r{std::string_view(request.method_string().data(), request.method_string().size()),
                   std::string_view(request.target().data(), request.target().size()), headers,
                   request.body()};
    AdminReply reply = (*handler_)(r);
    trusted_ = trusted_ || reply.trusted;
    response_.emplace(static_cast<http::status>(reply.status), 11);
    response_->set(http::field::content_type, reply.content_type);
    response_->body() = std::move(reply.body);
    response_->keep_alive(request.keep_alive());
    response_->prepare_payload();
    Write(request.keep_alive());
  }
  void Reply(int status, std::string body, bool keep_alive) {
    response_.emplace(static_cast<http::status>(status), 11);
    response_->set(http::field::content_type, "application/json");
    response_->body() = std::move(body);
    response_->keep_alive(keep_alive);
    response_->prepare_payload();
    Write(keep_alive);
  }
  void Write(bool keep_alive) {
    stream_.expires_after(kWriteTimeout);
    http::async_write(stream_, *response_,
                      [self = shared_from_this(), keep_alive](beast::error_code ec, size_t) {
                        if (!ec && keep_alive) {
                          self->Read();
                          return;
                        }
                        beast::error_code ignored;
                        self->stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
                      });
  }

  beast::tcp_stream stream_;
  const AdminServer::Handler* handler_;
  const std::chrono::milliseconds request_timeout_;
  const std::shared_ptr<std::atomic<size_t>> open_;
  bool trusted_ = false;
  bool displaced_ = false;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::string_body>> response_;
};

}  // namespace

struct AdminServer::Impl {
  std::string listen;
  Handler handler;
  AdminServerOptions options;
  std::shared_ptr<std::atomic<size_t>> open = std::make_shared<std::atomic<size_t>>(0);
  asio::io_context io;
  tcp::acceptor acceptor{io};
  asio::steady_timer retry{io};
  std::thread thread;
  // Every session accepted, oldest first (the server's thread only).
  std::deque<std::weak_ptr<Session>> sessions;

  // Closes the oldest live session that is not trusted; false when every
  // one is trusted.
  bool DisplaceOldestUntrusted() {
    for (auto it = sessions.begin(); it != sessions.end();) {
      auto s = it->lock();
      if (!s || s->displaced()) {
        it = sessions.erase(it);
        continue;
      }
      if (!s->trusted()) {
        s->Displace();
        sessions.erase(it);
        return true;
      }
      ++it;
    }
    return false;
  }

  void Accept() {
    acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) {
        return;  // closed by Stop()
      }
      if (ec) {
        // Out of descriptors, say: try again shortly rather than spin.
        retry.expires_after(std::chrono::milliseconds(100));
        retry.async_wait([this](beast::error_code ec) {
          if (!ec) {
            Accept();
          }
        });
        return;
      }
      if (open->load() >= options.max_connections && !DisplaceOldestUntrusted()) {
        // Every slot held by an authenticated caller: closed at once,
        // before reading a byte.
        beast::error_code ignored;
        socket.close(ignored);
      } else {
        // (A displaced session is still counted until its handler runs:
        // the count may pass the cap by the few being displaced.)
        open->fetch_add(1);
        auto session =
            std::make_shared<Session>(std::move(socket), &handler, options.request_timeout, open);
        sessions.push_back(session);
        session->Read();
      }
      Accept();
    });
  }
};

AdminServer::AdminServer(std::string listen, Handler handler, AdminServerOptions options)
    : impl_(std::make_shared<Impl>()) {
  impl_->listen = std::move(listen);
  impl_->handler = std::move(handler);
  impl_->options = options;
}

AdminServer::~AdminServer() { Stop(); }

Status AdminServer::Start() {
  const auto colon = impl_->listen.rfind(':');
  std::string host = impl_->listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) return Status::InvalidArgument("admin address must be an IP address: " + impl_->listen);
  const tcp::endpoint endpoint(address,
                               static_cast<uint16_t>(std::stoi(impl_->listen.substr(colon + 1))));
  impl_->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(endpoint, ec);
  if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Status::Unavailable("cannot listen on " + impl_->listen + ": " + ec.message());
  impl_->Accept();
  impl_->thread = std::thread([impl = impl_.get()] { impl->io.run(); });
  return Status::OK();
}

void AdminServer::Stop() {
  if (!impl_->thread.joinable()) return;
  impl_->io.stop();
  impl_->thread.join();
  boost::system::error_code ec;
  impl_->acceptor.close(ec);
}

size_t AdminServer::connections() const { return impl_->open->load(); }

uint16_t AdminServer::port() const {
  boost::system::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

}  // namespace tandem::failover
