#include "config/dns_config.h"

#include <arpa/inet.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>
#include <set>

#include "config/toml_reader.h"

namespace tandem::config {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string Upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

// An absolute domain name, with the trailing dot added when missing;
// nullopt when it is not a plausible name.
std::optional<std::string> AbsoluteName(std::string name) {
  if (name.empty()) return std::nullopt;
  if (name.back() != '.') name += '.';
  if (name == ".") return name;
  size_t label = 0;
  for (size_t i = 0; i < name.size(); ++i) {
    if (name[i] == '.') {
      if (label == 0 || label > 63) return std::nullopt;
      label = 0;
    } else {
      ++label;
    }
  }
  if (name.size() > 254) return std::nullopt;
  return name;
}

// Whether `name` is `origin` or below it (both absolute, any case).
bool InZone(const std::string& name, const std::string& origin) {
  const std::string n = Lower(name), o = Lower(origin);
  if (o == ".") return true;
  return n == o || (n.size() > o.size() && n.ends_with(o) && n[n.size() - o.size() - 1] == '.');
}

bool IsAddress(const std::string& value, int family) {
  unsigned char buf[16];
  return inet_pton(family, value.c_str(), buf) == 1;
}

StatusOr<CheckType> ParseCheckType(const std::string& text) {
  static const std::pair<const char*, CheckType> kTypes[] = {
      {"HTTP", CheckType::kHttp},
      {"HTTPS", CheckType::kHttps},
      {"HTTP_STR_MATCH", CheckType::kHttpStrMatch},
      {"HTTPS_STR_MATCH", CheckType::kHttpsStrMatch},
      {"TCP", CheckType::kTcp},
      {"CALCULATED", CheckType::kCalculated}};
  for (const auto& [name, type] : kTypes) {
    if (text == name) return type;
  }
  return Status::InvalidArgument(
      "type must be one of HTTP, HTTPS, HTTP_STR_MATCH, HTTPS_STR_MATCH, TCP, CALCULATED; got '" +
      text + "'");
}

class Parser {
 public:
  Parser(const toml::table& root, const std::string& path) : root_(root), r_(path) {}

  StatusOr<DnsConfig> Parse() {
    DnsConfig c;
    c.path = r_.path();
    c.state_dir = (std::filesystem::path(c.path).parent_path() / "dns-state").string();
    TANDEM_RETURN_IF_ERROR(Cluster(&c));
    TANDEM_RETURN_IF_ERROR(Dns(&c));
    TANDEM_RETURN_IF_ERROR(Checks(&c));
    TANDEM_RETURN_IF_ERROR(Records(&c));
    return c;
  }

 private:
  Status Cluster(DnsConfig* c) {
    const toml::node* node = root_.get("cluster");
    if (node == nullptr) return Status::OK();
    const toml::table* t = node->as_table();
    if (t == nullptr) return r_.Error(*node, "[cluster] must be a table");
    return r_.Path(*t, "secret_file", false, &c->secret_file);
  }

