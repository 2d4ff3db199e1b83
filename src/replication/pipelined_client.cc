#include "replication/pipelined_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <deque>
#include <optional>

namespace tandem::replication {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

// Answers bigger than this are not replication answers.
constexpr uint64_t kMaxAnswerBytes = 16u << 20;

struct Request {
  uint64_t tag = 0;
  http::request<http::string_body> message;
};

// One connection's streams and read state. Completion handlers hold it, so it
// outlives the operations started on it even after the client moved on.
struct Connection {
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;
  std::optional<http::response_parser<http::string_body>> parser;
  bool open = false;  // connected (and handshaken)
  bool writing = false;
  bool reading = false;

  beast::tcp_stream& Lowest() { return plain ? *plain : beast::get_lowest_layer(*secure); }
  template <class F>
  void WithStream(F f) {
    if (plain) {
      f(*plain);
    } else {
      f(*secure);
    }
  }
  void Close() {
    beast::error_code ec;
    Lowest().socket().close(ec);
  }
};

}  // namespace

struct PipelinedClient::Impl {
  PeerUrl url;
  std::chrono::milliseconds timeout;
  Callback callback;
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  ssl::context tls{ssl::context::tls_client};
  tcp::resolver resolver{io};
  asio::steady_timer deadline{io};
  uint64_t armed = 0;                   // bumped by every Arm(): an older expiry is stale
  std::shared_ptr<Connection> current;  // null: no connection
  std::deque<Request> queued;           // not yet written
  std::deque<uint64_t> awaiting;        // written or being written, unanswered, in order
  bool stopping = false;

  void Pump() {
    if (stopping) return;
    if (!current) {
      if (!queued.empty()) Connect();
      return;
    }
    Connection& conn = *current;
    if (!conn.open) return;
    if (!conn.writing && !queued.empty()) StartWrite();
    // Always reading while open: an answer, or the peer closing an idle
    // connection, is noticed at once.
    if (!conn.reading) StartRead();
  }

  // The deadline covers progress: re-armed whenever an operation completes or
  // a request is queued, and lifted while nothing is outstanding. (Beast's
  // stream timeouts cannot be re-armed under a pending read.)
  void Arm() {
    ++armed;
    if (awaiting.empty() && queued.empty()) {
      deadline.cancel();
      return;
    }
    deadline.expires_after(timeout);
    deadline.async_wait([this, generation = armed](beast::error_code ec) {
      if (ec || stopping || generation != armed) return;
      if (awaiting.empty() && queued.empty()) return;
      Fail("no progress with " + url.host + ":" + url.port + " for " +
           std::to_string(timeout.count()) + " ms");
    });
  }

  void Connect() {
    auto conn = std::make_shared<Connection>();
    current = conn;
    if (url.tls) {
      conn->secure.emplace(io, tls);
      if (!SSL_set_tlsext_host_name(conn->secure->native_handle(), url.host.c_str())) {
        Fail("cannot set the TLS server name");
        return;
      }
      conn->secure->set_verify_callback(ssl::host_name_verification(url.host));
    } else {
      conn->plain.emplace(io);
    }
    Arm();
    resolver.async_resolve(
        url.host, url.port,
        [this, conn](beast::error_code ec, const tcp::resolver::results_type& endpoints) {
          if (conn != current) return;
          if (ec) {
            Fail("cannot resolve " + url.host + ": " + ec.message());
            return;
          }
          conn->Lowest().async_connect(
              endpoints, [this, conn](beast::error_code ec, const tcp::endpoint&) {
                if (conn != current) return;
                if (ec) {
                  Fail("cannot connect to " + url.host + ":" + url.port + ": " + ec.message());
                  return;
                }
                beast::error_code ignored;
                conn->Lowest().socket().set_option(tcp::no_delay(true), ignored);
                if (!conn->secure) {
                  Opened(conn);
                  return;
                }
                Arm();
                conn->secure->async_handshake(
                    ssl::stream_base::client, [this, conn](beast::error_code ec) {
                      if (conn != current) return;
                      if (ec) {
                        Fail("TLS handshake with " + url.host + " failed: " + ec.message());
                        return;
                      }
                      Opened(conn);
                    });
              });
        });
  }

  void Opened(const std::shared_ptr<Connection>& conn) {
    conn->open = true;
    Arm();
    Pump();
  }

