#include "control/command.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

extern char** environ;

namespace tandem::control {
namespace {

using Clock = std::chrono::steady_clock;

// After the program exits, how long output still held open by something it
// left behind is waited for.
constexpr auto kDrainGrace = std::chrono::milliseconds(200);
// The wait between checks when the kernel offers no pidfd.
constexpr auto kPollSlice = std::chrono::milliseconds(20);

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    Reset();
    fd_ = std::exchange(o.fd_, -1);
    return *this;
  }
  ~Fd() { Reset(); }
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void Reset() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

void SetNonBlocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

// Reads what is there; false at end of file or on an error.
bool ReadSome(int fd, size_t limit, std::string* into, bool* truncated) {
  char buf[16384];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n > 0) {
      const size_t room = limit > into->size() ? limit - into->size() : 0;
      into->append(buf, std::min(room, static_cast<size_t>(n)));
      if (static_cast<size_t>(n) > room) {
        *truncated = true;
      }
      continue;
    }
    if (n < 0 && errno == EINTR) {
      continue;
    }
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
}

std::string Truncated(const std::string& s, bool truncated) {
  return truncated ? s + "\n[truncated]" : s;
}

}  // namespace

std::string CommandResult::Summary() const {
  if (!started) {
    return "cannot start: " + error;
  }
  std::string s =
      signal != 0 ? fmt::format("killed by signal {}", signal) : fmt::format("exit {}", exit_code);
  if (timed_out) {
    s += fmt::format(" after timeout ({} ms)", duration.count());
  } else if (cancelled) {
    s += " (cancelled: the controller is stopping)";
  }
  return s;
}

boost::json::object CommandResult::ToJson() const {
  boost::json::object o{{"ok", ok()}, {"result", Summary()}, {"duration_ms", duration.count()}};
  if (started) {
    if (signal != 0) {
      o["signal"] = signal;
    } else {
      o["exit"] = exit_code;
    }
    o["timed_out"] = timed_out;
    o["stdout"] = Truncated(out, out_truncated);
    o["stderr"] = Truncated(err, err_truncated);
  }
  return o;
}

namespace {

// A started program: its pid and the parent's ends of its stdio.
struct Child {
  pid_t pid = -1;
  Fd in, out, err;  // non-blocking
  Fd pidfd;         // readable once it exits; invalid on kernels without pidfd_open
};

// The environment: the controller's, with the spec's variables replacing
// any of the same name.
std::vector<std::string> Environment(const CommandSpec& spec) {
  std::vector<std::string> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view entry(*e);
    bool replaced = false;
    for (const auto& [k, v] : spec.env) {
      replaced =
          replaced || (entry.starts_with(k) && entry.size() > k.size() && entry[k.size()] == '=');
    }
    if (!replaced) {
      out.emplace_back(entry);
    }
  }
  for (const auto& [k, v] : spec.env) {
    out.push_back(k + "=" + v);
  }
  return out;
}

// Starts the program in its own process group; false with `error` set when
// it cannot be started.
bool Spawn(const CommandSpec& spec, Child* child, std::string* error) {
  int in_pair[2], out_pipe[2], err_pipe[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in_pair) != 0) {
    *error = std::string("socketpair: ") + std::strerror(errno);
    return false;
  }
  Fd in_child(in_pair[1]);
  child->in = Fd(in_pair[0]);
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
    *error = std::string("pipe: ") + std::strerror(errno);
    return false;
  }
  Fd out_write(out_pipe[1]);
  child->out = Fd(out_pipe[0]);
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    *error = std::string("pipe: ") + std::strerror(errno);
    return false;
  }
  Fd err_write(err_pipe[1]);
  child->err = Fd(err_pipe[0]);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_child.get(), 0);
  posix_spawn_file_actions_adddup2(&actions, out_write.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, err_write.get(), 2);
  if (!spec.dir.empty()) {
    posix_spawn_file_actions_addchdir_np(&actions, spec.dir.c_str());
  }
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int s : {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGCHLD}) {
    sigaddset(&defaults, s);
  }
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setpgroup(&attr, 0);  // its own group: a timeout ends all of it
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<std::string> env = Environment(spec);
  std::vector<std::string> args = spec.argv;
  std::vector<char*> envp, argv;
  for (auto& e : env) {
    envp.push_back(e.data());
  }
  envp.push_back(nullptr);
  for (auto& a : args) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);
  const int rc = ::posix_spawnp(&child->pid, argv[0], &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    *error = spec.argv[0] + ": " + std::strerror(rc);
    return false;
  }
  SetNonBlocking(child->in.get());
  SetNonBlocking(child->out.get());
  SetNonBlocking(child->err.get());
  child->pidfd = Fd(static_cast<int>(::syscall(SYS_pidfd_open, child->pid, 0)));
  return true;
}

