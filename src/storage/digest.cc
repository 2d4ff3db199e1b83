#include "storage/digest.h"

#include <openssl/sha.h>

#include "storage/key_codec.h"
#include "storage/store_format.h"

namespace tandem::storage {

namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

void AppendHex64(uint64_t v, std::string* out) {
  for (int shift = 60; shift >= 0; shift -= 4) out->push_back(kHexDigits[(v >> shift) & 0xf]);
}

bool ParseHex64(std::string_view hex, uint64_t* out) {
  uint64_t v = 0;
  for (char c : hex) {
    int d = 0;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else {
      return false;
    }
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  *out = v;
  return true;
}

// Item keys of `table_id` whose partition hash starts with `range` (or, for
// range == kDigestRanges, the first key past the table).
std::string RangeStart(uint32_t table_id, uint64_t range) {
  if (range >= kDigestRanges) return ItemKeyPrefix(table_id + 1);
  std::string k = ItemKeyPrefix(table_id);
  internal::PutFixed64(&k, range << (64 - kDigestRangeBits));
  return k;
}

}  // namespace

std::string RangeDigest::ToHex() const {
  std::string out;
  out.reserve(32);
  AppendHex64(hi, &out);
  AppendHex64(lo, &out);
  return out;
}

bool RangeDigest::FromHex(std::string_view hex, RangeDigest* out) {
  if (hex.size() != 32) return false;
  return ParseHex64(hex.substr(0, 16), &out->hi) && ParseHex64(hex.substr(16), &out->lo);
}

uint32_t DigestRangeOf(std::string_view item_key) {
  return static_cast<uint32_t>(internal::GetFixed64(item_key.substr(4, 8)) >>
                               (64 - kDigestRangeBits));
}

std::string DigestRangeLower(uint32_t table_id, uint32_t range) {
  return RangeStart(table_id, range);
}

std::string DigestRangeUpper(uint32_t table_id, uint32_t range) {
  return RangeStart(table_id, static_cast<uint64_t>(range) + 1);
}

RangeDigest VersionHash(std::string_view key_suffix, std::string_view record) {
  SHA256_CTX ctx;
  unsigned char sha[SHA256_DIGEST_LENGTH];
  std::string length;
  internal::PutFixed64(&length, key_suffix.size());
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, length.data(), length.size());
  SHA256_Update(&ctx, key_suffix.data(), key_suffix.size());
  SHA256_Update(&ctx, record.data(), record.size());
  SHA256_Final(sha, &ctx);
  const std::string_view bytes(reinterpret_cast<const char*>(sha), sizeof(sha));
  return RangeDigest{internal::GetFixed64(bytes.substr(8, 8)), internal::GetFixed64(bytes)};
}

}  // namespace tandem::storage
