#include "up/instructions.h"

#include <cstdio>

namespace tandem::up {
namespace {

std::string Pad(std::string s, size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

std::string CliTarget(const TopologyOptions& o, size_t i) {
  return " --region " + o.regions[i].name + " --endpoint-url " + NodeUrl(o, i);
}

// "10 s", "1.5 s".
std::string Seconds(std::chrono::milliseconds d) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g s", static_cast<double>(d.count()) / 1000.0);
  return buf;
}

std::string WithoutDot(const std::string& name) {
  return !name.empty() && name.back() == '.' ? name.substr(0, name.size() - 1) : name;
}

}  // namespace

std::string ShellQuote(const std::string& s) {
  bool plain = !s.empty();
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '/' || c == '.' || c == '-' || c == '_' || c == ':' || c == '=' ||
                    c == ',' || c == '+' || c == '@';
    plain = plain && ok;
  }
  if (plain) return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string ReadyText(const TopologyOptions& o, const std::string& tandem) {
  const Layout layout = LayoutOf(o);
  const std::string config = ShellQuote(layout.config);
  const std::string bin = ShellQuote(tandem);
  std::string t;
  t += "\nRegions (DNS on port " + std::to_string(o.dns_port) + " UDP/TCP, its admin API on " +
       std::to_string(o.dns_admin_port) + "):\n";
  t += "  " + Pad("region", 16) + Pad("node (DynamoDB API)", 26) + Pad("probe", 34) + "dns\n";
  for (size_t i = 0; i < o.regions.size(); ++i) {
    const RegionSpec& r = o.regions[i];
    const std::string probe =
        "http://" + r.address + ":" + std::to_string(o.probe_port + i) + "/health";
    t += "  " + Pad(r.name, 16) + Pad(NodeUrl(o, i), 26) + Pad(probe, 34) + DnsServerName(i) + " " +
         r.address + "\n";
  }
  t += "\nThe seed's commands, against the local nodes:\n\n";
  t += "  export AWS_SHARED_CREDENTIALS_FILE=" + ShellQuote(layout.credentials) +
       " AWS_PROFILE=default AWS_PAGER=\n";
  for (size_t i = 0; i < o.regions.size(); ++i) {
    t += std::string("  aws dynamodb create-table --table-name ") + kSeedTable +
         " --attribute-definitions AttributeName=id,AttributeType=S"
         " --key-schema AttributeName=id,KeyType=HASH"
         " --provisioned-throughput ReadCapacityUnits=5,WriteCapacityUnits=5" +
         CliTarget(o, i) + "\n";
  }
  std::string group;
  for (const RegionSpec& r : o.regions) group += " RegionName=" + r.name;
  t += std::string("  aws dynamodb create-global-table --global-table-name ") + kSeedTable +
       " --replication-group" + group + CliTarget(o, 0) + "\n";
  t += std::string("  aws dynamodb describe-global-table --global-table-name ") + kSeedTable +
       CliTarget(o, 0) + "\n";
  t += std::string("  aws dynamodb put-item --table-name ") + kSeedTable +
       " --item '{\"id\":{\"S\":\"p1\"}}'" + CliTarget(o, 0) + "\n";
  if (o.regions.size() > 1) {
    t += std::string("  aws dynamodb get-item --table-name ") + kSeedTable +
         " --key '{\"id\":{\"S\":\"p1\"}}'" + CliTarget(o, 1) + "\n";
  }
  t += "\nDNS, health and routing:\n\n";
  const std::string at = "@" + o.regions[0].address + " -p " + std::to_string(o.dns_port);
  t += "  dig " + at + " " + WithoutDot(FailoverName(o)) +
       "      # failover: " + o.regions[0].name +
       (o.regions.size() > 1 ? ", else " + o.regions[1].name : "") + "\n";
  t += "  dig " + at + " " + WithoutDot(MultivalueName(o)) +
       "      # multivalue: every healthy region\n";
  t += "  " + bin + " status --config " + config + "\n";
  t += "  " + bin + " route out " + o.regions[0].name + " --config " + config +
       "    # and back: route auto\n";
  t += "\nFailover automation (tandem control, in no region):\n\n";
  if (o.regions.size() > 1) {
    t += "  " + WithoutDot(FailoverName(o)) + " moves to " + o.regions[1].name + " when " +
         o.regions[0].name + " is unhealthy in " + std::to_string(o.alarm_datapoints) + " of " +
         std::to_string(o.alarm_evaluation_periods) + " alarm periods of " +
         Seconds(o.alarm_period) + "\n  and " + o.regions[1].name +
         " is healthy; it moves back once " + o.regions[0].name +
         " has been healthy and caught up for " + Seconds(o.hold_down) + ".\n";
  }
  t += "  tail -f " + ShellQuote(layout.audit_log) + "    # every decision, with its inputs\n";
  t += "  " + bin + " status --config " + config + "    # shows its latest decisions\n";
  t += "  cat " + ShellQuote(layout.hooks_log) + "    # the events its hook \"log\" received\n";
  t += "\nLogs: " + ShellQuote(layout.logs) + "/. Ctrl-C stops everything.\n";
  return t;
}

}  // namespace tandem::up
