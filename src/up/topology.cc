#include "up/topology.h"

#include <arpa/inet.h>

#include <filesystem>
#include <set>

namespace tandem::up {
namespace {

constexpr size_t kMaxRegions = 8;  // a multivalue record serves up to 8

// A TOML basic string.
std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += c;
    }
  }
  return out + "\"";
}

std::string HostPort(const std::string& address, uint16_t port) {
  return (address.find(':') != std::string::npos ? "[" + address + "]" : address) + ":" +
         std::to_string(port);
}

std::string Millis(std::chrono::milliseconds d) { return std::to_string(d.count()) + "ms"; }

uint16_t ProbePort(const TopologyOptions& o, size_t i) {
  return static_cast<uint16_t>(o.probe_port + i);
}

std::string ZoneWithoutDot(const TopologyOptions& o) {
  std::string z = o.zone;
  if (!z.empty() && z.back() == '.') z.pop_back();
  return z;
}

void RenderChecks(const TopologyOptions& o, std::string* out) {
  for (size_t i = 0; i < o.regions.size(); ++i) {
    const RegionSpec& r = o.regions[i];
    *out += "\n[[health_check]]\n";
    *out += "name = " + Quote(r.name) + "\n";
    *out += "type = \"HTTP_STR_MATCH\"\n";
    *out += "ip = " + Quote(r.address) + "\n";
    *out +=
        "port = " + std::to_string(ProbePort(o, i)) + "                       # its tandem probe\n";
    *out += "path = \"/health\"\n";
    *out += "search_string = \"ok\"\n";
    *out += "interval = " + Quote(Millis(o.check_interval)) + "\n";
    *out += "timeout = " + Quote(Millis(o.check_timeout)) + "\n";
    *out += "failure_threshold = " + std::to_string(o.failure_threshold) + "\n";
  }
}

void RenderRecords(const TopologyOptions& o, std::string* out) {
  *out += "\n# " + FailoverName(o) + ": the first region while it is healthy, else the second.\n";
  *out += "[[record]]\n";
  *out += "name = " + Quote(FailoverName(o)) + "\n";
  *out += "type = \"A\"\n";
  *out += "ttl = " + std::to_string(o.ttl) + "\n";
  *out += "routing = \"failover\"\n";
  *out += "answers = [\n";
  for (size_t i = 0; i < o.regions.size() && i < 2; ++i) {
    const RegionSpec& r = o.regions[i];
    *out += "  { set = " + Quote(r.name) +
            ", failover = " + (i == 0 ? "\"PRIMARY\"" : "\"SECONDARY\"") +
            ", value = " + Quote(r.address) + ", health_check = " + Quote(r.name) + " },\n";
  }
  *out += "]\n";
  *out += "\n# " + MultivalueName(o) + ": every healthy region.\n";
  *out += "[[record]]\n";
  *out += "name = " + Quote(MultivalueName(o)) + "\n";
  *out += "type = \"A\"\n";
  *out += "ttl = " + std::to_string(o.ttl) + "\n";
  *out += "routing = \"multivalue\"\n";
  *out += "answers = [\n";
  for (const RegionSpec& r : o.regions) {
    *out += "  { set = " + Quote(r.name) + ", value = " + Quote(r.address) +
            ", health_check = " + Quote(r.name) + " },\n";
  }
  *out += "]\n";
}

}  // namespace

std::vector<RegionSpec> LoopbackRegions(int n) {
  static const RegionSpec kAll[] = {
      {"us-east-1", "127.0.0.1"}, {"eu-west-1", "127.0.0.2"}, {"ap-southeast-1", "127.0.0.3"}};
  std::vector<RegionSpec> out;
  for (int i = 0; i < n && i < 3; ++i) out.push_back(kAll[i]);
  return out;
}

