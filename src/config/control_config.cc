#include "config/control_config.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "config/deployment.h"
#include "config/toml_reader.h"

namespace tandem::config {
namespace {

bool IsUrl(const std::string& s) { return s.starts_with("http://") || s.starts_with("https://"); }

// "http://host:port" with nothing after the port.
bool IsEndpoint(const std::string& s) {
  if (!s.starts_with("http://") && !s.starts_with("https://")) {
    return false;
  }
  const std::string rest = s.substr(s.find("//") + 2);
  return rest.find('/') == std::string::npos && ValidHostPort(rest);
}

StatusOr<MissingData> ParseMissingData(const std::string& text) {
  for (MissingData m : {MissingData::kMissing, MissingData::kBreaching, MissingData::kNotBreaching,
                        MissingData::kIgnore}) {
    if (text == MissingDataName(m)) {
      return m;
    }
  }
  return Status::InvalidArgument(
      "treat_missing_data must be missing, breaching, notBreaching or ignore; got '" + text + "'");
}

class Parser {
 public:
  Parser(const toml::table& root, const std::string& path, DnsConfig dns, Deployment nodes)
      : root_(root), r_(path), nodes_(std::move(nodes)) {
    c_.deployment = std::move(dns);
  }

  StatusOr<ControlConfig> Parse() {
    const std::filesystem::path dir = std::filesystem::path(r_.path()).parent_path();
    c_.control.audit_log = (dir / "control-audit.jsonl").string();
    c_.control.state_file = (dir / "control-state.json").string();
    c_.ca_file = nodes_.cluster.ca_file;
    TANDEM_RETURN_IF_ERROR(Control());
    TANDEM_RETURN_IF_ERROR(Alarms());
    TANDEM_RETURN_IF_ERROR(Failovers());
    TANDEM_RETURN_IF_ERROR(Hooks());
    return std::move(c_);
  }

 private:
  // Durations with a range, in the file's terms.
  Status DurationIn(const toml::table& t, const char* key, std::chrono::milliseconds min,
                    std::chrono::milliseconds max, std::chrono::milliseconds* out) {
    TANDEM_RETURN_IF_ERROR(r_.Duration(t, key, out));
    if (t.get(key) != nullptr && (*out < min || *out > max)) {
      return r_.Error(*t.get(key), std::string("'") + key + "' must be from " +
                                       std::to_string(min.count()) + "ms to " +
                                       std::to_string(max.count()) + "ms");
    }
    return Status::OK();
  }

  // A [[node]] region or a URL -> the node's base URL (no trailing slash).
  Status NodeUrl(const toml::table& t, const char* key, std::string* out) {
    std::string value;
    TANDEM_RETURN_IF_ERROR(r_.String(t, key, false, &value));
    if (value.empty()) {
      return Status::OK();
    }
    if (IsUrl(value)) {
      *out = value;
    } else if (const NodeConfig* node = nodes_.FindNode(value); node != nullptr) {
      *out = node->url;
    } else {
      return r_.Error(*t.get(key), std::string("'") + key + "' must be a [[node]] region or an " +
                                       "http(s):// URL; got '" + value + "'");
    }
    while (out->ends_with("/")) {
      out->pop_back();
    }
    return Status::OK();
  }

  Status Control() {
    const toml::node* node = root_.get("control");
    if (node == nullptr) {
      return Status::OK();
    }
    const toml::table* t = node->as_table();
    if (t == nullptr) {
      return r_.Error(*node, "[control] must be a table");
    }
    ControlSection& s = c_.control;
    TANDEM_RETURN_IF_ERROR(r_.NoUnknownKeys(*t,
                                            {"name", "poll", "request_timeout", "audit_log",
                                             "state_file", "etcd", "etcd_prefix", "lease_ttl"},
                                            "[control]"));
    TANDEM_RETURN_IF_ERROR(r_.String(*t, "name", false, &s.name));
    TANDEM_RETURN_IF_ERROR(
        DurationIn(*t, "poll", std::chrono::milliseconds(100), std::chrono::hours(1), &s.poll));
    TANDEM_RETURN_IF_ERROR(DurationIn(*t, "request_timeout", std::chrono::milliseconds(1),
                                      std::chrono::seconds(60), &s.request_timeout));
    TANDEM_RETURN_IF_ERROR(r_.Path(*t, "audit_log", false, &s.audit_log));
    TANDEM_RETURN_IF_ERROR(r_.Path(*t, "state_file", false, &s.state_file));
    TANDEM_RETURN_IF_ERROR(r_.StringArray(*t, "etcd", &s.etcd));
    for (const auto& e : s.etcd) {
      if (!IsEndpoint(e)) {
        return r_.Error(
            *t->get("etcd"),
            "etcd endpoints must be http://HOST:PORT or https://HOST:PORT; got '" + e + "'");
      }
    }
    TANDEM_RETURN_IF_ERROR(r_.String(*t, "etcd_prefix", false, &s.etcd_prefix));
    if (!s.etcd_prefix.ends_with("/")) {
      s.etcd_prefix += "/";
    }
    TANDEM_RETURN_IF_ERROR(DurationIn(*t, "lease_ttl", std::chrono::seconds(2),
                                      std::chrono::minutes(5), &s.lease_ttl));
    if (s.lease_ttl.count() % 1000 != 0) {
      return r_.Error(*t->get("lease_ttl"), "'lease_ttl' must be whole seconds (etcd leases are)");
    }
    return Status::OK();
  }

