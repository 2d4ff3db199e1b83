// Supervisor: starts child processes, notices when they exit and stops them
// — the process half of `tandem up` (and, later, of `tandem drill`).
//
// Each child runs in its own process group, so a Ctrl-C at the terminal
// reaches only the supervising process, which decides how to stop them. Its
// stdout and stderr are appended to its log file, stdin is /dev/null, it
// inherits no other descriptor, its signal mask is empty and SIGINT, SIGTERM,
// SIGHUP, SIGPIPE and SIGCHLD are at their defaults. The kernel sends it
// `parent_death_signal` if the thread that started it dies, so no child
// outlives a supervisor that was killed (SIGKILL included).
//
// A child that exits is reported once by Reap(); the supervisor never
// restarts it on its own (Start the same spec again to). Only the children
// it started are waited for (waitpid by pid), so other children of the
// process are left alone.
//
// Thread-safety: not thread-safe. Use it from one thread, and keep that
// thread alive while children run (parent_death_signal follows the thread).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace tandem::up {

struct ChildSpec {
  std::string name;               // unique among running children; names it in messages
  std::string program;            // the file executed, e.g. "/proc/self/exe"
  std::vector<std::string> argv;  // argv[0] included
  std::string log_path;           // created (mode 0644) or appended to
  std::string log_banner;         // optional: a line written to the log before the start
};

struct ChildExit {
  std::string name;
  pid_t pid = 0;
  int wait_status = 0;  // as from waitpid
  bool killed = false;  // Stop() had to send SIGKILL
  std::string log_path;

  bool clean() const;  // exited with status 0
  // Exited with status 0 or by SIGTERM (as Stop asks).
  bool stopped_as_asked() const;
  // "exited with status 1", "killed by signal 9 (Killed)".
  std::string Describe() const;
};

struct SupervisorOptions {
  int parent_death_signal = SIGTERM;  // 0: none
};

class Supervisor {
 public:
  explicit Supervisor(SupervisorOptions options = {});
  // Stops every child still running (Stop with a 5 s grace).
  ~Supervisor();
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  // Starts `spec` and returns its pid once the program is executing.
  // AlreadyExists when a child of that name runs; IOError naming the log file
  // or the program when it cannot be opened or executed (nothing is left
  // running then).
  StatusOr<pid_t> Start(const ChildSpec& spec);

  // Children that exited since the last call, without waiting.
  std::vector<ChildExit> Reap();

  // SIGTERM to every running child, waits up to `grace` for them to exit,
  // then SIGKILL to the process group of any left and waits for it. Returns
  // every child that exited, in start order (including any exited before,
  // not yet reaped).
  std::vector<ChildExit> Stop(std::chrono::milliseconds grace);

  // Sends `signal` to one running child (e.g. a drill's SIGKILL). NotFound
  // when no child of that name runs.
  Status Signal(const std::string& name, int signal);

  std::optional<pid_t> Pid(const std::string& name) const;
  size_t running() const { return children_.size(); }

 private:
  struct Child {
    ChildSpec spec;
    pid_t pid = 0;
  };
  // The exit of children_[i] with `wait_status`; removes it.
  ChildExit Remove(size_t i, int wait_status, bool killed);

  SupervisorOptions options_;
  std::vector<Child> children_;  // running, in start order
};

// The last `lines` lines of the file at `path` (at most its last 64 KiB),
// each prefixed with `indent`; "" when it cannot be read.
std::string TailLines(const std::string& path, size_t lines, const std::string& indent = "  ");

}  // namespace tandem::up
