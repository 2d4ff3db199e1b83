// The network side of the Server: accepting, one Session per connection on
// the I/O threads (plain or TLS), the writer pool, and orderly shutdown.
// Request handling is in server.cc; the TLS context in tls.cc.
#include <openssl/rand.h>
#include <spdlog/spdlog.h>
#include <zlib.h>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <optional>
#include <random>
#include <type_traits>

#include "node/server.h"

namespace tandem::node {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
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

// What the server needs of a session whatever its stream type.
class SessionBase {
 public:
  virtual ~SessionBase() = default;
  virtual void Start() = 0;
  // Called at shutdown: an idle connection closes now; a busy one closes
  // after writing the reply it is working on.
  virtual void StopWhenIdle() = 0;
};

// One keep-alive connection over `Stream`: beast::tcp_stream (plain HTTP) or
// beast::ssl_stream<beast::tcp_stream> (HTTPS). All of its handlers run on its
// strand; a request that blocks is computed on the writer pool and its reply
// posted back. The stream type is a template parameter so that the plain path
// pays nothing for TLS.
template <class Stream>
class Session : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
 public:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  // `stream_args` after the socket: the TLS context, for HTTPS.
  template <class... StreamArgs>
  Session(Server* server, tcp::socket socket, StreamArgs&... stream_args)
      : server_(server),
        stream_(std::move(socket), stream_args...),
        drain_timer_(stream_.get_executor()) {}

