// Relay: a TCP relay that holds every byte for a fixed delay in each
// direction — a delay line standing in for the network between two regions
// when they run on one machine (benchmarks, drills; the kernel may have no
// netem).
//
// It listens on RelayOptions::listen and, for every connection it accepts,
// opens one connection to RelayOptions::target and copies bytes both ways.
// Bytes read from one side are written to the other no earlier than `delay`
// after they were read (steady clock), in the order they were read. Reading
// goes on while earlier bytes wait, so a delay adds latency without capping
// throughput at one chunk per delay; up to `max_buffered_bytes` per direction
// wait inside the relay, beyond which it stops reading that side until the
// other side has taken some (ordinary TCP backpressure).
//
// Connection lifecycle:
// - The accepted connection is taken at once; the connection to the target is
//   opened then, not delayed (a real link would add a round trip here). When
//   the target cannot be reached, the accepted connection is closed.
// - An end of stream (FIN) from one side reaches the other side as a shutdown
//   of sending, after the same delay and behind the bytes before it. Once
//   both directions have ended, both sockets are closed.
// - A read or write error on either side (reset, broken pipe) closes both
//   sockets at once; bytes still waiting in the relay are dropped.
//
// Thread-safety: the relay runs on one I/O thread of its own. port() and
// stats() may be called from any thread; Stop() (also run by the destructor)
// from any thread, once or many times.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace tandem::relay {

struct HostPort {
  std::string host;
  uint16_t port = 0;
};

// Parses "HOST:PORT" (an IPv6 host in brackets: "[::1]:8000"). InvalidArgument
// when the text has no host, no port, or a port outside 0..65535.
StatusOr<HostPort> ParseHostPort(std::string_view text);

struct RelayOptions {
  HostPort listen;  // port 0: any free port, see Relay::port()
  HostPort target;
  std::chrono::microseconds delay{0};   // added to each direction
  size_t max_buffered_bytes = 8 << 20;  // per direction of one connection
};

class Relay {
 public:
  // Resolves both addresses, binds and listens, and starts relaying on its
  // own thread. InvalidArgument for an unresolvable address, IOError when the
  // listen address cannot be bound.
  static StatusOr<std::unique_ptr<Relay>> Start(const RelayOptions& options);

  ~Relay();
  Relay(const Relay&) = delete;
  Relay& operator=(const Relay&) = delete;

  // The port it listens on (the chosen one when RelayOptions::listen.port was 0).
  uint16_t port() const;

  // Stops accepting, closes every connection (dropping bytes still waiting)
  // and joins the I/O thread. Idempotent.
  void Stop();

  struct Stats {
    uint64_t accepted = 0;          // connections accepted
    uint64_t open = 0;              // connections currently relayed
    uint64_t connect_failures = 0;  // accepted connections whose target was unreachable
    uint64_t bytes_to_target = 0;   // bytes written to targets
    uint64_t bytes_to_client = 0;   // bytes written back to accepted connections
  };
  Stats stats() const;

 private:
  class Impl;
  explicit Relay(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tandem::relay
