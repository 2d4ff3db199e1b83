#include "auth/sigv4.h"

#include <algorithm>
#include <charconv>
#include <utility>

namespace tandem::auth {

namespace {

using Clock = std::chrono::system_clock;

constexpr std::string_view kMissingAuthType = "MissingAuthenticationTokenException";
constexpr std::string_view kIncompleteType = "IncompleteSignatureException";
constexpr std::string_view kInvalidType = "InvalidSignatureException";
constexpr std::string_view kUnrecognizedType = "UnrecognizedClientException";

AuthError Error(std::string_view type, std::string message) {
  return AuthError{std::string(type), std::move(message), 400};
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

// Splits `s` at `sep`, keeping empty pieces.
std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (true) {
    size_t next = s.find(sep, pos);
    if (next == std::string_view::npos) {
      out.push_back(s.substr(pos));
      return out;
    }
    out.push_back(s.substr(pos, next - pos));
    pos = next + 1;
  }
}

// Decoded value of query parameter `name`; nullopt when absent, "" when
// present without a value.
std::optional<std::string> QueryParam(std::string_view raw_query, std::string_view name) {
  for (std::string_view piece : Split(raw_query, '&')) {
    size_t eq = piece.find('=');
    if (UriDecode(piece.substr(0, eq)) == name) {
      return eq == std::string_view::npos ? std::string() : UriDecode(piece.substr(eq + 1));
    }
  }
  return std::nullopt;
}

std::string MinutesText(std::chrono::seconds s) { return std::to_string(s.count() / 60); }

}  // namespace

// ---------------------------------------------------------------------------
// SigningKeyCache

Digest SigningKeyCache::Get(std::string_view secret, std::string_view date, std::string_view region,
                            std::string_view service) {
  std::string key;
  key.reserve(secret.size() + date.size() + region.size() + service.size() + 3);
  key.append(secret).push_back('\0');
  key.append(date).push_back('\0');
  key.append(region).push_back('\0');
  key.append(service);
  Shard& shard = shards_[std::hash<std::string>{}(key) % kShards];
  {
    std::lock_guard<std::mutex> lock(shard.mu);
    auto it = shard.keys.find(key);
    if (it != shard.keys.end()) {
      return it->second;
    }
  }
  Digest derived = DeriveSigningKey(secret, date, region, service);
  std::lock_guard<std::mutex> lock(shard.mu);
  if (shard.keys.size() >= kMaxEntriesPerShard) {
    shard.keys.clear();  // old dates and rotated secrets go; live keys come back on next use
  }
  shard.keys.emplace(std::move(key), derived);
  return derived;
}

// ---------------------------------------------------------------------------
// SigV4Verifier

struct SigV4Verifier::Parsed {
  bool presigned = false;
  std::string algorithm;
  std::string credential;
  std::string signed_headers;
  std::string signature;
  std::string date;                    // as sent
  bool date_is_amz = true;             // from X-Amz-Date (header or query), else Date
  std::optional<std::string> expires;  // X-Amz-Expires (presigned only)
  std::string session_token;
};

SigV4Verifier::SigV4Verifier(VerifierOptions options) : options_(std::move(options)) {}

AuthResult SigV4Verifier::Verify(const HttpRequestView& request, Clock::time_point now) const {
  std::optional<std::string_view> authorization = FindHeader(request.headers, "authorization");
  bool query_auth = QueryParam(request.query, "X-Amz-Algorithm").has_value();

  if (authorization.has_value() && query_auth) {
    return {Error(kInvalidType,
                  "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as "
                  "HTTP header."),
            {},
            {}};
  }
  if ((!authorization.has_value() && !query_auth) ||
      (authorization.has_value() && !Trim(*authorization).starts_with("AWS4-"))) {
    return {Error(kMissingAuthType, "Request is missing Authentication Token"), {}, {}};
  }

  Parsed parsed;
  std::optional<AuthError> error = authorization.has_value()
                                       ? ParseHeaderAuth(request, *authorization, &parsed)
                                       : ParseQueryAuth(request, &parsed);
  if (error.has_value()) {
    return {std::move(error), {}, {}};
  }
  return CheckParsed(request, parsed, now);
}

std::optional<AuthError> SigV4Verifier::ParseHeaderAuth(const HttpRequestView& request,
                                                        std::string_view authorization,
                                                        Parsed* out) const {
  std::string_view trimmed = Trim(authorization);
  size_t space = trimmed.find(' ');
  out->algorithm = std::string(trimmed.substr(0, space));
  std::string_view rest =
      space == std::string_view::npos ? std::string_view() : trimmed.substr(space + 1);

  bool has_credential = false;
  bool has_signature = false;
  bool has_signed_headers = false;
  size_t pos = 0;
  while (pos < rest.size()) {
    size_t end = rest.find_first_of(", ", pos);
    if (end == std::string_view::npos) {
      end = rest.size();
    }
    std::string_view token = rest.substr(pos, end - pos);
    pos = end + 1;
    if (token.empty()) {
      continue;
    }
    size_t eq = token.find('=');
    if (eq == std::string_view::npos) {
      return Error(kIncompleteType, "'" + std::string(token) +
                                        "' not a valid key=value pair (missing equal-sign) in "
                                        "Authorization header: '" +
                                        std::string(authorization) + "'.");
    }
    std::string_view key = token.substr(0, eq);
    std::string_view value = token.substr(eq + 1);
    if (key == "Credential") {
      out->credential = std::string(value);
      has_credential = !value.empty();
    } else if (key == "Signature") {
      out->signature = std::string(value);
      has_signature = !value.empty();
    } else if (key == "SignedHeaders") {
      out->signed_headers = std::string(value);
      has_signed_headers = true;  // may be empty here; the 'Host' check refuses that later
    }
  }

  std::optional<std::string_view> amz_date = FindHeader(request.headers, "x-amz-date");
  std::optional<std::string_view> date = FindHeader(request.headers, "date");
  std::string message;
  if (!has_credential) {
    message += "Authorization header requires 'Credential' parameter. ";
  }
  if (!has_signature) {
    message += "Authorization header requires 'Signature' parameter. ";
  }
  if (!has_signed_headers) {
    message += "Authorization header requires 'SignedHeaders' parameter. ";
  }
  if (!amz_date.has_value() && !date.has_value()) {
    message +=
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ";
  }
  if (!message.empty()) {
    message += "Authorization=";
    message += authorization;
    return Error(kIncompleteType, std::move(message));
  }
  out->date = std::string(amz_date.has_value() ? *amz_date : *date);
  out->date_is_amz = amz_date.has_value();
  if (std::optional<std::string_view> token = FindHeader(request.headers, "x-amz-security-token")) {
    out->session_token = std::string(*token);
  }
  return std::nullopt;
}

std::optional<AuthError> SigV4Verifier::ParseQueryAuth(const HttpRequestView& request,
                                                       Parsed* out) const {
  out->presigned = true;
  static constexpr std::string_view kParams[] = {"X-Amz-Algorithm", "X-Amz-Credential",
                                                 "X-Amz-Signature", "X-Amz-SignedHeaders",
                                                 "X-Amz-Date"};
  std::string* targets[] = {&out->algorithm, &out->credential, &out->signature,
                            &out->signed_headers, &out->date};
  std::string message;
  for (size_t i = 0; i < std::size(kParams); ++i) {
    std::optional<std::string> value = QueryParam(request.query, kParams[i]);
    if (!value.has_value() || value->empty()) {
      message += "AWS query-string parameters must include '" + std::string(kParams[i]) + "'. ";
    } else {
      *targets[i] = std::move(*value);
    }
  }
  if (!message.empty()) {
    message += "Re-examine the query-string parameters.";
    return Error(kIncompleteType, std::move(message));
  }
  out->expires = QueryParam(request.query, "X-Amz-Expires");
  if (std::optional<std::string> token = QueryParam(request.query, "X-Amz-Security-Token")) {
    out->session_token = std::move(*token);
  }
  return std::nullopt;
}

AuthResult SigV4Verifier::CheckParsed(const HttpRequestView& request, const Parsed& parsed,
                                      Clock::time_point now) const {
  auto fail = [](AuthError e) { return AuthResult{std::move(e), {}, {}}; };

  // Date: format, then freshness.
  std::optional<Clock::time_point> when = ParseAmzDate(parsed.date);
  if (!when.has_value() && !parsed.date_is_amz) {
    when = ParseHttpDate(parsed.date);
  }
  if (!when.has_value()) {
    return fail(Error(kIncompleteType, "Date must be in ISO-8601 'basic format'. Got '" +
                                           parsed.date +
                                           "'. See http://en.wikipedia.org/wiki/ISO_8601"));
  }
  const std::string amz_date = parsed.date_is_amz ? parsed.date : FormatAmzDate(*when);
  std::chrono::seconds lifetime = options_.max_skew;
  bool lifetime_is_expires = false;
  if (parsed.presigned && parsed.expires.has_value()) {
    int64_t seconds = -1;
    const std::string& e = *parsed.expires;
    auto [ptr, ec] = std::from_chars(e.data(), e.data() + e.size(), seconds);
    if (ec != std::errc() || ptr != e.data() + e.size() || seconds < 0 || seconds > 604800) {
      return fail(Error(kIncompleteType,
                        "X-Amz-Expires must be a non-negative integer of at most 604800 seconds, "
                        "got '" +
                            e + "'."));
    }
    lifetime = std::chrono::seconds(seconds);
    lifetime_is_expires = true;
  }
  const Clock::time_point now_s = std::chrono::time_point_cast<std::chrono::seconds>(now);
  if (*when < now_s - lifetime) {
    std::string tail = lifetime_is_expires ? std::to_string(lifetime.count()) + " sec.)"
                                           : MinutesText(lifetime) + " min.)";
    return fail(Error(kInvalidType, "Signature expired: " + amz_date + " is now earlier than " +
                                        FormatAmzDate(now_s - lifetime) + " (" +
                                        FormatAmzDate(now_s) + " - " + tail));
  }
  if (*when > now_s + options_.max_skew) {
    return fail(Error(kInvalidType,
                      "Signature not yet current: " + amz_date + " is still later than " +
                          FormatAmzDate(now_s + options_.max_skew) + " (" + FormatAmzDate(now_s) +
                          " + " + MinutesText(options_.max_skew) + " min.)"));
  }

  // 'host' must be signed.
  bool host_signed = false;
  for (std::string_view name : Split(parsed.signed_headers, ';')) {
    host_signed = host_signed || EqualsIgnoreCase(name, "host");
  }
  if (!host_signed) {
    return fail(Error(kInvalidType, "'Host' must be a 'SignedHeader' in the AWS Authorization."));
  }

  if (parsed.algorithm != kAlgorithm) {
    return fail(Error(kIncompleteType, "Unsupported AWS 'algorithm': '" + parsed.algorithm +
                                           "' (only AWS4-HMAC-SHA256 for now). "));
  }

  // Credential: keyid/date/region/service/aws4_request (trailing slashes ignored).
  std::string_view credential = parsed.credential;
  while (!credential.empty() && credential.back() == '/') {
    credential.remove_suffix(1);
  }
  std::vector<std::string_view> scope = Split(credential, '/');
  if (scope.size() != 5) {
    return fail(Error(kIncompleteType,
                      "Credential must have exactly 5 slash-delimited elements, e.g. "
                      "keyid/date/region/service/term, got '" +
                          parsed.credential + "'"));
  }
  std::string_view key_id = scope[0];
  std::string_view scope_date = scope[1];
  std::string message;
  if (scope[2] != options_.region) {
    message +=
        "Credential should be scoped to a valid region, not '" + std::string(scope[2]) + "'. ";
  }
  if (scope[3] != options_.service) {
    message += "Credential should be scoped to correct service: '" + options_.service + "'. ";
  }
  if (scope[4] != "aws4_request") {
    message += "Credential should be scoped with a valid terminator: 'aws4_request', not '" +
               std::string(scope[4]) + "'. ";
  }
  std::string_view request_day = std::string_view(amz_date).substr(0, 8);
  if (scope_date != request_day) {
    message +=
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
        "from HTTP: '" +
        std::string(scope_date) + "' != '" + std::string(request_day) + "', from '" + amz_date +
        "'.";
  }
  if (!message.empty()) {
    return fail(Error(kInvalidType, std::move(message)));
  }

  std::optional<std::string> secret = options_.lookup ? options_.lookup(key_id) : std::nullopt;
  if (!secret.has_value()) {
    return fail(Error(kUnrecognizedType, "The security token included in the request is invalid."));
  }

  // The signature itself.
  const std::string payload_hash = Sha256Hex(request.body);
  const std::string canonical =
      CanonicalRequest(request, parsed.signed_headers, payload_hash,
                       parsed.presigned ? std::string_view("X-Amz-Signature") : std::string_view());
  const std::string scope_text = CredentialScope(scope_date, scope[2], scope[3]);
  const std::string string_to_sign = StringToSign(amz_date, scope_text, canonical);
  const Digest key = key_cache_.Get(*secret, scope_date, scope[2], scope[3]);
  const std::string expected = HexEncode(HmacSha256(
      std::string_view(reinterpret_cast<const char*>(key.data()), key.size()), string_to_sign));
  if (!ConstantTimeEquals(expected, parsed.signature)) {
    std::string text =
        "The request signature we calculated does not match the signature you provided. Check "
        "your AWS Secret Access Key and signing method. Consult the service documentation for "
        "details.";
    if (options_.explain_signature_mismatch) {
      text += "\n\nThe Canonical String for this request should have been\n'" + canonical +
              "'\n\nThe String-to-Sign should have been\n'" + string_to_sign + "'\n";
    }
    return fail(Error(kInvalidType, std::move(text)));
  }
  return AuthResult{std::nullopt, std::string(key_id), parsed.session_token};
}

// ---------------------------------------------------------------------------
// Signer

StatusOr<SignatureParts> ComputeSignature(const HttpRequestView& request,
                                          const SigningCredentials& credentials,
                                          std::string_view region, std::string_view service,
                                          std::string_view signed_headers) {
  std::optional<std::string_view> amz_date = FindHeader(request.headers, "x-amz-date");
  if (!amz_date.has_value() || !ParseAmzDate(*amz_date).has_value()) {
    return Status::InvalidArgument(
        "request to sign needs an X-Amz-Date header in ISO-8601 basic format");
  }
  std::string names;
  if (signed_headers.empty()) {
    std::vector<std::string> lowered;
    for (const Header& h : request.headers) {
      if (EqualsIgnoreCase(h.name, "authorization")) {
        continue;
      }
      std::string name(h.name);
      std::transform(name.begin(), name.end(), name.begin(),
                     [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; });
      lowered.push_back(std::move(name));
    }
    std::sort(lowered.begin(), lowered.end());
    lowered.erase(std::unique(lowered.begin(), lowered.end()), lowered.end());
    for (size_t i = 0; i < lowered.size(); ++i) {
      if (i > 0) {
        names.push_back(';');
      }
      names += lowered[i];
    }
    signed_headers = names;
  }
  SignatureParts parts;
  std::string_view day = amz_date->substr(0, 8);
  parts.canonical_request = CanonicalRequest(request, signed_headers, Sha256Hex(request.body));
  std::string scope = CredentialScope(day, region, service);
  parts.string_to_sign = StringToSign(*amz_date, scope, parts.canonical_request);
  // A client signs many requests a day with the same key: derive it once.
  static SigningKeyCache signer_keys;
  Digest key = signer_keys.Get(credentials.secret_access_key, day, region, service);
  parts.signature =
      HexEncode(HmacSha256(std::string_view(reinterpret_cast<const char*>(key.data()), key.size()),
                           parts.string_to_sign));
  parts.authorization = std::string(kAlgorithm) + " Credential=" + credentials.access_key_id + "/" +
                        scope + ", SignedHeaders=" + std::string(signed_headers) +
                        ", Signature=" + parts.signature;
  return parts;
}

StatusOr<std::vector<OwnedHeader>> SignRequest(const HttpRequestView& request,
                                               const SigningCredentials& credentials,
                                               std::string_view region, std::string_view service,
                                               Clock::time_point now) {
  if (!FindHeader(request.headers, "host").has_value()) {
    return Status::InvalidArgument("request to sign needs a Host header");
  }
  if (FindHeader(request.headers, "x-amz-date").has_value()) {
    return Status::InvalidArgument("request to sign already has an X-Amz-Date header");
  }
  std::vector<OwnedHeader> added;
  added.push_back({"X-Amz-Date", FormatAmzDate(now)});
  if (!credentials.session_token.empty()) {
    added.push_back({"X-Amz-Security-Token", credentials.session_token});
  }
  std::vector<Header> all(request.headers.begin(), request.headers.end());
  for (const OwnedHeader& h : added) {
    all.push_back({h.name, h.value});
  }
  HttpRequestView with_date = request;
  with_date.headers = all;
  StatusOr<SignatureParts> parts = ComputeSignature(with_date, credentials, region, service);
  if (!parts.ok()) {
    return parts.status();
  }
  added.push_back({"Authorization", std::move(parts->authorization)});
  return added;
}

}  // namespace tandem::auth