// Writes what stdin can take now; closes it once all is written or the
// program closed its end.
void FeedInput(const std::string& input, size_t* written, Fd* in) {
  while (*written < input.size()) {
    const ssize_t n = ::send(in->get(), input.data() + *written, input.size() - *written,
                             MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      *written += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
        *written = input.size();  // it closed its stdin: nothing more to say
      }
      break;
    }
  }
  if (*written >= input.size()) {
    ::shutdown(in->get(), SHUT_WR);
    in->Reset();
  }
}

// Feeds stdin, collects output, and ends the program's group at the timeout
// or on cancel, until the program exited and its output is closed (or the
// drain grace passed). Leaves the program a zombie: the caller reaps it.
void Supervise(const CommandSpec& spec, const std::atomic<bool>* cancel, Clock::time_point deadline,
               Child* child, CommandResult* result) {
  std::optional<Clock::time_point> kill_at;    // SIGKILL due (after SIGTERM)
  std::optional<Clock::time_point> drain_end;  // the program exited; output grace
  size_t written = 0;
  bool stopping = false;
  if (spec.input.empty()) {
    ::shutdown(child->in.get(), SHUT_WR);
    child->in.Reset();
  }
  for (;;) {
    const auto now = Clock::now();
    if (!drain_end) {
      // waitid with WNOWAIT leaves the zombie in place: its pid (and group)
      // cannot be reused before the caller's final SIGKILL.
      siginfo_t info{};
      if (::waitid(P_PID, static_cast<id_t>(child->pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
          info.si_pid == child->pid) {
        drain_end = now + kDrainGrace;
      }
    }
    const bool exited = drain_end.has_value();
    const bool cancelled = cancel != nullptr && cancel->load();
    if (!exited && !stopping && (now >= deadline || cancelled)) {
      stopping = true;
      result->timed_out = !cancelled;
      result->cancelled = cancelled;
      ::kill(-child->pid, SIGTERM);
      kill_at = now + spec.kill_grace;
    }
    if (!exited && kill_at && now >= *kill_at) {
      ::kill(-child->pid, SIGKILL);
      kill_at.reset();
    }
    if (exited && ((!child->out.valid() && !child->err.valid()) || now >= *drain_end)) {
      return;
    }
    std::vector<pollfd> fds;
    for (const Fd* fd : {&child->out, &child->err}) {
      if (fd->valid()) {
        fds.push_back({fd->get(), POLLIN, 0});
      }
    }
    if (child->in.valid()) {
      fds.push_back({child->in.get(), POLLOUT, 0});
    }
    if (child->pidfd.valid() && !exited) {
      fds.push_back({child->pidfd.get(), POLLIN, 0});
    }
    auto wake = exited ? *drain_end : (stopping ? kill_at.value_or(now + kPollSlice) : deadline);
    if (!child->pidfd.valid() || (cancel != nullptr && !stopping)) {
      wake = std::min(wake, now + kPollSlice);
    }
    const auto wait_ms = std::chrono::duration_cast<std::chrono::milliseconds>(wake - now);
    ::poll(fds.data(), fds.size(), static_cast<int>(std::max<int64_t>(1, wait_ms.count() + 1)));
    for (const pollfd& p : fds) {
      if (p.revents == 0) {
        continue;
      }
      if (p.fd == child->in.get()) {
        FeedInput(spec.input, &written, &child->in);
      } else if (p.fd == child->out.get()) {
        if (!ReadSome(p.fd, spec.max_output, &result->out, &result->out_truncated)) {
          child->out.Reset();
        }
      } else if (p.fd == child->err.get()) {
        if (!ReadSome(p.fd, spec.max_output, &result->err, &result->err_truncated)) {
          child->err.Reset();
        }
      }
    }
  }
}

}  // namespace

CommandResult RunCommand(const CommandSpec& spec, const std::atomic<bool>* cancel) {
  CommandResult result;
  const auto started_at = Clock::now();
  if (spec.argv.empty()) {
    result.error = "empty command";
    return result;
  }
  Child child;
  if (!Spawn(spec, &child, &result.error)) {
    return result;
  }
  result.started = true;
  Supervise(spec, cancel, started_at + spec.timeout, &child, &result);
  if (result.timed_out || result.cancelled) {
    // Whatever of the group ignored SIGTERM or outlived the program.
    ::kill(-child.pid, SIGKILL);
  }
  int status = 0;
  while (::waitpid(child.pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
  }
  result.duration =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started_at);
  return result;
}

}  // namespace tandem::control