  Status Alarms() {
    std::vector<const toml::table*> tables;
    TANDEM_RETURN_IF_ERROR(r_.Tables(root_, "alarm", &tables));
    std::set<std::string> names;
    for (const toml::table* t : tables) {
      TANDEM_RETURN_IF_ERROR(
          r_.NoUnknownKeys(*t,
                           {"name", "health_check", "metric", "node", "threshold", "period",
                            "evaluation_periods", "datapoints_to_alarm", "treat_missing_data"},
                           "[[alarm]]"));
      AlarmConfig a;
      a.line = static_cast<int>(t->source().begin.line);
      TANDEM_RETURN_IF_ERROR(r_.String(*t, "name", true, &a.name));
      if (!names.insert(a.name).second) {
        return r_.Error(*t->get("name"), "alarm '" + a.name + "' appears twice");
      }
      TANDEM_RETURN_IF_ERROR(AlarmSource(*t, &a));
      TANDEM_RETURN_IF_ERROR(DurationIn(*t, "period", std::chrono::milliseconds(100),
                                        std::chrono::hours(24), &a.period));
      if (a.period < c_.control.poll) {
        const toml::node& at = t->get("period") ? *t->get("period") : *t;
        return r_.Error(at, "alarm '" + a.name + "': period must be at least [control] poll (" +
                                std::to_string(c_.control.poll.count()) + "ms)");
      }
      int64_t n = a.evaluation_periods;
      TANDEM_RETURN_IF_ERROR(r_.Integer(*t, "evaluation_periods", 1, 100, false, &n));
      a.evaluation_periods = static_cast<int>(n);
      int64_t m = n;
      TANDEM_RETURN_IF_ERROR(r_.Integer(*t, "datapoints_to_alarm", 1, 100, false, &m));
      if (m > n) {
        return r_.Error(*t->get("datapoints_to_alarm"),
                        "datapoints_to_alarm (" + std::to_string(m) +
                            ") must not exceed evaluation_periods (" + std::to_string(n) + ")");
      }
      a.datapoints_to_alarm = static_cast<int>(m);
      std::string missing = "missing";
      TANDEM_RETURN_IF_ERROR(r_.String(*t, "treat_missing_data", false, &missing));
      auto parsed = ParseMissingData(missing);
      if (!parsed.ok()) {
        return r_.Error(*t->get("treat_missing_data"), parsed.status().message());
      }
      a.missing = *parsed;
      c_.alarms.push_back(std::move(a));
    }
    return Status::OK();
  }

  Status AlarmSource(const toml::table& t, AlarmConfig* a) {
    const bool check = t.get("health_check") != nullptr;
    const bool metric = t.get("metric") != nullptr;
    if (check == metric) {
      return r_.Error(t, "alarm '" + a->name + "' needs either health_check or metric");
    }
    if (check) {
      for (const char* key : {"node", "threshold"}) {
        if (t.get(key) != nullptr) {
          return r_.Error(*t.get(key),
                          std::string("'") + key + "' goes with metric, not " + "health_check");
        }
      }
      TANDEM_RETURN_IF_ERROR(r_.String(t, "health_check", true, &a->health_check));
      if (c_.deployment.FindCheck(a->health_check) == nullptr) {
        return r_.Error(*t.get("health_check"), "unknown health_check '" + a->health_check + "'");
      }
      return Status::OK();
    }
    std::string name;
    TANDEM_RETURN_IF_ERROR(r_.String(t, "metric", true, &name));
    if (name != "replication_pending") {
      return r_.Error(*t.get("metric"),
                      "metric must be \"replication_pending\"; got '" + name + "'");
    }
    a->source = AlarmConfig::Source::kReplicationPending;
    if (t.get("node") == nullptr) {
      return r_.Error(t, "alarm '" + a->name + "' needs 'node' for its metric");
    }
    TANDEM_RETURN_IF_ERROR(NodeUrl(t, "node", &a->node_url));
    if (t.get("threshold") == nullptr) {
      return r_.Error(t, "alarm '" + a->name + "' needs 'threshold'");
    }
    return r_.Double(t, "threshold", 0, 1e15, &a->threshold);
  }

