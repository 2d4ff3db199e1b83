#include "replication/wire.h"

#include "storage/item_codec.h"

namespace tandem::replication {
namespace {

constexpr std::string_view kMagic = "TRB1";
constexpr size_t kMaxRecords = 1 << 20;

void PutU64(std::string* out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>((v >> (i * 8)) & 0xff));
}

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void PutBytes(std::string* out, std::string_view bytes) {
  PutVarint(out, bytes.size());
  out->append(bytes);
}

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool U64(uint64_t* v) {
    if (in_.size() < 8) return false;
    *v = 0;
    for (int i = 0; i < 8; ++i) *v = (*v << 8) | static_cast<uint8_t>(in_[i]);
    in_.remove_prefix(8);
    return true;
  }
  bool Varint(uint64_t* v) {
    *v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (in_.empty()) return false;
      const uint8_t b = static_cast<uint8_t>(in_[0]);
      in_.remove_prefix(1);
      *v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return shift < 63 || b <= 1;
    }
    return false;
  }
  bool Bytes(std::string_view* out) {
    uint64_t n = 0;
    if (!Varint(&n) || n > in_.size()) return false;
    *out = in_.substr(0, n);
    in_.remove_prefix(n);
    return true;
  }
  bool Magic() {
    if (!in_.starts_with(kMagic)) return false;
    in_.remove_prefix(kMagic.size());
    return true;
  }
  bool Done() const { return in_.empty(); }
  size_t left() const { return in_.size(); }

 private:
  std::string_view in_;
};

Status Corrupt(const char* what) {
  return Status::InvalidArgument(std::string("corrupt replication batch: ") + what);
}

}  // namespace

std::string EncodeBatch(const Batch& batch) {
  std::string out(kMagic);
  PutBytes(&out, batch.source_region);
  PutU64(&out, batch.first_seq);
  PutU64(&out, batch.last_seq);
  PutVarint(&out, batch.records.size());
  for (const auto& r : batch.records) {
    PutU64(&out, r.seq);
    PutBytes(&out, r.table);
    PutBytes(&out, storage::EncodeItem(r.key));
    PutBytes(&out, storage::EncodeRecord(r.meta, r.image ? &*r.image : nullptr));
  }
  return out;
}

StatusOr<Batch> DecodeBatch(std::string_view bytes) {
  Reader in(bytes);
  Batch batch;
  std::string_view source;
  uint64_t count = 0;
  if (!in.Magic()) return Corrupt("bad magic");
  if (!in.Bytes(&source) || !in.U64(&batch.first_seq) || !in.U64(&batch.last_seq) ||
      !in.Varint(&count)) {
    return Corrupt("truncated header");
  }
  if (source.empty()) return Corrupt("no source region");
  if (batch.first_seq > batch.last_seq) return Corrupt("empty sequence range");
  // Each record takes at least 8 + 3 * 1 bytes: a count past that is a lie.
  if (count > kMaxRecords || count > in.left() / 11) return Corrupt("record count");
  batch.source_region = std::string(source);
  uint64_t previous = 0;
  batch.records.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    storage::ChangeRecord r;
    std::string_view table;
    std::string_view key;
    std::string_view record;
    if (!in.U64(&r.seq) || !in.Bytes(&table) || !in.Bytes(&key) || !in.Bytes(&record)) {
      return Corrupt("truncated record");
    }
    if (r.seq < batch.first_seq || r.seq > batch.last_seq || (i > 0 && r.seq <= previous)) {
      return Corrupt("record sequence out of range or order");
    }
    if (table.empty()) return Corrupt("record without table");
    previous = r.seq;
    r.table = std::string(table);
    auto decoded_key = storage::DecodeItem(key);
    if (!decoded_key.ok() || decoded_key->empty()) return Corrupt("record key");
    r.key = std::move(decoded_key).value();
    auto meta = storage::DecodeRecordMeta(record);
    if (!meta.ok()) return Corrupt("record version");
    r.meta = *meta;
    if (!r.meta.tombstone) {
      auto image = storage::DecodeRecordItem(record);
      if (!image.ok()) return Corrupt("record image");
      r.image = std::move(image).value();
    }
    batch.records.push_back(std::move(r));
  }
  if (!in.Done()) return Corrupt("trailing bytes");
  return batch;
}

}  // namespace tandem::replication