  Status Dns(DnsConfig* c) {
    const toml::node* node = root_.get("dns");
    if (node == nullptr) return Status::OK();
    const toml::table* dns = node->as_table();
    if (dns == nullptr) return r_.Error(*node, "[dns] must be a table");
    TANDEM_RETURN_IF_ERROR(
        r_.NoUnknownKeys(*dns, {"healthy_fraction", "state_dir", "server", "zone"}, "[dns]"));
    TANDEM_RETURN_IF_ERROR(r_.Double(*dns, "healthy_fraction", 0.0, 0.99, &c->healthy_fraction));
    TANDEM_RETURN_IF_ERROR(r_.Path(*dns, "state_dir", false, &c->state_dir));
    std::vector<const toml::table*> tables;
    TANDEM_RETURN_IF_ERROR(r_.Tables(*dns, "server", &tables));
    std::set<std::string> names;
    for (const toml::table* t : tables) {
      TANDEM_RETURN_IF_ERROR(
          r_.NoUnknownKeys(*t, {"name", "listen", "admin", "probe_source"}, "[[dns.server]]"));
      DnsServerConfig s;
      TANDEM_RETURN_IF_ERROR(r_.String(*t, "name", true, &s.name));
      TANDEM_RETURN_IF_ERROR(r_.String(*t, "listen", true, &s.listen));
      TANDEM_RETURN_IF_ERROR(r_.String(*t, "admin", true, &s.admin));
      TANDEM_RETURN_IF_ERROR(r_.String(*t, "probe_source", false, &s.probe_source));
      if (!s.probe_source.empty() && !IsAddress(s.probe_source, AF_INET) &&
          !IsAddress(s.probe_source, AF_INET6)) {
        return r_.Error(*t->get("probe_source"),
                        "probe_source must be an IP address, got '" + s.probe_source + "'");
      }
      for (const char* key : {"listen", "admin"}) {
        const std::string& v = std::string(key) == "listen" ? s.listen : s.admin;
        if (!ValidHostPort(v)) {
          return r_.Error(*t->get(key), std::string(key) + " must be HOST:PORT, got '" + v + "'");
        }
      }
      if (!names.insert(s.name).second) {
        return r_.Error(*t->get("name"), "dns.server '" + s.name + "' appears twice");
      }
      c->servers.push_back(std::move(s));
    }
    TANDEM_RETURN_IF_ERROR(r_.Tables(*dns, "zone", &tables));
    std::set<std::string> origins;
    for (const toml::table* t : tables) {
      TANDEM_RETURN_IF_ERROR(r_.NoUnknownKeys(*t, {"origin", "file"}, "[[dns.zone]]"));
      DnsZoneConfig z;
      TANDEM_RETURN_IF_ERROR(r_.String(*t, "origin", true, &z.origin));
      auto origin = AbsoluteName(z.origin);
      if (!origin) return r_.Error(*t->get("origin"), "'" + z.origin + "' is not a domain name");
      z.origin = *origin;
      TANDEM_RETURN_IF_ERROR(r_.Path(*t, "file", false, &z.file));
      if (!origins.insert(Lower(z.origin)).second) {
        return r_.Error(*t->get("origin"), "zone '" + z.origin + "' appears twice");
      }
      c->zones.push_back(std::move(z));
    }
    return Status::OK();
  }

  Status Checks(DnsConfig* c) {
    std::vector<const toml::table*> tables;
    TANDEM_RETURN_IF_ERROR(r_.Tables(root_, "health_check", &tables));
    std::map<std::string, const toml::table*> where;
    for (const toml::table* t : tables) {
      TANDEM_RETURN_IF_ERROR(r_.NoUnknownKeys(
          *t,
          {"name", "type", "ip", "port", "path", "host", "sni", "search_string", "interval",
           "timeout", "failure_threshold", "inverted", "disabled", "children", "health_threshold"},
          "[[health_check]]"));
      HealthCheckConfig h;
      TANDEM_RETURN_IF_ERROR(r_.String(*t, "name", true, &h.name));
      std::string type;
      TANDEM_RETURN_IF_ERROR(r_.String(*t, "type", true, &type));
      auto parsed = ParseCheckType(type);
      if (!parsed.ok()) return r_.Error(*t->get("type"), parsed.status().message());
      h.type = *parsed;
      if (!where.emplace(h.name, t).second) {
        return r_.Error(*t->get("name"), "health_check '" + h.name + "' appears twice");
      }
      TANDEM_RETURN_IF_ERROR(CheckFields(*t, &h));
      c->checks.push_back(std::move(h));
    }
    // CALCULATED children exist and form no cycle.
    std::map<std::string, const HealthCheckConfig*> by_name;
    for (const auto& h : c->checks) by_name[h.name] = &h;
    for (const auto& h : c->checks) {
      for (const auto& child : h.children) {
        if (!by_name.count(child)) {
          return r_.Error(*where[h.name]->get("children"),
                          "health_check '" + h.name + "' names unknown child '" + child + "'");
        }
      }
    }
    std::map<std::string, int> state;  // 1 visiting, 2 done
    std::function<bool(const std::string&)> cyclic = [&](const std::string& name) {
      if (state[name] == 1) return true;
      if (state[name] == 2) return false;
      state[name] = 1;
      for (const auto& child : by_name[name]->children) {
        if (cyclic(child)) return true;
      }
      state[name] = 2;
      return false;
    };
    for (const auto& h : c->checks) {
      if (cyclic(h.name)) {
        return r_.Error(*where[h.name]->get("children"),
                        "health_check '" + h.name + "' is part of a cycle of CALCULATED checks");
      }
    }
    return Status::OK();
  }

