// DnsConfig: the sections of the deployment file that `tandem dns`,
// `tandem status` and `tandem route` read (DESIGN.md, "Failover DNS and
// health checks"); examples/dns.toml is the pinned example.
//
//   [cluster]
//   secret_file = "secret"            # checkers and the admin API
//
//   [dns]                             # optional
//   healthy_fraction = 0.18           # an endpoint is healthy when MORE than
//                                     #   this share of fresh checkers see it so
//   state_dir = "dns-state"           # routing controls (default: beside the file)
//
//   [[dns.server]]                    # one per instance (region)
//   name = "ns1"
//   listen = "127.0.0.1:5353"         # UDP and TCP
//   admin = "127.0.0.1:9053"          # JSON over HTTP, signed with the secret
//   probe_source = "127.0.0.1"        # optional: health probes connect from here
//
//   [[dns.zone]]
//   origin = "shop.example."
//   file = "shop.example.zone"        # optional, RFC 1035 master file
//
//   [[health_check]]
//   name = "us-east-1"
//   type = "HTTP_STR_MATCH"           # HTTP HTTPS HTTP_STR_MATCH HTTPS_STR_MATCH
//                                     #   TCP CALCULATED
//   ip = "127.0.0.1"  port = 8000  path = "/health"  search_string = "ok"
//   host = "shop.example"             # Host header (and SNI with sni); without ip,
//                                     #   resolved at every probe (Route 53's FQDN)
//   sni = false                       # HTTPS: send host as SNI
//   interval = "1s"  timeout = "500ms"  failure_threshold = 3
//   inverted = false  disabled = false
//   children = ["a", "b"]  health_threshold = 1   # CALCULATED only
//
//   [[record]]
//   name = "www.shop.example."  type = "A"  ttl = 5
//   routing = "failover"              # simple | failover | weighted | multivalue
//   answers = [ { set = "us-east-1", failover = "PRIMARY", value = "127.0.0.1",
//                 health_check = "us-east-1" }, ... ]
//   # weighted: weight = 0..255 per answer; multivalue/simple: value(s) only
//
// Durations are strings with a unit: "100ms", "1s", "1.5s", "2m". Relative
// paths are resolved against the file's directory. Every error names
// file:line and the problem; an invalid file is rejected whole, nothing of it
// applied. Plain values; thread-compatible.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace tandem::config {

struct DnsServerConfig {
  std::string name;
  std::string listen;        // HOST:PORT (IPv6 as [addr]:port)
  std::string admin;         // HOST:PORT
  std::string probe_source;  // optional: the address this server's health probes come from
};

struct DnsZoneConfig {
  std::string origin;  // absolute, as written (trailing dot added if missing)
  std::string file;    // absolute path, or empty: only generated SOA/NS and [[record]]s
};

enum class CheckType { kHttp, kHttps, kHttpStrMatch, kHttpsStrMatch, kTcp, kCalculated };
const char* CheckTypeName(CheckType type);  // "HTTP_STR_MATCH", ...

struct HealthCheckConfig {
  std::string name;
  CheckType type = CheckType::kHttp;
  std::string ip;             // endpoint address; when empty, `host` is resolved at every
                              //   probe (not for CALCULATED)
  uint16_t port = 0;          // default 80 (HTTP*), 443 (HTTPS*); required for TCP
  std::string path = "/";     // HTTP* only
  std::string host;           // domain name: the Host header (default: ip) and, without ip,
                              //   the name resolved to find the endpoint
  bool sni = false;           // HTTPS*: send `host` as SNI
  std::string search_string;  // *_STR_MATCH: required, searched in the first 5,120 bytes
  std::chrono::milliseconds interval{30000};  // >= 100 ms
  std::chrono::milliseconds timeout{0};       // default min(interval/2, 4 s); < interval
  int failure_threshold = 3;                  // 1..10
  bool inverted = false;
  bool disabled = false;              // always healthy (then inverted applies)
  std::vector<std::string> children;  // CALCULATED: names of other checks
  int health_threshold = 0;           // CALCULATED: healthy when >= this many children are

  bool operator==(const HealthCheckConfig&) const = default;
};

enum class Routing { kSimple, kFailover, kWeighted, kMultivalue };
const char* RoutingName(Routing routing);  // "failover", ...

struct AnswerConfig {
  std::string set;    // the answer set's identifier (route controls use it)
  std::string value;  // presentation-form RDATA for the record's type
  enum class Failover { kNone, kPrimary, kSecondary } failover = Failover::kNone;
  int weight = -1;           // weighted: 0..255 (required)
  std::string health_check;  // optional: the check that gates this answer
};

struct RecordConfig {
  std::string name;  // absolute owner name ("www.shop.example.")
  std::string type;  // A, AAAA, CNAME, TXT, MX, SRV, CAA, NS (upper case)
  uint32_t ttl = 60;
  Routing routing = Routing::kSimple;
  std::vector<AnswerConfig> answers;
  int line = 0;  // where the [[record]] starts, for later messages
};

struct DnsConfig {
  std::string path;         // the file, absolute
  std::string secret_file;  // [cluster] secret_file, absolute, or empty
  double healthy_fraction = 0.18;
  std::string state_dir;  // absolute
  std::vector<DnsServerConfig> servers;
  std::vector<DnsZoneConfig> zones;
  std::vector<HealthCheckConfig> checks;
  std::vector<RecordConfig> records;

  const DnsServerConfig* FindServer(std::string_view name) const;
  const HealthCheckConfig* FindCheck(std::string_view name) const;
};

// Parses `text` as the contents of `path`. InvalidArgument "path:line:
// problem" for anything invalid: unknown keys, wrong types, bad durations or
// addresses, thresholds out of range, a timeout not below its interval,
// duplicate names, an answer naming an unknown check, a CALCULATED check
// whose children are unknown or form a cycle, a record outside every zone,
// routing-specific fields missing or misplaced (failover needs exactly one
// PRIMARY and at most one SECONDARY; weighted needs weights), values that do
// not parse as the record's type (A/AAAA addresses checked here).
StatusOr<DnsConfig> ParseDnsConfig(std::string_view text, const std::string& path);
StatusOr<DnsConfig> LoadDnsConfig(const std::string& path);

// "1s", "500ms", "1.5s", "2m" -> milliseconds; InvalidArgument otherwise.
StatusOr<std::chrono::milliseconds> ParseDuration(std::string_view text);

}  // namespace tandem::config
