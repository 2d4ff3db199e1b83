// HttpTransport: one HTTP/1.1 exchange with a URL, behind an interface so the
// controller's sources, actuator, webhooks and etcd client can be given fakes.
//
// NewHttpTransport() returns the real one, over probe::HttpConnection
// (Boost.Beast): a fresh connection per call, every step bounded by the
// call's timeout, https verified against the system's CAs or a CA file.
//
// Thread-safety: Do() may be called from any number of threads at once.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "auth/sigv4.h"
#include "common/status.h"

namespace tandem::control {

struct HttpCall {
  std::string method = "GET";
  std::string url;  // http(s)://host[:port]/path?query
  std::vector<auth::OwnedHeader> headers;
  std::string body;
  std::chrono::milliseconds timeout{2000};
};

struct HttpReply {
  int status = 0;
  std::string body;
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // The reply, whatever its status; InvalidArgument for a malformed URL,
  // Unavailable with the reason when no reply came within the timeout.
  virtual StatusOr<HttpReply> Do(const HttpCall& call) = 0;
};

// `ca_file` verifies https peers (empty: the system's CAs). InvalidArgument
// when the CA file cannot be loaded.
StatusOr<std::unique_ptr<HttpTransport>> NewHttpTransport(const std::string& ca_file);

}  // namespace tandem::control