  Status CheckFields(const toml::table& t, HealthCheckConfig* h) {
    const bool calculated = h->type == CheckType::kCalculated;
    const bool http = h->type != CheckType::kTcp && !calculated;
    const bool https = h->type == CheckType::kHttps || h->type == CheckType::kHttpsStrMatch;
    const bool str_match =
        h->type == CheckType::kHttpStrMatch || h->type == CheckType::kHttpsStrMatch;
    const std::string what = "health_check '" + h->name + "' (" + CheckTypeName(h->type) + ")";
    auto misplaced = [&](const char* key, bool allowed) -> Status {
      if (!allowed && t.get(key) != nullptr) {
        return r_.Error(*t.get(key), std::string("'") + key + "' does not apply to " + what);
      }
      return Status::OK();
    };
    TANDEM_RETURN_IF_ERROR(misplaced("ip", !calculated));
    TANDEM_RETURN_IF_ERROR(misplaced("port", !calculated));
    TANDEM_RETURN_IF_ERROR(misplaced("path", http));
    TANDEM_RETURN_IF_ERROR(misplaced("host", !calculated));
    TANDEM_RETURN_IF_ERROR(misplaced("sni", https));
    TANDEM_RETURN_IF_ERROR(misplaced("search_string", str_match));
    TANDEM_RETURN_IF_ERROR(misplaced("interval", !calculated));
    TANDEM_RETURN_IF_ERROR(misplaced("timeout", !calculated));
    TANDEM_RETURN_IF_ERROR(misplaced("failure_threshold", !calculated));
    TANDEM_RETURN_IF_ERROR(misplaced("children", calculated));
    TANDEM_RETURN_IF_ERROR(misplaced("health_threshold", calculated));
    TANDEM_RETURN_IF_ERROR(r_.Bool(t, "inverted", &h->inverted));
    TANDEM_RETURN_IF_ERROR(r_.Bool(t, "disabled", &h->disabled));
    if (calculated) {
      TANDEM_RETURN_IF_ERROR(r_.StringArray(t, "children", &h->children));
      if (h->children.empty()) return r_.Error(t, what + " needs 'children'");
      int64_t threshold = 1;
      TANDEM_RETURN_IF_ERROR(r_.Integer(t, "health_threshold", 0, 256, true, &threshold));
      h->health_threshold = static_cast<int>(threshold);
      return Status::OK();
    }
    // Route 53's IPAddress and FullyQualifiedDomainName: with only `host`,
    // the endpoint is found by resolving it.
    TANDEM_RETURN_IF_ERROR(r_.String(t, "host", false, &h->host));
    TANDEM_RETURN_IF_ERROR(r_.String(t, "ip", h->host.empty(), &h->ip));
    if (!h->ip.empty() && !IsAddress(h->ip, AF_INET) && !IsAddress(h->ip, AF_INET6)) {
      return r_.Error(*t.get("ip"), "ip must be an IPv4 or IPv6 address, got '" + h->ip + "'");
    }
    int64_t port = https ? 443 : 80;
    TANDEM_RETURN_IF_ERROR(r_.Integer(t, "port", 1, 65535, h->type == CheckType::kTcp, &port));
    h->port = static_cast<uint16_t>(port);
    if (http) {
      TANDEM_RETURN_IF_ERROR(r_.String(t, "path", false, &h->path));
      if (h->path.front() != '/') return r_.Error(*t.get("path"), "path must start with /");
    }
    if (https) TANDEM_RETURN_IF_ERROR(r_.Bool(t, "sni", &h->sni));
    if (h->sni && h->host.empty()) return r_.Error(*t.get("sni"), "sni needs 'host'");
    if (str_match) {
      TANDEM_RETURN_IF_ERROR(r_.String(t, "search_string", true, &h->search_string));
      if (h->search_string.size() > 255) {
        return r_.Error(*t.get("search_string"), "search_string is limited to 255 characters");
      }
    }
    TANDEM_RETURN_IF_ERROR(r_.Duration(t, "interval", &h->interval));
    if (h->interval < std::chrono::milliseconds(100)) {
      return r_.Error(*t.get("interval"), "interval must be at least 100ms");
    }
    h->timeout = std::min(h->interval / 2, std::chrono::milliseconds(4000));
    TANDEM_RETURN_IF_ERROR(r_.Duration(t, "timeout", &h->timeout));
    if (h->timeout <= std::chrono::milliseconds(0) || h->timeout >= h->interval) {
      const toml::node& at = t.get("timeout") ? *t.get("timeout") : t;
      return r_.Error(at, "timeout must be above zero and below the interval");
    }
    int64_t threshold = h->failure_threshold;
    TANDEM_RETURN_IF_ERROR(r_.Integer(t, "failure_threshold", 1, 10, false, &threshold));
    h->failure_threshold = static_cast<int>(threshold);
    return Status::OK();
  }

