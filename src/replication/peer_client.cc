#include "replication/peer_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <optional>

namespace tandem::replication {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

StatusOr<PeerUrl> PeerUrl::Parse(std::string_view url) {
  PeerUrl out;
  std::string_view rest;
  if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else if (url.starts_with("https://")) {
    out.tls = true;
    rest = url.substr(8);
  } else {
    return Status::InvalidArgument("peer URL must start with http:// or https://: " +
                                   std::string(url));
  }
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find('/') != std::string_view::npos) {
    return Status::InvalidArgument("peer URL must not have a path: " + std::string(url));
  }
  const auto colon = rest.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == rest.size()) {
    out.host = std::string(rest);
    out.port = out.tls ? "443" : "80";
  } else {
    out.host = std::string(rest.substr(0, colon));
    out.port = std::string(rest.substr(colon + 1));
  }
  if (out.host.size() >= 2 && out.host.front() == '[' && out.host.back() == ']') {
    out.host = out.host.substr(1, out.host.size() - 2);
  }
  if (out.host.empty())
    return Status::InvalidArgument("peer URL without host: " + std::string(url));
  return out;
}

namespace {
// Beast's stream timeouts apply to asynchronous operations only, so each
// operation runs on the client's own io_context until it completes or its
// deadline closes the stream.
template <class Start>
beast::error_code RunOp(asio::io_context& io, Start start) {
  beast::error_code result = asio::error::would_block;
  start([&result](beast::error_code ec, auto&&...) { result = ec; });
  io.restart();
  io.run();
  return result;
}
}  // namespace

struct PeerClient::Impl {
  PeerUrl url;
  asio::io_context io;
  ssl::context tls{ssl::context::tls_client};
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;
  bool connected = false;

  void Reset() {
    beast::error_code ec;
    if (plain) plain->socket().close(ec);
    if (secure) beast::get_lowest_layer(*secure).socket().close(ec);
    plain.reset();
    secure.reset();
    buffer.clear();
    connected = false;
  }

  beast::tcp_stream& Lowest() { return plain ? *plain : beast::get_lowest_layer(*secure); }

  Status Connect(std::chrono::milliseconds timeout) {
    Reset();
    tcp::resolver resolver(io);
    beast::error_code ec;
    auto endpoints = resolver.resolve(url.host, url.port, ec);
    if (ec) return Status::Unavailable("cannot resolve " + url.host + ": " + ec.message());
    if (url.tls) {
      secure.emplace(io, tls);
      if (!SSL_set_tlsext_host_name(secure->native_handle(), url.host.c_str())) {
        return Status::Unavailable("cannot set TLS server name");
      }
      secure->set_verify_callback(ssl::host_name_verification(url.host));
    } else {
      plain.emplace(io);
    }
    Lowest().expires_after(timeout);
    ec = RunOp(io, [&](auto handler) { Lowest().async_connect(endpoints, handler); });
    if (ec) {
      return Status::Unavailable("cannot connect to " + url.host + ":" + url.port + ": " +
                                 ec.message());
    }
    Lowest().socket().set_option(tcp::no_delay(true), ec);
    if (secure) {
      Lowest().expires_after(timeout);
      ec = RunOp(io,
                 [&](auto handler) { secure->async_handshake(ssl::stream_base::client, handler); });
      if (ec)
        return Status::Unavailable("TLS handshake with " + url.host + " failed: " + ec.message());
    }
    connected = true;
    return Status::OK();
  }
};

void ConfigurePeerVerification(ssl::context* tls, const std::string& ca_file) {
  tls->set_verify_mode(ssl::verify_peer);
  beast::error_code ec;
  if (!ca_file.empty()) {
    tls->load_verify_file(ca_file, ec);
  } else {
    tls->set_default_verify_paths(ec);
  }
}

PeerClient::PeerClient(PeerUrl url, std::string ca_file) : impl_(std::make_unique<Impl>()) {
  impl_->url = std::move(url);
  ConfigurePeerVerification(&impl_->tls, ca_file);
}

PeerClient::~PeerClient() { impl_->Reset(); }

StatusOr<HttpResponse> PeerClient::Post(const std::string& path,
                                        const std::vector<auth::OwnedHeader>& headers,
                                        const std::string& body,
                                        std::chrono::milliseconds timeout) {
  return Send("POST", path, headers, body, timeout);
}

StatusOr<HttpResponse> PeerClient::Get(const std::string& path,
                                       const std::vector<auth::OwnedHeader>& headers,
                                       std::chrono::milliseconds timeout) {
  return Send("GET", path, headers, "", timeout);
}

StatusOr<HttpResponse> PeerClient::Send(const char* method, const std::string& path,
                                        const std::vector<auth::OwnedHeader>& headers,
                                        const std::string& body,
                                        std::chrono::milliseconds timeout) {
  // One retry on a fresh connection: a keep-alive connection the peer closed
  // while idle fails on first use.
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool reused = impl_->connected;
    if (!impl_->connected) TANDEM_RETURN_IF_ERROR(impl_->Connect(timeout));
    http::request<http::string_body> req{http::string_to_verb(method), path, 11};
    req.set(http::field::host, impl_->url.host + ":" + impl_->url.port);
    req.set(http::field::content_type, "application/octet-stream");
    for (const auto& h : headers) req.set(h.name, h.value);
    req.body() = body;
    req.prepare_payload();
    beast::error_code ec;
    impl_->Lowest().expires_after(timeout);
    if (impl_->secure) {
      ec = RunOp(impl_->io, [&](auto h) { http::async_write(*impl_->secure, req, h); });
    } else {
      ec = RunOp(impl_->io, [&](auto h) { http::async_write(*impl_->plain, req, h); });
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(256u << 20);
    if (!ec) {
      if (impl_->secure) {
        ec = RunOp(impl_->io,
                   [&](auto h) { http::async_read(*impl_->secure, impl_->buffer, parser, h); });
      } else {
        ec = RunOp(impl_->io,
                   [&](auto h) { http::async_read(*impl_->plain, impl_->buffer, parser, h); });
      }
    }
    if (ec) {
      impl_->Reset();
      if (reused && attempt == 0 && ec != beast::error::timeout) continue;
      return Status::Unavailable(std::string(method) + " " + path + " to " + impl_->url.host + ":" +
                                 impl_->url.port + " failed: " + ec.message());
    }
    auto res = parser.release();
    if (!res.keep_alive()) impl_->Reset();
    return HttpResponse{static_cast<int>(res.result_int()), std::move(res.body())};
  }
  return Status::Unavailable("unreachable");
}

}  // namespace tandem::replication
