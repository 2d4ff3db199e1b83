#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cstdio>
#include <filesystem>
#include <map>

#include "failover/service_impl.h"

namespace tandem::failover {
namespace {

std::string HostOf(const std::string& host_port) {
  std::string host = host_port.substr(0, host_port.rfind(':'));
  if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  return host;
}

// A fingerprint of what a check observes and how its results are
// thresholded: checkers share observations of a check only while they hold
// the same definition of it (during a rolling reload they may not). FNV-1a
// over every field, so every build computes the same one.
std::string Fingerprint(const config::HealthCheckConfig& h) {
  std::string text = std::string(config::CheckTypeName(h.type)) + "\n" + h.ip + "\n" +
                     std::to_string(h.port) + "\n" + h.path + "\n" + h.host + "\n" +
                     (h.sni ? "1" : "0") + "\n" + h.search_string + "\n" +
                     std::to_string(h.interval.count()) + "\n" + std::to_string(h.timeout.count()) +
                     "\n" + std::to_string(h.failure_threshold) + "\n" + (h.inverted ? "1" : "0") +
                     (h.disabled ? "1" : "0") + "\n" + std::to_string(h.health_threshold);
  for (const auto& c : h.children) text += "\n" + c;
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(hash));
  return hex;
}

// The zone a record belongs to: the longest origin that holds it.
StatusOr<size_t> ZoneOf(const config::DnsConfig& c, const std::string& owner_wire) {
  std::optional<size_t> best;
  size_t best_len = 0;
  for (size_t z = 0; z < c.zones.size(); ++z) {
    TANDEM_ASSIGN_OR_RETURN(std::string origin, dns::NameToWire(c.zones[z].origin));
    const bool inside =
        owner_wire.size() >= origin.size() &&
        owner_wire.compare(owner_wire.size() - origin.size(), origin.size(), origin) == 0;
    if (inside && origin.size() >= best_len) {
      best = z;
      best_len = origin.size();
    }
  }
  if (!best) return Status::InvalidArgument("outside every zone");
  return *best;
}

// The zones for one decision: static records plus each record's answers.
StatusOr<std::shared_ptr<const dns::ZoneSet>> BuildZones(const Loaded& l,
                                                         const std::vector<Choice>& choices) {
  const config::DnsConfig& c = *l.config;
  std::vector<dns::ZoneSpec> specs(c.zones.size());
  for (size_t z = 0; z < c.zones.size(); ++z) {
    specs[z].origin = c.zones[z].origin;
    specs[z].records = l.static_records[z];
    specs[z].name_servers = l.zone_name_servers[z];
  }
  for (size_t i = 0; i < c.records.size(); ++i) {
    const config::RecordConfig& rec = c.records[i];
    const Choice& choice = choices[i];
    if (choice.empty()) continue;  // every answer taken out (forced): no data
    dns::DynamicRrSet d;
    TANDEM_ASSIGN_OR_RETURN(d.owner, dns::NameToWire(rec.name));
    d.set.type = dns::TypeFromName(rec.type);
    d.set.ttl = rec.ttl;
    for (size_t a : choice.answers) d.set.rdata.push_back(l.rdata[i][a]);
    switch (choice.pick) {
      case Choice::Pick::kAll:
        d.set.pick = dns::RrSet::Pick::kAll;
        break;
      case Choice::Pick::kOneByWeight:
        d.set.pick = dns::RrSet::Pick::kOneByWeight;
        d.set.weights = choice.weights;
        break;
      case Choice::Pick::kUpToEight:
        d.set.pick = dns::RrSet::Pick::kUpToEight;
        break;
    }
    specs[l.record_zone[i]].dynamic.push_back(std::move(d));
  }
  auto set = std::make_shared<dns::ZoneSet>();
  for (auto& spec : specs) {
    const std::string origin = spec.origin;
    auto zone = dns::Zone::Build(std::move(spec));
    if (!zone.ok()) {
      return Status::InvalidArgument("zone " + origin + ": " + zone.status().message());
    }
    set->zones.push_back(std::move(*zone));
  }
  std::sort(set->zones.begin(), set->zones.end(),
            [](const auto& a, const auto& b) { return a->origin().size() > b->origin().size(); });
  return std::shared_ptr<const dns::ZoneSet>(std::move(set));
}

std::vector<Choice> ChooseAll(const config::DnsConfig& c, const std::map<std::string, Agreed>& h,
                              const Controls& controls) {
  std::vector<Choice> out;
  for (const auto& rec : c.records) out.push_back(Choose(rec, h, controls));
  return out;
}

std::string Describe(const config::RecordConfig& rec, const Choice& choice) {
  if (choice.empty()) return "nothing (every answer taken out)";
  std::string out;
  for (size_t a : choice.answers) {
    if (!out.empty()) out += ", ";
    out += rec.answers[a].value + " (" + rec.answers[a].set + ")";
  }
  return out;
}

}  // namespace