  Status Failovers() {
    std::vector<const toml::table*> tables;
    TANDEM_RETURN_IF_ERROR(r_.Tables(root_, "failover", &tables));
    std::set<std::string> sets;
    for (const auto& rec : c_.deployment.records) {
      for (const auto& a : rec.answers) {
        sets.insert(a.set);
      }
    }
    std::set<std::string> primaries;
    for (const toml::table* t : tables) {
      TANDEM_RETURN_IF_ERROR(r_.NoUnknownKeys(
          *t,
          {"primary", "secondary", "primary_alarm", "secondary_alarm", "primary_node", "hold_down"},
          "[[failover]]"));
      FailoverConfig f;
      f.line = static_cast<int>(t->source().begin.line);
      for (auto [key, out] : {std::pair{"primary", &f.primary}, {"secondary", &f.secondary}}) {
        TANDEM_RETURN_IF_ERROR(r_.String(*t, key, true, out));
        if (!sets.count(*out)) {
          return r_.Error(*t->get(key), std::string(key) + " '" + *out +
                                            "' is not an answer set of any [[record]]");
        }
      }
      if (f.primary == f.secondary) {
        return r_.Error(*t->get("secondary"), "primary and secondary must differ");
      }
      if (!primaries.insert(f.primary).second) {
        return r_.Error(*t->get("primary"),
                        "a [[failover]] for primary '" + f.primary + "' appears twice");
      }
      for (auto [key, out] : {std::pair{"primary_alarm", &f.primary_alarm},
                              {"secondary_alarm", &f.secondary_alarm}}) {
        TANDEM_RETURN_IF_ERROR(r_.String(*t, key, true, out));
        const AlarmConfig* alarm = c_.FindAlarm(*out);
        if (alarm == nullptr) {
          return r_.Error(*t->get(key), "unknown alarm '" + *out + "'");
        }
        if (alarm->source != AlarmConfig::Source::kHealthCheck) {
          return r_.Error(*t->get(key),
                          "alarm '" + *out + "' must be on a health_check to drive a failover");
        }
      }
      if (t->get("primary_node") != nullptr) {
        TANDEM_RETURN_IF_ERROR(NodeUrl(*t, "primary_node", &f.primary_node_url));
      } else if (const NodeConfig* n = nodes_.FindNode(f.primary); n != nullptr) {
        f.primary_node_url = n->url;
      } else {
        return r_.Error(*t, "failover of '" + f.primary +
                                "' needs primary_node (no [[node]] has region '" + f.primary +
                                "')");
      }
      TANDEM_RETURN_IF_ERROR(DurationIn(*t, "hold_down", std::chrono::milliseconds(0),
                                        std::chrono::hours(24), &f.hold_down));
      c_.failovers.push_back(std::move(f));
    }
    return Status::OK();
  }

