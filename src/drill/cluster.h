// Cluster: one drill scenario's deployment — the `tandem up` topology
// (up/topology.h) started under a Supervisor, with the handles a drill needs
// to hurt it: kill a region or only its node, pause a probe, start them
// again.
//
// Start() writes the workspace files (secret, credentials, TOML, zone),
// starts the processes stage by stage, each stage once the earlier one is
// ready, and makes the two global tables: the probes' canary table and the
// shop's `orders` (key `id`, S).
//
// Thread-safety: not thread-safe; one thread drives it (the Supervisor's
// rule: the thread that starts the children must outlive them).
#pragma once

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "auth/sigv4.h"
#include "common/status.h"
#include "probe/dynamo_client.h"
#include "up/supervisor.h"
#include "up/topology.h"

namespace tandem::drill {

class Cluster {
 public:
  Cluster(up::TopologyOptions topology, std::string program, std::string orders_table);
  ~Cluster();  // stops every process
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  // Everything started and ready, or the first failure naming the process
  // and the tail of its log (what was started is left for Stop/~Cluster).
  Status Start(std::chrono::milliseconds timeout);

  // Sends `signal` to the processes of region `i` with the given roles
  // (SIGKILL for an outage, SIGSTOP/SIGCONT for a pause). A process that is
  // not running is skipped. Returns the names signalled.
  std::vector<std::string> Signal(size_t region, const std::set<up::Role>& roles, int signal);
  // Reaps what was killed, then starts region i's processes of `roles`
  // again (not waiting for readiness: a returning node may be catching up,
  // which is what the drill watches).
  Status Restart(size_t region, const std::set<up::Role>& roles);

  // Processes that exited on their own since the last call: "node-us-east-1
  // (pid 12) exited with status 1" plus the tail of its log.
  std::vector<std::string> UnexpectedExits();

  void Stop();

  const up::TopologyOptions& topology() const { return topology_; }
  const up::Layout& layout() const { return layout_; }
  const auth::SigningCredentials& credentials() const { return credentials_; }
  // A DynamoDB client of region i's node (one per call; the caller owns it).
  std::unique_ptr<probe::DynamoApi> Api(size_t region, probe::Network* network) const;

 private:
  Status Prepare();
  Status StartProcess(const up::ProcessSpec& p);
  Status WaitReady(const std::vector<const up::ProcessSpec*>& members,
                   std::chrono::steady_clock::time_point deadline);
  Status MakeTables(std::chrono::steady_clock::time_point deadline);
  std::vector<std::string> Collect();

  const up::TopologyOptions topology_;
  const std::string program_;
  const std::string orders_table_;
  const up::Layout layout_;
  auth::SigningCredentials credentials_;
  std::vector<up::ProcessSpec> processes_;
  up::Supervisor supervisor_;
  std::set<std::string> expected_exits_;  // names signalled by the drill
  std::vector<std::string> unexpected_;
};

}  // namespace tandem::drill
