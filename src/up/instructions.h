// What `tandem up` prints once everything is ready: where each region's
// processes serve, and ready-to-paste commands — the seed's AWS CLI recipe
// (create-table in each region, create-global-table, describe-global-table)
// pointed at the local nodes, dig against the DNS servers, tandem status; the
// controller's failover pair, its audit log and hooks log.
//
// Pure functions; thread-safe.
#pragma once

#include <string>

#include "up/topology.h"

namespace tandem::up {

// The seed's table, as its commands name it.
inline constexpr char kSeedTable[] = "woocommerce_data";

// `tandem` is how the binary is to be invoked in the printed commands (its
// absolute path, say).
std::string ReadyText(const TopologyOptions& o, const std::string& tandem);

// `s` quoted for a POSIX shell when it needs to be.
std::string ShellQuote(const std::string& s);

}  // namespace tandem::up