StatusOr<Loaded> LoadAll(const std::string& config_path, const std::string& server) {
  TANDEM_ASSIGN_OR_RETURN(config::DnsConfig c, config::LoadDnsConfig(config_path));
  Loaded l;
  auto config = std::make_shared<config::DnsConfig>(std::move(c));
  if (config->servers.empty()) {
    return Status::InvalidArgument(config->path + ": no [[dns.server]] entry");
  }
  if (server.empty()) {
    if (config->servers.size() > 1) {
      return Status::InvalidArgument(config->path +
                                     " describes several [[dns.server]]s: say which with --server");
    }
    l.self = &config->servers[0];
  } else {
    l.self = config->FindServer(server);
    if (l.self == nullptr) {
      return Status::InvalidArgument(config->path + " has no [[dns.server]] named '" + server +
                                     "'");
    }
  }
  if (config->zones.empty()) return Status::InvalidArgument(config->path + ": no [[dns.zone]]");
  for (const auto& z : config->zones) {
    std::vector<dns::ZoneRecord> records;
    if (!z.file.empty()) {
      TANDEM_ASSIGN_OR_RETURN(records, dns::ReadZoneFile(z.file, z.origin));
    }
    l.static_records.push_back(std::move(records));
    std::vector<dns::NameServer> ns;
    for (const auto& s : config->servers) {
      TANDEM_ASSIGN_OR_RETURN(std::string host, dns::NameToWire(s.name, z.origin));
      // Glue is the address the server listens on; a wildcard (0.0.0.0,
      // ::) names no address anyone could reach, so such a server gets no
      // glue (the zone file may give its A/AAAA records).
      std::string address = HostOf(s.listen);
      if (address == "0.0.0.0" || address == "::") address.clear();
      ns.push_back({std::move(host), std::move(address)});
    }
    l.zone_name_servers.push_back(std::move(ns));
  }
  for (const auto& rec : config->records) {
    const std::string where =
        config->path + ":" + std::to_string(rec.line) + ": record " + rec.name + " " + rec.type;
    auto owner = dns::NameToWire(rec.name);
    if (!owner.ok()) return Status::InvalidArgument(where + ": " + owner.status().message());
    auto zone = ZoneOf(*config, *owner);
    if (!zone.ok()) return Status::InvalidArgument(where + ": " + zone.status().message());
    std::vector<std::string> values;
    for (const auto& a : rec.answers) {
      auto rdata =
          dns::RdataFromText(dns::TypeFromName(rec.type), a.value, config->zones[*zone].origin);
      if (!rdata.ok()) {
        return Status::InvalidArgument(where + ": answer '" + a.set + "' value '" + a.value +
                                       "': " + rdata.status().message());
      }
      values.push_back(std::move(*rdata));
    }
    l.rdata.push_back(std::move(values));
    l.record_zone.push_back(*zone);
  }
  l.config = std::move(config);
  // The records must fit the zones (a CNAME beside static data, say, is
  // refused here rather than at the first failover): one answer of each is
  // enough, every value was checked above.
  std::vector<Choice> all(l.config->records.size());
  for (Choice& c : all) {
    c.answers.push_back(0);
  }
  auto zones = BuildZones(l, all);
  if (!zones.ok()) return Status::InvalidArgument(l.config->path + ": " + zones.status().message());
  return l;
}