  void Start() override {
    asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      if constexpr (kTls) {
        self->Handshake();
      } else {
        self->Read();
      }
    });
  }

  void StopWhenIdle() override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
      if (self->idle_) self->Close();
    });
  }

 private:
  tcp::socket& Socket() { return beast::get_lowest_layer(stream_).socket(); }

  // TLS only: the handshake has a deadline; a client that connects and never
  // completes it (or speaks plain HTTP) is dropped.
  void Handshake() {
    if (server_->stopping_.load()) {
      Close();
      return;
    }
    idle_ = true;  // nothing to finish yet: Stop() may close it
    beast::get_lowest_layer(stream_).expires_after(server_->options_.tls_handshake_timeout);
    stream_.async_handshake(ssl::stream_base::server,
                            [self = this->shared_from_this()](beast::error_code ec) {
                              beast::get_lowest_layer(self->stream_).expires_never();
                              if (ec) {
                                spdlog::debug("TLS handshake failed: {}", ec.message());
                                self->Close();
                                return;
                              }
                              self->handshaken_ = true;
                              self->Read();
                            });
  }

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
                     beast::bind_front_handler(&Session::OnRead, this->shared_from_this()));
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
    const std::string_view method(request_.method_string().data(), request_.method_string().size());
    const std::string_view target(request_.target().data(), request_.target().size());
    auto amz = request_.find("x-amz-target");
    const std::string_view amz_target =
        amz == request_.end() ? std::string_view()
                              : std::string_view(amz->value().data(), amz->value().size());
    if (Server::WritesInline(method, target, amz_target)) {
      ComputeThenSync();
      return;
    }
    if (!Server::Blocks(method, target, amz_target)) {
      Respond(Compute());
      return;
    }
    // Keep the I/O loop alive until the reply is back on this strand.
    auto guard = asio::make_work_guard(server_->io_);
    asio::post(*server_->writers_,
               [self = this->shared_from_this(), guard = std::move(guard)]() mutable {
                 Server::Reply reply = self->Compute();
                 asio::post(self->stream_.get_executor(),
                            [self, reply = std::move(reply), guard = std::move(guard)]() mutable {
                              self->Respond(std::move(reply));
                            });
               });
  }

  // Runs a single-item write here, on the I/O thread, without waiting for
  // its WAL sync, and answers once the store's syncer has made it durable:
  // no writer thread parked per write, one sync for every write in between.
  void ComputeThenSync() {
    Server::Reply reply;
    bool pending = false;
    {
      storage::Store::DeferSync defer(server_->store_);
      reply = Compute();
      pending = defer.pending();
    }
    if (!pending) {
      Respond(std::move(reply));
      return;
    }
    // Keep the I/O loop alive until the reply is back on this strand.
    auto guard = asio::make_work_guard(server_->io_);
    server_->store_->AfterSync([self = this->shared_from_this(), reply = std::move(reply),
                                guard = std::move(guard)](Status st) mutable {
      if (reply.after_sync) reply.after_sync(st);
      if (!st.ok()) reply = Server::SyncFailedReply(st);
      asio::post(self->stream_.get_executor(),
                 [self, reply = std::move(reply), guard = std::move(guard)]() mutable {
                   self->Respond(std::move(reply));
                 });
    });
  }

  Server::Reply Compute() {
    headers_.clear();
    for (const auto& field : request_) {
      headers_.push_back({std::string_view(field.name_string().data(), field.name_string().size()),
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
                      beast::bind_front_handler(&Session::OnWrite, this->shared_from_this()));
  }

  void OnWrite(beast::error_code ec, size_t) {
    response_.reset();
    if (ec) {
      Close();
      return;
    }
    if (!keep_alive_) {
      CloseAfterReply();
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
                      [self = this->shared_from_this()](beast::error_code ec, size_t) {
                        if (ec) {
                          self->Close();
                          return;
                        }
                        beast::error_code ignored;
                        self->Socket().shutdown(tcp::socket::shutdown_send, ignored);
                        self->drain_timer_.expires_after(std::chrono::seconds(2));
                        self->drain_timer_.async_wait([self](beast::error_code) { self->Close(); });
                        self->Drain();
                      });
  }

  // Reads below TLS, if any: what is left is discarded unread.
  void Drain() {
    Socket().async_read_some(asio::buffer(scratch_),
                             [self = this->shared_from_this()](beast::error_code ec, size_t) {
                               if (ec) {
                                 self->Close();
                                 return;
                               }
                               self->Drain();
                             });
  }

  // The connection ends after a reply that said "Connection: close". Over
  // TLS the session is shut down properly first (close_notify, waiting a
  // moment for the client's), so the client can tell the end from a cut.
  // Everywhere else (errors, idle connections at Stop) the socket is simply
  // closed: every reply is length-delimited, so nothing can be truncated
  // unnoticed.
  void CloseAfterReply() {
    if constexpr (kTls) {
      if (handshaken_ && !closed_) {
        beast::get_lowest_layer(stream_).expires_after(kShutdownTimeout);
        stream_.async_shutdown(
            [self = this->shared_from_this()](beast::error_code) { self->Close(); });
        return;
      }
    }
    Close();
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    beast::error_code ec;
    drain_timer_.cancel();
    Socket().shutdown(tcp::socket::shutdown_both, ec);
    Socket().close(ec);
    server_->SessionEnded(this);
  }

  static constexpr std::chrono::seconds kShutdownTimeout{1};

  Server* server_;
  Stream stream_;
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
  bool handshaken_ = false;  // TLS only
};

using PlainSession = Session<beast::tcp_stream>;
using TlsSession = Session<beast::ssl_stream<beast::tcp_stream>>;

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
  if (options_.tls.enabled()) {
    TANDEM_ASSIGN_OR_RETURN(tls_, MakeServerTlsContext(options_.tls));
  }
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
  acceptor_->async_accept(asio::make_strand(io_), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (!stopping_.load() && ec != asio::error::operation_aborted) DoAccept();
      return;
    }
    if (stopping_.load()) return;
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    std::shared_ptr<SessionBase> session;
    if (tls_) {
      session = std::make_shared<TlsSession>(this, std::move(socket), *tls_);
    } else {
      session = std::make_shared<PlainSession>(this, std::move(socket));
    }
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

void Server::SessionEnded(SessionBase* session) {
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
  std::vector<std::shared_ptr<SessionBase>> live;
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
