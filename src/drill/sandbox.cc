#include "drill/sandbox.h"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

extern char** environ;

namespace tandem::drill {
namespace {

constexpr const char* kTable = "tandem_drill";

int ThreadCount() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Threads:", 0) == 0) return std::atoi(line.c_str() + 8);
  }
  return 1;
}

Status LoopbackUp() {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::Unavailable(std::string("socket: ") + std::strerror(errno));
  ifreq req{};
  std::strncpy(req.ifr_name, "lo", IFNAMSIZ - 1);
  Status st;
  if (::ioctl(fd, SIOCGIFFLAGS, &req) != 0) {
    st = Status::Unavailable(std::string("cannot read the flags of lo: ") + std::strerror(errno));
  } else {
    req.ifr_flags |= IFF_UP;
    if (::ioctl(fd, SIOCSIFFLAGS, &req) != 0) {
      st = Status::Unavailable(std::string("cannot bring lo up: ") + std::strerror(errno));
    }
  }
  ::close(fd);
  return st;
}

}  // namespace

Status EnterNetworkNamespace() {
  if (const int n = ThreadCount(); n != 1) {
    return Status::FailedPrecondition("cannot enter a network namespace with " + std::to_string(n) +
                                      " threads running");
  }
  if (::unshare(CLONE_NEWNET) != 0) {
    return Status::Unavailable(std::string("unshare(CLONE_NEWNET): ") + std::strerror(errno));
  }
  return LoopbackUp();
}

StatusOr<std::string> RunProgram(const std::vector<std::string>& argv, const std::string& input) {
  int in_pipe[2], out_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0) return Status::IOError(std::strerror(errno));
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
    ::close(in_pipe[0]);
    ::close(in_pipe[1]);
    return Status::IOError(std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  if (rc != 0) {
    ::close(in_pipe[1]);
    ::close(out_pipe[0]);
    return Status::IOError("cannot run " + argv[0] + ": " + std::strerror(rc));
  }
  // The scripts are small (well under a pipe's 64 KiB), so writing all of
  // stdin before reading cannot deadlock.
  size_t off = 0;
  while (off < input.size()) {
    const ssize_t n = ::write(in_pipe[1], input.data() + off, input.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  ::close(in_pipe[1]);
  std::string output;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(out_pipe[0], buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    output.append(buf, static_cast<size_t>(n));
  }
  ::close(out_pipe[0]);
  int wstatus = 0;
  while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
    while (!output.empty() && (output.back() == '\n' || output.back() == ' ')) output.pop_back();
    return Status::Internal(argv[0] + " failed" + (output.empty() ? "" : ": " + output));
  }
  return output;
}

Firewall::~Firewall() {
  if (created_)
    (void)RunProgram({nft_, "-f", "-"}, std::string("delete table inet ") + kTable + "\n");
}

std::string Firewall::Script(const std::map<std::string, std::string>& rules) {
  // Declaring the table first makes the flush valid on the first run too.
  std::string s = std::string("table inet ") + kTable + " {}\n";
  s += std::string("flush table inet ") + kTable + "\n";
  s += std::string("table inet ") + kTable + " {\n";
  s += "  chain output {\n";
  s += "    type filter hook output priority 0; policy accept;\n";
  for (const auto& [name, rule] : rules) {
    s += "    " + rule + " comment \"" + name + "\"\n";
  }
  s += "  }\n}\n";
  return s;
}

Status Firewall::Apply(const std::map<std::string, std::string>& rules) {
  auto out = RunProgram({nft_, "-f", "-"}, Script(rules));
  if (!out.ok()) return Status::Unavailable(out.status().message());
  created_ = true;
  return Status::OK();
}

Status Firewall::Probe() { return Apply(rules_); }

Status Firewall::Add(const std::string& name, const std::string& rule) {
  auto next = rules_;
  next[name] = rule;
  TANDEM_RETURN_IF_ERROR(Apply(next));
  rules_ = std::move(next);
  return Status::OK();
}

Status Firewall::Remove(const std::string& name) {
  if (!rules_.count(name)) return Status::OK();
  auto next = rules_;
  next.erase(name);
  TANDEM_RETURN_IF_ERROR(Apply(next));
  rules_ = std::move(next);
  return Status::OK();
}

Status Firewall::Clear() {
  if (rules_.empty()) return Status::OK();
  TANDEM_RETURN_IF_ERROR(Apply({}));
  rules_.clear();
  return Status::OK();
}

}  // namespace tandem::drill
