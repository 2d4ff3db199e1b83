// The replication wire format: a batch of change-log records shipped from
// one node to a peer.
//
//   "TRB1"                      magic and format version
//   varint len, bytes           sending region (the shipper, not necessarily
//                               the origin of every record)
//   u64 first_seq, u64 last_seq the sender's change-log range this batch
//                               covers (records the peer needs not are skipped,
//                               so the range may hold more than the records)
//   varint count
//   count x { u64 seq, varint len + table name, varint len + key item,
//             varint len + version record (meta + image, item_codec.h) }
//
// Integers are big-endian fixed width or LEB128 varints. The batch itself
// carries no authentication: the HTTP request that carries it is signed
// with the cluster secret (peer_auth.h). DecodeBatch rejects any malformed
// input with a status and never crashes (it is fuzzed). Pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "storage/store.h"

namespace tandem::replication {

struct Batch {
  std::string source_region;
  uint64_t first_seq = 0;
  uint64_t last_seq = 0;
  std::vector<storage::ChangeRecord> records;
};

std::string EncodeBatch(const Batch& batch);
// InvalidArgument for anything malformed: bad magic, truncation, lengths past
// the end, trailing bytes, records out of the declared range or out of order.
StatusOr<Batch> DecodeBatch(std::string_view bytes);

}  // namespace tandem::replication
