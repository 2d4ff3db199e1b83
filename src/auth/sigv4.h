// AWS Signature Version 4: the verifier the node runs on every DynamoDB API
// request, and the signer that tests, benchmarks and replication clients use.
//
// The verifier refuses a request the way DynamoDB does: same exception type,
// same message text, same HTTP status, and in the same order of checks:
//   1. Authorization header and X-Amz-Algorithm query both present
//      -> InvalidSignatureException
//   2. neither present, or the header does not start with "AWS4-"
//      -> MissingAuthenticationTokenException
//   3. a malformed key=value pair, missing Credential / Signature /
//      SignedHeaders, missing X-Amz-Date and Date (or, presigned, a missing
//      X-Amz-* parameter) -> IncompleteSignatureException
//   4. date not ISO-8601 basic -> IncompleteSignatureException; date more than
//      15 minutes from now either way -> InvalidSignatureException
//   5. 'host' not among SignedHeaders -> InvalidSignatureException
//   6. algorithm other than AWS4-HMAC-SHA256 -> IncompleteSignatureException
//   7. Credential not keyid/date/region/service/aws4_request
//      -> IncompleteSignatureException; wrong region, service, terminator or
//      date -> InvalidSignatureException (all wrong parts in one message)
//   8. unknown access key -> UnrecognizedClientException
//   9. signature mismatch -> InvalidSignatureException
//
// The payload hash is always computed from the body received; an
// X-Amz-Content-Sha256 header is accepted as an ordinary (signed) header but
// never trusted in place of the body. Session tokens (X-Amz-Security-Token)
// are accepted and, when signed, covered by the signature, but not validated
// against any STS: the key pair alone authenticates the caller.
//
// Thread-safety: SigV4Verifier is immutable after construction apart from its
// internal signing-key cache, which is internally synchronized; Verify may be
// called from any number of threads at once. The credential lookup it was given
// must itself be safe to call concurrently. The free functions are pure.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "auth/canonical.h"
#include "auth/crypto.h"
#include "common/status.h"

namespace tandem::auth {

// Why a request was refused, in DynamoDB's terms. The node's error edge turns
// it into the response: HTTP `http_status`, body
// {"__type": FullType(), "message": message}.
struct AuthError {
  std::string type;     // short name, e.g. "UnrecognizedClientException"
  std::string message;  // DynamoDB's exact text
  int http_status = 400;

  // The __type value DynamoDB sends, "com.amazon.coral.service#" + type.
  std::string FullType() const { return "com.amazon.coral.service#" + type; }
};

// The outcome of verifying one request: either an error, or the access key id
// of the authenticated caller.
struct AuthResult {
  std::optional<AuthError> error;  // set when the request is refused
  std::string access_key_id;       // set when accepted
  std::string session_token;       // X-Amz-Security-Token if one was sent (not validated)

  bool ok() const { return !error.has_value(); }
};

// Returns the secret of an access key id, or nullopt when the key is unknown.
using CredentialLookup = std::function<std::optional<std::string>(std::string_view access_key_id)>;

// Derived signing keys by (secret, date, region, service), so that the four
// chained HMACs run once per key and day instead of once per request.
// Thread-safe: lookups and inserts lock one of a few shards briefly.
class SigningKeyCache {
 public:
  SigningKeyCache() = default;
  SigningKeyCache(const SigningKeyCache&) = delete;
  SigningKeyCache& operator=(const SigningKeyCache&) = delete;

  // The signing key, from the cache or derived and remembered.
  Digest Get(std::string_view secret, std::string_view date, std::string_view region,
             std::string_view service);

 private:
  static constexpr size_t kShards = 16;
  static constexpr size_t kMaxEntriesPerShard = 256;  // beyond: the shard starts over
  struct Shard {
    std::mutex mu;
    std::unordered_map<std::string, Digest> keys;
  };
  std::array<Shard, kShards> shards_;
};

// Configuration of a verifier; fixed for its lifetime.
struct VerifierOptions {
  std::string region;                // the node's region, e.g. "us-east-1"
  std::string service = "dynamodb";  // the service name in the credential scope
  std::chrono::seconds max_skew{15 * 60};
  // When true, a signature mismatch message carries the canonical request and
  // string-to-sign the server computed, as DynamoDB has long done
  // ("...\n\nThe Canonical String for this request should have been\n'...'").
  bool explain_signature_mismatch = true;
  CredentialLookup lookup;  // required
};

class SigV4Verifier {
 public:
  explicit SigV4Verifier(VerifierOptions options);
  SigV4Verifier(const SigV4Verifier&) = delete;
  SigV4Verifier& operator=(const SigV4Verifier&) = delete;

  // Verifies `request` at time `now`. On success the result carries the
  // caller's access key id; otherwise the error DynamoDB would return.
  AuthResult Verify(const HttpRequestView& request,
                    std::chrono::system_clock::time_point now) const;

  const VerifierOptions& options() const { return options_; }

 private:
  struct Parsed;  // the signature parameters, from header or query
  std::optional<AuthError> ParseHeaderAuth(const HttpRequestView& request,
                                           std::string_view authorization, Parsed* out) const;
  std::optional<AuthError> ParseQueryAuth(const HttpRequestView& request, Parsed* out) const;
  AuthResult CheckParsed(const HttpRequestView& request, const Parsed& parsed,
                         std::chrono::system_clock::time_point now) const;

  VerifierOptions options_;
  mutable SigningKeyCache key_cache_;
};

// Credentials a client signs with.
struct SigningCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty when none
};

// The intermediate and final values of one signature, for tests and debugging.
struct SignatureParts {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;      // lowercase hex
  std::string authorization;  // the whole Authorization header value
};

// Signs `request`, which must already carry its X-Amz-Date header (ISO-8601
// basic). `signed_headers` is the SignedHeaders list ("host;x-amz-date");
// empty means every header of the request but Authorization, lowercased,
// sorted and without duplicates. Fails (InvalidArgument) when X-Amz-Date is
// missing or malformed.
StatusOr<SignatureParts> ComputeSignature(const HttpRequestView& request,
                                          const SigningCredentials& credentials,
                                          std::string_view region, std::string_view service,
                                          std::string_view signed_headers = {});

// A header the signer asks the caller to add to the request.
struct OwnedHeader {
  std::string name;
  std::string value;
};

// Signs `request` at time `now` the way the AWS SDKs do: returns the headers
// to add to it — X-Amz-Date, X-Amz-Security-Token (when the credentials have
// one) and Authorization. Every header already in `request` (it must include
// Host) is signed, plus the added date and token. Fails (InvalidArgument) when
// `request` has no Host header or already has an X-Amz-Date.
StatusOr<std::vector<OwnedHeader>> SignRequest(const HttpRequestView& request,
                                               const SigningCredentials& credentials,
                                               std::string_view region, std::string_view service,
                                               std::chrono::system_clock::time_point now);

}  // namespace tandem::auth
