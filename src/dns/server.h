// DnsServer: the UDP and TCP listeners of `tandem dns`, answering from the
// ZoneSet currently published in a SnapshotCell.
//
// UDP: one thread per socket (SO_REUSEPORT), recvmmsg/sendmmsg in batches,
// the snapshot refreshed once per batch. TCP: RFC 7766 framing (2-byte
// length, checked), pipelined queries on a connection, an idle timeout and a
// connection cap. A bad packet never stops the server.
//
// Thread-safety: Start/Stop from the owner; the metrics from any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "common/snapshot.h"
#include "common/status.h"
#include "dns/responder.h"

namespace tandem::dns {

struct DnsServerOptions {
  std::string listen;  // HOST:PORT ([v6]:PORT), UDP and TCP; port 0: any free port
  size_t udp_threads = 1;
  size_t max_tcp_connections = 256;
  std::chrono::milliseconds tcp_idle_timeout{10000};
  ResponderOptions responder;
};

// Query counters (Prometheus): by qtype and by rcode, UDP/TCP, truncated,
// dropped. Summed from per-thread counters when rendered (dns/metrics.h).
class DnsMetrics;

class DnsServer {
 public:
  DnsServer(DnsServerOptions options, const SnapshotCell<ZoneSet>* zones);
  ~DnsServer();
  // Binds UDP and TCP on `listen` and starts answering; Unavailable with the
  // reason when a socket cannot be bound (TCP is bound first and without
  // SO_REUSEPORT, so a second server on the same port fails here instead of
  // sharing it), InvalidArgument for a bad `listen`. Before a ZoneSet is
  // published every query is REFUSED. Call once.
  Status Start();
  // Stops answering, closes every socket and joins the threads; returns
  // promptly (no timeouts waited out). Idempotent; the destructor calls it.
  void Stop();
  // The port bound (the chosen one when `listen` asked for port 0); 0
  // before Start.
  uint16_t port() const;
  // tandem_dns_queries_total{transport,qtype,rcode} and friends.
  std::string RenderMetrics() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tandem::dns
