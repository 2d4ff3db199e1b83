#include "cli/verify_command.h"

#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <map>
#include <thread>

#include "config/deployment.h"
#include "replication/control_call.h"
#include "replication/digest_sync.h"
#include "replication/peer_auth.h"
#include "replication/peer_client.h"
#include "storage/hlc.h"
#include "types/attribute_json.h"

namespace tandem::cli {
namespace json = boost::json;
using replication::KeyDifference;
using storage::Store;

void AddVerifyFlags(CLI::App* app, VerifyFlags* flags) {
  app->add_option("--table", flags->table, "The table to compare")->required();
  app->add_option("--endpoint", flags->endpoints,
                  "REGION=URL of a region's node (repeatable, at least two); default: every "
                  "[[node]] of --config");
  app->add_option("--config", flags->config,
                  "Deployment TOML file: the cluster secret, CA and nodes");
  app->add_option("--cluster-secret", flags->cluster_secret,
                  "File holding the cluster secret (the nodes' --cluster-secret)");
  app->add_option("--ca-file", flags->ca_file, "CA certificate file that verifies https:// nodes");
  app->add_option("--timeout", flags->timeout_s,
                  "Seconds to wait for differences still replicating to settle (default 30)");
  app->add_option("--grace", flags->grace_s,
                  "A difference whose newest version is younger than this many seconds is "
                  "taken as still replicating and checked again (default 2)");
  app->add_flag("--json", flags->json, "Print the result as one JSON object");
}

namespace {

constexpr size_t kMaxKeysShown = 1000;

struct Endpoint {
  std::string region;
  std::string url;
  std::unique_ptr<replication::PeerClient> client;
};

struct Comparison {
  std::vector<replication::TableDigests> digests;  // per endpoint
  size_t ranges_differing = 0;
  std::vector<KeyDifference> keys;
};

std::string IsoTime(uint64_t millis) {
  const std::time_t secs = static_cast<std::time_t>(millis / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<unsigned>(millis % 1000));
  return buf;
}

uint64_t NowMillis() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

// Time of the newest version of a differing key, by last-writer-wins.
uint64_t NewestMillis(const KeyDifference& d) {
  uint64_t newest = 0;
  for (const auto& v : d.versions) {
    if (v) newest = std::max(newest, storage::HybridClock::PhysicalMillis(v->meta.hlc));
  }
  return newest;
}

class Verifier {
 public:
  Verifier(const VerifyFlags& flags, std::vector<Endpoint> endpoints,
           std::shared_ptr<replication::PeerAuth> auth)
      : flags_(flags), endpoints_(std::move(endpoints)), auth_(std::move(auth)) {
    for (const auto& e : endpoints_) region_names_[storage::RegionId(e.region)] = e.region;
  }

