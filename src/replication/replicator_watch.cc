// Replicator: the watcher thread (readiness after a restart, tombstone
// horizons) and the peer status call it makes. See replicator.h.
#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include "replication/peer_client.h"
#include "replication/replicator.h"

namespace tandem::replication {
namespace {

std::string ErrorBody(std::string_view message) {
  return boost::json::serialize(boost::json::object{{"error", message}});
}

// A non-negative integer field of a status answer.
bool GetU64(const boost::json::object& o, std::string_view name, uint64_t* out) {
  const auto* v = o.if_contains(name);
  if (v == nullptr) return false;
  if (v->is_uint64()) {
    *out = v->as_uint64();
    return true;
  }
  if (v->is_int64() && v->as_int64() >= 0) {
    *out = static_cast<uint64_t>(v->as_int64());
    return true;
  }
  return false;
}

}  // namespace

Replicator::Answer Replicator::HandleStatus(std::span<const auth::Header> headers,
                                            std::string_view body) {
  auto source = auth_->Verify("POST", kStatusPath, headers, body);
  if (!source.ok()) {
    refused_.fetch_add(1);
    spdlog::warn("refused a status request: {}", source.status().message());
    return {403, ErrorBody(source.status().message())};
  }
  const bool ships = HasPeer(*source);
  // The persisted cursor: the shipper stores it before it counts as acked.
  const uint64_t shipped = ships ? store_->ShipCursor(*source) : 0;
  return {200, boost::json::serialize(
                   boost::json::object{{"region", store_->region()},
                                       {"committed_seq", store_->CommittedSeq()},
                                       {"shipped_seq", shipped},
                                       {"received_seq", store_->ReceiveCursor(*source)},
                                       {"ships_to_you", ships}})};
}

bool Replicator::Ready(std::string* reason) const {
  if (ready_.load()) return true;
  if (reason != nullptr) {
    std::lock_guard<std::mutex> lock(ready_mu_);
    *reason = not_ready_reason_;
  }
  return ready_.load();
}

void Replicator::Watch() {
  while (!stopping_.load()) {
    for (auto& w : watched_) {
      if (stopping_.load()) return;
      Probe(w.get());
    }
    UpdateReadiness();
    const auto interval = ready_.load() ? options_.idle_status_interval : options_.status_interval;
    std::unique_lock<std::mutex> lock(watch_mu_);
    watch_cv_.wait_for(lock, interval, [this] { return stopping_.load(); });
  }
}

void Replicator::Probe(Watched* w) {
  // Read before asking: the peer had this much of the log before it answered.
  const uint64_t shipped_to_peer = store_->ShipCursor(w->peer.region);
  const uint64_t confirmed = ConfirmedSeq(w->peer.region);
  const std::string body = "{}";
  StatusOr<HttpResponse> response = Status::InvalidArgument("invalid peer URL " + w->peer.url);
  if (w->client) {
    response = w->client->Post(kStatusPath, auth_->Sign("POST", kStatusPath, body), body,
                               options_.status_timeout);
  }
  uint64_t committed = 0;
  uint64_t shipped_here = 0;
  bool ships_here = false;
  bool answered = false;
  boost::json::object response_object;
  if (response.ok() && response->status == 200) {
    boost::system::error_code ec;
    boost::json::value parsed = boost::json::parse(response->body, ec);
    if (!ec && parsed.is_object()) {
      response_object = parsed.as_object();
      const auto& o = response_object;
      const auto* ships = o.if_contains("ships_to_you");
      answered = GetU64(o, "committed_seq", &committed) &&
                 GetU64(o, "shipped_seq", &shipped_here) && ships != nullptr && ships->is_bool();
      ships_here = answered && ships->as_bool();
    }
  }
  {
    std::lock_guard<std::mutex> lock(ready_mu_);
    w->backlog = answered && ships_here
                     ? static_cast<int64_t>(committed > shipped_here ? committed - shipped_here : 0)
                     : -1;
  }
  if (!answered) return;
  // The peer has received more of this node's log than this node has: its
  // data was restored from a backup (or lost its last writes). New writes
  // must not reuse those sequence numbers, or the peer would drop them as
  // already received; the peer ships back what it has, anti-entropy repairs
  // the rest.
  uint64_t received = 0;
  if (GetU64(response_object, "received_seq", &received) && received > store_->CommittedSeq()) {
    spdlog::warn(
        "{} has received this node's change log up to {}, beyond its end here ({}): "
        "restored from a backup? New writes continue after {}",
        w->peer.region, received, store_->CommittedSeq(), received);
    Status st = store_->AdvanceSequence(received);
    if (!st.ok()) spdlog::warn("cannot advance the change log: {}", st.message());
  }
  // The peer has less of this node's log than it acknowledged: it was
  // restored from a backup. Ship it again from where its copy ends.
  if (GetU64(response_object, "received_seq", &received) && received < confirmed) {
    Rewind(w->peer.region, received);
  }
  if (!ships_here) return;
  if (w->pending && shipped_here >= w->pending_committed) {
    store_->SetPeerHorizon(w->peer.region, w->pending_shipped);
    w->pending = false;
  }
  if (!w->pending) {
    w->pending = true;
    w->pending_shipped = shipped_to_peer;
    w->pending_committed = committed;
  }
}

void Replicator::UpdateReadiness() {
  if (ready_.load()) return;
  std::string behind;
  {
    std::lock_guard<std::mutex> lock(ready_mu_);
    for (const auto& w : watched_) {
      if (w->backlog < 0 || static_cast<uint64_t>(w->backlog) < options_.ready_lag) continue;
      if (!behind.empty()) behind += ", ";
      behind += w->peer.region + " has " + std::to_string(w->backlog) + " records to ship here";
    }
    if (!behind.empty()) {
      not_ready_reason_ = "catching up after a restart: " + behind + " (ready below " +
                          std::to_string(options_.ready_lag) + ")";
      return;
    }
    not_ready_reason_.clear();
  }
  ready_.store(true);
  spdlog::info("caught up with every reachable peer: ready");
}

}  // namespace tandem::replication
