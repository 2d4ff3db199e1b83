// Crypto primitives SigV4 needs, over OpenSSL: SHA-256, HMAC-SHA256, hex,
// the SigV4 signing-key derivation and a constant-time comparison.
//
// Thread-safety: free functions over their arguments only; safe to call from
// any number of threads at once (OpenSSL 3 needs no locking setup).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace tandem::auth {

// A SHA-256 digest or an HMAC-SHA256 output.
using Digest = std::array<uint8_t, 32>;

Digest Sha256(std::string_view data);
Digest HmacSha256(std::string_view key, std::string_view data);

// Lowercase hex of `bytes` (64 characters for a Digest).
std::string HexEncode(const uint8_t* bytes, size_t size);
inline std::string HexEncode(const Digest& digest) {
  return HexEncode(digest.data(), digest.size());
}
inline std::string Sha256Hex(std::string_view data) { return HexEncode(Sha256(data)); }

// The SigV4 signing key: HMAC chain over "AWS4" + secret, the scope date
// (YYYYMMDD), region, service and "aws4_request".
Digest DeriveSigningKey(std::string_view secret, std::string_view date, std::string_view region,
                        std::string_view service);

// True when `a` and `b` hold the same bytes. The time taken depends only on
// the lengths, never on where the first difference is.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace tandem::auth
