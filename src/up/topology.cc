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

void RenderControl(const TopologyOptions& o, std::string* out) {
  const Layout layout = LayoutOf(o);
  auto file = [](const std::string& path) {
    return Quote(std::filesystem::path(path).filename().string());
  };
  *out += "\n# tandem control: alarms on the checks above, failover of " + FailoverName(o) + ",\n";
  *out += "# hooks. Every decision, with its inputs, goes to the audit log.\n";
  *out += "[control]\n";
  *out += "name = \"control\"\n";
  *out += "poll = " + Quote(Millis(o.control_poll)) + "\n";
  *out += "request_timeout = " + Quote(Millis(o.control_request_timeout)) + "\n";
  *out +=
      "audit_log = " + file(layout.audit_log) + "   # tail -f it; tandem status shows the latest\n";
  *out += "state_file = " + file(layout.state_file) + "\n";
  for (size_t i = 0; i < o.regions.size(); ++i) {
    *out += "\n[[alarm]]\n";
    *out += "name = " + Quote(AlarmName(o, i)) + "\n";
    *out += "health_check = " + Quote(o.regions[i].name) + "\n";
    *out += "period = " + Quote(Millis(o.alarm_period)) + "\n";
    *out += "evaluation_periods = " + std::to_string(o.alarm_evaluation_periods) + "\n";
    *out += "datapoints_to_alarm = " + std::to_string(o.alarm_datapoints) + "\n";
    *out += "treat_missing_data = \"missing\"\n";
  }
  if (o.regions.size() >= 2) {
    *out += "\n# The seed's Lambda: fail over only to a healthy secondary; fail back only\n";
    *out += "# to a primary that is healthy and caught up, held so for hold_down.\n";
    *out += "[[failover]]\n";
    *out += "primary = " + Quote(o.regions[0].name) + "\n";
    *out += "secondary = " + Quote(o.regions[1].name) + "\n";
    *out += "primary_alarm = " + Quote(AlarmName(o, 0)) + "\n";
    *out += "secondary_alarm = " + Quote(AlarmName(o, 1)) + "\n";
    *out += "primary_node = " + Quote(NodeUrl(o, 0)) + "   # the node itself: is it caught up?\n";
    *out += "hold_down = " + Quote(Millis(o.hold_down)) + "\n";
  }
  const std::string hooks_log = std::filesystem::path(layout.hooks_log).filename().string();
  *out += "\n# Every event as one JSON line in " + hooks_log +
          ": a program hook reads the event on stdin.\n";
  *out += "[[hook]]\n";
  *out += "name = \"log\"\n";
  *out += "command = [\"sh\", \"-c\", " +
          Quote("cat >> " + hooks_log + " && echo >> " + hooks_log) + "]\n";
  *out += "timeout = \"5s\"\n";
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
    if (!r.peer_url.empty() && !r.peer_url.starts_with("http://") &&
        !r.peer_url.starts_with("https://")) {
      return Status::InvalidArgument("region " + r.name + ": peer URL '" + r.peer_url +
                                     "' is not http:// or https://");
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
  if (o.control_poll < std::chrono::milliseconds(100)) {
    return Status::InvalidArgument("the controller's poll must be at least 100 ms");
  }
  if (o.control_request_timeout <= std::chrono::milliseconds(0) ||
      o.control_request_timeout > std::chrono::seconds(60)) {
    return Status::InvalidArgument("the controller's request timeout must be within (0, 60 s]");
  }
  if (o.alarm_period < o.control_poll) {
    return Status::InvalidArgument("the alarm period must be at least the controller's poll");
  }
  if (o.alarm_evaluation_periods < 1 || o.alarm_evaluation_periods > 100 ||
      o.alarm_datapoints < 1 || o.alarm_datapoints > o.alarm_evaluation_periods) {
    return Status::InvalidArgument("an alarm needs 1 <= datapoints <= evaluation periods <= 100");
  }
  if (o.hold_down < std::chrono::milliseconds(0)) {
    return Status::InvalidArgument("the failback hold-down must not be negative");
  }
  return Status::OK();
}

Layout LayoutOf(const TopologyOptions& o) {
  const std::filesystem::path d(o.dir);
  Layout l;
  l.config = (d / "tandem.toml").string();
  l.secret = (d / "secret").string();
  l.credentials = (d / "credentials").string();
  l.zone_file = (d / (o.zone + "zone")).string();
  l.logs = (d / "logs").string();
  l.data = (d / "data").string();
  l.audit_log = (d / "control-audit.jsonl").string();
  l.state_file = (d / "control-state.json").string();
  l.hooks_log = (d / "hooks.log").string();
  return l;
}

std::string NodeUrl(const TopologyOptions& o, size_t i) {
  return "http://" + HostPort(o.regions[i].address, o.node_port);
}

std::string PeerUrl(const TopologyOptions& o, size_t i) {
  return o.regions[i].peer_url.empty() ? NodeUrl(o, i) : o.regions[i].peer_url;
}

std::string AlarmName(const TopologyOptions& o, size_t i) {
  return o.regions[i].name + "-unhealthy";
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
  out += "#   tandem control --config tandem.toml\n";
  out += "#   tandem status --config tandem.toml\n";
  out += "# Relative paths are resolved against this file's directory.\n";
  out += "\n[cluster]\n";
  out += "secret_file = \"secret\"            # shared by nodes, DNS checkers, the admin API\n";
  for (const RegionSpec& r : o.regions) {
    out += "\n[[node]]\n";
    out += "region = " + Quote(r.name) + "\n";
    out += "listen = " + Quote(HostPort(r.address, o.node_port)) + "\n";
    if (!r.peer_url.empty()) {
      out += "url = " + Quote(r.peer_url) + "              # how the other nodes reach it\n";
    }
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
  RenderControl(o, &out);
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
    case Role::kControl:
      return "control";
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
  // The controller has no endpoint to ask: it is ready when its audit log
  // gets a line from this run, which it writes once it has polled the dns
  // servers and taken the lead (the "leadership" record).
  ProcessSpec control;
  control.role = Role::kControl;
  control.stage = 3;
  control.child.name = RoleName(Role::kControl);
  control.child.program = program;
  control.child.argv = {program_name, "control", "--config", layout.config};
  control.child.log_path =
      (std::filesystem::path(layout.logs) / (control.child.name + ".log")).string();
  control.ready = NewLineIn(layout.audit_log);
  out.push_back(std::move(control));
  return out;
}

}  // namespace tandem::up
