#include "up/supervisor.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

namespace tandem::up {
namespace {

constexpr std::chrono::milliseconds kPollStep{10};

// Descriptors of a child being started, closed with this object.
struct Fds {
  int log = -1;
  int null = -1;
  int err_read = -1;
  int err_write = -1;
  ~Fds() {
    for (int fd : {log, null, err_read, err_write}) {
      if (fd >= 0) ::close(fd);
    }
  }
};

// In the child, between fork and exec: async-signal-safe calls only.
[[noreturn]] void ExecChild(const Fds& fds, pid_t parent, int death_signal, const char* program,
                            char* const argv[]) {
  ::setpgid(0, 0);
  if (death_signal != 0) {
    ::prctl(PR_SET_PDEATHSIG, death_signal);
    if (::getppid() != parent) ::_exit(126);  // the parent died before prctl
  }
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGCHLD, SIGQUIT})
    ::sigaction(sig, &dfl, nullptr);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  int err = 0;
  if (::dup2(fds.null, 0) < 0 || ::dup2(fds.log, 1) < 0 || ::dup2(fds.log, 2) < 0) {
    err = errno;
  } else {
    // Nothing else is inherited; the error pipe closes itself at exec.
    ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
    ::execv(program, argv);
    err = errno;
  }
  (void)!::write(fds.err_write, &err, sizeof(err));
  ::_exit(127);
}

}  // namespace

bool ChildExit::clean() const { return WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0; }

bool ChildExit::stopped_as_asked() const {
  return clean() || (!killed && WIFSIGNALED(wait_status) && WTERMSIG(wait_status) == SIGTERM);
}

std::string ChildExit::Describe() const {
  if (WIFEXITED(wait_status))
    return "exited with status " + std::to_string(WEXITSTATUS(wait_status));
  if (WIFSIGNALED(wait_status)) {
    const int sig = WTERMSIG(wait_status);
    const char* what = ::strsignal(sig);
    return "killed by signal " + std::to_string(sig) + " (" + (what ? what : "?") + ")" +
           (killed ? " after it ignored SIGTERM" : "");
  }
  return "ended (wait status " + std::to_string(wait_status) + ")";
}

Supervisor::Supervisor(SupervisorOptions options) : options_(options) {}

Supervisor::~Supervisor() {
  if (!children_.empty()) Stop(std::chrono::milliseconds(5000));
}

StatusOr<pid_t> Supervisor::Start(const ChildSpec& spec) {
  if (Pid(spec.name)) return Status::AlreadyExists(spec.name + " is already running");
  if (spec.argv.empty()) return Status::InvalidArgument(spec.name + ": empty argv");
  std::error_code ec;
  const auto dir = std::filesystem::path(spec.log_path).parent_path();
  if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  Fds fds;
  fds.log = ::open(spec.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fds.log < 0) {
    return Status::IOError("cannot open the log file " + spec.log_path + ": " +
                           std::strerror(errno));
  }
  if (!spec.log_banner.empty()) {
    const std::string line = spec.log_banner + "\n";
    (void)!::write(fds.log, line.data(), line.size());
  }
  fds.null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  int pipe_fds[2];
  if (fds.null < 0 || ::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return Status::IOError(std::string("cannot start ") + spec.name + ": " + std::strerror(errno));
  }
  fds.err_read = pipe_fds[0];
  fds.err_write = pipe_fds[1];
  // Everything the child needs is allocated before fork.
  std::vector<char*> argv;
  for (const auto& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    return Status::IOError("cannot start " + spec.name + ": fork: " + std::strerror(errno));
  }
  if (pid == 0) {
    ExecChild(fds, parent, options_.parent_death_signal, spec.program.c_str(), argv.data());
  }
  ::setpgid(pid, pid);  // also here, so the group exists before we may signal it
  ::close(fds.err_write);
  fds.err_write = -1;
  int child_errno = 0;
  ssize_t n;
  do {
    n = ::read(fds.err_read, &child_errno, sizeof(child_errno));
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof(child_errno))) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    return Status::IOError("cannot run " + spec.program + " for " + spec.name + ": " +
                           std::strerror(child_errno));
  }
  children_.push_back({spec, pid});
  return pid;
}

ChildExit Supervisor::Remove(size_t i, int wait_status, bool killed) {
  ChildExit e{children_[i].spec.name, children_[i].pid, wait_status, killed,
              children_[i].spec.log_path};
  children_.erase(children_.begin() + static_cast<std::ptrdiff_t>(i));
  return e;
}

std::vector<ChildExit> Supervisor::Reap() {
  std::vector<ChildExit> out;
  for (size_t i = 0; i < children_.size();) {
    int status = 0;
    const pid_t r = ::waitpid(children_[i].pid, &status, WNOHANG);
    if (r == children_[i].pid) {
      out.push_back(Remove(i, status, false));
    } else if (r < 0 && errno == ECHILD) {
      out.push_back(Remove(i, 0, false));  // reaped elsewhere; nothing more to know
    } else {
      ++i;
    }
  }
  return out;
}

std::vector<ChildExit> Supervisor::Stop(std::chrono::milliseconds grace) {
  for (const auto& c : children_) ::kill(c.pid, SIGTERM);
  std::vector<ChildExit> out;
  const auto deadline = std::chrono::steady_clock::now() + grace;
  for (;;) {
    for (auto& e : Reap()) out.push_back(std::move(e));
    if (children_.empty() || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(kPollStep);
  }
  while (!children_.empty()) {
    const pid_t pid = children_.front().pid;
    ::kill(-pid, SIGKILL);
    ::kill(pid, SIGKILL);
    int status = 0;
    pid_t r;
    do {
      r = ::waitpid(pid, &status, 0);
    } while (r < 0 && errno == EINTR);
    out.push_back(Remove(0, status, true));
  }
  return out;
}

Status Supervisor::Signal(const std::string& name, int signal) {
  const auto pid = Pid(name);
  if (!pid) return Status::NotFound("no running process named " + name);
  if (::kill(*pid, signal) != 0) {
    return Status::IOError("cannot signal " + name + ": " + std::strerror(errno));
  }
  return Status::OK();
}

std::optional<pid_t> Supervisor::Pid(const std::string& name) const {
  for (const auto& c : children_) {
    if (c.spec.name == name) return c.pid;
  }
  return std::nullopt;
}

std::string TailLines(const std::string& path, size_t lines, const std::string& indent) {
  constexpr std::streamoff kMaxBytes = 64 * 1024;
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  const std::streamoff start = size > kMaxBytes ? size - kMaxBytes : 0;
  in.seekg(start);
  std::string text(static_cast<size_t>(size - start), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  std::vector<std::string_view> all;
  std::string_view rest(text);
  while (!rest.empty()) {
    const size_t nl = rest.find('\n');
    all.push_back(rest.substr(0, nl));
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
  }
  // A partial first line (the window started mid-line) is dropped.
  if (start > 0 && !all.empty()) all.erase(all.begin());
  std::string out;
  for (size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i) {
    out += indent + std::string(all[i]) + "\n";
  }
  return out;
}

}  // namespace tandem::up