std::chrono::milliseconds DnsService::Impl::heartbeat() const {
  auto beat = std::chrono::milliseconds(1000);
  for (const auto& h : loaded.config->checks) {
    if (h.type != config::CheckType::kCalculated) beat = std::min(beat, h.interval);
  }
  return std::max(beat, std::chrono::milliseconds(200));
}

void DnsService::Impl::RecomputeLocked() {
  const config::DnsConfig& c = *loaded.config;
  std::vector<CheckerView> views;
  CheckerView own;
  own.server = loaded.self->name;
  own.self = true;
  for (const auto& s : checker->States()) {
    own.checks[s.name] = Observation{s.healthy, s.last.at_micros, s.last.reason};
  }
  views.push_back(std::move(own));
  Decision d;
  const auto now = std::chrono::steady_clock::now();
  for (const auto& p : peers) {
    if (p->view && now - p->received <= stale_after()) {
      views.push_back(*p->view);
      d.fresh_peers.push_back(p->server.name);
    }
  }
  // A check without any observation (its definition changed on reload and
  // is not probed yet) keeps the state of the last decision.
  d.health = Agree(c.checks, views, c.healthy_fraction, decision.health);
  d.choices = ChooseAll(c, d.health, controls->Current());
  // The first decision (and the first after a reload) publishes whatever it
  // is, even for a deployment without [[record]]s.
  const bool first = republish || decision.choices.size() != d.choices.size();
  republish = false;
  bool changed = first;
  for (size_t i = 0; !first && i < d.choices.size(); ++i) {
    const Choice& was = decision.choices[i];
    const Choice& now_choice = d.choices[i];
    if (was.answers == now_choice.answers && was.weights == now_choice.weights) continue;
    changed = true;
    answer_changes.fetch_add(1);
    std::string why;
    for (const auto& a : c.records[i].answers) {
      if (a.health_check.empty()) continue;
      const Agreed& h = d.health[a.health_check];
      why += (why.empty() ? "" : "; ") + a.health_check + " " +
             (h.healthy ? "healthy" : "unhealthy") + " (" + h.why + ")";
    }
    spdlog::warn("{} {} now answers {} (was {}): {}", c.records[i].name, c.records[i].type,
                 Describe(c.records[i], now_choice), Describe(c.records[i], was), why);
  }
  decision = std::move(d);
  if (!changed) return;
  auto zones_now = BuildZones(loaded, decision.choices);
  if (!zones_now.ok()) {
    // The answers served stay the previous ones; try again at the next
    // decision (every heartbeat) rather than only at the next change.
    spdlog::error("cannot build the zones (retrying): {}", zones_now.status().message());
    republish = true;
    return;
  }
  zones.Publish(std::move(*zones_now));
}

void DnsService::Impl::OnTransition() {
  {
    std::lock_guard<std::mutex> lock(event_mu);
    event_pending = true;
  }
  event_cv.notify_all();
}

// Decides on every transition (then pushes to the peers at once) and every
// heartbeat (peers' observations going stale change decisions too).
void DnsService::Impl::TickerLoop() {
  for (;;) {
    std::chrono::milliseconds beat;
    {
      std::lock_guard<std::mutex> lock(mu);
      beat = heartbeat();
    }
    bool event = false;
    {
      std::unique_lock<std::mutex> lock(event_mu);
      event_cv.wait_for(lock, beat, [&] { return event_pending || ticker_stopping; });
      if (ticker_stopping) return;
      event = event_pending;
      event_pending = false;
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      RecomputeLocked();
      if (event) ++push_generation;
    }
    if (event) cv.notify_all();
  }
}

