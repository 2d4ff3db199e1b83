#include "dns/metrics.h"

namespace tandem::dns {
namespace {

constexpr uint16_t kQtypeValues[DnsMetrics::kQtypes - 1] = {1,  2,  5,  6,  12,  15,  16,  28, 33,
                                                            43, 48, 64, 65, 257, 255, 252, 251};
constexpr const char* kQtypeNames[DnsMetrics::kQtypes] = {
    "A",  "NS",     "CNAME", "SOA",   "PTR", "MX",  "TXT",  "AAAA", "SRV",
    "DS", "DNSKEY", "SVCB",  "HTTPS", "CAA", "ANY", "AXFR", "IXFR", "OTHER"};
constexpr uint8_t kRcodeValues[DnsMetrics::kRcodes - 1] = {0, 1, 2, 3, 4, 5, 9, 16};
constexpr const char* kRcodeNames[DnsMetrics::kRcodes] = {"NOERROR",  "FORMERR", "SERVFAIL",
                                                          "NXDOMAIN", "NOTIMP",  "REFUSED",
                                                          "NOTAUTH",  "BADVERS", "OTHER"};
constexpr const char* kTransports[2] = {"udp", "tcp"};

size_t QtypeIndex(uint16_t qtype) {
  for (size_t i = 0; i < DnsMetrics::kQtypes - 1; ++i) {
    if (kQtypeValues[i] == qtype) {
      return i;
    }
  }
  return DnsMetrics::kQtypes - 1;
}

size_t RcodeIndex(uint8_t rcode) {
  for (size_t i = 0; i < DnsMetrics::kRcodes - 1; ++i) {
    if (kRcodeValues[i] == rcode) {
      return i;
    }
  }
  return DnsMetrics::kRcodes - 1;
}

// The only writer of `cell` adds one without a locked instruction.
void Bump(std::atomic<uint64_t>& cell) {
  cell.store(cell.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

}  // namespace

void DnsMetrics::Counters::Count(Transport transport, const ResponseInfo& info) {
  const size_t t = transport == Transport::kUdp ? 0 : 1;
  if (info.dropped) {
    Bump(dropped[t]);
    return;
  }
  Bump(queries[t][QtypeIndex(info.qtype)][RcodeIndex(info.rcode)]);
  if (info.truncated) {
    Bump(truncated[t]);
  }
}

DnsMetrics::Counters* DnsMetrics::NewCounters() {
  std::lock_guard lock(mu_);
  counters_.push_back(std::make_unique<Counters>());
  return counters_.back().get();
}

std::string DnsMetrics::Render() const {
  uint64_t queries[2][kQtypes][kRcodes] = {};
  uint64_t truncated[2] = {};
  uint64_t dropped[2] = {};
  {
    std::lock_guard lock(mu_);
    for (const auto& c : counters_) {
      for (size_t t = 0; t < 2; ++t) {
        for (size_t q = 0; q < kQtypes; ++q) {
          for (size_t r = 0; r < kRcodes; ++r) {
            queries[t][q][r] += c->queries[t][q][r].load(std::memory_order_relaxed);
          }
        }
        truncated[t] += c->truncated[t].load(std::memory_order_relaxed);
        dropped[t] += c->dropped[t].load(std::memory_order_relaxed);
      }
    }
  }
  std::string out =
      "# HELP tandem_dns_queries_total DNS queries answered, by transport, query type and "
      "response code.\n"
      "# TYPE tandem_dns_queries_total counter\n";
  for (size_t t = 0; t < 2; ++t) {
    for (size_t q = 0; q < kQtypes; ++q) {
      for (size_t r = 0; r < kRcodes; ++r) {
        if (queries[t][q][r] != 0) {
          out += std::string("tandem_dns_queries_total{transport=\"") + kTransports[t] +
                 "\",qtype=\"" + kQtypeNames[q] + "\",rcode=\"" + kRcodeNames[r] + "\"} " +
                 std::to_string(queries[t][q][r]) + "\n";
        }
      }
    }
  }
  out +=
      "# HELP tandem_dns_truncated_total Responses sent with TC set.\n"
      "# TYPE tandem_dns_truncated_total counter\n";
  for (size_t t = 0; t < 2; ++t) {
    out += std::string("tandem_dns_truncated_total{transport=\"") + kTransports[t] + "\"} " +
           std::to_string(truncated[t]) + "\n";
  }
  out +=
      "# HELP tandem_dns_dropped_total Packets not answered: responses, runts, oversized or "
      "malformed framing.\n"
      "# TYPE tandem_dns_dropped_total counter\n";
  for (size_t t = 0; t < 2; ++t) {
    out += std::string("tandem_dns_dropped_total{transport=\"") + kTransports[t] + "\"} " +
           std::to_string(dropped[t]) + "\n";
  }
  return out;
}

}  // namespace tandem::dns