  Status Hooks() {
    std::vector<const toml::table*> tables;
    TANDEM_RETURN_IF_ERROR(r_.Tables(root_, "hook", &tables));
    std::set<std::string> names;
    for (const toml::table* t : tables) {
      TANDEM_RETURN_IF_ERROR(
          r_.NoUnknownKeys(*t,
                           {"name", "on", "command", "url", "secret_file", "timeout", "retries",
                            "backoff", "max_output", "kill_grace"},
                           "[[hook]]"));
      HookConfig h;
      h.line = static_cast<int>(t->source().begin.line);
      TANDEM_RETURN_IF_ERROR(r_.String(*t, "name", true, &h.name));
      if (!names.insert(h.name).second) {
        return r_.Error(*t->get("name"), "hook '" + h.name + "' appears twice");
      }
      TANDEM_RETURN_IF_ERROR(r_.StringArray(*t, "on", &h.on));
      for (const auto& e : h.on) {
        const bool known = std::any_of(std::begin(kControlEventTypes), std::end(kControlEventTypes),
                                       [&](const char* k) { return e == k; });
        if (!known) {
          std::string all;
          for (const char* k : kControlEventTypes) {
            all += (all.empty() ? "" : ", ") + std::string(k);
          }
          return r_.Error(*t->get("on"), "unknown event type '" + e + "' (known: " + all + ")");
        }
      }
      const bool command = t->get("command") != nullptr;
      const bool url = t->get("url") != nullptr;
      if (command == url) {
        return r_.Error(*t, "hook '" + h.name + "' needs either command or url");
      }
      h.dir = std::filesystem::path(r_.path()).parent_path().string();
      if (command) {
        TANDEM_RETURN_IF_ERROR(Command(*t, &h));
      } else {
        TANDEM_RETURN_IF_ERROR(r_.String(*t, "url", true, &h.url));
        if (!IsUrl(h.url)) {
          return r_.Error(*t->get("url"), "url must start with http:// or https://");
        }
        TANDEM_RETURN_IF_ERROR(r_.Path(*t, "secret_file", false, &h.secret_file));
        if (h.secret_file.empty()) {
          return r_.Error(*t, "webhook '" + h.name + "' needs secret_file (its HMAC key)");
        }
        for (const char* key : {"max_output", "kill_grace"}) {
          if (t->get(key) != nullptr) {
            return r_.Error(*t->get(key), std::string("'") + key + "' applies to a command only");
          }
        }
      }
      if (t->get("secret_file") != nullptr && command) {
        return r_.Error(*t->get("secret_file"), "'secret_file' applies to a url only");
      }
      TANDEM_RETURN_IF_ERROR(DurationIn(*t, "timeout", std::chrono::milliseconds(1),
                                        std::chrono::hours(1), &h.timeout));
      int64_t retries = h.retries;
      TANDEM_RETURN_IF_ERROR(r_.Integer(*t, "retries", 0, 10, false, &retries));
      h.retries = static_cast<int>(retries);
      TANDEM_RETURN_IF_ERROR(DurationIn(*t, "backoff", std::chrono::milliseconds(0),
                                        std::chrono::minutes(10), &h.backoff));
      int64_t max_output = static_cast<int64_t>(h.max_output);
      TANDEM_RETURN_IF_ERROR(r_.Integer(*t, "max_output", 0, 16 << 20, false, &max_output));
      h.max_output = static_cast<size_t>(max_output);
      TANDEM_RETURN_IF_ERROR(DurationIn(*t, "kill_grace", std::chrono::milliseconds(0),
                                        std::chrono::minutes(1), &h.kill_grace));
      c_.hooks.push_back(std::move(h));
    }
    return Status::OK();
  }

  Status Command(const toml::table& t, HookConfig* h) {
    TANDEM_RETURN_IF_ERROR(r_.StringArray(t, "command", &h->command));
    if (h->command.empty()) {
      return r_.Error(*t.get("command"), "command must name a program: [\"prog\", \"arg\", ...]");
    }
    // Like a shell: a bare name is looked up in PATH, a path is taken
    // relative to the file.
    std::string& program = h->command[0];
    if (program.find('/') != std::string::npos && !std::filesystem::path(program).is_absolute()) {
      program =
          (std::filesystem::path(r_.path()).parent_path() / program).lexically_normal().string();
    }
    return Status::OK();
  }

  const toml::table& root_;
  TomlReader r_;
  Deployment nodes_;
  ControlConfig c_;
};

}  // namespace

const char* MissingDataName(MissingData m) {
  switch (m) {
    case MissingData::kMissing:
      return "missing";
    case MissingData::kBreaching:
      return "breaching";
    case MissingData::kNotBreaching:
      return "notBreaching";
    case MissingData::kIgnore:
      return "ignore";
  }
  return "?";
}

bool HookConfig::Wants(std::string_view event_type) const {
  return on.empty() || std::find(on.begin(), on.end(), event_type) != on.end();
}

const AlarmConfig* ControlConfig::FindAlarm(std::string_view name) const {
  for (const auto& a : alarms) {
    if (a.name == name) {
      return &a;
    }
  }
  return nullptr;
}

StatusOr<ControlConfig> ParseControlConfig(std::string_view text, const std::string& path) {
  TANDEM_ASSIGN_OR_RETURN(DnsConfig dns, ParseDnsConfig(text, path));
  TANDEM_ASSIGN_OR_RETURN(Deployment nodes, ParseDeployment(text, path));
  TANDEM_ASSIGN_OR_RETURN(toml::table root, ParseToml(text, path));
  return Parser(root, path, std::move(dns), std::move(nodes)).Parse();
}

StatusOr<ControlConfig> LoadControlConfig(const std::string& path) {
  TANDEM_ASSIGN_OR_RETURN(std::string text, ReadConfigFile(path));
  const std::string absolute = std::filesystem::absolute(path).lexically_normal().string();
  return ParseControlConfig(text, absolute);
}

}  // namespace tandem::config