std::string DnsService::Impl::ObservationsJson(const std::string& to) const {
  std::map<std::string, std::string> definitions;
  {
    std::lock_guard<std::mutex> lock(mu);
    for (const auto& h : loaded.config->checks) definitions[h.name] = Fingerprint(h);
  }
  boost::json::object checks;
  for (const auto& s : checker->States()) {
    checks[s.name] = boost::json::object{{"healthy", s.healthy},
                                         {"at", s.last.at_micros},
                                         {"reason", s.last.reason},
                                         {"def", definitions[s.name]}};
  }
  // "to" is signed with the rest: a push cannot be replayed to another server.
  boost::json::object o{{"server", self_name},
                        {"to", to},
                        {"sent_at", clock->NowMicros()},
                        {"checks", std::move(checks)}};
  boost::system::error_code ec;
  o["controls"] = boost::json::parse(ControlsToJson(controls->Entries()), ec);
  return boost::json::serialize(o);
}

bool DnsService::Impl::Absorb(const std::string& server, std::string_view body) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(body, ec);
  if (ec || !v.is_object()) return false;
  const auto& o = v.as_object();
  const auto* checks = o.if_contains("checks");
  if (checks == nullptr || !checks->is_object()) return false;
  CheckerView view;
  view.server = server;
  // The peer dates its observations by its own clock. Moved onto ours by
  // the difference between when it sent them and when they arrived, their
  // ages are right whatever the two clocks say (a peer without "sent_at"
  // is taken at its word).
  int64_t to_our_clock = 0;
  if (const auto* sent = o.if_contains("sent_at"); sent != nullptr && sent->is_int64()) {
    to_our_clock = clock->NowMicros() - sent->as_int64();
  }
  std::map<std::string, std::string> definitions;
  {
    std::lock_guard<std::mutex> lock(mu);
    for (const auto& h : loaded.config->checks) definitions[h.name] = Fingerprint(h);
  }
  for (const auto& [name, value] : checks->as_object()) {
    const auto* c = value.if_object();
    if (c == nullptr) return false;
    const auto* healthy = c->if_contains("healthy");
    const auto* at = c->if_contains("at");
    const auto* reason = c->if_contains("reason");
    if (healthy == nullptr || !healthy->is_bool() || at == nullptr || !at->is_int64()) return false;
    // An observation of another definition of the check (the peer has not
    // reloaded yet, or has already) says nothing about ours.
    const auto* def = c->if_contains("def");
    auto mine = definitions.find(std::string(name));
    if (def != nullptr && def->is_string() && mine != definitions.end() &&
        def->as_string() != mine->second) {
      continue;
    }
    view.checks[std::string(name)] =
        Observation{healthy->as_bool(), at->as_int64() + to_our_clock,
                    reason && reason->is_string() ? std::string(reason->as_string()) : ""};
  }
  bool controls_changed = false;
  if (const auto* c = o.if_contains("controls"); c != nullptr) {
    auto entries = ControlsFromJson(boost::json::serialize(*c));
    if (entries.ok()) {
      // A control dated too far ahead of our clock waits until it is not.
      auto merged = controls->Merge(
          *entries, clock->NowMicros() + std::chrono::microseconds(kMaxControlSkew).count());
      if (!merged.ok()) {
        spdlog::error("routing controls from {} not taken: {}", server, merged.status().message());
      } else if (*merged) {
        controls_changed = true;
        spdlog::info("routing controls updated from {}", server);
      }
    }
  }
  std::lock_guard<std::mutex> lock(mu);
  for (auto& p : peers) {
    if (p->server.name != server) continue;
    const bool was_fresh =
        p->view && std::chrono::steady_clock::now() - p->received <= stale_after();
    const bool changed =
        !p->view || !was_fresh || p->view->checks.size() != view.checks.size() ||
        !std::equal(view.checks.begin(), view.checks.end(), p->view->checks.begin(),
                    [](const auto& a, const auto& b) {
                      return a.first == b.first && a.second.healthy == b.second.healthy;
                    });
    p->view = std::move(view);
    p->received = std::chrono::steady_clock::now();
    if (changed || controls_changed) RecomputeLocked();
    cv.notify_all();  // Start() may be waiting for the first views
    return changed || controls_changed;
  }
  return false;
}