  // Compares until no difference is younger than the grace period, or the
  // timeout passes.
  StatusOr<Comparison> Run() {
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::milliseconds(static_cast<int64_t>(flags_.timeout_s * 1000));
    while (true) {
      TANDEM_ASSIGN_OR_RETURN(Comparison c, CompareOnce());
      const uint64_t settled_before = NowMillis() - static_cast<uint64_t>(flags_.grace_s * 1000);
      bool in_flight = false;
      for (const auto& d : c.keys) in_flight |= NewestMillis(d) > settled_before;
      if (!in_flight || std::chrono::steady_clock::now() >= deadline) return c;
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
  }

  std::string Describe(const std::optional<Store::RangeEntry>& v) const {
    if (!v) return "missing";
    const std::string when = IsoTime(storage::HybridClock::PhysicalMillis(v->meta.hlc));
    auto name = region_names_.find(v->meta.origin);
    const std::string where =
        name != region_names_.end() ? name->second : "region #" + std::to_string(v->meta.origin);
    if (v->meta.tombstone) return "deleted " + when + " in " + where;
    return "item " + v->hash.ToHex().substr(0, 12) + ", written " + when + " in " + where;
  }

  const std::vector<Endpoint>& endpoints() const { return endpoints_; }

 private:
  replication::ControlCall CallOf(Endpoint* e) {
    return [this, e](const json::object& request) {
      return replication::PostControl(e->client.get(), *auth_, request, std::chrono::seconds(10),
                                      e->region + " (" + e->url + ")");
    };
  }

  StatusOr<Comparison> CompareOnce() {
    Comparison c;
    for (auto& e : endpoints_) {
      auto d = replication::FetchTableDigests(CallOf(&e), flags_.table);
      if (!d.ok()) {
        return d.status().WithPrefix(e.region + " (" + e.url + "): ");
      }
      c.digests.push_back(std::move(*d));
    }
    const auto& first = c.digests[0];
    for (size_t i = 1; i < c.digests.size(); ++i) {
      const auto& d = c.digests[i];
      if (d.hash_key.name != first.hash_key.name || d.hash_key.type != first.hash_key.type ||
          d.range_key.has_value() != first.range_key.has_value() ||
          (d.range_key && (d.range_key->name != first.range_key->name ||
                           d.range_key->type != first.range_key->type))) {
        return Status::FailedPrecondition("the table's key schema in " + endpoints_[i].region +
                                          " differs from " + endpoints_[0].region +
                                          "'s: these are not replicas of one table");
      }
    }
    for (uint32_t range = 0; range < storage::kDigestRanges; ++range) {
      bool equal = true;
      for (const auto& d : c.digests) equal &= d.ranges[range] == first.ranges[range];
      if (equal) continue;
      ++c.ranges_differing;
      std::vector<std::vector<Store::RangeEntry>> versions;
      for (auto& e : endpoints_) {
        auto v = replication::FetchRange(CallOf(&e), flags_.table, range);
        if (!v.ok()) {
          return v.status().WithPrefix(e.region + " (" + e.url + "): ");
        }
        versions.push_back(std::move(*v));
      }
      for (auto& d : replication::CompareRange(versions)) c.keys.push_back(std::move(d));
    }
    return c;
  }

  const VerifyFlags& flags_;
  std::vector<Endpoint> endpoints_;
  std::shared_ptr<replication::PeerAuth> auth_;
  std::map<uint32_t, std::string> region_names_;
};

std::string KeyJson(const replication::TableDigests& schema, const std::string& suffix) {
  auto key = storage::KeyFromSuffix(schema.hash_key, schema.range_key, suffix);
  if (!key.ok()) return "(undecodable key)";
  return json::serialize(ItemToJson(*key));
}

void PrintText(const Verifier& v, const VerifyFlags& flags, const Comparison& c) {
  std::cout << "table " << flags.table << ":";
  for (size_t i = 0; i < c.digests.size(); ++i) {
    std::cout << (i ? ", " : " ") << v.endpoints()[i].region << " " << c.digests[i].item_count
              << " items";
  }
  std::cout << "\n";
  if (c.keys.empty()) {
    std::cout << "equal: all " << storage::kDigestRanges << " key ranges match in every region\n";
    return;
  }
  std::cout << "DIFFERENT: " << c.keys.size()
            << (c.keys.size() == 1 ? " key differs" : " keys differ") << " (" << c.ranges_differing
            << " of " << storage::kDigestRanges << " key ranges compared item by item)\n";
  size_t shown = 0;
  for (const auto& d : c.keys) {
    if (shown++ == kMaxKeysShown) {
      std::cout << "  ... and " << c.keys.size() - kMaxKeysShown << " more\n";
      break;
    }
    std::cout << "  " << KeyJson(c.digests[0], d.key_suffix) << "\n";
    for (size_t i = 0; i < d.versions.size(); ++i) {
      std::cout << "      " << v.endpoints()[i].region << ": " << v.Describe(d.versions[i]) << "\n";
    }
  }
}

void PrintJson(const Verifier& v, const VerifyFlags& flags, const Comparison& c) {
  json::object out{{"table", flags.table}, {"equal", c.keys.empty()}};
  json::object counts;
  for (size_t i = 0; i < c.digests.size(); ++i) {
    counts[v.endpoints()[i].region] = c.digests[i].item_count;
  }
  out["item_counts"] = std::move(counts);
  out["ranges"] = storage::kDigestRanges;
  out["ranges_differing"] = c.ranges_differing;
  json::array keys;
  for (const auto& d : c.keys) {
    if (keys.size() == kMaxKeysShown) break;
    json::object versions;
    for (size_t i = 0; i < d.versions.size(); ++i) {
      versions[v.endpoints()[i].region] = v.Describe(d.versions[i]);
    }
    auto key = storage::KeyFromSuffix(c.digests[0].hash_key, c.digests[0].range_key, d.key_suffix);
    keys.push_back(json::object{{"key", key.ok() ? json::value(ItemToJson(*key)) : nullptr},
                                {"versions", std::move(versions)}});
  }
  out["differing_keys"] = std::move(keys);
  out["differing_key_count"] = c.keys.size();
  std::cout << json::serialize(out) << "\n";
}

}  // namespace

int RunVerify(const VerifyFlags& given) {
  VerifyFlags flags = given;
  std::vector<std::pair<std::string, std::string>> endpoints;
  if (!flags.config.empty()) {
    auto d = config::LoadDeployment(flags.config);
    if (!d.ok()) {
      std::cerr << "tandem verify: " << d.status().message() << "\n";
      return 2;
    }
    if (flags.cluster_secret.empty()) flags.cluster_secret = d->cluster.secret_file;
    if (flags.ca_file.empty()) flags.ca_file = d->cluster.ca_file;
    if (flags.endpoints.empty()) {
      for (const auto& n : d->nodes) endpoints.emplace_back(n.region, n.url);
    }
  }
  for (const auto& e : flags.endpoints) {
    const auto eq = e.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == e.size()) {
      std::cerr << "tandem verify: --endpoint must be REGION=URL, got '" << e << "'\n";
      return 2;
    }
    endpoints.emplace_back(e.substr(0, eq), e.substr(eq + 1));
  }
  if (endpoints.size() < 2) {
    std::cerr << "tandem verify: give at least two regions (--endpoint REGION=URL, or --config "
                 "with two [[node]] entries)\n";
    return 2;
  }
  if (flags.cluster_secret.empty()) {
    std::cerr << "tandem verify: the nodes answer comparisons only to holders of the cluster "
                 "secret: give --cluster-secret FILE or --config FILE\n";
    return 2;
  }
  auto secret = replication::LoadSecretFile(flags.cluster_secret);
  if (!secret.ok()) {
    std::cerr << "tandem verify: " << secret.status().message() << "\n";
    return 2;
  }
  std::vector<Endpoint> resolved;
  for (auto& [region, url] : endpoints) {
    auto parsed = replication::PeerUrl::Parse(url);
    if (!parsed.ok()) {
      std::cerr << "tandem verify: " << region << ": " << parsed.status().message() << "\n";
      return 2;
    }
    resolved.push_back(
        {region, url, std::make_unique<replication::PeerClient>(*parsed, flags.ca_file)});
  }
  auto auth =
      std::make_shared<replication::PeerAuth>(*secret, "tandem-verify", SystemClock::Default());
  Verifier verifier(flags, std::move(resolved), auth);
  auto result = verifier.Run();
  if (!result.ok()) {
    std::cerr << "tandem verify: cannot compare: " << result.status().message() << "\n";
    return 2;
  }
  if (flags.json) {
    PrintJson(verifier, flags, *result);
  } else {
    PrintText(verifier, flags, *result);
  }
  return result->keys.empty() ? 0 : 1;
}

}  // namespace tandem::cli