  Status Records(DnsConfig* c) {
    std::vector<const toml::table*> tables;
    TANDEM_RETURN_IF_ERROR(r_.Tables(root_, "record", &tables));
    std::set<std::pair<std::string, std::string>> seen;
    for (const toml::table* t : tables) {
      TANDEM_RETURN_IF_ERROR(
          r_.NoUnknownKeys(*t, {"name", "type", "ttl", "routing", "answers"}, "[[record]]"));
      RecordConfig rec;
      rec.line = static_cast<int>(t->source().begin.line);
      TANDEM_RETURN_IF_ERROR(r_.String(*t, "name", true, &rec.name));
      auto name = AbsoluteName(rec.name);
      if (!name) return r_.Error(*t->get("name"), "'" + rec.name + "' is not a domain name");
      rec.name = *name;
      bool in_zone = false;
      for (const auto& z : c->zones) in_zone = in_zone || InZone(rec.name, z.origin);
      if (!in_zone) {
        return r_.Error(*t->get("name"), "record '" + rec.name + "' is outside every [[dns.zone]]");
      }
      TANDEM_RETURN_IF_ERROR(r_.String(*t, "type", true, &rec.type));
      rec.type = Upper(rec.type);
      static const std::set<std::string> kTypes = {"A",  "AAAA", "CNAME", "TXT",
                                                   "MX", "SRV",  "CAA",   "NS"};
      if (!kTypes.count(rec.type)) {
        return r_.Error(*t->get("type"),
                        "type must be one of A, AAAA, CNAME, TXT, MX, SRV, "
                        "CAA, NS; got '" +
                            rec.type + "'");
      }
      int64_t ttl = rec.ttl;
      TANDEM_RETURN_IF_ERROR(r_.Integer(*t, "ttl", 0, 2147483647, false, &ttl));
      rec.ttl = static_cast<uint32_t>(ttl);
      std::string routing = "simple";
      TANDEM_RETURN_IF_ERROR(r_.String(*t, "routing", false, &routing));
      if (routing == "simple") {
        rec.routing = Routing::kSimple;
      } else if (routing == "failover") {
        rec.routing = Routing::kFailover;
      } else if (routing == "weighted") {
        rec.routing = Routing::kWeighted;
      } else if (routing == "multivalue") {
        rec.routing = Routing::kMultivalue;
      } else {
        return r_.Error(
            *t->get("routing"),
            "routing must be simple, failover, weighted or multivalue; got '" + routing + "'");
      }
      if (!seen.emplace(Lower(rec.name), rec.type).second) {
        return r_.Error(*t->get("name"),
                        "a [[record]] for " + rec.name + " " + rec.type + " appears twice");
      }
      TANDEM_RETURN_IF_ERROR(Answers(*t, *c, &rec));
      c->records.push_back(std::move(rec));
    }
    return Status::OK();
  }

