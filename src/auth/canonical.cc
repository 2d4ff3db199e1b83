#include "auth/canonical.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <utility>

#include "auth/crypto.h"

namespace tandem::auth {

namespace {

char ToLowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

// Appends `value` trimmed, with runs of blanks collapsed to one space.
void AppendNormalizedValue(std::string_view value, std::string* out) {
  size_t begin = 0;
  size_t end = value.size();
  while (begin < end && IsBlank(value[begin])) {
    ++begin;
  }
  while (end > begin && IsBlank(value[end - 1])) {
    --end;
  }
  bool in_blank = false;
  for (size_t i = begin; i < end; ++i) {
    if (IsBlank(value[i])) {
      in_blank = true;
      continue;
    }
    if (in_blank) {
      out->push_back(' ');
      in_blank = false;
    }
    out->push_back(value[i]);
  }
}

// Parses `n` decimal digits at s[pos]; -1 when any is not a digit.
int ParseDigits(std::string_view s, size_t pos, size_t n) {
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') {
      return -1;
    }
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

std::optional<std::chrono::system_clock::time_point> MakeTime(int year, int month, int day,
                                                              int hour, int minute, int second) {
  using namespace std::chrono;
  if (year < 0 || month < 0 || day < 0 || hour < 0 || hour > 23 || minute < 0 || minute > 59 ||
      second < 0 || second > 60) {
    return std::nullopt;
  }
  year_month_day ymd{std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                     std::chrono::day(static_cast<unsigned>(day))};
  if (!ymd.ok()) {
    return std::nullopt;
  }
  return system_clock::time_point(sys_days(ymd)) + hours(hour) + minutes(minute) + seconds(second);
}

}  // namespace

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (ToLowerAscii(a[i]) != ToLowerAscii(b[i])) {
      return false;
    }
  }
  return true;
}

std::optional<std::string_view> FindHeader(std::span<const Header> headers, std::string_view name) {
  for (const Header& h : headers) {
    if (EqualsIgnoreCase(h.name, name)) {
      return h.value;
    }
  }
  return std::nullopt;
}

