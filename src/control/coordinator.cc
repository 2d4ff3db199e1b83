#include "control/coordinator.h"

#include <fcntl.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace tandem::control {
namespace {

// Ids are counted per subject, so the newest few are all a restart needs.
constexpr size_t kClaimedKept = 1024;

}  // namespace

LocalCoordinator::LocalCoordinator(std::string name, std::string state_file)
    : name_(std::move(name)), state_file_(std::move(state_file)) {}

Status LocalCoordinator::Start() {
  if (state_file_.empty()) {
    return Status::OK();
  }
  std::ifstream in(state_file_);
  if (!in) {
    return Status::OK();  // first start
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(buffer.str(), ec);
  const auto* o = ec ? nullptr : v.if_object();
  if (o == nullptr) {
    return Status::InvalidArgument("state file " + state_file_ +
                                   " is not JSON: move it aside to start afresh");
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (const auto* s = o->if_contains("state"); s != nullptr && s->is_object()) {
    state_ = boost::json::serialize(*s);
  }
  if (const auto* ids = o->if_contains("claimed"); ids != nullptr && ids->is_array()) {
    for (const auto& id : ids->as_array()) {
      if (id.is_string() && claimed_.insert(std::string(id.as_string())).second) {
        claimed_order_.emplace_back(id.as_string());
      }
    }
  }
  return Status::OK();
}

StatusOr<std::string> LocalCoordinator::LoadState() {
  std::lock_guard<std::mutex> lock(mu_);
  return state_;
}

StatusOr<Coordinator::Claim> LocalCoordinator::ClaimEvent(const std::string& id,
                                                          const std::string& record,
                                                          const std::string& state) {
  std::lock_guard<std::mutex> lock(mu_);
  if (claimed_.count(id)) {
    return Claim::kAlreadyClaimed;
  }
  const std::string old_state = state_;
  state_ = state;
  claimed_.insert(id);
  claimed_order_.push_back(id);
  while (claimed_order_.size() > kClaimedKept) {
    claimed_.erase(claimed_order_.front());
    claimed_order_.pop_front();
  }
  Status saved = Save();
  if (!saved.ok()) {
    // Not recorded, not claimed: the caller will try again.
    state_ = old_state;
    claimed_.erase(id);
    claimed_order_.pop_back();
    return saved;
  }
  return Claim::kClaimed;
}

Status LocalCoordinator::Save() const {
  if (state_file_.empty()) {
    return Status::OK();
  }
  boost::json::object o;
  boost::system::error_code ec;
  boost::json::value state = boost::json::parse(state_, ec);
  o["state"] = ec ? boost::json::value(boost::json::object{}) : state;
  boost::json::array ids;
  for (const auto& id : claimed_order_) {
    ids.emplace_back(id);
  }
  o["claimed"] = std::move(ids);
  const std::string text = boost::json::serialize(o) + "\n";
  const std::string tmp = state_file_ + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) {
    return Status::IOError("cannot write " + tmp + ": " + std::strerror(errno));
  }
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!written || !synced || ::rename(tmp.c_str(), state_file_.c_str()) != 0) {
    return Status::IOError("cannot write " + state_file_ + ": " + std::strerror(errno));
  }
  return Status::OK();
}

}  // namespace tandem::control
