// The regions' part of `tandem status`: each [[node]] of the deployment file,
// whether it is ready (its /health: 200 "ok"; "catching_up" while it drains
// its replication backlog from peers; anything else, down) and its largest
// replication backlog (tandem_replication_pending on its /metrics). Asked
// at the node's own listen address, never through its peer `url` (which may
// be a relay).
//
// FormatRegions is a pure function; ReadRegions asks the nodes, one at a
// time, each within the source's timeout. Thread-compatible.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/deployment.h"
#include "control/sources.h"

namespace tandem::cli {

struct RegionView {
  std::string region;
  std::string url;  // "http://127.0.0.1:8000"
  control::NodeHealth health;
  std::optional<double> pending;  // nullopt: not read (why in pending_error)
  std::string pending_error;
};

// "http://LISTEN", or https:// when the node serves TLS.
std::string DirectUrl(const config::NodeConfig& node);

std::vector<RegionView> ReadRegions(const config::Deployment& deployment,
                                    control::NodeSource* source);

// A "Regions" block, one aligned line per node:
//   us-east-1   http://127.0.0.1:8000   ready        replication backlog 0
// ("" when there are no nodes).
std::string FormatRegions(const std::vector<RegionView>& regions);

}  // namespace tandem::cli
