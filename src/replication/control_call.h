// One signed control request (kControlPath) to a node: the transport of
// node-to-node control calls (global-table membership, replica comparison)
// and of operator tools such as `tandem verify`.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <string_view>

#include "common/status.h"
#include "replication/peer_auth.h"
#include "replication/peer_client.h"

namespace tandem::replication {

// POSTs `request` to `client`'s kControlPath, signed by `auth`, and returns
// the answer's JSON object. Errors: the node's 404/400/409 answers map to
// NotFound/InvalidArgument/AlreadyExists with its message; an unreachable
// node, a timeout, another status or a malformed body to Unavailable naming
// `who`.
StatusOr<boost::json::object> PostControl(PeerClient* client, const PeerAuth& auth,
                                          const boost::json::object& request,
                                          std::chrono::milliseconds timeout, std::string_view who);

}  // namespace tandem::replication
