// TestServer: a tiny blocking HTTP (or HTTPS) server on 127.0.0.1, port 0,
// for the probe and checker tests. It serves one connection at a time on its
// own thread and can be told to answer with a status and body, to alternate
// 200/503 on every request, to hang (read the request, never answer), to
// close without answering, or to send a partial body and then hang. Also a
// fake name service for probes of checks named by host.
//
// Thread-safety: the setters and getters may be called from any thread.
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "health/resolver.h"

namespace tandem::health::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

class TestServer {
 public:
  enum class Mode { kRespond, kFlap, kHang, kClose, kPartialBody };

  // Plain HTTP, or HTTPS with a fresh self-signed certificate. Listens at once.
  explicit TestServer(bool tls = false) {
    if (tls) {
      tls_ = std::make_unique<ssl::context>(MakeTls());
      SSL_CTX_set_tlsext_servername_callback(tls_->native_handle(), &TestServer::OnServerName);
      SSL_CTX_set_tlsext_servername_arg(tls_->native_handle(), this);
    }
    acceptor_.open(tcp::v4());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind(tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { Run(); });
  }

  ~TestServer() {
    stopping_ = true;
    beast::error_code ec;
    tcp::socket wake(io_);
    wake.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_), ec);
    thread_.join();
  }

  uint16_t port() const { return port_; }

  void Set(Mode mode, int status = 200, std::string body = "ok") {
    std::lock_guard lock(mu_);
    mode_ = mode;
    status_ = status;
    body_ = std::move(body);
  }
  int requests() const { return requests_.load(); }
  int held() const { return held_count_.load(); }
  std::string last_host() const {
    std::lock_guard lock(mu_);
    return last_host_;
  }
  std::string last_sni() const {
    std::lock_guard lock(mu_);
    return last_sni_;
  }

 private:
  static ssl::context MakeTls() {
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), &EVP_PKEY_free);
    std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), &X509_free);
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -86400);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400);
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("health-test"), -1, -1, 0);
    X509_set_issuer_name(cert.get(), name);
    X509_set_pubkey(cert.get(), key.get());
    X509_sign(cert.get(), key.get(), EVP_sha256());
    ssl::context tls(ssl::context::tls_server);
    SSL_CTX_use_certificate(tls.native_handle(), cert.get());
    SSL_CTX_use_PrivateKey(tls.native_handle(), key.get());
    return tls;
  }

  static int OnServerName(SSL* ssl, int*, void* arg) {
    auto* self = static_cast<TestServer*>(arg);
    const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    std::lock_guard lock(self->mu_);
    self->last_sni_ = name == nullptr ? "" : name;
    return SSL_TLSEXT_ERR_OK;
  }

  void Run() {
    while (true) {
      tcp::socket socket(io_);
      beast::error_code ec;
      acceptor_.accept(socket, ec);
      if (stopping_) {
        return;
      }
      if (ec) {
        continue;
      }
      if (tls_) {
        {
          std::lock_guard lock(mu_);
          last_sni_.clear();
        }
        ssl::stream<tcp::socket&> stream(socket, *tls_);
        stream.handshake(ssl::stream_base::server, ec);
        if (!ec) {
          Serve(stream, socket);
        }
      } else {
        Serve(socket, socket);
      }
    }
  }

  template <class Stream>
  void Serve(Stream& stream, tcp::socket& socket) {
    beast::flat_buffer buffer;
    http::request<http::string_body> req;
    beast::error_code ec;
    http::read(stream, buffer, req, ec);
    if (ec) {
      return;
    }
    const int n = ++requests_;
    Mode mode;
    int status;
    std::string body;
    {
      std::lock_guard lock(mu_);
      last_host_ = std::string(req[http::field::host]);
      mode = mode_;
      status = status_;
      body = body_;
    }
    if (mode == Mode::kFlap) {
      mode = Mode::kRespond;
      status = n % 2 == 1 ? 200 : 503;
    }
    switch (mode) {
      case Mode::kHang:
        Hold(std::move(socket));
        return;
      case Mode::kClose:
        socket.close(ec);
        return;
      case Mode::kPartialBody: {
        const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n";
        asio::write(stream, asio::buffer(head + body), ec);
        Hold(std::move(socket));
        return;
      }
      default:
        break;
    }
    http::response<http::string_body> res;
    res.result(static_cast<unsigned>(status));
    res.version(11);
    res.keep_alive(false);
    res.body() = body;
    res.prepare_payload();
    http::write(stream, res, ec);
    socket.shutdown(tcp::socket::shutdown_send, ec);
  }

  void Hold(tcp::socket socket) {
    held_.push_back(std::move(socket));  // server thread only
    ++held_count_;
  }

  asio::io_context io_;
  tcp::acceptor acceptor_{io_};
  std::unique_ptr<ssl::context> tls_;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> requests_{0};
  std::atomic<int> held_count_{0};
  std::vector<tcp::socket> held_;  // hung connections, open until the end
  std::thread thread_;

  mutable std::mutex mu_;
  Mode mode_ = Mode::kRespond;
  int status_ = 200;
  std::string body_ = "ok";
  std::string last_host_;
  std::string last_sni_;
};

// Names for a ThreadedResolver (health/resolver.h): any name starting with
// "slow" blocks until Release() (or the end of the test), "missing.test" does
// not exist, and every other name is 127.0.0.1. Counts the lookups per name.
class FakeNames {
 public:
  ~FakeNames() { Release(); }
  void Release() {
    {
      std::lock_guard lock(state_->mu);
      state_->released = true;
    }
    state_->cv.notify_all();
  }
  int lookups(const std::string& host) const {
    std::lock_guard lock(state_->mu);
    auto it = state_->lookups.find(host);
    return it == state_->lookups.end() ? 0 : it->second;
  }
  // Lookups outlive the test (their threads are detached): they share the
  // state, not this object.
  LookupFunction Function() const {
    return [state = state_](const std::string& host) -> StatusOr<Resolver::Addresses> {
      std::unique_lock lock(state->mu);
      ++state->lookups[host];
      if (host.starts_with("slow")) {
        state->cv.wait(lock, [&] { return state->released; });
      }
      if (host == "missing.test") {
        return Status::NotFound(host + ": no such name");
      }
      return Resolver::Addresses{asio::ip::make_address("127.0.0.1")};
    };
  }

 private:
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    bool released = false;
    std::map<std::string, int> lookups;
  };
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

// A port on 127.0.0.1 that refuses connections: bound, never listening, so
// no other process can take it while the test runs.
class RefusingPort {
 public:
  RefusingPort() {
    socket_.open(tcp::v4());
    socket_.bind(tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  }
  uint16_t port() const { return socket_.local_endpoint().port(); }

 private:
  asio::io_context io_;
  tcp::socket socket_{io_};
};

}  // namespace tandem::health::testing
