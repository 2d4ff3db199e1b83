#include "node/metrics.h"

#include <fmt/format.h>

namespace tandem::node {

size_t Metrics::OpIndex(std::string_view op) {
  for (size_t i = 0; i + 1 < kOps.size(); ++i) {
    if (kOps[i] == op) return i;
  }
  return kOps.size() - 1;
}

void Metrics::Record(std::string_view op, Outcome outcome, double seconds) {
  OpStats& s = ops_[OpIndex(op)];
  s.count[outcome].fetch_add(1, std::memory_order_relaxed);
  size_t b = 0;
  while (b < kBuckets.size() && seconds > kBuckets[b]) ++b;
  s.buckets[b].fetch_add(1, std::memory_order_relaxed);
  s.sum_micros.fetch_add(static_cast<uint64_t>(seconds * 1e6), std::memory_order_relaxed);
}

std::string Metrics::Render(const std::string& extra) const {
  static const char* const kOutcomeNames[] = {"success", "client_error", "server_error"};
  std::string out;
  out += "# HELP tandem_requests_total DynamoDB API requests by operation and outcome.\n";
  out += "# TYPE tandem_requests_total counter\n";
  for (size_t i = 0; i < kOps.size(); ++i) {
    for (int o = 0; o < kOutcomes; ++o) {
      const uint64_t n = ops_[i].count[o].load(std::memory_order_relaxed);
      if (n == 0) continue;
      out += fmt::format("tandem_requests_total{{operation=\"{}\",outcome=\"{}\"}} {}\n", kOps[i],
                         kOutcomeNames[o], n);
    }
  }
  out += "# HELP tandem_request_duration_seconds DynamoDB API request latency.\n";
  out += "# TYPE tandem_request_duration_seconds histogram\n";
  for (size_t i = 0; i < kOps.size(); ++i) {
    uint64_t total = 0;
    for (const auto& b : ops_[i].buckets) total += b.load(std::memory_order_relaxed);
    if (total == 0) continue;
    uint64_t cumulative = 0;
    for (size_t b = 0; b < kBuckets.size(); ++b) {
      cumulative += ops_[i].buckets[b].load(std::memory_order_relaxed);
      out += fmt::format("tandem_request_duration_seconds_bucket{{operation=\"{}\",le=\"{}\"}} {}\n",
                         kOps[i], kBuckets[b], cumulative);
    }
    out += fmt::format("tandem_request_duration_seconds_bucket{{operation=\"{}\",le=\"+Inf\"}} {}\n",
                       kOps[i], total);
    out += fmt::format("tandem_request_duration_seconds_sum{{operation=\"{}\"}} {:.6f}\n", kOps[i],
                       static_cast<double>(ops_[i].sum_micros.load(std::memory_order_relaxed)) / 1e6);
    out += fmt::format("tandem_request_duration_seconds_count{{operation=\"{}\"}} {}\n", kOps[i],
                       total);
  }
  out += "# HELP tandem_auth_failures_total Requests refused by signature verification.\n";
  out += "# TYPE tandem_auth_failures_total counter\n";
  out += fmt::format("tandem_auth_failures_total {}\n", auth_failures_.load());
  out += extra;
  return out;
}

}  // namespace tandem::node
