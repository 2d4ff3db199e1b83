#include "health/probe.h"

#include <fmt/format.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <limits>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace tandem::health {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

bool IsTls(config::CheckType type) {
  return type == config::CheckType::kHttps || type == config::CheckType::kHttpsStrMatch;
}
bool IsStrMatch(config::CheckType type) {
  return type == config::CheckType::kHttpStrMatch || type == config::CheckType::kHttpsStrMatch;
}

uint16_t EffectivePort(const config::HealthCheckConfig& check) {
  if (check.port != 0) {
    return check.port;
  }
  return IsTls(check.type) ? 443 : 80;
}

// Route 53: the host (or the ip), with ":port" when the port is not the
// scheme's default.
std::string HostHeader(const config::HealthCheckConfig& check) {
  std::string host = check.host.empty() ? check.ip : check.host;
  if (host.find(':') != std::string::npos) {
    host = "[" + host + "]";  // an IPv6 address
  }
  const uint16_t port = EffectivePort(check);
  if (port != (IsTls(check.type) ? 443 : 80)) {
    host += ":" + std::to_string(port);
  }
  return host;
}

class ProbeOp : public Probe, public std::enable_shared_from_this<ProbeOp> {
 public:
  ProbeOp(asio::io_context& io, ssl::context& tls, const config::HealthCheckConfig& check,
          const Clock* clock, ProbeCallback done, std::string source, Resolver* resolver)
      : check_(check),
        clock_(clock),
        done_(std::move(done)),
        source_(std::move(source)),
        resolver_(resolver != nullptr ? resolver : SystemResolver()),
        socket_(io),
        deadline_(io),
        timeout_(EffectiveTimeout(check)) {
    if (IsTls(check.type)) {
      tls_.emplace(socket_, tls);
    }
    // Only kSearchBytes are ever read; a large Content-Length is no error.
    parser_.body_limit(std::numeric_limits<uint64_t>::max());
  }

