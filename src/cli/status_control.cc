#include "cli/status_control.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <map>

#include "config/toml_reader.h"

namespace tandem::cli {
namespace {

constexpr size_t kLabelWidth = 38;      // "region_unhealthy:eu-west-1-unhealthy:1"
constexpr size_t kDecisionWidth = 110;  // longer decisions are cut, with "..."

std::string Str(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

const boost::json::object* Obj(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr ? v->if_object() : nullptr;
}

// What the line is about, for the lines without an event id.
std::string Subject(const std::string& event, const boost::json::object& line,
                    const boost::json::object& inputs) {
  if (std::string id = Str(line, "event_id"); !id.empty()) return id;
  if (event == "alarm") return Str(inputs, "name");
  if (event == "routing") return Str(inputs, "set");
  if (event == "failback_gate") return Str(inputs, "primary");
  if (event == "leadership") return Str(line, "controller");
  return "";
}

// A pair's phase stated by `line`, or "" when it says nothing of `primary`.
std::string PhaseOf(const std::string& event, const boost::json::object& inputs,
                    const std::string& primary) {
  if (event == "failover" || event == "failback" || event == "failover_aborted") {
    return Str(inputs, "primary") == primary ? Str(inputs, "phase") : "";
  }
  if (event == "leadership") {
    const boost::json::object* state = Obj(inputs, "state");
    if (state == nullptr) return "";  // a change of lead without a loaded state
    const boost::json::object* pairs = Obj(*state, "pairs");
    const boost::json::object* pair = pairs != nullptr ? Obj(*pairs, primary) : nullptr;
    const std::string phase = pair != nullptr ? Str(*pair, "phase") : "";
    return phase.empty() ? "normal" : phase;  // a pair never decided is normal
  }
  return "";
}

std::string Cut(std::string s, size_t width) {
  for (char& c : s) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  if (s.size() > width) s = s.substr(0, width - 3) + "...";
  return s;
}

std::string Pad(std::string s, size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

// "failover:us-east-1:1" (an event id names its type), "alarm us-east-1-unhealthy".
std::string Label(const AuditLine& line) {
  if (line.subject.starts_with(line.event + ":")) return line.subject;
  return line.subject.empty() ? line.event : line.event + " " + line.subject;
}

std::string Since(const AuditLine& line) {
  return "since " + FormatAuditTime(line) + " (" + Label(line) + ")";
}

}  // namespace

std::string FormatAuditTime(const AuditLine& line) {
  if (line.time_us <= 0) return line.time.empty() ? "(no time)" : line.time;
  const std::time_t seconds = static_cast<std::time_t>(line.time_us / 1'000'000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &utc);
  char out[48];
  std::snprintf(out, sizeof(out), "%s.%03d UTC", buf,
                static_cast<int>(line.time_us % 1'000'000 / 1000));
  return out;
}

ControllerView SummarizeAudit(std::string_view text, bool truncated,
                              const config::ControlConfig& config, size_t latest) {
  ControllerView v;
  v.audit_log = config.control.audit_log;
  v.found = true;
  v.truncated = truncated;
  for (const auto& f : config.failovers) v.pairs.push_back({f.primary, f.secondary});
  for (const auto& a : config.alarms) v.alarms.push_back({a.name});
  std::map<std::string, AuditLine> alarm_state_line;  // by alarm, the newest transition
  std::map<std::string, std::string> alarm_state;

  size_t start = 0;
  if (truncated) {
    // The text starts inside the file: its first line may be cut.
    const size_t nl = text.find('\n');
    start = nl == std::string_view::npos ? text.size() : nl + 1;
  }
  std::vector<AuditLine> all;
  while (start < text.size()) {
    const size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) {
      v.partial_last = true;  // still being written: not a line yet
      break;
    }
    const std::string_view raw = text.substr(start, nl - start);
    start = nl + 1;
    if (raw.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    ++v.lines;
    boost::system::error_code ec;
    boost::json::value parsed = boost::json::parse(raw, ec);
    const boost::json::object* o = ec ? nullptr : parsed.if_object();
    if (o == nullptr) {
      ++v.skipped;
      continue;
    }
    static const boost::json::object kNone;
    const boost::json::object* inputs = Obj(*o, "inputs");
    if (inputs == nullptr) inputs = &kNone;
    AuditLine line;
    if (const auto* t = o->if_contains("time_us"); t != nullptr && t->is_int64()) {
      line.time_us = t->as_int64();
    }
    line.time = Str(*o, "time");
    line.event = Str(*o, "event");
    line.subject = Subject(line.event, *o, *inputs);
    line.decision = Str(*o, "decision");
    for (PairView& p : v.pairs) {
      if (const std::string phase = PhaseOf(line.event, *inputs, p.primary); !phase.empty()) {
        p.phase = phase;
        p.said_by = line;
        p.gate.clear();  // a gate line counts only after the phase it belongs to
      } else if (line.event == "failback_gate" && Str(*inputs, "primary") == p.primary) {
        p.gate = line.decision;
        p.gate_line = line;
      }
    }
    if (line.event == "alarm") {
      alarm_state[line.subject] = Str(*inputs, "state");
      alarm_state_line[line.subject] = line;
    }
    all.push_back(std::move(line));
  }
  for (AlarmView& a : v.alarms) {
    if (auto it = alarm_state.find(a.name); it != alarm_state.end()) {
      a.state = it->second;
      a.since = alarm_state_line[a.name];
    }
  }
  for (PairView& p : v.pairs) {
    if (p.phase != "failed_over") p.gate.clear();
  }
  const size_t from = all.size() > latest ? all.size() - latest : 0;
  v.latest.assign(std::make_move_iterator(all.begin() + static_cast<std::ptrdiff_t>(from)),
                  std::make_move_iterator(all.end()));
  return v;
}

ControllerView ReadControllerView(const config::ControlConfig& config, size_t latest,
                                  size_t max_bytes) {
  ControllerView none;
  none.audit_log = config.control.audit_log;
  for (const auto& f : config.failovers) none.pairs.push_back({f.primary, f.secondary});
  for (const auto& a : config.alarms) none.alarms.push_back({a.name});
  const int fd = ::open(config.control.audit_log.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    none.found = errno != ENOENT;
    if (none.found) none.error = std::strerror(errno);
    return none;
  }
  struct stat st;
  std::string text;
  off_t from = 0;
  if (::fstat(fd, &st) == 0) {
    from =
        st.st_size > static_cast<off_t>(max_bytes) ? st.st_size - static_cast<off_t>(max_bytes) : 0;
    text.resize(static_cast<size_t>(st.st_size - from));
  }
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n =
        ::pread(fd, text.data() + done, text.size() - done, from + static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      none.found = true;
      none.error = std::strerror(errno);
      ::close(fd);
      return none;
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  text.resize(done);
  return SummarizeAudit(text, from > 0, config, latest);
}

bool HasController(const config::ControlConfig& config) {
  if (!config.alarms.empty() || !config.failovers.empty() || !config.hooks.empty()) return true;
  std::error_code ec;
  return std::filesystem::exists(config.control.audit_log, ec);
}

bool MentionsController(std::string_view text) {
  auto root = config::ParseToml(text, "");
  if (!root.ok()) return false;
  for (const char* key : {"control", "alarm", "failover", "hook"}) {
    if (root->contains(key)) return true;
  }
  return false;
}

std::string FormatControllerView(const ControllerView& v, const std::string& config_path) {
  std::string out = "Controller (audit log " + v.audit_log + ")\n";
  if (!v.found) {
    out +=
        "  no audit log yet: tandem control has not run with this file (tandem control "
        "--config " +
        config_path + ")\n";
    return out;
  }
  if (!v.error.empty()) {
    out += "  cannot read the audit log: " + v.error + "\n";
    return out;
  }
  for (const PairView& p : v.pairs) {
    std::string state;
    if (!p.phase.empty()) {
      state = Pad(p.phase, 12) + " " + Since(p.said_by);
    } else if (v.truncated) {
      state = "unknown (nothing about it in the audit log's tail)";
    } else {
      state = "normal (nothing decided yet)";
    }
    out += "  " + Pad("failover " + p.primary + " -> " + p.secondary, 36) + " " + state + "\n";
    if (!p.gate.empty()) {
      out += "  " + Pad("", 36) + " failback gate: " + p.gate + " at " +
             FormatAuditTime(p.gate_line) + "\n";
    }
  }
  for (const AlarmView& a : v.alarms) {
    const std::string state = a.state.empty()
                                  ? "INSUFFICIENT_DATA (no transition logged)"
                                  : Pad(a.state, 12) + " since " + FormatAuditTime(a.since);
    out += "  " + Pad("alarm " + a.name, 36) + " " + state + "\n";
  }
  if (v.latest.empty()) {
    out += "  the audit log holds no decision yet\n";
  } else {
    out += "  latest in the audit log" +
           std::string(v.latest.size() > 1 ? " (oldest first):\n" : ":\n");
    for (const AuditLine& l : v.latest) {
      out += "    " + FormatAuditTime(l) + "  " + Pad(Label(l), kLabelWidth) + " " +
             Cut(l.decision, kDecisionWidth) + "\n";
    }
  }
  if (v.skipped > 0) {
    out += "  (" + std::to_string(v.skipped) +
           (v.skipped == 1 ? " line of the audit log is not a JSON object"
                           : " lines of the audit log are not JSON objects") +
           ": skipped)\n";
  }
  return out;
}

}  // namespace tandem::cli
