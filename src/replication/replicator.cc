#include "replication/replicator.h"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <condition_variable>
#include <deque>
#include <optional>

#include "replication/control_call.h"
#include "replication/peer_client.h"
#include "replication/pipelined_client.h"
#include "replication/wire.h"

namespace tandem::replication {
namespace {

// Fine below 100 ms so the bench can read p50/p99 against RTT + 50 ms.
constexpr double kLatencyBoundsMs[] = {1,   2,   5,   10,  15,   20,   25,   30,
                                       40,  50,  60,  70,  80,   90,   100,  125,
                                       150, 200, 250, 500, 1000, 2500, 5000, 10000};

}  // namespace

struct Replicator::Shipper {
  Peer peer;
  std::unique_ptr<PipelinedClient> pipe;
  std::thread thread;
  mutable std::mutex mu;
  std::condition_variable cv;  // wakes the builder when a batch completes or fails
  uint64_t acked_seq = 0;
  // The end of the last batch the peer acknowledged receiving (not counting
  // batches with nothing for it, which are never sent): its receive cursor
  // for this node is at least this, unless it lost data. Since this start.
  uint64_t confirmed_seq = 0;
  // Batches read from the change log and not yet acknowledged, oldest first.
  // One with no records for this peer is not sent: it completes as soon as
  // every batch before it has.
  struct InFlight {
    uint64_t last_seq = 0;
    bool sent = false;
    size_t records = 0;
    size_t bytes = 0;
  };
  std::deque<InFlight> in_flight;
  size_t in_flight_bytes = 0;
  // Bumped when the builder starts over from acked_seq; answers to batches of
  // an older generation are ignored.
  uint64_t generation = 0;
  bool failed = false;             // a batch failed: back off, start over
  bool restart = false;            // start over now (the peer lost data)
  std::optional<uint64_t> rewind;  // where the peer's copy of our log ends, if short
  std::chrono::milliseconds backoff{0};
  bool reachable = false;
  std::string last_error;
  std::atomic<uint64_t> bytes_shipped{0};
  std::atomic<uint64_t> records_shipped{0};
  std::atomic<uint64_t> failures{0};
};

Replicator::Replicator(storage::Store* store, std::shared_ptr<PeerAuth> auth,
                       std::vector<Peer> peers, ReplicatorOptions options, const Clock* clock)
    : store_(store),
      auth_(std::move(auth)),
      peers_(std::move(peers)),
      options_(std::move(options)),
      clock_(clock) {}

Replicator::~Replicator() { Stop(); }

void Replicator::Start() {
  for (const auto& peer : peers_) {
    auto url = PeerUrl::Parse(peer.url);
    auto shipper = std::make_unique<Shipper>();
    shipper->peer = peer;
    shipper->backoff = options_.min_backoff;
    Shipper* raw = shipper.get();
    if (url.ok()) {
      shipper->pipe = std::make_unique<PipelinedClient>(
          *url, options_.ca_file, options_.request_timeout,
          [this, raw](uint64_t generation, StatusOr<HttpResponse> answer) {
            OnAnswer(raw, generation, std::move(answer));
          });
    }
    shipper->acked_seq = store_->ShipCursor(peer.region);
    shippers_.push_back(std::move(shipper));
    auto watched = std::make_unique<Watched>();
    watched->peer = peer;
    if (url.ok()) watched->client = std::make_unique<PeerClient>(*url, options_.ca_file);
    watched_.push_back(std::move(watched));
  }
  std::vector<std::string> regions;
  for (const auto& peer : peers_) regions.push_back(peer.region);
  store_->SetReplicationPeers(std::move(regions));
  for (auto& s : shippers_) {
    Shipper* raw = s.get();
    s->thread = std::thread([this, raw] { Ship(raw); });
  }
  watcher_ = std::thread([this] { Watch(); });
  if (options_.anti_entropy_interval.count() > 0) {
    anti_entropy_thread_ = std::thread([this] { AntiEntropyLoop(); });
  }
}

void Replicator::Stop() {
  if (stopping_.exchange(true)) return;
  { std::lock_guard<std::mutex> lock(watch_mu_); }
  watch_cv_.notify_all();
  if (watcher_.joinable()) watcher_.join();
  if (anti_entropy_thread_.joinable()) anti_entropy_thread_.join();
  store_->NotifyWaiters();
  for (auto& s : shippers_) {
    {
      std::lock_guard<std::mutex> lock(s->mu);
      s->cv.notify_all();
    }
    if (s->thread.joinable()) s->thread.join();
    s->pipe.reset();  // joins its thread: no answer arrives after this
  }
}

// The builder: reads the change log ahead of the acknowledgements and posts
// batches on the pipelined connection, up to max_in_flight batches (or
// max_in_flight_bytes) unanswered. Answers arrive in OnAnswer(). After a
// failure it backs off, then starts over from the last acknowledged sequence
// (the peer ignores what it already has).
void Replicator::Ship(Shipper* s) {
  const uint32_t peer_id = storage::RegionId(s->peer.region);
  if (!s->pipe) {
    std::lock_guard<std::mutex> lock(s->mu);
    s->last_error = "invalid peer URL " + s->peer.url;
    return;
  }
  uint64_t cursor = 0;        // the change log is read up to here
  uint64_t sent_through = 0;  // the last batch posted covers the log up to here
  uint64_t generation = 0;
  // Up to here the peer's own writes are shipped back to it too: it lost
  // part of its data (restored from a backup), and this node may hold the
  // only copy of what it wrote.
  uint64_t echo_through = 0;
  bool restart = true;
  bool lingering = false;  // records are waiting for company until linger_until
  std::chrono::steady_clock::time_point linger_until;
  while (!stopping_.load()) {
    {
      std::unique_lock<std::mutex> lock(s->mu);
      if (s->restart) {
        s->restart = false;
        restart = true;
      }
      if (s->failed) {
        s->failed = false;
        restart = true;
        const auto backoff = s->backoff;
        s->backoff = std::min(s->backoff * 2, options_.max_backoff);
        s->cv.wait_for(lock, backoff, [&] { return stopping_.load(); });
        continue;
      }
      if (restart) {
        restart = false;
        generation = ++s->generation;
        s->in_flight.clear();
        s->in_flight_bytes = 0;
        if (s->rewind && *s->rewind < s->acked_seq) {
          spdlog::warn(
              "{} holds this node's change log only up to {}, not {} (restored from a "
              "backup?): shipping it again from there, its own writes included",
              s->peer.region, *s->rewind, s->acked_seq);
          echo_through = std::max(sent_through, s->acked_seq);
          s->acked_seq = *s->rewind;
          Status st = store_->SetShipCursor(s->peer.region, s->acked_seq);
          if (!st.ok())
            spdlog::warn("cannot persist cursor for {}: {}", s->peer.region, st.message());
        }
        s->rewind.reset();
        s->confirmed_seq = std::min(s->confirmed_seq, s->acked_seq);
        cursor = sent_through = s->acked_seq;
      }
      if (s->in_flight.size() >= options_.max_in_flight ||
          s->in_flight_bytes >= options_.max_in_flight_bytes) {
        s->cv.wait_for(lock, std::chrono::milliseconds(100));
        continue;
      }
    }
    if (store_->CommittedSeq() <= cursor) {
      lingering = false;
      store_->WaitForCommit(cursor, std::chrono::milliseconds(50));
      continue;
    }
    const uint64_t committed = store_->CommittedSeq();
    // While batches are in flight, a few new records wait up to `linger` for
    // company: many tiny batches would cost the receiver a synced write each.
    // With nothing in flight they go at once.
    if (!lingering) {
      lingering = true;
      linger_until = std::chrono::steady_clock::now() + options_.linger;
    }
    if (committed - cursor < options_.linger_records &&
        std::chrono::steady_clock::now() < linger_until) {
      bool busy = false;
      {
        std::lock_guard<std::mutex> lock(s->mu);
        busy = !s->in_flight.empty();
      }
      if (busy) {
        store_->WaitForCommit(committed, std::chrono::milliseconds(1));
        continue;
      }
    }
    lingering = false;
    auto records = store_->ReadChanges(cursor, options_.batch_records);
    if (!records.ok()) {
      store_->WaitForCommit(cursor, std::chrono::milliseconds(100));
      continue;
    }
    Batch batch;
    batch.source_region = store_->region();
    // From where the last posted batch ended, so the peer sees no gap even
    // when batches with nothing for it were never sent.
    batch.first_seq = sent_through + 1;
    // No record up to `committed` (sequence numbers of failed commits, or a
    // jump after a restore, leave holes): the cursor just moves past them.
    batch.last_seq = records->empty() ? committed : records->back().seq;
    size_t bytes = 0;
    for (auto& r : *records) {
      // The peer's own write coming back, unless anti-entropy found it lacks it.
      if (r.meta.origin == peer_id && !r.resend && r.seq > echo_through) continue;
      auto table = store_->FindTable(r.table);
      if (!table || !table->ReplicatesTo(s->peer.region)) continue;
      // The encoded size: the peer refuses bodies past its request limit.
      bytes += r.table.size() + 64 + (r.image ? storage::EncodeItem(*r.image).size() : 0);
      batch.records.push_back(std::move(r));
      if (bytes > options_.batch_bytes) {
        batch.last_seq = batch.records.back().seq;
        break;
      }
    }
    cursor = batch.last_seq;
    if (batch.records.empty()) {
      // Nothing for this peer: done once everything before it is.
      std::lock_guard<std::mutex> lock(s->mu);
      if (s->in_flight.empty()) {
        s->acked_seq = cursor;
        Status st = store_->SetShipCursor(s->peer.region, cursor);
        if (!st.ok())
          spdlog::warn("cannot persist cursor for {}: {}", s->peer.region, st.message());
      } else {
        s->in_flight.push_back({cursor, false, 0, 0});
      }
      continue;
    }
    std::string body = EncodeBatch(batch);
    auto headers = auth_->Sign("POST", kApplyPath, body);
    {
      std::lock_guard<std::mutex> lock(s->mu);
      s->in_flight.push_back({cursor, true, batch.records.size(), body.size()});
      s->in_flight_bytes += body.size();
    }
    sent_through = cursor;
    s->pipe->Post(generation, kApplyPath, std::move(headers), std::move(body));
  }
}

uint64_t Replicator::ConfirmedSeq(const std::string& region) const {
  for (const auto& s : shippers_) {
    if (s->peer.region != region) continue;
    std::lock_guard<std::mutex> lock(s->mu);
    return s->confirmed_seq;
  }
  return 0;
}

void Replicator::Rewind(const std::string& region, uint64_t received) {
  for (auto& s : shippers_) {
    if (s->peer.region != region) continue;
    std::lock_guard<std::mutex> lock(s->mu);
    if (received >= s->acked_seq) return;
    s->rewind = received;
    s->restart = true;
    s->cv.notify_all();
  }
}

// On the pipe's thread, in the order the batches were posted.
void Replicator::OnAnswer(Shipper* s, uint64_t generation, StatusOr<HttpResponse> answer) {
  std::lock_guard<std::mutex> lock(s->mu);
  if (generation != s->generation || s->failed || s->in_flight.empty()) return;
  if (answer.ok() && answer->status == 200) {
    const Shipper::InFlight done = s->in_flight.front();
    s->in_flight.pop_front();
    s->in_flight_bytes -= done.bytes;
    s->acked_seq = done.last_seq;
    s->confirmed_seq = done.last_seq;
    while (!s->in_flight.empty() && !s->in_flight.front().sent) {
      s->acked_seq = s->in_flight.front().last_seq;
      s->in_flight.pop_front();
    }
    Status st = store_->SetShipCursor(s->peer.region, s->acked_seq);
    if (!st.ok()) spdlog::warn("cannot persist cursor for {}: {}", s->peer.region, st.message());
    s->bytes_shipped.fetch_add(done.bytes);
    s->records_shipped.fetch_add(done.records);
    if (!s->reachable) spdlog::info("replication to {} is flowing", s->peer.region);
    s->reachable = true;
    s->last_error.clear();
    s->backoff = options_.min_backoff;
    s->cv.notify_all();
    return;
  }
  if (answer.ok() && answer->status == 409) {
    // The batch does not follow what the peer has from us (it lost a batch
    // in flight, or was restored from a backup): ship from where it is.
    boost::system::error_code ec;
    auto parsed = boost::json::parse(answer->body, ec);
    if (!ec && parsed.is_object()) {
      // Never forward past what it acknowledged: a lost answer is no gap.
      if (const auto* c = parsed.as_object().if_contains("cursor"); c && c->is_int64()) {
        s->rewind =
            std::min(s->acked_seq, static_cast<uint64_t>(std::max<int64_t>(0, c->as_int64())));
      } else if (c && c->is_uint64()) {
        s->rewind = std::min(s->acked_seq, c->as_uint64());
      }
    }
  }
  const std::string error =
      answer.ok() ? "peer answered " + std::to_string(answer->status) + ": " + answer->body
                  : answer.status().message();
  s->failures.fetch_add(1);
  if (s->reachable || s->last_error != error) {
    spdlog::warn("replication to {} failed, retrying: {}", s->peer.region, error);
  }
  s->reachable = false;
  s->last_error = error;
  s->failed = true;
  s->cv.notify_all();
}

Replicator::SourceStats* Replicator::StatsFor(std::string_view region) {
  std::lock_guard<std::mutex> lock(stats_mu_);
  for (auto& s : sources_) {
    if (s->region == region) return s.get();
  }
  sources_.push_back(std::make_unique<SourceStats>());
  sources_.back()->region = std::string(region);
  return sources_.back().get();
}

Replicator::Answer Replicator::HandleApply(std::span<const auth::Header> headers,
                                           std::string_view body) {
  auto source = auth_->Verify("POST", kApplyPath, headers, body);
  if (!source.ok()) {
    refused_.fetch_add(1);
    spdlog::warn("refused a replication request: {}", source.status().message());
    return {403, boost::json::serialize(boost::json::object{{"error", source.status().message()}})};
  }
  auto batch = DecodeBatch(body);
  if (!batch.ok()) {
    spdlog::warn("refused a replication batch from {}: {}", *source, batch.status().message());
    return {400, boost::json::serialize(boost::json::object{{"error", batch.status().message()}})};
  }
  if (batch->source_region != *source) {
    return {403, boost::json::serialize(boost::json::object{
                     {"error", "batch source does not match the signed region"}})};
  }
  // Batches from a source apply in order: one that starts past the source's
  // receive cursor would skip what lies between (a batch lost in flight, or a
  // cursor older than the sender thinks after a restore). Refused with the
  // cursor, so the sender ships from there. (The cursor only grows, so a
  // batch that passes here still follows it when applied.)
  const uint64_t received = store_->ReceiveCursor(batch->source_region);
  if (batch->first_seq > received + 1) {
    return {409, boost::json::serialize(boost::json::object{
                     {"error", "batch starts at " + std::to_string(batch->first_seq) +
                                   " but this node has the sender's log only up to " +
                                   std::to_string(received)},
                     {"cursor", received}})};
  }
  auto applied = store_->ApplyReplicated(batch->source_region, batch->last_seq, batch->records);
  if (!applied.ok()) {
    // A batch that cannot fit this replica is refused (400) and stays with
    // the sender, logged there; a failing disk (503) is retried.
    const int status = applied.status().code() == Status::Code::kInvalidArgument ? 400 : 503;
    return {status,
            boost::json::serialize(boost::json::object{{"error", applied.status().message()}})};
  }
  SourceStats* stats = StatsFor(batch->source_region);
  stats->applied.fetch_add(applied->applied);
  stats->discarded.fetch_add(applied->discarded);
  stats->no_table.fetch_add(applied->no_table);
  stats->bytes.fetch_add(body.size());
  const uint64_t now_ms = static_cast<uint64_t>(clock_->NowMicros() / 1000);
  for (const auto& r : batch->records) {
    const uint64_t written_ms = storage::HybridClock::PhysicalMillis(r.meta.hlc);
    const uint64_t latency = now_ms > written_ms ? now_ms - written_ms : 0;
    int b = 0;
    while (b<kLatencyBuckets&& static_cast<double>(latency)> kLatencyBoundsMs[b]) ++b;
    stats->latency[b].fetch_add(1);
    stats->latency_sum_ms.fetch_add(latency);
  }
  return {200, boost::json::serialize(boost::json::object{{"acked", batch->last_seq},
                                                          {"applied", applied->applied},
                                                          {"discarded", applied->discarded}})};
}

bool Replicator::HasPeer(std::string_view region) const {
  for (const auto& p : peers_) {
    if (p.region == region) return true;
  }
  return false;
}

StatusOr<boost::json::object> Replicator::CallPeer(const std::string& region,
                                                   const boost::json::object& request) {
  const Peer* peer = nullptr;
  for (const auto& p : peers_) {
    if (p.region == region) peer = &p;
  }
  if (peer == nullptr) return Status::NotFound("region " + region + " is not a peer of this node");
  std::lock_guard<std::mutex> lock(control_mu_);
  auto& client = control_clients_[region];
  if (!client) {
    TANDEM_ASSIGN_OR_RETURN(PeerUrl url, PeerUrl::Parse(peer->url));
    client = std::make_unique<PeerClient>(url, options_.ca_file);
  }
  return PostControl(client.get(), *auth_, request, options_.request_timeout, "peer " + region);
}

Replicator::Answer Replicator::HandleControl(std::span<const auth::Header> headers,
                                             std::string_view body) {
  auto source = auth_->Verify("POST", kControlPath, headers, body);
  if (!source.ok()) {
    refused_.fetch_add(1);
    spdlog::warn("refused a control request: {}", source.status().message());
    return {403, boost::json::serialize(boost::json::object{{"error", source.status().message()}})};
  }
  boost::system::error_code ec;
  boost::json::value parsed = boost::json::parse(body, ec);
  if (ec || !parsed.is_object() || !control_handler_) {
    return {400, R"({"error":"malformed control request"})"};
  }
  auto result = control_handler_(*source, parsed.as_object());
  if (!result.ok()) {
    int status = 503;
    switch (result.status().code()) {
      case Status::Code::kNotFound:
        status = 404;
        break;
      case Status::Code::kInvalidArgument:
        status = 400;
        break;
      case Status::Code::kAlreadyExists:
        status = 409;
        break;
      default:
        break;
    }
    return {status,
            boost::json::serialize(boost::json::object{{"error", result.status().message()}})};
  }
  return {200, boost::json::serialize(*result)};
}

std::vector<Replicator::PeerState> Replicator::Peers() const {
  std::vector<PeerState> out;
  const uint64_t committed = store_->CommittedSeq();
  for (const auto& s : shippers_) {
    std::lock_guard<std::mutex> lock(s->mu);
    PeerState p;
    p.region = s->peer.region;
    p.url = s->peer.url;
    p.acked_seq = s->acked_seq;
    p.pending = committed > s->acked_seq ? committed - s->acked_seq : 0;
    p.reachable = s->reachable;
    p.last_error = s->last_error;
    out.push_back(std::move(p));
  }
  std::lock_guard<std::mutex> lock(ready_mu_);
  for (auto& p : out) {
    for (const auto& w : watched_) {
      if (w->peer.region == p.region) p.incoming_backlog = w->backlog;
    }
  }
  return out;
}

std::string Replicator::RenderMetrics() const {
  std::string out;
  const std::string self = store_->region();
  out += "# HELP tandem_replication_pending Change-log records not yet acknowledged by a peer.\n";
  out += "# TYPE tandem_replication_pending gauge\n";
  for (const auto& p : Peers()) {
    out += "tandem_replication_pending{source=\"" + self + "\",destination=\"" + p.region + "\"} " +
           std::to_string(p.pending) + "\n";
  }
  out += "# HELP tandem_replication_shipped_bytes_total Replication bytes sent to a peer.\n";
  out += "# TYPE tandem_replication_shipped_bytes_total counter\n";
  for (const auto& s : shippers_) {
    out += "tandem_replication_shipped_bytes_total{source=\"" + self + "\",destination=\"" +
           s->peer.region + "\"} " + std::to_string(s->bytes_shipped.load()) + "\n";
  }
  out += "# HELP tandem_replication_shipped_records_total Records sent to a peer.\n";
  out += "# TYPE tandem_replication_shipped_records_total counter\n";
  for (const auto& s : shippers_) {
    out += "tandem_replication_shipped_records_total{source=\"" + self + "\",destination=\"" +
           s->peer.region + "\"} " + std::to_string(s->records_shipped.load()) + "\n";
  }
  out +=
      "# HELP tandem_replication_incoming_backlog Records a peer still had to ship here at "
      "its last status answer (-1: unknown).\n";
  out += "# TYPE tandem_replication_incoming_backlog gauge\n";
  for (const auto& p : Peers()) {
    out += "tandem_replication_incoming_backlog{source=\"" + p.region + "\",destination=\"" + self +
           "\"} " + std::to_string(p.incoming_backlog) + "\n";
  }
  out +=
      "# HELP tandem_replication_ready 1 once this node has caught up with its reachable "
      "peers.\n";
  out += "# TYPE tandem_replication_ready gauge\n";
  out += "tandem_replication_ready " + std::string(ready_.load() ? "1" : "0") + "\n";
  out += "# HELP tandem_tombstones_collected_total Tombstones deleted once every peer had them.\n";
  out += "# TYPE tandem_tombstones_collected_total counter\n";
  out +=
      "tandem_tombstones_collected_total " + std::to_string(store_->TombstonesCollected()) + "\n";
  std::lock_guard<std::mutex> lock(stats_mu_);
  out +=
      "# HELP tandem_replication_latency_ms Time from a write at its origin to its arrival here.\n";
  out += "# TYPE tandem_replication_latency_ms histogram\n";
  for (const auto& s : sources_) {
    uint64_t cumulative = 0;
    for (int b = 0; b <= kLatencyBuckets; ++b) {
      cumulative += s->latency[b].load();
      const std::string le = b < kLatencyBuckets
                                 ? std::to_string(static_cast<int>(kLatencyBoundsMs[b]))
                                 : std::string("+Inf");
      out += "tandem_replication_latency_ms_bucket{source=\"" + s->region + "\",destination=\"" +
             self + "\",le=\"" + le + "\"} " + std::to_string(cumulative) + "\n";
    }
    out += "tandem_replication_latency_ms_sum{source=\"" + s->region + "\",destination=\"" + self +
           "\"} " + std::to_string(s->latency_sum_ms.load()) + "\n";
    out += "tandem_replication_latency_ms_count{source=\"" + s->region + "\",destination=\"" +
           self + "\"} " + std::to_string(cumulative) + "\n";
  }
  out +=
      "# HELP tandem_replication_discarded_total Incoming versions older than the stored one "
      "(last writer wins).\n";
  out += "# TYPE tandem_replication_discarded_total counter\n";
  for (const auto& s : sources_) {
    out += "tandem_replication_discarded_total{source=\"" + s->region + "\"} " +
           std::to_string(s->discarded.load()) + "\n";
  }
  out +=
      "# HELP tandem_replication_skipped_total Incoming versions of a table that does not "
      "exist here (its replica was deleted in this region).\n";
  out += "# TYPE tandem_replication_skipped_total counter\n";
  for (const auto& s : sources_) {
    out += "tandem_replication_skipped_total{source=\"" + s->region + "\"} " +
           std::to_string(s->no_table.load()) + "\n";
  }
  out += "# HELP tandem_anti_entropy_rounds_total Comparisons of the global tables with a peer.\n";
  out += "# TYPE tandem_anti_entropy_rounds_total counter\n";
  for (const auto& a : anti_entropy_) {
    out += "tandem_anti_entropy_rounds_total{destination=\"" + a->peer + "\"} " +
           std::to_string(a->rounds.load()) + "\n";
  }
  out +=
      "# HELP tandem_anti_entropy_repairs_total Keys shipped again because a peer lacked them "
      "or held an older version.\n";
  out += "# TYPE tandem_anti_entropy_repairs_total counter\n";
  for (const auto& a : anti_entropy_) {
    out += "tandem_anti_entropy_repairs_total{destination=\"" + a->peer + "\"} " +
           std::to_string(a->repairs.load()) + "\n";
  }
  out +=
      "# HELP tandem_anti_entropy_differing_ranges Key ranges whose digests differed from a "
      "peer's at the last comparison.\n";
  out += "# TYPE tandem_anti_entropy_differing_ranges gauge\n";
  for (const auto& a : anti_entropy_) {
    out += "tandem_anti_entropy_differing_ranges{destination=\"" + a->peer + "\"} " +
           std::to_string(a->differing_ranges.load()) + "\n";
  }
  out += "# HELP tandem_replication_refused_total Replication requests refused (authentication).\n";
  out += "# TYPE tandem_replication_refused_total counter\n";
  out += "tandem_replication_refused_total " + std::to_string(refused_.load()) + "\n";
  return out;
}

}  // namespace tandem::replication
