// DnsMetrics: the query counters of a DnsServer, rendered as Prometheus
// text:
//
//   tandem_dns_queries_total{transport="udp",qtype="A",rcode="NOERROR"} 12
//   tandem_dns_truncated_total{transport="udp"} 1
//   tandem_dns_dropped_total{transport="tcp"} 0
//
// Query types and rcodes outside the usual set are counted as "OTHER".
// Every server thread owns one Counters block and is its only writer (plain
// relaxed load+store, no locked instruction on the query path); Render sums
// the blocks with relaxed loads, so a scrape may miss the last few queries.
//
// Thread-safety: NewCounters and Render from any thread; a Counters block
// from its one thread only.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>

#include "dns/responder.h"

namespace tandem::dns {

class DnsMetrics {
 public:
  static constexpr size_t kQtypes = 18;  // see metrics.cc; the last is OTHER
  static constexpr size_t kRcodes = 9;

  struct alignas(64) Counters {
    void Count(Transport transport, const ResponseInfo& info);

    using Cell = std::atomic<uint64_t>;
    std::array<std::array<std::array<Cell, kRcodes>, kQtypes>, 2> queries{};
    std::array<Cell, 2> truncated{};
    std::array<Cell, 2> dropped{};
  };

  // A new block, zeroed, alive as long as this DnsMetrics.
  Counters* NewCounters();
  std::string Render() const;

 private:
  mutable std::mutex mu_;  // guards the list, not the counters
  std::deque<std::unique_ptr<Counters>> counters_;
};

}  // namespace tandem::dns
