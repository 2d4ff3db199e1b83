// Fuzzes the replication decoders, the first code a peer's bytes reach after
// the signature check: DecodeBatch must reject any malformed batch with a
// status, never crash; a batch that decodes must re-encode to bytes that
// decode to the same batch (source, range, and every record's sequence,
// table, key, version meta and image). The same bytes, read as a peer's JSON
// answer to a replica comparison (digest_sync.h), go through the digest and
// range parsers and the key-suffix decoder, which must not crash either.
#include <boost/json.hpp>
#include <cstdint>
#include <string>

#include "replication/digest_sync.h"
#include "replication/wire.h"

namespace {

bool SameRecord(const tandem::storage::ChangeRecord& a, const tandem::storage::ChangeRecord& b) {
  if (a.seq != b.seq || a.table != b.table || a.meta.hlc != b.meta.hlc ||
      a.meta.origin != b.meta.origin || a.meta.tombstone != b.meta.tombstone ||
      a.image.has_value() != b.image.has_value()) {
    return false;
  }
  if (!(tandem::Value::Map(a.key) == tandem::Value::Map(b.key))) return false;
  return !a.image || tandem::Value::Map(*a.image) == tandem::Value::Map(*b.image);
}

}  // namespace

static void FuzzComparisonAnswer(std::string_view bytes) {
  namespace json = boost::json;
  boost::system::error_code ec;
  json::value parsed = json::parse(bytes, ec);
  if (ec || !parsed.is_object()) return;
  const json::object answer = parsed.as_object();
  (void)tandem::replication::ParseTableDigests(answer);
  int calls = 0;
  tandem::replication::ControlCall call =
      [&](const json::object&) -> tandem::StatusOr<json::object> {
    if (++calls > 3) return tandem::Status::Unavailable("enough");
    return answer;
  };
  auto entries = tandem::replication::FetchRange(call, "t", 0);
  if (!entries.ok()) return;
  using tandem::storage::KeyElement;
  const KeyElement s{"id", tandem::ValueType::kS};
  const KeyElement n{"n", tandem::ValueType::kN};
  const KeyElement b{"b", tandem::ValueType::kB};
  for (const auto& e : *entries) {
    (void)tandem::storage::KeyFromSuffix(s, std::nullopt, e.key_suffix);
    (void)tandem::storage::KeyFromSuffix(n, b, e.key_suffix);
    (void)tandem::storage::KeyFromSuffix(b, s, e.key_suffix);
  }
  (void)tandem::replication::CompareRange({*entries, {}});
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  FuzzComparisonAnswer(bytes);
  auto batch = tandem::replication::DecodeBatch(bytes);
  if (!batch.ok()) return 0;
  // What decodes is well formed: a tombstone has no image, a put has one.
  for (const auto& r : batch->records) {
    if (r.meta.tombstone == r.image.has_value()) __builtin_trap();
  }
  const std::string again_bytes = tandem::replication::EncodeBatch(*batch);
  auto again = tandem::replication::DecodeBatch(again_bytes);
  if (!again.ok() || again->source_region != batch->source_region ||
      again->first_seq != batch->first_seq || again->last_seq != batch->last_seq ||
      again->records.size() != batch->records.size()) {
    __builtin_trap();
  }
  for (size_t i = 0; i < batch->records.size(); ++i) {
    if (!SameRecord(again->records[i], batch->records[i])) __builtin_trap();
  }
  // The canonical encoding is a fixed point.
  if (tandem::replication::EncodeBatch(*again) != again_bytes) __builtin_trap();
  return 0;
}
