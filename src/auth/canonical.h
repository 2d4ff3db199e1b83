// The SigV4 canonical request, built from a request as received.
//
// HttpRequestView is this component's picture of an HTTP request, free of any
// HTTP library: the node's Beast adapter fills one from a parsed request, the
// tests fill one by hand. Everything here follows the SigV4 specification for
// non-S3 services (DynamoDB among them):
//   - path: dot segments removed, repeated slashes collapsed, then every byte
//     but unreserved ones and '/' percent-encoded. The path is taken as given,
//     so a path received percent-encoded ends up encoded twice, as AWS SDKs
//     compute it for non-S3 services.
//   - query: parameters percent-decoded, re-encoded (RFC 3986 unreserved kept),
//     sorted by name then value, joined with '&'; every name gets '='.
//   - headers: the signed names lowercased in the order given, values of a
//     repeated header joined with ',' in arrival order, each value trimmed and
//     runs of spaces and tabs collapsed to one space.
//
// Thread-safety: pure functions over their arguments; safe from any thread.
#pragma once

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tandem::auth {

// One header line as received: name in any case; a name may repeat.
struct Header {
  std::string_view name;
  std::string_view value;
};

// A request as received. Views only: the caller keeps the bytes alive for the
// duration of any call that takes one.
struct HttpRequestView {
  std::string_view method;  // "POST"
  std::string_view path;    // raw request-target path, e.g. "/" (no '?')
  std::string_view query;   // raw query string without the '?', may be empty
  std::span<const Header> headers;
  std::string_view body;
};

// The signing algorithm name, the only one accepted.
inline constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

// Case-insensitive ASCII comparison of header names.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// First value of header `name` (any case), or nullopt when absent.
std::optional<std::string_view> FindHeader(std::span<const Header> headers, std::string_view name);

// Percent-encodes every byte except A-Z a-z 0-9 - _ . ~ (and '/' when
// `keep_slash`), with uppercase hex digits.
std::string UriEncode(std::string_view in, bool keep_slash);
// Decodes %XX escapes; a malformed escape is kept literally. '+' stays '+'.
std::string UriDecode(std::string_view in);

// The canonical URI of `raw_path` (see the file comment).
std::string CanonicalUri(std::string_view raw_path);
// The canonical query string of `raw_query`, leaving out any parameter named
// `exclude` (used for X-Amz-Signature in presigned requests).
std::string CanonicalQuery(std::string_view raw_query, std::string_view exclude = {});

// The full canonical request. `signed_headers` is the SignedHeaders value as
// given by the client ("host;x-amz-date"); `payload_hash` the hex SHA-256 of
// the body.
std::string CanonicalRequest(const HttpRequestView& request, std::string_view signed_headers,
                             std::string_view payload_hash, std::string_view exclude_query = {});

// "<date>/<region>/<service>/aws4_request".
std::string CredentialScope(std::string_view date, std::string_view region,
                            std::string_view service);

// "AWS4-HMAC-SHA256\n<amz_date>\n<scope>\n<hex sha256 of canonical request>".
std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request);

// Time in ISO-8601 basic format, "20150830T123600Z" (UTC, seconds).
std::string FormatAmzDate(std::chrono::system_clock::time_point t);
// Parses the ISO-8601 basic format above; nullopt when `s` is anything else.
std::optional<std::chrono::system_clock::time_point> ParseAmzDate(std::string_view s);
// Parses an RFC 1123 HTTP date, "Sun, 30 Aug 2015 12:36:00 GMT"; nullopt otherwise.
std::optional<std::chrono::system_clock::time_point> ParseHttpDate(std::string_view s);

}  // namespace tandem::auth