// Pushes this checker's observations to one peer, at once, then on every
// transition and heartbeat. Only pushes carry observations: a reply is not
// signed, so it is not believed.
void DnsService::Impl::PeerLoop(PeerLink* peer) {
  std::unique_lock<std::mutex> lock(mu);
  uint64_t pushed = push_generation - 1;
  while (!stopping) {
    const auto beat = heartbeat();
    cv.wait_for(lock, beat, [&] { return stopping || push_generation != pushed; });
    if (stopping) return;
    pushed = push_generation;
    lock.unlock();
    const std::string body = ObservationsJson(peer->server.name);
    auto response =
        peer->client->Post(kObservationsPath, auth->Sign("POST", kObservationsPath, body), body,
                           std::min(beat, std::chrono::milliseconds(1000)));
    bool ok = response.ok() && response->status == 200;
    lock.lock();
    // A peer whose admin port refuses connections is not running: its last
    // observations describe nothing any more. They stop counting now rather
    // than when they go stale, so a checker that died with its region (or
    // crashed) does not hold traffic on that region for a stale window. A
    // peer that is merely unreachable (packets dropped) still goes stale.
    if (!response.ok() &&
        response.status().message().find("Connection refused") != std::string::npos &&
        peer->view.has_value()) {
      spdlog::warn(
          "checker {} is not running (connection refused): its observations no "
          "longer count",
          peer->server.name);
      peer->view.reset();
      RecomputeLocked();
    }
    if (ok != peer->reachable) {
      if (ok) {
        spdlog::info("checker {} is reachable", peer->server.name);
      } else {
        spdlog::warn("checker {} is unreachable: {}", peer->server.name,
                     response.ok() ? "answered " + std::to_string(response->status)
                                   : response.status().message());
      }
      peer->reachable = ok;
    }
  }
}

void DnsService::Impl::StartPeers() {
  for (const auto& s : loaded.config->servers) {
    if (s.name == loaded.self->name) continue;
    auto link = std::make_unique<PeerLink>();
    link->server = s;
    auto url = replication::PeerUrl::Parse("http://" + s.admin);
    if (url.ok()) link->client = std::make_unique<replication::PeerClient>(*url, "");
    peers.push_back(std::move(link));
  }
  for (auto& p : peers) {
    if (!p->client) continue;
    PeerLink* raw = p.get();
    p->thread = std::thread([this, raw] { PeerLoop(raw); });
  }
}

void DnsService::Impl::StopPeers() {
  std::vector<std::unique_ptr<PeerLink>> old;
  {
    std::lock_guard<std::mutex> lock(mu);
    stopping = true;
  }
  cv.notify_all();
  for (auto& p : peers) {
    if (p->thread.joinable()) p->thread.join();
  }
  std::lock_guard<std::mutex> lock(mu);
  old = std::move(peers);
  peers.clear();
  stopping = false;
}

