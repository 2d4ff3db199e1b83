// Replica comparison over the control path (kControlPath): what a node
// answers about a table's range digests and one range's stored versions, the
// parsers of those answers, and the comparison of one range across replicas.
// Anti-entropy (replicator) and `tandem verify` are its two users; neither
// ships the table: they fetch 1,024 range digests per replica, then the
// versions of the ranges whose digests differ.
//
// Requests (JSON, signed like every control call):
//   {"op": "TableDigests", "table": T}
//     -> {"table", "region", "keys": {"hash": [name, type], "range": [...]},
//         "item_count", "ranges": [32 hex digits x kDigestRanges]}
//   {"op": "RangeVersions", "table": T, "range": R, "after": hex suffix}
//     -> {"entries": [[hex suffix, "hlc" (decimal string), origin, tombstone,
//         hex hash], ...], "more": bool}
//
// Thread-safety: free functions over their arguments.
#pragma once

#include <boost/json/object.hpp>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "storage/digest.h"
#include "storage/store.h"

namespace tandem::replication {

inline constexpr char kOpTableDigests[] = "TableDigests";
inline constexpr char kOpRangeVersions[] = "RangeVersions";
// Entries per RangeVersions answer.
inline constexpr size_t kRangePageLimit = 2000;

// ---- Answers (the node side) ----
StatusOr<boost::json::object> AnswerTableDigests(const storage::Store& store,
                                                 const boost::json::object& request);
StatusOr<boost::json::object> AnswerRangeVersions(const storage::Store& store,
                                                  const boost::json::object& request);

// ---- Parsed answers (the asking side) ----
struct TableDigests {
  std::string region;
  storage::KeyElement hash_key;
  std::optional<storage::KeyElement> range_key;
  int64_t item_count = 0;
  std::vector<storage::RangeDigest> ranges;  // kDigestRanges of them
};
StatusOr<TableDigests> ParseTableDigests(const boost::json::object& answer);

// Sends one control request to one replica and returns its answer.
using ControlCall =
    std::function<StatusOr<boost::json::object>(const boost::json::object& request)>;

StatusOr<TableDigests> FetchTableDigests(const ControlCall& call, const std::string& table);
// Every stored version of one range, following pages.
StatusOr<std::vector<storage::Store::RangeEntry>> FetchRange(const ControlCall& call,
                                                             const std::string& table,
                                                             uint32_t range);

// ---- Comparison ----
// One key whose replicas disagree: its version in each replica (in the order
// the replicas were given), nullopt where the replica has nothing.
struct KeyDifference {
  std::string key_suffix;
  std::vector<std::optional<storage::Store::RangeEntry>> versions;
};
// The keys of one range whose live versions differ between the replicas
// (`replicas[i]` is replica i's RangeVersions, in key order). A tombstone
// counts as nothing: replicas collect tombstones at different times.
std::vector<KeyDifference> CompareRange(
    const std::vector<std::vector<storage::Store::RangeEntry>>& replicas);

}  // namespace tandem::replication
