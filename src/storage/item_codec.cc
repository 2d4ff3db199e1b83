#include "storage/item_codec.h"

#include <cassert>
#include <cstring>
#include <tuple>

namespace tandem::storage {
namespace {

enum Tag : uint8_t {
  kTagS = 0x01,
  kTagN = 0x02,
  kTagB = 0x03,
  kTagFalse = 0x04,
  kTagTrue = 0x05,
  kTagNull = 0x06,
  kTagL = 0x07,
  kTagM = 0x08,
  kTagSS = 0x09,
  kTagNS = 0x0A,
  kTagBS = 0x0B,
};

constexpr uint8_t kFlagTombstone = 0x01;

// ---- Encoding --------------------------------------------------------------

size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

size_t BytesSize(size_t len) { return VarintSize(len) + len; }

size_t MapSize(const ValueMap& map);

size_t ValueSize(const Value& v) {
  switch (v.type) {
    case ValueType::kS:
    case ValueType::kN:
    case ValueType::kB:
      return 1 + BytesSize(v.scalar.size());
    case ValueType::kBool:
    case ValueType::kNull:
      return 1;
    case ValueType::kL: {
      size_t n = 1 + VarintSize(v.list.size());
      for (const Value& e : v.list) {
        n += ValueSize(e);
      }
      return n;
    }
    case ValueType::kM:
      return 1 + MapSize(v.map);
    case ValueType::kSS:
    case ValueType::kNS:
    case ValueType::kBS: {
      size_t n = 1 + VarintSize(v.set.size());
      for (const std::string& e : v.set) {
        n += BytesSize(e.size());
      }
      return n;
    }
  }
  return 1;
}

size_t MapSize(const ValueMap& map) {
  size_t n = VarintSize(map.size());
  for (const auto& [name, value] : map) {
    n += BytesSize(name.size()) + ValueSize(value);
  }
  return n;
}

// The writers below fill a buffer already sized exactly (by MapSize), so they
// write through a cursor without capacity checks.
char* PutVarint(uint64_t v, char* p) {
  while (v >= 0x80) {
    *p++ = static_cast<char>((v & 0x7F) | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}

char* PutBytes(std::string_view bytes, char* p) {
  p = PutVarint(bytes.size(), p);
  if (!bytes.empty()) {
    std::memcpy(p, bytes.data(), bytes.size());
  }
  return p + bytes.size();
}

char* PutMap(const ValueMap& map, char* p);

char* PutValue(const Value& v, char* p) {
  switch (v.type) {
    case ValueType::kS:
      *p++ = kTagS;
      return PutBytes(v.scalar, p);
    case ValueType::kN:
      *p++ = kTagN;
      return PutBytes(v.scalar, p);
    case ValueType::kB:
      *p++ = kTagB;
      return PutBytes(v.scalar, p);
    case ValueType::kBool:
      *p++ = v.boolean ? kTagTrue : kTagFalse;
      return p;
    case ValueType::kNull:
      *p++ = kTagNull;
      return p;
    case ValueType::kL:
      *p++ = kTagL;
      p = PutVarint(v.list.size(), p);
      for (const Value& e : v.list) {
        p = PutValue(e, p);
      }
      return p;
    case ValueType::kM:
      *p++ = kTagM;
      return PutMap(v.map, p);
    case ValueType::kSS:
    case ValueType::kNS:
    case ValueType::kBS:
      *p++ = v.type == ValueType::kSS ? kTagSS : v.type == ValueType::kNS ? kTagNS : kTagBS;
      p = PutVarint(v.set.size(), p);
      for (const std::string& e : v.set) {
        p = PutBytes(e, p);
      }
      return p;
  }
  // Unreachable for a valid ValueType; ValueSize counted one byte for it.
  *p++ = kTagNull;
  return p;
}

char* PutMap(const ValueMap& map, char* p) {
  p = PutVarint(map.size(), p);
  for (const auto& [name, value] : map) {
    p = PutBytes(name, p);
    p = PutValue(value, p);
  }
  return p;
}

// Appends the encoding of `map`, whose MapSize is `size`, to `*out` with one
// resize.
void AppendMap(const ValueMap& map, size_t size, std::string* out) {
  const size_t old_size = out->size();
  out->resize(old_size + size);
  char* end = PutMap(map, out->data() + old_size);
  assert(end == out->data() + out->size());
  (void)end;
}

// ---- Decoding --------------------------------------------------------------

Status Corrupt(const char* what) { return Status::Internal(std::string("corrupt item: ") + what); }

// A bounds-checked cursor over untrusted bytes.
class Reader {
 public:
  explicit Reader(std::string_view in) : p_(in.data()), end_(in.data() + in.size()) {}

  size_t remaining() const { return static_cast<size_t>(end_ - p_); }

  bool ReadByte(uint8_t* b) {
    if (p_ == end_) {
      return false;
    }
    *b = static_cast<uint8_t>(*p_++);
    return true;
  }

  // Reads a varint of at most 10 bytes that fits in 64 bits.
  bool ReadVarint(uint64_t* v) {
    uint64_t result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ == end_) {
        return false;
      }
      uint8_t b = static_cast<uint8_t>(*p_++);
      if (shift == 63 && b > 1) {
        return false;  // overflows 64 bits
      }
      result |= static_cast<uint64_t>(b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        *v = result;
        return true;
      }
    }
    return false;
  }

  // Reads a count of items that each take at least one byte, so a corrupt
  // count cannot make the caller reserve more than the input's size.
  bool ReadCount(uint64_t* n) { return ReadVarint(n) && *n <= remaining(); }

  bool ReadBytes(std::string_view* bytes) {
    uint64_t len = 0;
    if (!ReadVarint(&len) || len > remaining()) {
      return false;
    }
    *bytes = std::string_view(p_, static_cast<size_t>(len));
    p_ += len;
    return true;
  }

 private:
  const char* p_;
  const char* end_;
};

Status ReadMap(Reader* r, int depth, ValueMap* map);

Status ReadSet(Reader* r, ValueType type, Value* out) {
  uint64_t n = 0;
  if (!r->ReadCount(&n)) {
    return Corrupt("bad set count");
  }
  out->type = type;
  out->set.reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    std::string_view e;
    if (!r->ReadBytes(&e)) {
      return Corrupt("bad set element");
    }
    out->set.emplace_back(e);
  }
  return Status::OK();
}

Status ReadValue(Reader* r, int depth, Value* out) {
  uint8_t tag = 0;
  if (!r->ReadByte(&tag)) {
    return Corrupt("missing value tag");
  }
  switch (tag) {
    case kTagS:
    case kTagN:
    case kTagB: {
      std::string_view bytes;
      if (!r->ReadBytes(&bytes)) {
        return Corrupt("bad scalar length");
      }
      out->type = tag == kTagS ? ValueType::kS : tag == kTagN ? ValueType::kN : ValueType::kB;
      out->scalar.assign(bytes);
      return Status::OK();
    }
    case kTagFalse:
    case kTagTrue:
      out->type = ValueType::kBool;
      out->boolean = tag == kTagTrue;
      return Status::OK();
    case kTagNull:
      out->type = ValueType::kNull;
      out->boolean = true;
      return Status::OK();
    case kTagL: {
      if (depth > kMaxDecodeDepth) {
        return Corrupt("nested too deeply");
      }
      uint64_t n = 0;
      if (!r->ReadCount(&n)) {
        return Corrupt("bad list count");
      }
      out->type = ValueType::kL;
      out->list.resize(n);
      for (Value& e : out->list) {
        TANDEM_RETURN_IF_ERROR(ReadValue(r, depth + 1, &e));
      }
      return Status::OK();
    }
    case kTagM:
      if (depth > kMaxDecodeDepth) {
        return Corrupt("nested too deeply");
      }
      out->type = ValueType::kM;
      return ReadMap(r, depth + 1, &out->map);
    case kTagSS:
      return ReadSet(r, ValueType::kSS, out);
    case kTagNS:
      return ReadSet(r, ValueType::kNS, out);
    case kTagBS:
      return ReadSet(r, ValueType::kBS, out);
    default:
      return Corrupt("unknown value tag");
  }
}

// Reads count (name value)* into an empty `*map`, at nesting `depth` (the
// depth of the map's values).
Status ReadMap(Reader* r, int depth, ValueMap* map) {
  uint64_t n = 0;
  if (!r->ReadCount(&n)) {
    return Corrupt("bad attribute count");
  }
  for (uint64_t i = 0; i < n; ++i) {
    std::string_view name;
    if (!r->ReadBytes(&name)) {
      return Corrupt("bad attribute name");
    }
    // Names were written in map order; appending at the end is O(1) and
    // checking strict order rejects duplicates.
    if (!map->empty() && std::string_view(map->rbegin()->first) >= name) {
      return Corrupt("attribute names out of order");
    }
    auto it = map->emplace_hint(map->end(), std::piecewise_construct, std::forward_as_tuple(name),
                                std::forward_as_tuple());
    TANDEM_RETURN_IF_ERROR(ReadValue(r, depth, &it->second));
  }
  return Status::OK();
}

void AppendBigEndian(uint64_t v, int bytes, std::string* out) {
  for (int i = bytes - 1; i >= 0; --i) {
    out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  }
}

uint64_t ReadBigEndian(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) {
    v = (v << 8) | static_cast<uint8_t>(p[i]);
  }
  return v;
}

}  // namespace

