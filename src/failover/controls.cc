#include "failover/controls.h"

#include <fcntl.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace tandem::failover {

StatusOr<Control> ParseControl(std::string_view text) {
  if (text == "out") return Control::kOut;
  if (text == "in") return Control::kIn;
  if (text == "auto") return Control::kAuto;
  return Status::InvalidArgument("a routing control is out, in or auto; got '" + std::string(text) +
                                 "'");
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

Status ControlStore::Save() const {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path_).parent_path(), ec);
  const std::string tmp = path_ + ".tmp";
  const std::string text = ControlsToJson(entries_);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IOError("cannot write " + tmp);
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  const bool synced = written && ::fsync(fd) == 0;
  ::close(fd);
  if (!synced || std::rename(tmp.c_str(), path_.c_str()) != 0) {
    return Status::IOError("cannot write " + path_);
  }
  return Status::OK();
}

Status ControlStore::Set(const std::string& set, ControlEntry entry) {
  std::lock_guard<std::mutex> lock(mu_);
  entries_[set] = std::move(entry);
  return Save();
}

StatusOr<bool> ControlStore::Merge(const ControlEntries& other) {
  std::lock_guard<std::mutex> lock(mu_);
  bool changed = false;
  for (const auto& [set, e] : other) {
    auto it = entries_.find(set);
    // Newest wins; equal times break by content so every instance agrees.
    if (it == entries_.end() || e.at_micros > it->second.at_micros ||
        (e.at_micros == it->second.at_micros &&
         std::tie(e.by, e.control) > std::tie(it->second.by, it->second.control))) {
      entries_[set] = e;
      changed = true;
    }
  }
  if (changed) TANDEM_RETURN_IF_ERROR(Save());
  return changed;
}

ControlEntries ControlStore::Entries() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_;
}

Controls ControlStore::Current() const {
  std::lock_guard<std::mutex> lock(mu_);
  Controls out;
  for (const auto& [set, e] : entries_) {
    if (e.control != Control::kAuto) out[set] = e.control;
  }
  return out;
}

}  // namespace tandem::failover
