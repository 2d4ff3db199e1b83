// UdpWorker: one UDP socket served by one thread (internal to src/dns).
//
// Reads batches with one blocking recvmmsg (MSG_WAITFORONE: it waits for the
// first datagram, then takes what else is queued), answers each datagram
// with its own Responder from the ZoneSet current at the start of the batch,
// and sends the answers with sendmmsg: two system calls per batch. Datagrams larger than the
// receive buffer are dropped and counted. When the socket is bound to a wildcard address, the
// destination address of each query (IP_PKTINFO / IPV6_PKTINFO) becomes the source of its answer.
//
// Thread-safety: Run on one thread. Another thread ends it by setting
// `stopping` and then calling shutdown(fd, SHUT_RD): Linux marks even an
// unconnected UDP socket shut (the call itself reports ENOTCONN), which wakes
// a blocked recvmmsg and makes every later one return at once. Buffers are
// allocated once, in the constructor.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "common/snapshot.h"
#include "dns/metrics.h"
#include "dns/responder.h"
#include "dns/zone.h"

namespace tandem::dns {

class UdpWorker {
 public:
  struct Setup {
    int fd = -1;  // bound, blocking UDP socket (owned by the caller)
    const std::atomic<bool>* stopping = nullptr;
    bool pktinfo = false;  // the socket has IP_PKTINFO / IPV6_RECVPKTINFO on
    const SnapshotCell<ZoneSet>* zones = nullptr;
    ResponderOptions responder;
    uint64_t seed = 0;
    DnsMetrics::Counters* counters = nullptr;
  };

  explicit UdpWorker(const Setup& setup);
  ~UdpWorker();
  UdpWorker(const UdpWorker&) = delete;
  UdpWorker& operator=(const UdpWorker&) = delete;

  // Serves until `stopping` is set (and the socket shut down for reading).
  void Run();

  static constexpr size_t kBatch = 64;
  static constexpr size_t kInSize = 4096;   // larger datagrams are dropped
  static constexpr size_t kOutSize = 4096;  // Responder needs at least this for UDP

 private:
  struct Buffers;
  // Answers the `n` datagrams received; returns how many answers to send.
  unsigned AnswerBatch(unsigned n, const ZoneSet& zones);
  void SendAll(unsigned count);

  Setup setup_;
  Responder responder_;
  SnapshotCell<ZoneSet>::Reader reader_;
  std::unique_ptr<Buffers> buffers_;
};

}  // namespace tandem::dns
