#include "failover/controls.h"

#include <fcntl.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <tuple>

namespace tandem::failover {

StatusOr<Control> ParseControl(std::string_view text) {
  if (text == "out") return Control::kOut;
  if (text == "in") return Control::kIn;
  if (text == "auto") return Control::kAuto;
  return Status::InvalidArgument("a routing control is out, in or auto; got '" + std::string(text) +
                                 "'");
}

bool Supersedes(const ControlEntry& a, const ControlEntry& b) {
  if (a.at_micros != b.at_micros) {
    return a.at_micros > b.at_micros;
  }
  return std::tie(a.by, a.control) > std::tie(b.by, b.control);
}

std::string ControlsToJson(const ControlEntries& entries) {
  boost::json::object o;
  for (const auto& [set, e] : entries) {
    o[set] =
        boost::json::object{{"control", ControlName(e.control)}, {"at", e.at_micros}, {"by", e.by}};
  }
  return boost::json::serialize(o);
}

StatusOr<ControlEntries> ControlsFromJson(std::string_view json) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(json, ec);
  if (ec || !v.is_object())
    return Status::InvalidArgument("routing controls must be a JSON object");
  ControlEntries out;
  for (const auto& [set, value] : v.as_object()) {
    const auto* o = value.if_object();
    const auto* control = o ? o->if_contains("control") : nullptr;
    const auto* at = o ? o->if_contains("at") : nullptr;
    const auto* by = o ? o->if_contains("by") : nullptr;
    if (control == nullptr || !control->is_string() || at == nullptr || !at->is_int64() ||
        (by != nullptr && !by->is_string())) {
      return Status::InvalidArgument("malformed routing control for '" + std::string(set) + "'");
    }
    TANDEM_ASSIGN_OR_RETURN(Control c, ParseControl(control->as_string()));
    out[std::string(set)] =
        ControlEntry{c, at->as_int64(), by ? std::string(by->as_string()) : std::string()};
  }
  return out;
}

StatusOr<std::unique_ptr<ControlStore>> ControlStore::Open(std::string path) {
  std::unique_ptr<ControlStore> store(new ControlStore(std::move(path)));
  std::ifstream in(store->path_);
  if (in) {
    std::stringstream buffer;
    buffer << in.rdbuf();
    auto entries = ControlsFromJson(buffer.str());
    if (!entries.ok()) {
      return Status::InvalidArgument(store->path_ + ": " + entries.status().message());
    }
    store->entries_ = std::move(*entries);
  }
  return store;
}

Status ControlStore::Save(const ControlEntries& entries) const {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path_).parent_path(), ec);
  const std::string tmp = path_ + ".tmp";
  const std::string text = ControlsToJson(entries);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Status::IOError("cannot write " + tmp + ": " + std::strerror(errno));
  }
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  const bool synced = written && ::fsync(fd) == 0;
  ::close(fd);
  if (!synced || std::rename(tmp.c_str(), path_.c_str()) != 0) {
    return Status::IOError("cannot write " + path_ + ": " + std::strerror(errno));
  }
  return Status::OK();
}

StatusOr<ControlStore::Outcome> ControlStore::DecideLocked(const std::string& set,
                                                           const ControlEntry& entry,
                                                           const SafetyCheck& safety) const {
  if (auto it = entries_.find(set); it != entries_.end()) {
    const ControlEntry& stored = it->second;
    if (!Supersedes(entry, stored)) {
      const bool same = stored.at_micros == entry.at_micros && stored.by == entry.by &&
                        stored.control == entry.control;
      return same ? Outcome::kUnchanged : Outcome::kSuperseded;
    }
  }
  if (safety) {
    Controls proposed = CurrentControls(entries_);
    proposed.erase(set);
    if (entry.control != Control::kAuto) {
      proposed[set] = entry.control;
    }
    TANDEM_RETURN_IF_ERROR(safety(proposed));
  }
  return Outcome::kApplied;
}

StatusOr<ControlStore::Outcome> ControlStore::Set(const std::string& set, const ControlEntry& entry,
                                                  const SafetyCheck& safety) {
  std::lock_guard<std::mutex> lock(mu_);
  TANDEM_ASSIGN_OR_RETURN(Outcome outcome, DecideLocked(set, entry, safety));
  if (outcome != Outcome::kApplied) {
    return outcome;
  }
  ControlEntries next = entries_;
  next[set] = entry;
  TANDEM_RETURN_IF_ERROR(Save(next));  // on disk first: memory never runs ahead
  entries_ = std::move(next);
  return outcome;
}

StatusOr<ControlStore::Outcome> ControlStore::Check(const std::string& set,
                                                    const ControlEntry& entry,
                                                    const SafetyCheck& safety) const {
  std::lock_guard<std::mutex> lock(mu_);
  return DecideLocked(set, entry, safety);
}

StatusOr<bool> ControlStore::Merge(const ControlEntries& other, int64_t latest_micros) {
  std::lock_guard<std::mutex> lock(mu_);
  ControlEntries next = entries_;
  bool changed = false;
  for (const auto& [set, e] : other) {
    if (e.at_micros > latest_micros) {
      continue;  // from a clock too far ahead: not now
    }
    auto it = next.find(set);
    if (it == next.end() || Supersedes(e, it->second)) {
      next[set] = e;
      changed = true;
    }
  }
  if (!changed) {
    return false;
  }
  TANDEM_RETURN_IF_ERROR(Save(next));
  entries_ = std::move(next);
  return true;
}

ControlEntries ControlStore::Entries() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_;
}

Controls ControlStore::Current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return CurrentControls(entries_);
}

Controls CurrentControls(const ControlEntries& entries) {
  Controls out;
  for (const auto& [set, e] : entries) {
    if (e.control != Control::kAuto) {
      out[set] = e.control;
    }
  }
  return out;
}

}  // namespace tandem::failover