Status Validate(const TopologyOptions& o) {
  if (o.dir.empty() || !std::filesystem::path(o.dir).is_absolute()) {
    return Status::InvalidArgument("the directory must be an absolute path, got '" + o.dir + "'");
  }
  if (o.regions.empty() || o.regions.size() > kMaxRegions) {
    return Status::InvalidArgument("a topology has 1 to " + std::to_string(kMaxRegions) +
                                   " regions, got " + std::to_string(o.regions.size()));
  }
  std::set<std::string> names, addresses;
  for (const auto& r : o.regions) {
    unsigned char buf[16];
    if (inet_pton(AF_INET, r.address.c_str(), buf) != 1 &&
        inet_pton(AF_INET6, r.address.c_str(), buf) != 1) {
      return Status::InvalidArgument("region " + r.name + ": '" + r.address +
                                     "' is not an IP address");
    }
    if (r.name.empty() || !names.insert(r.name).second) {
      return Status::InvalidArgument("region name '" + r.name + "' is empty or repeated");
    }
    if (!addresses.insert(r.address).second) {
      return Status::InvalidArgument("address " + r.address + " is given to two regions");
    }
  }
  if (o.probe_port + o.regions.size() - 1 > 65535) {
    return Status::InvalidArgument("the probe ports run past 65535");
  }
  std::set<unsigned> tcp_ports = {o.node_port, o.dns_port, o.dns_admin_port};
  if (tcp_ports.size() != 3) {
    return Status::InvalidArgument("the node, DNS and DNS admin ports must differ");
  }
  for (size_t i = 0; i < o.regions.size(); ++i) {
    if (tcp_ports.count(o.probe_port + i)) {
      return Status::InvalidArgument("probe port " + std::to_string(o.probe_port + i) +
                                     " collides with another port");
    }
  }
  if (o.zone.empty() || o.zone.back() != '.' || o.zone == ".") {
    return Status::InvalidArgument("the zone must be an absolute name like 'shop.example.'");
  }
  if (o.check_timeout >= o.check_interval) {
    return Status::InvalidArgument("the health check timeout must be below its interval");
  }
  return Status::OK();
}

Layout LayoutOf(const TopologyOptions& o) {
  const std::filesystem::path d(o.dir);
  return {(d / "tandem.toml").string(),     (d / "secret").string(), (d / "credentials").string(),
          (d / (o.zone + "zone")).string(), (d / "logs").string(),   (d / "data").string()};
}

std::string NodeUrl(const TopologyOptions& o, size_t i) {
  return "http://" + HostPort(o.regions[i].address, o.node_port);
}

std::string FailoverName(const TopologyOptions& o) { return o.failover_label + "." + o.zone; }
std::string MultivalueName(const TopologyOptions& o) { return o.multivalue_label + "." + o.zone; }
std::string DnsServerName(size_t i) { return "ns" + std::to_string(i + 1); }

std::string RenderConfig(const TopologyOptions& o) {
  const Layout layout = LayoutOf(o);
  std::string out;
  out += "# The deployment `tandem up` runs (docs/UP.md). Written again at every\n";
  out += "# start of `tandem up`: edits here are lost. Every process reads it:\n";
  out += "#   tandem node --config tandem.toml --region REGION\n";
  out += "#   tandem dns --config tandem.toml --server NAME\n";
  out += "#   tandem status --config tandem.toml\n";
  out += "# Relative paths are resolved against this file's directory.\n";
  out += "\n[cluster]\n";
  out += "secret_file = \"secret\"            # shared by nodes, DNS checkers, the admin API\n";
  for (const RegionSpec& r : o.regions) {
    out += "\n[[node]]\n";
    out += "region = " + Quote(r.name) + "\n";
    out += "listen = " + Quote(HostPort(r.address, o.node_port)) + "\n";
    out += "data_dir = " + Quote("data/" + r.name) + "\n";
    out += "credentials = \"credentials\"       # the key pair in AWS_SHARED_CREDENTIALS_FILE\n";
  }
  for (size_t i = 0; i < o.regions.size(); ++i) {
    const RegionSpec& r = o.regions[i];
    out += "\n[[dns.server]]                      # in " + r.name + "\n";
    out += "name = " + Quote(DnsServerName(i)) + "\n";
    out += "listen = " + Quote(HostPort(r.address, o.dns_port)) + "\n";
    out += "admin = " + Quote(HostPort(r.address, o.dns_admin_port)) + "\n";
    out += "probe_source = " + Quote(r.address) + "\n";
  }
  out += "\n[[dns.zone]]\n";
  out += "origin = " + Quote(o.zone) + "\n";
  out += "file = " + Quote(std::filesystem::path(layout.zone_file).filename().string()) + "\n";
  RenderChecks(o, &out);
  RenderRecords(o, &out);
  // The controller's sections ([control], [[alarm]], [[failover]]) go here
  // once `tandem control` exists.
  return out;
}

