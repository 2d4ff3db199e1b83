// The parts of an http:// or https:// URL that the probe needs (--endpoint,
// --app), and the HOST:PORT of --listen.
//
// Accepted URLs: scheme http or https (any case), a host name, an IPv4
// address or a bracketed IPv6 address, an optional port 1..65535, and an
// optional path and query. User info ("user@") and fragments ("#x") are
// refused: they have no meaning to the probe and usually mean a typo.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace tandem::probe {

struct Url {
  bool tls = false;
  std::string host;    // without brackets, e.g. "::1"
  uint16_t port = 0;   // as given, or the scheme's default (80, 443)
  std::string target;  // path and query, "/" when the URL has none
  std::string text;    // the URL as given, for messages

  // The Host header value: the host (IPv6 bracketed), with ":port" when the
  // port is not the scheme's default.
  std::string HostHeader() const;
};

// Parses `text`; InvalidArgument naming what is wrong.
StatusOr<Url> ParseUrl(std::string_view text);

struct HostPort {
  std::string host;  // an IP address, without brackets
  uint16_t port = 0;
};

// Parses "HOST:PORT" where HOST is an IPv4 address or a bracketed IPv6
// address and PORT is 0..65535 (0: any free port). InvalidArgument otherwise.
StatusOr<HostPort> ParseHostPort(std::string_view text);

}  // namespace tandem::probe