void AppendItem(const Item& item, std::string* out) { AppendMap(item, MapSize(item), out); }

std::string EncodeItem(const Item& item) {
  std::string out;
  AppendItem(item, &out);
  return out;
}

StatusOr<Item> DecodeItem(std::string_view bytes) {
  Reader r(bytes);
  Item item;
  TANDEM_RETURN_IF_ERROR(ReadMap(&r, 1, &item));
  if (r.remaining() != 0) {
    return Corrupt("trailing bytes");
  }
  return item;
}

std::string EncodeRecord(const VersionMeta& meta, const Item* item) {
  assert(meta.tombstone || item != nullptr);
  const bool has_item = !meta.tombstone && item != nullptr;
  std::string out;
  const size_t item_size = has_item ? MapSize(*item) : 1;
  out.reserve(kRecordHeaderSize + item_size);
  out.push_back(static_cast<char>(kRecordFormatVersion));
  out.push_back(static_cast<char>(meta.tombstone ? kFlagTombstone : 0));
  AppendBigEndian(meta.hlc, 8, &out);
  AppendBigEndian(meta.origin, 4, &out);
  if (has_item) {
    AppendMap(*item, item_size, &out);
  } else if (!meta.tombstone) {
    out.push_back('\0');  // release-build fallback for a null item: empty item
  }
  return out;
}

