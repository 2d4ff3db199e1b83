// AdminServer: a small HTTP/1.1 server for `tandem dns`'s admin API (status,
// routing controls, checkers' observations, metrics). JSON bodies, keep-alive,
// a body limit, one I/O thread; requests are handled one at a time per
// connection by the given handler, which does its own authentication.
//
// It protects itself before any handler runs, since anyone may connect: at
// most `max_connections` are open at once, and a connection must deliver
// each complete request within `request_timeout` of being ready for it
// (whether idle between keep-alive requests or trickling bytes), else it is
// closed. A connection becomes trusted once the handler answers one of its
// requests with AdminReply::trusted (it authenticated the caller). When every
// slot is taken, a new connection displaces the oldest connection that is
// not trusted; only when all are trusted is the new one closed at once. So
// anonymous callers holding slots cannot lock out the checkers, the
// controller or `tandem route`, and the connections they already hold are
// never dropped for a newcomer.
//
// Thread-safety: Start/Stop from the owner. The handler runs on the server's
// thread and may be called for several connections one after another.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "auth/canonical.h"
#include "common/status.h"

namespace tandem::failover {

struct AdminRequest {
  std::string_view method;
  std::string_view target;
  std::span<const auth::Header> headers;
  std::string_view body;
};

struct AdminReply {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  // The handler authenticated the caller: keep this connection over
  // anonymous ones when slots run out.
  bool trusted = false;
};

struct AdminServerOptions {
  size_t max_connections = 64;
  std::chrono::milliseconds request_timeout{5000};
};

class AdminServer {
 public:
  using Handler = std::function<AdminReply(const AdminRequest&)>;
  AdminServer(std::string listen, Handler handler, AdminServerOptions options = {});
  ~AdminServer();
  // Binds HOST:PORT and serves; Unavailable with the reason when it cannot.
  Status Start();
  void Stop();
  uint16_t port() const;       // the bound port (for listen ports of 0)
  size_t connections() const;  // open now

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace tandem::failover
