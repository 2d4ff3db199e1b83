// Zone: the immutable data one authoritative zone answers from — static
// records from an RFC 1035 master file plus the dynamic RRsets of [[record]]
// entries as routing has resolved them for the current health — and the
// reading of master files (Knot's libzscanner; not parsed by hand).
//
// Names inside are in DNS wire form (length-prefixed labels ending with the
// root's zero byte) and lower case; RDATA is wire form with uncompressed
// names. A Zone is built once per configuration or health change and then
// only read, from any thread, without locks.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"

namespace tandem::dns {

class PrecompiledAnswers;

// Record types Tandem knows by name (others pass through as numbers).
inline constexpr uint16_t kTypeA = 1, kTypeNS = 2, kTypeCNAME = 5, kTypeSOA = 6, kTypeMX = 15,
                          kTypeTXT = 16, kTypeAAAA = 28, kTypeSRV = 33, kTypeOPT = 41,
                          kTypeANY = 255, kTypeCAA = 257;

// Presentation form ("www.Shop.example." or relative to `origin`) to wire
// form, lower-cased; InvalidArgument for a bad name.
StatusOr<std::string> NameToWire(std::string_view name, std::string_view origin = ".");
// Wire form to presentation form with a trailing dot.
std::string WireToName(std::string_view wire);
// "A" -> 1 ...; 0 for an unknown mnemonic ("TYPE123" is accepted as 123).
uint16_t TypeFromName(std::string_view name);
std::string TypeName(uint16_t type);
// The RDATA of `type` written in presentation form (as in a zone file, names
// relative to `origin`), in wire form; InvalidArgument with the reason.
StatusOr<std::string> RdataFromText(uint16_t type, std::string_view text, std::string_view origin);

struct ZoneRecord {
  std::string owner;  // wire, lower case
  uint16_t type = 0;
  uint32_t ttl = 0;
  std::string rdata;                        // wire
  int line = 0;                             // in the file it came from (0: not from a file)
  std::shared_ptr<const std::string> file;  // that file (null: not from a file)
};

// Reads a master file for `origin` (presentation form). $ORIGIN, $TTL,
// $INCLUDE, relative names and multi-line records as RFC 1035; records with
// no TTL and no $TTL get 3600. Class IN only. InvalidArgument "file:line:
// problem" on the first error (in an included file, that file's name).
StatusOr<std::vector<ZoneRecord>> ReadZoneFile(const std::string& path, std::string_view origin);

struct RrSet {
  uint16_t type = 0;
  uint32_t ttl = 0;
  std::vector<std::string> rdata;  // wire
  // How a query's answer is drawn from `rdata` (dynamic records):
  //   kAll        every rdata (static sets, simple, failover)
  //   kOneByWeight one rdata chosen at random with probability weight/sum
  //               (all weights 0: uniformly)
  //   kUpToEight  all when 8 or fewer, else 8 chosen at random
  enum class Pick : uint8_t { kAll, kOneByWeight, kUpToEight };
  Pick pick = Pick::kAll;
  std::vector<uint32_t> weights;  // kOneByWeight: one per rdata
};

// A dynamic RRset to place in a zone (replaces a static set of the same
// owner and type, if any).
struct DynamicRrSet {
  std::string owner;  // wire, lower case
  RrSet set;
};

// A name server to list in a generated NS set (and glue, when it is inside
// the zone and has an address).
struct NameServer {
  std::string host;     // wire, lower case
  std::string address;  // "127.0.0.1" / "::1", or empty
};

struct ZoneSpec {
  std::string origin;  // presentation form, absolute
  std::vector<ZoneRecord> records;
  std::vector<DynamicRrSet> dynamic;
  // SOA and NS are generated at the apex when `records` has none: SOA with
  // MNAME the first name server, RNAME hostmaster.<origin>, a serial derived
  // from the contents (identical on every instance given the same input),
  // refresh 3600, retry 600, expire 86400, minimum 60, TTL 3600; NS for each
  // of `name_servers`.
  std::vector<NameServer> name_servers;
};

class Zone {
 public:
  // One name of the zone, as the responder walks it.
  struct Node {
    std::vector<RrSet> rrsets;  // sorted by type; empty: an empty non-terminal
    bool delegation = false;    // NS below the apex: a zone cut (RFC 1034 4.2.1)
    // The highest zone cut at or above this name, if any: the name is then
    // answered with a referral from that cut (data below it is occluded,
    // except as glue).
    const std::string* cut_name = nullptr;
    const Node* cut = nullptr;
    const RrSet* Find(uint16_t type) const;
  };

  // Validates and indexes: every owner inside the origin; one SOA, at the
  // apex; a CNAME alone at its name (RFC 2181 10.1) and not at the apex; the
  // TTLs of one RRset equal (the lowest wins, logged); several CNAMEs at a
  // name only as a weighted dynamic set (one is answered). InvalidArgument
  // naming the record (with its line, when it has one). Names in RDATA are
  // lower-cased and duplicate records dropped (RFC 2181 5).
  // The zone's answers are then also rendered ahead of time (precompiled.h).
  static StatusOr<std::shared_ptr<const Zone>> Build(ZoneSpec spec);
  ~Zone();

  const std::string& origin() const { return origin_; }  // wire
  // The RRsets at `name` (wire, lower case); null when the name has no data
  // (it may still be an empty non-terminal: see Exists).
  const std::vector<RrSet>* Find(std::string_view name) const;
  // Whether `name` exists: has data or has a descendant that does.
  bool Exists(std::string_view name) const;
  const RrSet& soa() const { return *soa_; }
  // The TTL of the SOA in negative answers: min(SOA TTL, MINIMUM) (RFC 2308 5).
  uint32_t negative_ttl() const { return negative_ttl_; }
  // The node at `name` (wire, lower case), data or empty non-terminal; null
  // when the name does not exist.
  const Node* FindNode(std::string_view name) const;
  bool has_wildcards() const { return has_wildcards_; }
  // Calls f(name, node) for every name of the zone, in no particular order.
  template <class F>
  void ForEachNode(F&& f) const {
    for (const auto& [name, node] : nodes_) {
      f(std::string_view(name), node);
    }
  }
  // The answers rendered when the zone was built.
  const PrecompiledAnswers& precompiled() const { return *precompiled_; }

 private:
  struct NameHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  Zone() = default;

  std::string origin_;
  std::unordered_map<std::string, Node, NameHash, std::equal_to<>> nodes_;
  const RrSet* soa_ = nullptr;
  uint32_t negative_ttl_ = 0;
  bool has_wildcards_ = false;
  std::unique_ptr<const PrecompiledAnswers> precompiled_;
  friend class ZoneBuilder;
};

// The zones one server answers for (in any order; a name in nested zones
// belongs to the one with the longest origin).
struct ZoneSet {
  std::vector<std::shared_ptr<const Zone>> zones;
  // The zone `qname` (wire, lower case) falls in, or null (REFUSED).
  const Zone* FindZone(std::string_view qname) const;
};

}  // namespace tandem::dns
