#include "probe/http_client.h"

#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <optional>

namespace tandem::probe {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

constexpr uint64_t kMaxBody = 8u << 20;
// How long past its deadline a resolve is given up.
constexpr auto kGrace = std::chrono::milliseconds(50);

bool IsIpAddress(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

// Starts an operation with `start(handler)` and runs the network's
// io_context until it completes or the network is abandoned. Socket
// operations end by their stream's own deadline; `backstop` bounds the others
// (a resolve stuck in getaddrinfo cannot be cancelled). The handler owns where
// the result goes, so an operation left behind completes harmlessly during a
// later run.
template <class Start>
beast::error_code RunOp(Network* net, std::optional<Deadline> backstop, Start start) {
  auto result = std::make_shared<std::optional<beast::error_code>>();
  start([result](beast::error_code ec, auto&&...) { *result = ec; });
  asio::io_context& io = net->io();
  io.restart();
  while (!result->has_value()) {
    if (net->abandoned()) {
      return asio::error::operation_aborted;
    }
    if (!backstop) {
      io.run_one();
      continue;
    }
    io.run_one_until(*backstop + kGrace);
    if (!result->has_value() && std::chrono::steady_clock::now() >= *backstop + kGrace) {
      return beast::error::timeout;
    }
  }
  return **result;
}

}  // namespace

StatusOr<std::shared_ptr<ssl::context>> MakeClientTlsContext(const TlsOptions& options) {
  auto tls = std::make_shared<ssl::context>(ssl::context::tls_client);
  if (options.insecure) {
    tls->set_verify_mode(ssl::verify_none);
    return tls;
  }
  tls->set_verify_mode(ssl::verify_peer);
  beast::error_code ec;
  if (options.ca_file.empty()) {
    tls->set_default_verify_paths(ec);
  } else {
    tls->load_verify_file(options.ca_file, ec);
  }
  if (ec) {
    return Status::InvalidArgument(
        "cannot load CA certificates" +
        (options.ca_file.empty() ? std::string() : " from " + options.ca_file) + ": " +
        ec.message());
  }
  return tls;
}

Network::Network(std::shared_ptr<ssl::context> tls, bool verify_names)
    : tls_(std::move(tls)), verify_names_(verify_names) {}

void Network::Abandon() {
  abandoned_.store(true);
  io_.stop();
}

struct HttpConnection::Impl {
  Network* net;
  Url origin;
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;

  // "host:port", for messages.
  std::string Where() const {
    const bool v6 = origin.host.find(':') != std::string::npos;
    return (v6 ? "[" + origin.host + "]" : origin.host) + ":" + std::to_string(origin.port);
  }
  beast::tcp_stream& Lowest() { return plain ? *plain : beast::get_lowest_layer(*secure); }
  bool connected() const { return plain.has_value() || secure.has_value(); }

  void Close() {
    beast::error_code ignored;
    if (connected()) {
      Lowest().socket().close(ignored);
    }
    plain.reset();
    secure.reset();
    buffer.clear();
  }

  // The reason for `ec` as the caller sees it.
  static std::string Why(const beast::error_code& ec) {
    if (ec == beast::error::timeout) {
      return "timed out";
    }
    if (ec == asio::error::operation_aborted) {
      return "abandoned (the probe is stopping)";
    }
    return ec.message();
  }

  // The addresses of the origin's host, resolved at every connection so
  // that a DNS failover is followed.
  StatusOr<std::vector<tcp::endpoint>> Resolve(Deadline deadline) {
    if (IsIpAddress(origin.host)) {
      return std::vector<tcp::endpoint>{
          tcp::endpoint(asio::ip::make_address(origin.host), origin.port)};
    }
    auto resolver = std::make_shared<tcp::resolver>(net->io());
    auto found = std::make_shared<std::vector<tcp::endpoint>>();
    const beast::error_code ec = RunOp(net, deadline, [&](auto handler) {
      resolver->async_resolve(
          origin.host, std::to_string(origin.port),
          [handler, found, resolver](beast::error_code ec, tcp::resolver::results_type r) {
            for (const auto& entry : r) {
              found->push_back(entry.endpoint());
            }
            handler(ec);
          });
    });
    if (ec) {
      return Status::Unavailable("cannot resolve " + origin.host + ": " + Why(ec));
    }
    if (found->empty()) {
      return Status::Unavailable("cannot resolve " + origin.host + ": no address");
    }
    return *found;
  }

