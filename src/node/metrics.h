// Metrics: the node's counters and latency histograms, rendered as
// Prometheus text for GET /metrics.
//
// Recording is lock-free (relaxed atomics in fixed arrays indexed by
// operation), so it is cheap on every request. Thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

namespace tandem::node {

class Metrics {
 public:
  // The operations counted, in a fixed order; others count as "Unknown".
  static constexpr std::array<std::string_view, 24> kOps = {
      "CreateTable",   "DescribeTable",      "ListTables",        "UpdateTable",
      "DeleteTable",   "TagResource",        "UntagResource",     "ListTagsOfResource",
      "DescribeEndpoints", "DescribeLimits", "DescribeTimeToLive", "PutItem",
      "GetItem",       "UpdateItem",         "DeleteItem",        "Query",
      "Scan",          "BatchGetItem",       "BatchWriteItem",    "CreateGlobalTable",
      "DescribeGlobalTable", "UpdateGlobalTable", "ListGlobalTables", "Unknown"};
  // Latency bucket upper bounds in seconds.
  static constexpr std::array<double, 14> kBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                                      0.005,  0.01,    0.025,  0.05,  0.1,
                                                      0.25,   0.5,     1.0,    2.5};
  enum Outcome { kSuccess = 0, kClientError = 1, kServerError = 2, kOutcomes = 3 };

  static size_t OpIndex(std::string_view op);
  void Record(std::string_view op, Outcome outcome, double seconds);
  void AddAuthFailure() { auth_failures_.fetch_add(1, std::memory_order_relaxed); }

  // Renders every metric; `extra` is appended verbatim (gauges owned elsewhere).
  std::string Render(const std::string& extra) const;

 private:
  struct OpStats {
    std::array<std::atomic<uint64_t>, kOutcomes> count{};
    std::array<std::atomic<uint64_t>, kBuckets.size() + 1> buckets{};
    std::atomic<uint64_t> sum_micros{0};
  };
  std::array<OpStats, kOps.size()> ops_{};
  std::atomic<uint64_t> auth_failures_{0};
};

}  // namespace tandem::node
