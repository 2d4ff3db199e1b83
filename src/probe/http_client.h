// The probe's HTTP/1.1 client: synchronous exchanges with one origin, every
// step (resolve, connect, TLS handshake, write, read) bounded by one absolute
// deadline, so that a server that accepts and never answers costs a check
// its timeout and no more.
//
// A Network is the I/O the exchanges run on: one io_context driven by the
// calling thread, and the client TLS context. Abandon() makes every exchange
// in progress or to come fail at once; it is how a stopping probe gives up a
// check instead of waiting out its timeout.
//
// Thread-safety: a Network and its connections are used by one thread at a
// time; only Network::Abandon may be called from any thread.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "auth/sigv4.h"
#include "common/status.h"
#include "probe/url.h"

namespace tandem::probe {

using Deadline = std::chrono::steady_clock::time_point;

struct TlsOptions {
  std::string ca_file;    // PEM CA bundle; empty: the system's CAs
  bool insecure = false;  // do not verify certificates at all
};

// A client TLS context per `options`. InvalidArgument when `ca_file` cannot
// be loaded.
StatusOr<std::shared_ptr<boost::asio::ssl::context>> MakeClientTlsContext(
    const TlsOptions& options);

class Network {
 public:
  // `tls` (may be null when only http:// URLs are used) verifies https peers;
  // with `verify_names`, their certificates must name the URL's host.
  Network(std::shared_ptr<boost::asio::ssl::context> tls, bool verify_names);
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;

  // Makes every exchange in progress or to come fail. Thread-safe.
  void Abandon();
  bool abandoned() const { return abandoned_.load(); }

  boost::asio::io_context& io() { return io_; }
  boost::asio::ssl::context* tls() { return tls_.get(); }
  bool verify_names() const { return verify_names_; }

 private:
  boost::asio::io_context io_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  bool verify_names_;
  std::atomic<bool> abandoned_{false};
};

struct HttpRequest {
  std::string method = "GET";
  std::string target = "/";
  std::vector<auth::OwnedHeader> headers;  // Host is added when absent
  std::string body;
};

struct HttpResponse {
  int status = 0;
  std::string body;  // empty when only the head was read
};

// One keep-alive connection to `origin`'s host and port, opened on first use
// and again after an error or a response that closes it. Not thread-safe.
class HttpConnection {
 public:
  HttpConnection(Network* network, Url origin);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // Sends `request` and reads the response: its head only when `head_only`
  // (the connection is then closed), else the whole body up to 8 MiB.
  // Unavailable with the reason on any failure; when `deadline` passes first
  // the reason is "timed out", and the caller knows it by the clock.
  StatusOr<HttpResponse> RoundTrip(const HttpRequest& request, Deadline deadline,
                                   bool head_only = false);

  void Close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tandem::probe
