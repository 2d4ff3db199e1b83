// RunCommand: runs a hook program once — the event's JSON on its stdin, its
// stdout and stderr kept up to a bound, its exit status recorded — within a
// timeout that ends the program's whole process group: SIGTERM first, then
// SIGKILL after a grace period. A cancel flag (the controller stopping) ends
// it the same way.
//
// The program is started with posix_spawnp in a new process group, in the
// given directory, with the controller's environment plus the spec's extra
// variables, an empty signal mask and default SIGPIPE (whatever the
// controller blocked or ignored for itself). Its stdin is a socket, so a
// program that does not read it costs nothing and raises no SIGPIPE here.
//
// Thread-safety: RunCommand may be called from several threads at once.
#pragma once

#include <atomic>
#include <boost/json/object.hpp>
#include <chrono>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace tandem::control {

struct CommandSpec {
  std::vector<std::string> argv;  // argv[0] is looked up in PATH unless it has a '/'
  std::string dir;                // working directory; empty: the controller's
  std::vector<std::pair<std::string, std::string>> env;  // added to the environment
  std::string input;                                     // written to stdin, which is then closed
  std::chrono::milliseconds timeout{30000};
  std::chrono::milliseconds kill_grace{2000};  // SIGTERM .. SIGKILL
  size_t max_output = 64 * 1024;               // per stream; the rest is read and dropped
};

struct CommandResult {
  bool started = false;
  std::string error;   // why it did not start
  int exit_code = -1;  // when it exited
  int signal = 0;      // when a signal ended it
  bool timed_out = false;
  bool cancelled = false;
  std::string out, err;  // at most max_output bytes each
  bool out_truncated = false, err_truncated = false;
  std::chrono::milliseconds duration{0};

  bool ok() const { return started && exit_code == 0 && !timed_out && !cancelled; }
  // "exit 0", "exit 3", "killed by signal 9 after timeout 500 ms", "cannot start: ..."
  std::string Summary() const;
  // {"ok","exit","signal","timed_out","stdout","stderr",...} for the audit log.
  boost::json::object ToJson() const;
};

CommandResult RunCommand(const CommandSpec& spec, const std::atomic<bool>* cancel = nullptr);

}  // namespace tandem::control
