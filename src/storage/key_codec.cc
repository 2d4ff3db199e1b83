#include "storage/key_codec.h"

#include <openssl/sha.h>

#include <cassert>
#include <cstring>

#include "types/decimal.h"

namespace tandem::storage {
namespace {

constexpr char kEscape = '\x00';
constexpr char kEscapedZero = '\xFF';
constexpr char kTerminator = '\x01';

bool IsKeyType(ValueType type) {
  return type == ValueType::kS || type == ValueType::kN || type == ValueType::kB;
}

char TypeLetter(ValueType type) {
  switch (type) {
    case ValueType::kS:
      return 'S';
    case ValueType::kN:
      return 'N';
    case ValueType::kB:
      return 'B';
    default:
      return '?';
  }
}

// Points `*raw` at the unescaped key bytes of `v`: the scalar itself for S and
// B, Decimal::EncodeOrdered() (stored in `*scratch`) for N.
Status RawKeyBytes(const Value& v, std::string* scratch, std::string_view* raw) {
  switch (v.type) {
    case ValueType::kS:
    case ValueType::kB:
      *raw = v.scalar;
      return Status::OK();
    case ValueType::kN: {
      StatusOr<Decimal> d = Decimal::Parse(v.scalar);
      if (!d.ok()) {
        return Status::InvalidArgument("key number does not parse: " + d.status().message());
      }
      *scratch = d->EncodeOrdered();
      *raw = *scratch;
      return Status::OK();
    }
    default:
      return Status::InvalidArgument(std::string("not a key type: ") + TypeName(v.type));
  }
}

// Appends `raw` with every 0x00 escaped, without the terminator.
void AppendEscaped(std::string_view raw, std::string* out) {
  while (!raw.empty()) {
    const void* zero = std::memchr(raw.data(), 0, raw.size());
    if (zero == nullptr) {
      out->append(raw);
      return;
    }
    size_t n = static_cast<const char*>(zero) - raw.data();
    out->append(raw.data(), n);
    out->push_back(kEscape);
    out->push_back(kEscapedZero);
    raw.remove_prefix(n + 1);
  }
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

std::string Header(uint32_t table_id, uint64_t h) {
  std::string out;
  out.reserve(kItemKeyHeaderSize);
  AppendBigEndian(table_id, 4, &out);
  AppendBigEndian(h, 8, &out);
  return out;
}

}  // namespace

uint64_t PartitionHash(const Value& hash_key) {
  std::string scratch;
  std::string_view raw;
  if (!RawKeyBytes(hash_key, &scratch, &raw).ok()) {
    raw = {};
  }
  SHA256_CTX ctx;
  unsigned char digest[SHA256_DIGEST_LENGTH];
  const char letter = TypeLetter(hash_key.type);
  // One-shot SHA256() would need the letter and bytes concatenated; feeding
  // them in two updates avoids that copy. OpenSSL 3 marks these deprecated
  // but keeps them; EVP would allocate a context per call.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, &letter, 1);
  SHA256_Update(&ctx, raw.data(), raw.size());
  SHA256_Final(digest, &ctx);
#pragma GCC diagnostic pop
  return ReadBigEndian(reinterpret_cast<const char*>(digest), 8);
}

Status AppendKeyPart(const Value& v, std::string* out) {
  std::string scratch;
  std::string_view raw;
  TANDEM_RETURN_IF_ERROR(RawKeyBytes(v, &scratch, &raw));
  out->reserve(out->size() + raw.size() + 2);
  AppendEscaped(raw, out);
  out->push_back(kEscape);
  out->push_back(kTerminator);
  return Status::OK();
}

std::string EncodeKeyPart(const Value& v) {
  std::string out;
  Status st = AppendKeyPart(v, &out);
  assert(st.ok());
  (void)st;
  return out;
}

StatusOr<Value> DecodeKeyPart(std::string_view* in, ValueType type) {
  if (!IsKeyType(type)) {
    return Status::Internal(std::string("not a key type: ") + TypeName(type));
  }
  std::string raw;
  std::string_view rest = *in;
  bool terminated = false;
  while (!rest.empty()) {
    const void* zero = std::memchr(rest.data(), 0, rest.size());
    if (zero == nullptr) {
      break;
    }
    size_t n = static_cast<const char*>(zero) - rest.data();
    raw.append(rest.data(), n);
    if (n + 1 >= rest.size()) {
      break;
    }
    char next = rest[n + 1];
    rest.remove_prefix(n + 2);
    if (next == kEscapedZero) {
      raw.push_back('\0');
    } else if (next == kTerminator) {
      terminated = true;
      break;
    } else {
      return Status::Internal("corrupt key: bad escape byte");
    }
  }
  if (!terminated) {
    return Status::Internal("corrupt key: unterminated key part");
  }
  Value v;
  if (type == ValueType::kN) {
    StatusOr<Decimal> d = Decimal::DecodeOrdered(raw);
    if (!d.ok()) {
      return Status::Internal("corrupt key: bad number: " + d.status().message());
    }
    v = Value::N(d->ToString());
  } else if (type == ValueType::kS) {
    v = Value::S(std::move(raw));
  } else {
    v = Value::B(std::move(raw));
  }
  *in = rest;
  return v;
}

std::string ItemKey(uint32_t table_id, const Value& hash, const Value* range) {
  std::string out = Header(table_id, PartitionHash(hash));
  Status st = AppendKeyPart(hash, &out);
  assert(st.ok());
  if (range != nullptr) {
    st = AppendKeyPart(*range, &out);
    assert(st.ok());
  }
  (void)st;
  return out;
}

std::string ItemKeyPrefix(uint32_t table_id) {
  std::string out;
  AppendBigEndian(table_id, 4, &out);
  return out;
}

std::string PartitionPrefix(uint32_t table_id, const Value& hash) {
  return ItemKey(table_id, hash, nullptr);
}

std::string HashRangeStart(uint32_t table_id, uint64_t h) { return Header(table_id, h); }

std::string PrefixSuccessor(std::string_view prefix) {
  std::string out(prefix);
  while (!out.empty()) {
    unsigned char last = static_cast<unsigned char>(out.back());
    if (last != 0xFF) {
      out.back() = static_cast<char>(last + 1);
      return out;
    }
    out.pop_back();
  }
  return out;
}

uint64_t SegmentStartHash(uint32_t segment, uint32_t total_segments) {
  assert(total_segments > 0 && segment < total_segments);
  unsigned __int128 start = (static_cast<unsigned __int128>(segment) << 64) / total_segments;
  return static_cast<uint64_t>(start);
}

KeyRange ScanSegmentBounds(uint32_t table_id, uint32_t segment, uint32_t total_segments) {
  KeyRange range;
  range.start = HashRangeStart(table_id, SegmentStartHash(segment, total_segments));
  if (segment + 1 < total_segments) {
    range.end = HashRangeStart(table_id, SegmentStartHash(segment + 1, total_segments));
  } else {
    range.end = PrefixSuccessor(ItemKeyPrefix(table_id));
  }
  return range;
}

StatusOr<DecodedKey> DecodeItemKey(std::string_view key, ValueType hash_type,
                                   std::optional<ValueType> range_type) {
  if (key.size() < kItemKeyHeaderSize) {
    return Status::Internal("corrupt key: shorter than its header");
  }
  DecodedKey decoded;
  decoded.table_id = static_cast<uint32_t>(ReadBigEndian(key.data(), 4));
  decoded.partition_hash = ReadBigEndian(key.data() + 4, 8);
  key.remove_prefix(kItemKeyHeaderSize);
  TANDEM_ASSIGN_OR_RETURN(decoded.hash_key, DecodeKeyPart(&key, hash_type));
  if (range_type.has_value()) {
    TANDEM_ASSIGN_OR_RETURN(decoded.range_key, DecodeKeyPart(&key, *range_type));
  }
  if (!key.empty()) {
    return Status::Internal("corrupt key: trailing bytes");
  }
  return decoded;
}

StatusOr<KeyRange> RangeBounds(std::string_view partition_prefix, RangeOp op, const Value& v1,
                               const Value* v2) {
  if (!IsKeyType(v1.type)) {
    return Status::InvalidArgument(std::string("range operand is not a key type: ") +
                                   TypeName(v1.type));
  }
  // Item keys of the partition are partition_prefix + part; the smallest key
  // above `k` is k + "\0" since no item key extends another.
  auto key_of = [&](const Value& v, std::string* out) {
    out->assign(partition_prefix);
    return AppendKeyPart(v, out);
  };
  KeyRange range;
  std::string key;
  switch (op) {
    case RangeOp::kEq:
      TANDEM_RETURN_IF_ERROR(key_of(v1, &key));
      range.start = key;
      range.end = std::move(key);
      range.end.push_back('\0');
      return range;
    case RangeOp::kLt:
    case RangeOp::kLe:
      TANDEM_RETURN_IF_ERROR(key_of(v1, &key));
      range.start.assign(partition_prefix);
      range.end = std::move(key);
      if (op == RangeOp::kLe) {
        range.end.push_back('\0');
      }
      return range;
    case RangeOp::kGt:
    case RangeOp::kGe:
      TANDEM_RETURN_IF_ERROR(key_of(v1, &key));
      range.start = std::move(key);
      if (op == RangeOp::kGt) {
        range.start.push_back('\0');
      }
      range.end = PrefixSuccessor(partition_prefix);
      return range;
    case RangeOp::kBetween: {
      if (v2 == nullptr || v2->type != v1.type) {
        return Status::InvalidArgument("BETWEEN needs two operands of one key type");
      }
      TANDEM_RETURN_IF_ERROR(key_of(v1, &range.start));
      TANDEM_RETURN_IF_ERROR(key_of(*v2, &range.end));
      range.end.push_back('\0');
      if (range.end <= range.start) {
        range.end = range.start;
      }
      return range;
    }
    case RangeOp::kBeginsWith: {
      if (v1.type == ValueType::kN) {
        return Status::InvalidArgument("begins_with does not apply to numbers");
      }
      // Keys whose raw bytes start with the operand are exactly the keys whose
      // encoding starts with the escaped operand (no terminator): escaping is a
      // per-byte substitution, and a terminator cannot match a prefix of it.
      range.start.assign(partition_prefix);
      AppendEscaped(v1.scalar, &range.start);
      range.end = PrefixSuccessor(range.start);
      return range;
    }
  }
  return Status::InvalidArgument("unknown range operator");
}

}  // namespace tandem::storage
