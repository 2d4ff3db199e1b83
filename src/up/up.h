// RunUp: `tandem up` — a whole deployment on one machine, started,
// watched and stopped as one (docs/UP.md).
//
//  1. Takes DIR's lock (a second `up` on the same DIR is refused), keeps or
//     makes the cluster secret and the credentials, writes the deployment
//     TOML and the zone file.
//  2. Checks that every address it will bind is free.
//  3. Starts the topology's processes stage by stage (topology.h), each
//     stage once the earlier ones are ready; between the nodes and the
//     probes, makes the probes' global table (health_table.h).
//  4. Prints where everything is and ready-to-paste commands, then a line
//     starting "tandem up: ready".
//  5. Watches: a process that exits is reported loudly (name, status, the
//     tail of its log) and the others keep running.
//  6. SIGINT, SIGTERM or SIGHUP: SIGTERM to every process, SIGKILL to those
//     left after the grace period; exit 0.
//
// A failed start (a process that exits or is not ready by the deadline, a
// port in use, the table that cannot be made) names the process, why, and
// the tail of its log; everything started is stopped; exit 1.
//
// Blocks SIGINT, SIGTERM, SIGHUP and SIGCHLD in the calling thread, which
// must be the process's only thread, and takes them synchronously.
#pragma once

#include <chrono>
#include <string>

#include "up/topology.h"

namespace tandem::up {

struct UpOptions {
  TopologyOptions topology;
  std::string program = "/proc/self/exe";  // what the processes run
  std::string display_program = "tandem";  // how printed commands name it
  std::chrono::milliseconds start_timeout{60000};
  std::chrono::milliseconds stop_grace{10000};
};

// Returns the exit code: 0 after a stop by signal, 1 when the start failed,
// 2 when the options or DIR cannot be used.
int RunUp(const UpOptions& options);

}  // namespace tandem::up