  void StartWrite() {
    auto request = std::make_shared<Request>(std::move(queued.front()));
    queued.pop_front();
    awaiting.push_back(request->tag);
    auto conn = current;
    conn->writing = true;
    Arm();
    conn->WithStream([&](auto& stream) {
      http::async_write(stream, request->message,
                        [this, conn, request](beast::error_code ec, size_t) {
                          if (conn != current) return;
                          conn->writing = false;
                          if (ec) {
                            Fail("POST " + std::string(request->message.target()) + " to " +
                                 url.host + ":" + url.port + " failed: " + ec.message());
                            return;
                          }
                          Arm();
                          Pump();
                        });
    });
  }

  void StartRead() {
    auto conn = current;
    conn->parser.emplace();
    conn->parser->body_limit(kMaxAnswerBytes);
    conn->reading = true;
    conn->WithStream([&](auto& stream) {
      http::async_read(stream, conn->buffer, *conn->parser,
                       [this, conn](beast::error_code ec, size_t) { OnRead(conn, ec); });
    });
  }

  void OnRead(const std::shared_ptr<Connection>& conn, beast::error_code ec) {
    if (conn != current) return;
    conn->reading = false;
    const bool idle = awaiting.empty() && !conn->writing;
    if (ec) {
      if (idle) {
        // The peer closed a connection with nothing outstanding: reopen it
        // for the next request without failing anything.
        conn->Close();
        current.reset();
        Pump();
        return;
      }
      Fail("reading the answer from " + url.host + ":" + url.port + " failed: " + ec.message());
      return;
    }
    if (awaiting.empty()) {
      Fail("the peer sent an answer to no request");
      return;
    }
    auto response = conn->parser->release();
    const uint64_t tag = awaiting.front();
    awaiting.pop_front();
    const bool keep_alive = response.keep_alive();
    callback(tag,
             HttpResponse{static_cast<int>(response.result_int()), std::move(response.body())});
    if (!keep_alive) {
      if (awaiting.empty() && !conn->writing) {
        conn->Close();
        current.reset();
        Pump();
      } else {
        Fail("the peer closed the connection with requests outstanding");
      }
      return;
    }
    Arm();
    Pump();
  }

  // Ends the connection; every request not yet answered is answered with
  // `message`, in order.
  void Fail(const std::string& message) {
    resolver.cancel();
    if (current) current->Close();
    current.reset();
    std::deque<uint64_t> written = std::move(awaiting);
    std::deque<Request> unwritten = std::move(queued);
    awaiting.clear();
    queued.clear();
    for (uint64_t tag : written) callback(tag, Status::Unavailable(message));
    for (const Request& r : unwritten) callback(r.tag, Status::Unavailable(message));
  }
};

PipelinedClient::PipelinedClient(PeerUrl url, std::string ca_file,
                                 std::chrono::milliseconds timeout, Callback callback)
    : impl_(std::make_shared<Impl>()) {
  impl_->url = std::move(url);
  impl_->timeout = timeout;
  impl_->callback = std::move(callback);
  ConfigurePeerVerification(&impl_->tls, ca_file);
  thread_ = std::thread([impl = impl_.get()] { impl->io.run(); });
}

PipelinedClient::~PipelinedClient() {
  // Close everything on the client's thread; run() returns once the aborted
  // operations have completed, so no handler outlives the streams.
  asio::post(impl_->io, [impl = impl_.get()] {
    impl->stopping = true;
    impl->resolver.cancel();
    impl->deadline.cancel();
    if (impl->current) impl->current->Close();
    impl->current.reset();
    impl->queued.clear();
    impl->awaiting.clear();
    impl->work.reset();
  });
  if (thread_.joinable()) thread_.join();
}

void PipelinedClient::Post(uint64_t tag, std::string path, std::vector<auth::OwnedHeader> headers,
                           std::string body) {
  Request request;
  request.tag = tag;
  request.message = http::request<http::string_body>{http::verb::post, path, 11};
  request.message.set(http::field::host, impl_->url.host + ":" + impl_->url.port);
  request.message.set(http::field::content_type, "application/octet-stream");
  for (const auto& h : headers) request.message.set(h.name, h.value);
  request.message.body() = std::move(body);
  request.message.prepare_payload();
  asio::post(impl_->io, [impl = impl_.get(), request = std::move(request)]() mutable {
    if (impl->stopping) return;
    impl->queued.push_back(std::move(request));
    impl->Arm();
    impl->Pump();
  });
}

}  // namespace tandem::replication
