// The network side of the Server: accepting, one Session per connection on
// the I/O threads, the writer pool, and orderly shutdown. Request handling is
// in server.cc.
#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>
#include <random>
#include <zlib.h>

#include "node/server.h"

namespace tandem::node {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// A 52-character request id like DynamoDB's. Not a secret: a per-thread
// generator seeded once from the system's randomness keeps it cheap.
std::string RequestId() {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  thread_local std::mt19937_64 rng = [] {
    uint64_t seed = 0;
    RAND_bytes(reinterpret_cast<unsigned char*>(&seed), sizeof(seed));
    return std::mt19937_64(seed);
  }();
  std::string id(52, 'A');
  for (size_t i = 0; i < id.size(); i += 12) {
    uint64_t r = rng();
    for (size_t j = i; j < std::min(id.size(), i + 12); ++j) {
      id[j] = kAlphabet[r % 36];
      r /= 36;
    }
  }
  return id;
}

}  // namespace

// One keep-alive connection. All of its handlers run on its strand; a request
// that blocks is computed on the writer pool and its reply posted back.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Server* server, tcp::socket socket)
      : server_(server), stream_(std::move(socket)), drain_timer_(stream_.get_executor()) {}

  void Start() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->Read(); });
  }

  // Called at shutdown: an idle connection closes now; a busy one closes
  // after writing the reply it is working on.
  void StopWhenIdle() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
      if (self->idle_) self->Close();
    });
  }

 private:
  void Read() {
    if (server_->stopping_.load()) {
      Close();
      return;
    }
    parser_.emplace();
    parser_->body_limit(server_->options_.max_body_bytes);
    parser_->header_limit(64 * 1024);
    idle_ = true;
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::OnRead, shared_from_this()));
  }

  void OnRead(beast::error_code ec, size_t) {
    idle_ = false;
    if (ec == http::error::body_limit) {
      RefuseTooLarge();
      return;
    }
    if (ec) {
      Close();
      return;
    }
    request_ = parser_->release();
    keep_alive_ = request_.keep_alive();
    const std::string_view method(request_.method_string().data(),
                                  request_.method_string().size());
    const std::string_view target(request_.target().data(), request_.target().size());
    auto amz = request_.find("x-amz-target");
    const std::string_view amz_target =
        amz == request_.end() ? std::string_view()
                              : std::string_view(amz->value().data(), amz->value().size());
    if (!Server::Blocks(method, target, amz_target)) {
      Respond(Compute());
      return;
    }
    // Keep the I/O loop alive until the reply is back on this strand.
    auto guard = asio::make_work_guard(server_->io_);
    asio::post(*server_->writers_, [self = shared_from_this(), guard = std::move(guard)]() mutable {
      Server::Reply reply = self->Compute();
      asio::post(self->stream_.get_executor(),
                 [self, reply = std::move(reply), guard = std::move(guard)]() mutable {
                   self->Respond(std::move(reply));
                 });
    });
  }

  Server::Reply Compute() {
    headers_.clear();
    for (const auto& field : request_) {
      headers_.push_back(
          {std::string_view(field.name_string().data(), field.name_string().size()),
           std::string_view(field.value().data(), field.value().size())});
    }
    return server_->Handle(
        std::string_view(request_.method_string().data(), request_.method_string().size()),
        std::string_view(request_.target().data(), request_.target().size()), headers_,
        request_.body());
  }

  void Respond(Server::Reply reply) {
    response_.emplace(static_cast<http::status>(reply.status), request_.version());
    response_->set("x-amzn-RequestId", RequestId());
    const uLong crc = crc32(0L, reinterpret_cast<const Bytef*>(reply.body.data()),
                            static_cast<uInt>(reply.body.size()));
    response_->set("x-amz-crc32", std::to_string(crc));
    response_->set(http::field::content_type, reply.content_type);
    keep_alive_ = keep_alive_ && !reply.close && !server_->stopping_.load();
    response_->keep_alive(keep_alive_);
    response_->body() = std::move(reply.body);
    response_->prepare_payload();
    http::async_write(stream_, *response_,
                      beast::bind_front_handler(&Session::OnWrite, shared_from_this()));
  }

  void OnWrite(beast::error_code ec, size_t) {
    response_.reset();
    if (ec || !keep_alive_) {
      Close();
      return;
    }
    Read();
  }

  // Answers 413, then reads and drops what the client is still sending for a
  // short while, so it sees the answer instead of a connection reset.
  void RefuseTooLarge() {
    response_.emplace(http::status::payload_too_large, 11);
    response_->set(http::field::content_type, "text/plain");
    response_->set(http::field::connection, "close");
    response_->body() = "Request Entity Too Large";
    response_->prepare_payload();
    http::async_write(stream_, *response_,
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        if (ec) {
                          self->Close();
                          return;
                        }
                        beast::error_code ignored;
                        self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
                        self->drain_timer_.expires_after(std::chrono::seconds(2));
                        self->drain_timer_.async_wait(
                            [self](beast::error_code) { self->Close(); });
                        self->Drain();
                      });
  }

  void Drain() {
    stream_.socket().async_read_some(
        asio::buffer(scratch_), [self = shared_from_this()](beast::error_code ec, size_t) {
          if (ec) {
            self->Close();
            return;
          }
          self->Drain();
        });
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    beast::error_code ec;
    drain_timer_.cancel();
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
    server_->SessionEnded(this);
  }

  Server* server_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::request<http::string_body> request_;
  std::optional<http::response<http::string_body>> response_;
  std::vector<auth::Header> headers_;
  asio::steady_timer drain_timer_;
  std::array<char, 64 * 1024> scratch_;
  bool keep_alive_ = true;
  bool idle_ = false;
  bool closed_ = false;
};