DnsService::DnsService(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

DnsService::~DnsService() { Stop(); }

StatusOr<std::unique_ptr<DnsService>> DnsService::Create(DnsServiceOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->clock = options.clock;
  TANDEM_ASSIGN_OR_RETURN(impl->loaded, LoadAll(options.config_path, options.server));
  impl->self_name = impl->loaded.self->name;
  const config::DnsConfig& c = *impl->loaded.config;
  if (c.secret_file.empty()) {
    return Status::InvalidArgument(
        c.path +
        ": [cluster] secret_file is required: it authenticates the admin API and the "
        "checkers (e.g. openssl rand -hex 32 > secret)");
  }
  TANDEM_ASSIGN_OR_RETURN(impl->secret, replication::LoadSecretFile(c.secret_file));
  impl->auth =
      std::make_unique<replication::PeerAuth>(impl->secret, impl->loaded.self->name, impl->clock);
  std::filesystem::path state(c.state_dir);
  TANDEM_ASSIGN_OR_RETURN(
      impl->controls,
      ControlStore::Open((state / (impl->loaded.self->name + "-controls.json")).string()));
  return std::unique_ptr<DnsService>(new DnsService(std::move(impl)));
}

Status DnsService::Start() {
  Impl& s = *impl_;
  const config::DnsConfig& c = *s.loaded.config;
  s.checker = std::make_unique<health::Checker>(
      c.checks, s.clock, [impl = &s](const health::CheckState&) { impl->OnTransition(); });
  s.checker->set_probe_source(s.loaded.self->probe_source);
  spdlog::info("{}: first round of {} health checks", s.loaded.self->name, c.checks.size());
  s.checker->Start();
  // The admin API first: running peers push their observations to it, and
  // the first answers wait (briefly) for them, so a checker that restarts
  // does not decide alone on what only it sees.
  s.admin = std::make_unique<AdminServer>(
      s.loaded.self->admin, [impl = &s](const AdminRequest& r) { return impl->HandleAdmin(r); });
  TANDEM_RETURN_IF_ERROR(s.admin->Start());
  {
    std::unique_lock<std::mutex> lock(s.mu);
    s.StartPeers();
    const auto wait = std::min(s.heartbeat() * 2, std::chrono::milliseconds(2000));
    s.cv.wait_for(lock, wait, [&] {
      for (const auto& p : s.peers) {
        if (!p->view) return false;
      }
      return true;
    });
    s.RecomputeLocked();
  }
  dns::DnsServerOptions dns_options;
  dns_options.listen = s.loaded.self->listen;
  s.dns = std::make_unique<dns::DnsServer>(dns_options, &s.zones);
  TANDEM_RETURN_IF_ERROR(s.dns->Start());
  s.ticker = std::thread([impl = &s] { impl->TickerLoop(); });
  spdlog::info("{} answering on {} (UDP and TCP), admin on {}", s.loaded.self->name,
               s.loaded.self->listen, s.loaded.self->admin);
  return Status::OK();
}

void DnsService::Stop() {
  Impl& s = *impl_;
  if (s.admin) s.admin->Stop();
  if (s.dns) s.dns->Stop();
  {
    std::lock_guard<std::mutex> lock(s.event_mu);
    s.ticker_stopping = true;
  }
  s.event_cv.notify_all();
  if (s.ticker.joinable()) s.ticker.join();
  s.StopPeers();
  if (s.checker) s.checker->Stop();
}

Status DnsService::Reload() {
  Impl& s = *impl_;
  auto loaded = LoadAll(s.options.config_path, s.loaded.self->name);
  if (!loaded.ok()) {
    spdlog::error("reload refused, keeping the running configuration: {}",
                  loaded.status().message());
    return loaded.status();
  }
  // Settings bound at start (sockets, the secret, the controls' file, the
  // probes' source address) keep their running values until a restart.
  std::vector<std::string> at_restart;
  if (loaded->self->listen != s.loaded.self->listen) at_restart.push_back("listen");
  if (loaded->self->admin != s.loaded.self->admin) at_restart.push_back("admin");
  if (loaded->self->probe_source != s.loaded.self->probe_source) {
    at_restart.push_back("probe_source");
  }
  if (loaded->config->state_dir != s.loaded.config->state_dir) at_restart.push_back("state_dir");
  if (loaded->config->secret_file != s.loaded.config->secret_file) {
    at_restart.push_back("secret_file");
  } else if (auto secret = replication::LoadSecretFile(loaded->config->secret_file);
             secret.ok() && *secret != s.secret) {
    at_restart.push_back("the secret in " + loaded->config->secret_file);
  }
  if (!at_restart.empty()) {
    std::string names;
    for (const auto& n : at_restart) names += (names.empty() ? "" : ", ") + n;
    spdlog::warn("reload: {} changed; the running values stay until a restart", names);
  }
  s.checker->Reconfigure(loaded->config->checks);
  s.StopPeers();
  {
    std::lock_guard<std::mutex> lock(s.mu);
    s.loaded = std::move(*loaded);
    // The health decided so far stays: a changed check keeps it until its
    // new definition is observed. The answers are published again.
    s.decision.choices.clear();
    s.republish = true;
    s.StartPeers();
    s.RecomputeLocked();
  }
  spdlog::info("configuration reloaded from {}", s.loaded.config->path);
  return Status::OK();
}

}  // namespace tandem::failover
