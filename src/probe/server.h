// HealthServer: the probe's HTTP/1.1 endpoint.
//
//   GET  /health   the report of a health check (report.h): 200 or 503, JSON
//   HEAD /health   the same status and headers, no body
//   other methods on /health: 405; any other path: 404
// A query string is ignored. Connections are kept alive as the client asks;
// a request must arrive within 10 s of the connection going idle, its head
// within 8 KiB and its body within 64 KiB. At most 1024 connections are open
// at once; more are closed as soon as they are accepted. One I/O thread; the
// check itself runs elsewhere (the coalescer), so a slow check holds no
// thread here.
//
// Thread-safety: Listen, Serve, Stop and port from the owner's thread. The check
// function is called on the I/O thread; its callback may run on any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "common/status.h"
#include "probe/report.h"
#include "probe/url.h"

namespace tandem::probe {

class HealthServer {
 public:
  // Starts a check, or joins one, and calls back with its report.
  using Check = std::function<void(std::function<void(const HealthReport&)>)>;

  HealthServer(HostPort listen, Check check);
  ~HealthServer();
  HealthServer(const HealthServer&) = delete;
  HealthServer& operator=(const HealthServer&) = delete;

  // Binds and listens; connections wait in the backlog until Serve.
  // Unavailable with the reason when the address cannot be bound.
  Status Listen();
  // Starts the I/O thread that serves. Call once, after Listen succeeded.
  void Serve();
  // Stops accepting and closes every connection; replies not yet written are
  // dropped. Idempotent.
  void Stop();
  // The bound port (the chosen one when listening on port 0).
  uint16_t port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tandem::probe