Server::Server(ServerOptions options, Executor* executor, const auth::SigV4Verifier* verifier,
               storage::Store* store, const Clock* clock)
    : options_(std::move(options)),
      executor_(executor),
      verifier_(verifier),
      store_(store),
      clock_(clock) {}

Server::~Server() {
  Stop();
  Wait();
}

Status Server::Start() {
  beast::error_code ec;
  auto address = asio::ip::make_address(options_.host, ec);
  if (ec) return Status::InvalidArgument("invalid listen address '" + options_.host + "'");
  tcp::endpoint endpoint(address, options_.port);
  acceptor_ = std::make_unique<tcp::acceptor>(io_);
  acceptor_->open(endpoint.protocol(), ec);
  if (!ec) acceptor_->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_->bind(endpoint, ec);
  if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::IOError("cannot listen on " + options_.host + ":" +
                           std::to_string(options_.port) + ": " + ec.message());
  }
  bound_port_ = acceptor_->local_endpoint().port();
  writers_ = std::make_unique<asio::thread_pool>(std::max<size_t>(1, options_.writer_threads));
  DoAccept();
  size_t n = options_.io_threads;
  if (n == 0) n = std::max(2u, std::thread::hardware_concurrency());
  for (size_t i = 0; i < n; ++i) io_threads_.emplace_back([this] { io_.run(); });
  return Status::OK();
}

void Server::DoAccept() {
  acceptor_->async_accept(asio::make_strand(io_), [this](beast::error_code ec,
                                                         tcp::socket socket) {
    if (ec) {
      if (!stopping_.load() && ec != asio::error::operation_aborted) DoAccept();
      return;
    }
    if (stopping_.load()) return;
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    auto session = std::make_shared<Session>(this, std::move(socket));
    {
      std::lock_guard<std::mutex> lock(sessions_mu_);
      if (sessions_.size() >= options_.max_connections) {
        session.reset();  // closes the socket
      } else {
        sessions_[session.get()] = session;
      }
    }
    if (session) session->Start();
    DoAccept();
  });
}

void Server::SessionEnded(Session* session) {
  std::lock_guard<std::mutex> lock(sessions_mu_);
  sessions_.erase(session);
}

void Server::Stop() {
  if (stopping_.exchange(true)) return;
  if (acceptor_) {
    asio::post(io_, [this] {
      beast::error_code ec;
      acceptor_->close(ec);
    });
  }
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard<std::mutex> lock(sessions_mu_);
    for (auto& [ptr, weak] : sessions_) {
      if (auto s = weak.lock()) live.push_back(std::move(s));
    }
  }
  for (auto& s : live) s->StopWhenIdle();
}

void Server::Wait() {
  if (waited_) return;
  waited_ = true;
  // The I/O threads return once the acceptor is closed and every session has
  // ended; replies still being computed keep the loop alive through a guard.
  for (auto& t : io_threads_) t.join();
  io_threads_.clear();
  if (writers_) writers_->join();
}

}  // namespace tandem::node
