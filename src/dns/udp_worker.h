// UdpWorker: one UDP socket served by one thread (internal to src/dns).
//
// Reads batches with recvmmsg (non-blocking; poll() only when the socket is
// empty, together with a wake-up eventfd for Stop), answers each datagram
// with its own Responder from the ZoneSet current at the start of the batch,
// and sends the answers with sendmmsg. Datagrams larger than the receive
// buffer are dropped and counted. When the socket is bound to a wildcard
// address, the destination address of each query (IP_PKTINFO /
// IPV6_PKTINFO) becomes the source of its answer.
//
// Thread-safety: Run on one thread; `stopping` and the wake fd are how
// another thread ends it. Buffers are allocated once, in the constructor.
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
    int fd = -1;       // bound UDP socket (owned by the caller)
    int wake_fd = -1;  // readable when the worker must look at `stopping`
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

  // Serves until `stopping` is set (and the wake fd signalled).
  void Run();

  static constexpr size_t kBatch = 64;
  static constexpr size_t kInSize = 4096;   // larger datagrams are dropped
  static constexpr size_t kOutSize = 4096;  // Responder needs at least this for UDP

 private:
  struct Buffers;
  // Answers the `n` datagrams received; returns how many answers to send.
  unsigned AnswerBatch(unsigned n, const ZoneSet& zones);
  void SendAll(unsigned count);
  bool WaitReadable();  // false when stopping

  Setup setup_;
  Responder responder_;
  SnapshotCell<ZoneSet>::Reader reader_;
  std::unique_ptr<Buffers> buffers_;
};

}  // namespace tandem::dns