StatusOr<VersionMeta> DecodeRecordMeta(std::string_view record) {
  if (record.size() < kRecordHeaderSize) {
    return Status::Internal("corrupt record: shorter than its header");
  }
  if (static_cast<uint8_t>(record[0]) != kRecordFormatVersion) {
    return Status::Internal("corrupt record: unknown format version");
  }
  uint8_t flags = static_cast<uint8_t>(record[1]);
  if ((flags & ~kFlagTombstone) != 0) {
    return Status::Internal("corrupt record: unknown flags");
  }
  VersionMeta meta;
  meta.tombstone = (flags & kFlagTombstone) != 0;
  meta.hlc = ReadBigEndian(record.data() + 2, 8);
  meta.origin = static_cast<uint32_t>(ReadBigEndian(record.data() + 10, 4));
  if (meta.tombstone && record.size() != kRecordHeaderSize) {
    return Status::Internal("corrupt record: tombstone with a body");
  }
  return meta;
}

StatusOr<Item> DecodeRecordItem(std::string_view record) {
  TANDEM_ASSIGN_OR_RETURN(VersionMeta meta, DecodeRecordMeta(record));
  if (meta.tombstone) {
    return Status::Internal("record is a tombstone; it has no item");
  }
  return DecodeItem(record.substr(kRecordHeaderSize));
}

}  // namespace tandem::storage