  Status Answers(const toml::table& t, const DnsConfig& c, RecordConfig* rec) {
    std::vector<const toml::table*> answers;
    TANDEM_RETURN_IF_ERROR(r_.Tables(t, "answers", &answers));
    if (answers.empty()) return r_.Error(t, "record '" + rec->name + "' needs 'answers'");
    std::set<std::string> sets;
    int primaries = 0, secondaries = 0;
    for (const toml::table* a : answers) {
      TANDEM_RETURN_IF_ERROR(r_.NoUnknownKeys(
          *a, {"set", "value", "failover", "weight", "health_check"}, "an answer"));
      AnswerConfig ans;
      TANDEM_RETURN_IF_ERROR(r_.String(*a, "set", true, &ans.set));
      TANDEM_RETURN_IF_ERROR(r_.String(*a, "value", true, &ans.value));
      TANDEM_RETURN_IF_ERROR(r_.String(*a, "health_check", false, &ans.health_check));
      if (!sets.insert(ans.set).second) {
        return r_.Error(*a->get("set"),
                        "answer set '" + ans.set + "' appears twice in " + rec->name);
      }
      if (!ans.health_check.empty() && c.FindCheck(ans.health_check) == nullptr) {
        return r_.Error(*a->get("health_check"), "unknown health_check '" + ans.health_check + "'");
      }
      if ((rec->type == "A" && !IsAddress(ans.value, AF_INET)) ||
          (rec->type == "AAAA" && !IsAddress(ans.value, AF_INET6))) {
        return r_.Error(*a->get("value"), "'" + ans.value + "' is not an " +
                                              (rec->type == "A" ? "IPv4" : "IPv6") + " address");
      }
      std::string failover;
      TANDEM_RETURN_IF_ERROR(r_.String(*a, "failover", false, &failover));
      if (!failover.empty() && rec->routing != Routing::kFailover) {
        return r_.Error(*a->get("failover"), "'failover' needs routing = \"failover\"");
      }
      if (rec->routing == Routing::kFailover) {
        failover = Upper(failover);
        if (failover == "PRIMARY") {
          ans.failover = AnswerConfig::Failover::kPrimary;
          ++primaries;
        } else if (failover == "SECONDARY") {
          ans.failover = AnswerConfig::Failover::kSecondary;
          ++secondaries;
        } else {
          const toml::node& at = a->get("failover") ? *a->get("failover") : *a;
          return r_.Error(at,
                          "each failover answer needs failover = \"PRIMARY\" or "
                          "\"SECONDARY\"");
        }
      }
      if (a->get("weight") != nullptr && rec->routing != Routing::kWeighted) {
        return r_.Error(*a->get("weight"), "'weight' needs routing = \"weighted\"");
      }
      if (rec->routing == Routing::kWeighted) {
        int64_t weight = -1;
        TANDEM_RETURN_IF_ERROR(r_.Integer(*a, "weight", 0, 255, true, &weight));
        ans.weight = static_cast<int>(weight);
      }
      rec->answers.push_back(std::move(ans));
    }
    if (rec->routing == Routing::kFailover && (primaries != 1 || secondaries > 1)) {
      return r_.Error(t, "failover record '" + rec->name +
                             "' needs exactly one PRIMARY and at most one SECONDARY answer");
    }
    if (rec->type == "CNAME" && rec->routing == Routing::kSimple && rec->answers.size() > 1) {
      return r_.Error(t, "a CNAME record has one value");
    }
    return Status::OK();
  }

  const toml::table& root_;
  TomlReader r_;
};

}  // namespace

const char* CheckTypeName(CheckType type) {
  switch (type) {
    case CheckType::kHttp:
      return "HTTP";
    case CheckType::kHttps:
      return "HTTPS";
    case CheckType::kHttpStrMatch:
      return "HTTP_STR_MATCH";
    case CheckType::kHttpsStrMatch:
      return "HTTPS_STR_MATCH";
    case CheckType::kTcp:
      return "TCP";
    case CheckType::kCalculated:
      return "CALCULATED";
  }
  return "?";
}

const char* RoutingName(Routing routing) {
  switch (routing) {
    case Routing::kSimple:
      return "simple";
    case Routing::kFailover:
      return "failover";
    case Routing::kWeighted:
      return "weighted";
    case Routing::kMultivalue:
      return "multivalue";
  }
  return "?";
}

const DnsServerConfig* DnsConfig::FindServer(std::string_view name) const {
  for (const auto& s : servers) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

const HealthCheckConfig* DnsConfig::FindCheck(std::string_view name) const {
  for (const auto& h : checks) {
    if (h.name == name) return &h;
  }
  return nullptr;
}

StatusOr<DnsConfig> ParseDnsConfig(std::string_view text, const std::string& path) {
  TANDEM_ASSIGN_OR_RETURN(toml::table root, ParseToml(text, path));
  return Parser(root, path).Parse();
}

StatusOr<DnsConfig> LoadDnsConfig(const std::string& path) {
  TANDEM_ASSIGN_OR_RETURN(std::string text, ReadConfigFile(path));
  const std::string absolute = std::filesystem::absolute(path).lexically_normal().string();
  return ParseDnsConfig(text, absolute);
}

StatusOr<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  return ParseDurationText(text);
}

}  // namespace tandem::config
