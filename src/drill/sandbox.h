// Sandbox: where a drill's network faults are made real.
//
// As root, the drill moves into a network namespace of its own before it
// starts any thread: a fresh loopback that no other program on the machine
// uses, so its processes bind the usual ports without colliding with a
// running `tandem up`, and its nftables rules touch nothing outside. Every
// process the drill starts inherits the namespace; when the drill exits, the
// kernel deletes the namespace with its rules.
//
// Firewall keeps a named set of nftables rules in the namespace's table
// `inet tandem_drill` (output hook: locally made packets, which is every
// packet on loopback). Each change rewrites the whole table in one `nft -f`
// transaction, so there is never a half-applied set.
//
// Thread-safety: EnterNetworkNamespace must run while the process has one
// thread. A Firewall is used by one thread at a time.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/status.h"

namespace tandem::drill {

// Unshares the network namespace and brings its loopback up. Unavailable
// with the reason when that is not allowed (not root, no CAP_SYS_ADMIN, a
// kernel without namespaces) — the caller runs on the machine's loopback
// instead. FailedPrecondition when the process already has more than one
// thread (unshare would move only the calling thread).
Status EnterNetworkNamespace();

class Firewall {
 public:
  // `nft` is the program run ("nft" is looked up in PATH).
  explicit Firewall(std::string nft = "nft") : nft_(std::move(nft)) {}
  ~Firewall();  // removes the table (best effort)

  // Whether nftables works here: creates the empty table. Unavailable with
  // nft's own message when it does not (no nft, no permission).
  Status Probe();

  // Adds (or replaces) the rule named `name`: one nftables rule statement
  // for the output chain, e.g. "ip daddr 127.0.11.0/24 tcp dport 8000 drop".
  Status Add(const std::string& name, const std::string& rule);
  // Removes the rule named `name`; OK when there is none.
  Status Remove(const std::string& name);
  // Removes every rule.
  Status Clear();

  // The nft script Apply() sends for `rules` (exposed for tests).
  static std::string Script(const std::map<std::string, std::string>& rules);

 private:
  Status Apply(const std::map<std::string, std::string>& rules);

  std::string nft_;
  std::map<std::string, std::string> rules_;
  bool created_ = false;
};

// Runs `argv` (argv[0] looked up in PATH) with `input` on stdin and waits
// for it; returns its stdout and stderr together. IOError when it cannot be
// run; Internal with its output when it exits non-zero.
StatusOr<std::string> RunProgram(const std::vector<std::string>& argv, const std::string& input);

}  // namespace tandem::drill