  Status Connect(Deadline deadline) {
    Close();
    TANDEM_ASSIGN_OR_RETURN(auto endpoints, Resolve(deadline));
    if (origin.tls) {
      if (net->tls() == nullptr) {
        return Status::Internal("no TLS context for " + origin.text);
      }
      secure.emplace(net->io(), *net->tls());
      if (!IsIpAddress(origin.host) &&
          !SSL_set_tlsext_host_name(secure->native_handle(), origin.host.c_str())) {
        return Status::Unavailable("cannot set the TLS server name " + origin.host);
      }
      if (net->verify_names()) {
        secure->set_verify_callback(ssl::host_name_verification(origin.host));
      }
    } else {
      plain.emplace(net->io());
    }
    Lowest().expires_at(deadline);
    beast::error_code ec =
        RunOp(net, std::nullopt, [&](auto handler) { Lowest().async_connect(endpoints, handler); });
    if (ec) {
      Close();
      return Status::Unavailable("cannot connect to " + Where() + ": " + Why(ec));
    }
    Lowest().socket().set_option(tcp::no_delay(true), ec);
    if (secure) {
      Lowest().expires_at(deadline);
      ec = RunOp(net, std::nullopt,
                 [&](auto handler) { secure->async_handshake(ssl::stream_base::client, handler); });
      if (ec) {
        Close();
        return Status::Unavailable("TLS handshake with " + Where() + " failed: " + Why(ec));
      }
    }
    return Status::OK();
  }

  // Runs `op(stream, handler)` on whichever stream is open.
  template <class Op>
  beast::error_code OnStream(Op op) {
    return RunOp(net, std::nullopt, [&](auto handler) {
      if (secure) {
        op(*secure, handler);
      } else {
        op(*plain, handler);
      }
    });
  }
};

HttpConnection::HttpConnection(Network* network, Url origin) : impl_(std::make_unique<Impl>()) {
  impl_->net = network;
  impl_->origin = std::move(origin);
}

HttpConnection::~HttpConnection() { impl_->Close(); }

void HttpConnection::Close() { impl_->Close(); }

StatusOr<HttpResponse> HttpConnection::RoundTrip(const HttpRequest& request, Deadline deadline,
                                                 bool head_only) {
  if (!impl_->connected()) {
    TANDEM_RETURN_IF_ERROR(impl_->Connect(deadline));
  }
  http::request<http::string_body> req{http::string_to_verb(request.method), request.target, 11};
  req.set(http::field::host, impl_->origin.HostHeader());
  req.set(http::field::user_agent, "tandem-probe");
  for (const auto& h : request.headers) {
    req.set(h.name, h.value);
  }
  if (head_only) {
    req.keep_alive(false);
  }
  req.body() = request.body;
  req.prepare_payload();
  impl_->Lowest().expires_at(deadline);
  beast::error_code ec =
      impl_->OnStream([&](auto& stream, auto handler) { http::async_write(stream, req, handler); });
  if (ec) {
    impl_->Close();
    return Status::Unavailable("sending " + request.method + " " + request.target + " to " +
                               impl_->Where() + " failed: " + Impl::Why(ec));
  }
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxBody);
  impl_->Lowest().expires_at(deadline);
  if (head_only) {
    ec = impl_->OnStream([&](auto& stream, auto handler) {
      http::async_read_header(stream, impl_->buffer, parser, handler);
    });
  } else {
    ec = impl_->OnStream([&](auto& stream, auto handler) {
      http::async_read(stream, impl_->buffer, parser, handler);
    });
  }
  if (ec) {
    impl_->Close();
    return Status::Unavailable("reading the response from " + impl_->Where() +
                               " failed: " + Impl::Why(ec));
  }
  HttpResponse out{static_cast<int>(parser.get().result_int()), {}};
  if (!head_only) {
    out.body = std::move(parser.get().body());
  }
  if (head_only || !parser.get().keep_alive()) {
    impl_->Close();
  }
  return out;
}

}  // namespace tandem::probe