std::string UriEncode(std::string_view in, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(in.size() + 8);
  for (char ch : in) {
    auto c = static_cast<unsigned char>(ch);
    if (IsUnreserved(c) || (keep_slash && c == '/')) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

std::string UriDecode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size()) {
      int hi = HexValue(in[i + 1]);
      int lo = HexValue(in[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(in[i]);
  }
  return out;
}

std::string CanonicalUri(std::string_view raw_path) {
  std::vector<std::string_view> segments;
  size_t pos = 0;
  while (pos <= raw_path.size()) {
    size_t slash = raw_path.find('/', pos);
    if (slash == std::string_view::npos) {
      slash = raw_path.size();
    }
    std::string_view seg = raw_path.substr(pos, slash - pos);
    if (seg == "..") {
      if (!segments.empty()) {
        segments.pop_back();
      }
    } else if (!seg.empty() && seg != ".") {
      segments.push_back(seg);
    }
    pos = slash + 1;
  }
  std::string normalized = "/";
  for (size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) {
      normalized.push_back('/');
    }
    normalized.append(segments[i]);
  }
  if (!segments.empty() && !raw_path.empty() && raw_path.back() == '/') {
    normalized.push_back('/');
  }
  return UriEncode(normalized, /*keep_slash=*/true);
}

std::string CanonicalQuery(std::string_view raw_query, std::string_view exclude) {
  if (raw_query.empty()) {
    return std::string();
  }
  std::vector<std::pair<std::string, std::string>> params;
  size_t pos = 0;
  while (pos <= raw_query.size()) {
    size_t amp = raw_query.find('&', pos);
    if (amp == std::string_view::npos) {
      amp = raw_query.size();
    }
    std::string_view piece = raw_query.substr(pos, amp - pos);
    pos = amp + 1;
    if (piece.empty()) {
      continue;
    }
    size_t eq = piece.find('=');
    std::string name = UriDecode(piece.substr(0, eq));
    if (!exclude.empty() && name == exclude) {
      continue;
    }
    std::string value =
        eq == std::string_view::npos ? std::string() : UriDecode(piece.substr(eq + 1));
    params.emplace_back(UriEncode(name, false), UriEncode(value, false));
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (size_t i = 0; i < params.size(); ++i) {
    if (i > 0) {
      out.push_back('&');
    }
    out.append(params[i].first);
    out.push_back('=');
    out.append(params[i].second);
  }
  return out;
}

std::string CanonicalRequest(const HttpRequestView& request, std::string_view signed_headers,
                             std::string_view payload_hash, std::string_view exclude_query) {
  std::string out;
  out.reserve(256 + request.query.size() + signed_headers.size() * 4);
  out.append(request.method);
  out.push_back('\n');
  out.append(CanonicalUri(request.path));
  out.push_back('\n');
  out.append(CanonicalQuery(request.query, exclude_query));
  out.push_back('\n');

  std::string lowered_names;
  lowered_names.reserve(signed_headers.size());
  size_t pos = 0;
  while (pos <= signed_headers.size()) {
    size_t semi = signed_headers.find(';', pos);
    if (semi == std::string_view::npos) {
      semi = signed_headers.size();
    }
    std::string_view name = signed_headers.substr(pos, semi - pos);
    if (pos > 0) {
      lowered_names.push_back(';');
    }
    pos = semi + 1;
    for (char c : name) {
      out.push_back(ToLowerAscii(c));
      lowered_names.push_back(ToLowerAscii(c));
    }
    out.push_back(':');
    bool first = true;
    for (const Header& h : request.headers) {
      if (!EqualsIgnoreCase(h.name, name)) {
        continue;
      }
      if (!first) {
        out.push_back(',');
      }
      first = false;
      AppendNormalizedValue(h.value, &out);
    }
    out.push_back('\n');
  }
  out.push_back('\n');
  out.append(lowered_names);
  out.push_back('\n');
  out.append(payload_hash);
  return out;
}

std::string CredentialScope(std::string_view date, std::string_view region,
                            std::string_view service) {
  std::string out;
  out.reserve(date.size() + region.size() + service.size() + 16);
  out.append(date).append("/").append(region).append("/").append(service).append("/aws4_request");
  return out;
}

std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request) {
  std::string out;
  out.reserve(kAlgorithm.size() + amz_date.size() + scope.size() + 67);
  out.append(kAlgorithm).append("\n").append(amz_date).append("\n").append(scope).append("\n");
  out.append(Sha256Hex(canonical_request));
  return out;
}

std::string FormatAmzDate(std::chrono::system_clock::time_point t) {
  std::time_t tt =
      std::chrono::system_clock::to_time_t(std::chrono::time_point_cast<std::chrono::seconds>(t));
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d%02d%02dT%02d%02d%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

std::optional<std::chrono::system_clock::time_point> ParseAmzDate(std::string_view s) {
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z') {
    return std::nullopt;
  }
  return MakeTime(ParseDigits(s, 0, 4), ParseDigits(s, 4, 2), ParseDigits(s, 6, 2),
                  ParseDigits(s, 9, 2), ParseDigits(s, 11, 2), ParseDigits(s, 13, 2));
}

std::optional<std::chrono::system_clock::time_point> ParseHttpDate(std::string_view s) {
  // "Sun, 30 Aug 2015 12:36:00 GMT"
  static constexpr std::string_view kMonths = "JanFebMarAprMayJunJulAugSepOctNovDec";
  if (s.size() != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
      s[19] != ':' || s[22] != ':' || s.substr(25) != " GMT") {
    return std::nullopt;
  }
  size_t month_index = kMonths.find(s.substr(8, 3));
  if (month_index == std::string_view::npos || month_index % 3 != 0) {
    return std::nullopt;
  }
  return MakeTime(ParseDigits(s, 12, 4), static_cast<int>(month_index / 3) + 1,
                  ParseDigits(s, 5, 2), ParseDigits(s, 17, 2), ParseDigits(s, 20, 2),
                  ParseDigits(s, 23, 2));
}

}  // namespace tandem::auth
