#include "probe/url.h"

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <cctype>
#include <optional>

namespace tandem::probe {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Parses a decimal port; nullopt unless it is all digits and at most 65535.
std::optional<uint32_t> ParsePort(std::string_view s) {
  if (s.empty() || s.size() > 5) {
    return std::nullopt;
  }
  uint32_t port = 0;
  for (char c : s) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    port = port * 10 + static_cast<uint32_t>(c - '0');
  }
  if (port > 65535) {
    return std::nullopt;
  }
  return port;
}

// Splits "host", "host:port", "[v6]" or "[v6]:port". `port` is left empty
// when there is none. False when brackets do not match.
bool SplitAuthority(std::string_view authority, std::string_view* host, std::string_view* port) {
  *port = {};
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) {
      return false;
    }
    *host = authority.substr(1, close - 1);
    std::string_view rest = authority.substr(close + 1);
    if (rest.empty()) {
      return true;
    }
    if (rest.front() != ':') {
      return false;
    }
    *port = rest.substr(1);
    return true;
  }
  const auto colon = authority.rfind(':');
  if (colon == std::string_view::npos) {
    *host = authority;
    return true;
  }
  if (authority.find(':') != colon) {
    return false;  // an IPv6 address without brackets
  }
  *host = authority.substr(0, colon);
  *port = authority.substr(colon + 1);
  return true;
}

}  // namespace

std::string Url::HostHeader() const {
  std::string out = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port != (tls ? 443 : 80)) {
    out += ":" + std::to_string(port);
  }
  return out;
}

StatusOr<Url> ParseUrl(std::string_view text) {
  const auto bad = [&](std::string_view why) {
    return Status::InvalidArgument("invalid URL '" + std::string(text) + "': " + std::string(why));
  };
  Url url;
  url.text = std::string(text);
  const auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) {
    return bad("it must start with http:// or https://");
  }
  const std::string scheme = Lower(text.substr(0, scheme_end));
  if (scheme == "https") {
    url.tls = true;
  } else if (scheme != "http") {
    return bad("the scheme must be http or https");
  }
  std::string_view rest = text.substr(scheme_end + 3);
  if (rest.find('#') != std::string_view::npos) {
    return bad("a fragment (#...) is not allowed");
  }
  const auto path_start = rest.find_first_of("/?");
  const std::string_view authority = rest.substr(0, path_start);
  if (authority.find('@') != std::string_view::npos) {
    return bad("user information (user@) is not allowed");
  }
  url.target = path_start == std::string_view::npos ? "/" : std::string(rest.substr(path_start));
  if (url.target.front() == '?') {
    url.target.insert(0, "/");
  }
  std::string_view host;
  std::string_view port;
  if (!SplitAuthority(authority, &host, &port)) {
    return bad("the host is malformed (an IPv6 address goes in brackets: http://[::1]:8000)");
  }
  if (host.empty()) {
    return bad("the host is missing");
  }
  for (unsigned char c : host) {
    if (std::isspace(c) || std::iscntrl(c)) {
      return bad("the host contains a blank or control character");
    }
  }
  url.host = std::string(host);
  if (port.empty()) {
    url.port = url.tls ? 443 : 80;
  } else {
    const auto p = ParsePort(port);
    if (!p || *p == 0) {
      return bad("the port must be a number from 1 to 65535");
    }
    url.port = static_cast<uint16_t>(*p);
  }
  for (unsigned char c : url.target) {
    if (std::isspace(c) || std::iscntrl(c)) {
      return bad("the path contains a blank or control character");
    }
  }
  return url;
}

StatusOr<HostPort> ParseHostPort(std::string_view text) {
  const auto bad = [&](std::string_view why) {
    return Status::InvalidArgument("invalid listen address '" + std::string(text) +
                                   "': " + std::string(why));
  };
  std::string_view host;
  std::string_view port;
  if (!SplitAuthority(text, &host, &port) || port.empty()) {
    return bad("expected HOST:PORT, e.g. 127.0.0.1:8080 or [::1]:8080");
  }
  boost::system::error_code ec;
  boost::asio::ip::make_address(std::string(host), ec);
  if (ec) {
    return bad("HOST must be an IP address (0.0.0.0 for every IPv4 interface)");
  }
  const auto p = ParsePort(port);
  if (!p) {
    return bad("PORT must be a number from 0 to 65535");
  }
  return HostPort{std::string(host), static_cast<uint16_t>(*p)};
}

}  // namespace tandem::probe
