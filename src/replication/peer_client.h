// PeerClient: an HTTP/1.1 keep-alive client to one peer node, over plain TCP
// (loopback and tests) or TLS verified against a configured CA.
//
// Requests are synchronous with a deadline; a broken connection is reopened
// on the next request. Not thread-safe: one client per shipping thread.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "auth/sigv4.h"
#include "common/status.h"

namespace tandem::replication {

struct PeerUrl {
  bool tls = false;
  std::string host;
  std::string port;
  // Parses "http://host:port" or "https://host:port" (a path is not allowed).
  static StatusOr<PeerUrl> Parse(std::string_view url);
};

struct HttpResponse {
  int status = 0;
  std::string body;
};

// Makes `tls` verify peers against `ca_file` (empty: the system's default
// CAs). A CA file that cannot be read fails the handshakes, with the reason.
void ConfigurePeerVerification(boost::asio::ssl::context* tls, const std::string& ca_file);

class PeerClient {
 public:
  // `ca_file` verifies https peers (empty: the system's default CAs).
  PeerClient(PeerUrl url, std::string ca_file);
  ~PeerClient();
  PeerClient(const PeerClient&) = delete;
  PeerClient& operator=(const PeerClient&) = delete;

  // Sends one request; Unavailable on connection failure or deadline.
  StatusOr<HttpResponse> Post(const std::string& path,
                              const std::vector<auth::OwnedHeader>& headers,
                              const std::string& body, std::chrono::milliseconds timeout);
  StatusOr<HttpResponse> Get(const std::string& path, const std::vector<auth::OwnedHeader>& headers,
                             std::chrono::milliseconds timeout);

 private:
  StatusOr<HttpResponse> Send(const char* method, const std::string& path,
                              const std::vector<auth::OwnedHeader>& headers,
                              const std::string& body, std::chrono::milliseconds timeout);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tandem::replication