  void Start() {
    started_ = SteadyClock::now();
    beast::error_code ec;
    asio::ip::address address;
    if (!check_.ip.empty()) {
      address = asio::ip::make_address(check_.ip, ec);
      if (ec) {
        // Never call back from within StartProbe.
        asio::post(socket_.get_executor(), [self = shared_from_this()] {
          self->Finish(false, "invalid address \"" + self->check_.ip + "\"");
        });
        return;
      }
    }
    deadline_.expires_after(timeout_);
    deadline_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || self->finished_) {
        return;
      }
      if (self->lookup_) {
        // The lookup may never return: stop waiting for it.
        self->Finish(false, fmt::format("resolve timeout after {} ms", self->timeout_.count()));
        return;
      }
      self->timed_out_ = true;
      self->Close();
    });
    if (!check_.ip.empty()) {
      Connect(tcp::endpoint(address, EffectivePort(check_)));
      return;
    }
    // No ip: the endpoint is found by resolving `host` (Route 53's
    // FullyQualifiedDomainName), at every probe, off this thread.
    std::weak_ptr<ProbeOp> weak = weak_from_this();
    auto executor = socket_.get_executor();
    lookup_ =
        resolver_->Resolve(check_.host, [weak, executor](StatusOr<Resolver::Addresses> result) {
          asio::post(executor, [weak, result = std::move(result)]() mutable {
            if (auto self = weak.lock()) {
              self->OnResolved(std::move(result));
            }
          });
        });
  }

  void OnResolved(StatusOr<Resolver::Addresses> result) {
    if (finished_) {
      return;
    }
    lookup_.reset();
    if (!result.ok()) {
      Finish(false, "resolve failed: " + result.status().message());
      return;
    }
    const uint16_t port = EffectivePort(check_);
    if (source_.empty()) {
      // Every address in turn, as a browser would.
      std::vector<tcp::endpoint> endpoints;
      for (const auto& a : *result) {
        endpoints.emplace_back(a, port);
      }
      asio::async_connect(socket_, endpoints,
                          [self = shared_from_this()](beast::error_code ec, const tcp::endpoint&) {
                            self->OnConnect(ec);
                          });
      return;
    }
    // From a given source: the first address of its family.
    beast::error_code bad;
    const auto from = asio::ip::make_address(source_, bad);
    for (const auto& a : *result) {
      if (!bad && a.is_v4() == from.is_v4()) {
        Connect(tcp::endpoint(a, port));
        return;
      }
    }
    Finish(false, "resolve failed: " + check_.host + " has no address of " + source_ + "'s family");
  }

  void Connect(const tcp::endpoint& target) {
    beast::error_code ec;
    if (!source_.empty()) {
      const asio::ip::address from = asio::ip::make_address(source_, ec);
      if (!ec) socket_.open(target.protocol(), ec);
      if (!ec) socket_.bind(tcp::endpoint(from, 0), ec);
      if (ec) {
        asio::post(socket_.get_executor(), [self = shared_from_this(), why = ec.message()] {
          self->Finish(false, "cannot probe from " + self->source_ + ": " + why);
        });
        return;
      }
    }
    socket_.async_connect(
        target, [self = shared_from_this()](beast::error_code ec) { self->OnConnect(ec); });
  }

  void Cancel() override {
    if (finished_) {
      return;
    }
    finished_ = true;
    done_ = nullptr;
    AbandonLookup();
    deadline_.cancel();
    Close();
  }

  ~ProbeOp() override { AbandonLookup(); }

 private:
  void OnConnect(beast::error_code ec) {
    if (finished_) {
      return;
    }
    if (ec) {
      Fail(ec, "connect failed");
      return;
    }
    if (check_.type == config::CheckType::kTcp) {
      Finish(true, "TCP connected");
      return;
    }
    if (!tls_) {
      Write(socket_);
      return;
    }
    if (check_.sni && !check_.host.empty()) {
      SSL_set_tlsext_host_name(tls_->native_handle(), check_.host.c_str());
    }
    tls_->async_handshake(ssl::stream_base::client,
                          [self = shared_from_this()](beast::error_code ec) {
                            if (self->finished_) {
                              return;
                            }
                            if (ec) {
                              self->Fail(ec, "TLS handshake failed");
                              return;
                            }
                            self->Write(*self->tls_);
                          });
  }

  template <class Stream>
  void Write(Stream& stream) {
    request_.method(http::verb::get);
    request_.target(check_.path.empty() ? "/" : check_.path);
    request_.version(11);
    request_.set(http::field::host, HostHeader(check_));
    request_.set(http::field::user_agent, "tandem-health-check");
    request_.set(http::field::connection, "close");
    http::async_write(stream, request_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (self->finished_) {
        return;
      }
      if (ec) {
        self->Fail(ec, "sending the request failed");
        return;
      }
      self->ReadHeader();
    });
  }

  // Runs `f` on the stream the HTTP exchange uses (TLS or plain).
  template <class F>
  void WithStream(F f) {
    if (tls_) {
      f(*tls_);
    } else {
      f(socket_);
    }
  }

  void ReadHeader() {
    WithStream([this](auto& stream) {
      http::async_read_header(
          stream, buffer_, parser_,
          [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
    });
  }

  void OnHeader(beast::error_code ec) {
    if (finished_) {
      return;
    }
    if (ec) {
      Fail(ec, "reading the response failed");
      return;
    }
    status_ = parser_.get().result_int();
    const std::string status_reason = fmt::format("HTTP {}", status_);
    if (status_ < 200 || status_ >= 400) {
      Finish(false, status_reason);
      return;
    }
    if (!IsStrMatch(check_.type)) {
      Finish(true, status_reason);
      return;
    }
    ReadBody();
  }

  // Reads body bytes into body_, a piece at a time, until the search string
  // is in them, the body ends, or kSearchBytes were read.
  void ReadBody() {
    if (Contains() || parser_.is_done() || got_ >= kSearchBytes) {
      FinishMatch();
      return;
    }
    parser_.get().body().data = body_.data() + got_;
    parser_.get().body().size = kSearchBytes - got_;
    WithStream([this](auto& stream) {
      http::async_read_some(
          stream, buffer_, parser_,
          [self = shared_from_this()](beast::error_code ec, size_t) { self->OnBody(ec); });
    });
  }

  void OnBody(beast::error_code ec) {
    if (finished_) {
      return;
    }
    got_ = kSearchBytes - parser_.get().body().size;
    if (ec == http::error::need_buffer) {
      ec = {};  // the window is full; ReadBody decides whether to go on
    }
    if (ec && !(ec == http::error::end_of_stream && parser_.is_done())) {
      Fail(ec, "reading the body failed");
      return;
    }
    ReadBody();
  }

  bool Contains() const {
    const std::string_view body(body_.data(), got_);
    return body.find(check_.search_string) != std::string_view::npos;
  }

  void FinishMatch() {
    if (Contains()) {
      Finish(true, fmt::format("HTTP {}", status_));
    } else {
      Finish(false, fmt::format("search string \"{}\" not in the first {} bytes",
                                check_.search_string, kSearchBytes));
    }
  }

  // `what` names the failed step; it prefixes the error's message.
  void Fail(beast::error_code ec, std::string_view what) {
    if (timed_out_) {
      Finish(false, fmt::format("timeout after {} ms", timeout_.count()));
    } else if (ec == asio::error::connection_refused) {
      Finish(false, "connection refused");
    } else if (ec == http::error::end_of_stream || ec == asio::error::eof ||
               ec == asio::error::connection_reset) {
      Finish(false, fmt::format("{}: connection closed by the endpoint", what));
    } else {
      Finish(false, fmt::format("{}: {}", what, ec.message()));
    }
  }

  void Finish(bool healthy, std::string reason) {
    if (finished_) {
      return;
    }
    finished_ = true;
    AbandonLookup();
    deadline_.cancel();
    Close();
    ProbeResult result;
    result.healthy = healthy;
    result.reason = std::move(reason);
    result.latency =
        std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - started_);
    result.at_micros = clock_->NowMicros();
    ProbeCallback done = std::move(done_);
    done(std::move(result));
  }

  void AbandonLookup() {
    if (lookup_) {
      std::exchange(lookup_, nullptr)->Abandon();
    }
  }

  void Close() {
    beast::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  const config::HealthCheckConfig check_;
  const Clock* clock_;
  ProbeCallback done_;
  std::string source_;
  Resolver* const resolver_;
  std::shared_ptr<Resolver::Lookup> lookup_;  // while resolving
  tcp::socket socket_;
  std::optional<ssl::stream<tcp::socket&>> tls_;
  asio::steady_timer deadline_;
  const std::chrono::milliseconds timeout_;
  SteadyClock::time_point started_;
  bool finished_ = false;
  bool timed_out_ = false;

  http::request<http::empty_body> request_;
  beast::flat_buffer buffer_{16 * 1024};  // headers (8 KiB at most) and some body
  http::response_parser<http::buffer_body> parser_;
  unsigned status_ = 0;
  std::array<char, kSearchBytes> body_{};
  size_t got_ = 0;  // body bytes in body_
};

}  // namespace

std::chrono::milliseconds EffectiveTimeout(const config::HealthCheckConfig& check) {
  if (check.timeout.count() > 0) {
    return check.timeout;
  }
  return std::min<std::chrono::milliseconds>(check.interval / 2, std::chrono::seconds(4));
}

boost::asio::ssl::context MakeProbeTlsContext() {
  ssl::context tls(ssl::context::tls_client);
  tls.set_verify_mode(ssl::verify_none);
  return tls;
}

std::shared_ptr<Probe> StartProbe(boost::asio::io_context& io, boost::asio::ssl::context& tls,
                                  const config::HealthCheckConfig& check, const Clock* clock,
                                  ProbeCallback done, const std::string& source,
                                  Resolver* resolver) {
  auto op = std::make_shared<ProbeOp>(io, tls, check, clock, std::move(done), source, resolver);
  op->Start();
  return op;
}

}  // namespace tandem::health