std::string RenderZoneFile(const TopologyOptions& o) {
  std::string out;
  out += "; Static records of " + o.zone + ", served by tandem dns beside the\n";
  out += "; health-driven [[record]]s of tandem.toml (SOA and NS are generated).\n";
  out += "; Written again at every start of `tandem up`. RFC 1035 master format.\n";
  out += "$ORIGIN " + o.zone + "\n";
  out += "$TTL 60\n";
  out += "shop    IN CNAME " + FailoverName(o) + "\n";
  out += "@       IN TXT   \"" + ZoneWithoutDot(o) + " run by tandem up\"\n";
  return out;
}

const char* RoleName(Role role) {
  switch (role) {
    case Role::kNode:
      return "node";
    case Role::kProbe:
      return "probe";
    case Role::kDns:
      return "dns";
  }
  return "?";
}

std::vector<ProcessSpec> Processes(const TopologyOptions& o, const std::string& program,
                                   const std::string& program_name) {
  const Layout layout = LayoutOf(o);
  std::vector<ProcessSpec> out;
  auto add = [&](Role role, size_t i, int stage, std::vector<std::string> args) {
    ProcessSpec p;
    p.role = role;
    p.region = o.regions[i].name;
    p.stage = stage;
    p.child.name = std::string(RoleName(role)) + "-" + p.region;
    p.child.program = program;
    p.child.argv = {program_name};
    for (auto& a : args) p.child.argv.push_back(std::move(a));
    p.child.log_path = (std::filesystem::path(layout.logs) / (p.child.name + ".log")).string();
    out.push_back(std::move(p));
    return &out.back();
  };
  for (size_t i = 0; i < o.regions.size(); ++i) {
    const RegionSpec& r = o.regions[i];
    ProcessSpec* p =
        add(Role::kNode, i, 0, {"node", "--config", layout.config, "--region", r.name});
    p->ready = {ReadyCheck::Kind::kHttp, {r.address, o.node_port}, "/health", "", ""};
    p->binds = {{r.address, o.node_port}};
  }
  for (size_t i = 0; i < o.regions.size(); ++i) {
    const RegionSpec& r = o.regions[i];
    const std::string listen = HostPort(r.address, ProbePort(o, i));
    ProcessSpec* p = add(Role::kProbe, i, 1,
                         {"probe", "--listen", listen, "--endpoint", NodeUrl(o, i), "--table",
                          o.health_table, "--credentials", layout.credentials, "--region", r.name,
                          "--timeout", Millis(o.probe_timeout)});
    p->ready = {ReadyCheck::Kind::kHttp, {r.address, ProbePort(o, i)}, "/health", "\"ok\"", ""};
    p->binds = {{r.address, ProbePort(o, i)}};
  }
  for (size_t i = 0; i < o.regions.size(); ++i) {
    const RegionSpec& r = o.regions[i];
    ProcessSpec* p =
        add(Role::kDns, i, 2, {"dns", "--config", layout.config, "--server", DnsServerName(i)});
    p->ready = {ReadyCheck::Kind::kDns, {r.address, o.dns_port, true}, "", "", FailoverName(o)};
    p->binds = {{r.address, o.dns_port, true},
                {r.address, o.dns_port, false},
                {r.address, o.dns_admin_port, false}};
  }
  // Stage 3, once it exists: `tandem control --config tandem.toml`, ready
  // when its status endpoint answers.
  return out;
}

}  // namespace tandem::up
