#include "dns/zone.h"

#include <arpa/inet.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <map>
#include <utility>

#include "dns/precompiled.h"
#include "dns/wire.h"

namespace tandem::dns {

const RrSet* Zone::Node::Find(uint16_t type) const {
  for (const RrSet& set : rrsets) {
    if (set.type == type) {
      return &set;
    }
  }
  return nullptr;
}

const Zone::Node* Zone::FindNode(std::string_view name) const {
  auto it = nodes_.find(name);
  return it == nodes_.end() ? nullptr : &it->second;
}

const std::vector<RrSet>* Zone::Find(std::string_view name) const {
  const Node* node = FindNode(name);
  return node == nullptr || node->rrsets.empty() ? nullptr : &node->rrsets;
}

bool Zone::Exists(std::string_view name) const { return FindNode(name) != nullptr; }

Zone::~Zone() = default;

const Zone* ZoneSet::FindZone(std::string_view qname) const {
  std::string_view suffix = qname;
  while (true) {
    for (const auto& zone : zones) {
      if (zone->origin().size() == suffix.size() && zone->origin() == suffix) {
        return zone.get();
      }
    }
    if (suffix.size() <= 1) {
      return nullptr;
    }
    suffix = Parent(suffix);
  }
}

namespace {

// FNV-1a, for the generated SOA serial.
struct Fnv {
  uint64_t h = 1469598103934665603ull;
  void Add(std::string_view s) {
    for (unsigned char c : s) {
      h = (h ^ c) * 1099511628211ull;
    }
    Add32(static_cast<uint32_t>(s.size()));
  }
  void Add32(uint32_t v) {
    for (int i = 0; i < 4; ++i) {
      h = (h ^ ((v >> (8 * i)) & 0xFF)) * 1099511628211ull;
    }
  }
};

std::string Where(const ZoneRecord& r) {
  if (r.file) {
    return *r.file + ":" + std::to_string(r.line) + ": ";
  }
  return r.line > 0 ? "line " + std::to_string(r.line) + ": " : "";
}

bool IsMetaType(uint16_t type) {
  return type == 0 || type == kTypeOPT || (type >= 128 && type <= 255);
}

void Put32(std::string* s, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    s->push_back(static_cast<char>((v >> shift) & 0xFF));
  }
}

}  // namespace

// Collects records into RRsets, checks them and lays out the nodes.
class ZoneBuilder {
 public:
  explicit ZoneBuilder(std::string origin) { zone_->origin_ = std::move(origin); }

  StatusOr<std::shared_ptr<const Zone>> Run(ZoneSpec& spec) {
    Fnv serial;
    serial.Add(zone_->origin_);
    for (ZoneRecord& r : spec.records) {
      serial.Add(r.owner);
      serial.Add32(r.type);
      serial.Add32(r.ttl);
      serial.Add(r.rdata);
      TANDEM_RETURN_IF_ERROR(AddStatic(std::move(r)));
    }
    for (DynamicRrSet& d : spec.dynamic) {
      serial.Add(d.owner);
      serial.Add32(d.set.type);
      serial.Add32(d.set.ttl);
      serial.Add32(static_cast<uint32_t>(d.set.pick));
      for (size_t i = 0; i < d.set.rdata.size(); ++i) {
        serial.Add(d.set.rdata[i]);
        serial.Add32(i < d.set.weights.size() ? d.set.weights[i] : 0);
      }
      TANDEM_RETURN_IF_ERROR(AddDynamic(std::move(d)));
    }
    for (const NameServer& ns : spec.name_servers) {
      serial.Add(ns.host);
      serial.Add(ns.address);
    }
    TANDEM_RETURN_IF_ERROR(Generate(spec.name_servers, serial));
    TANDEM_RETURN_IF_ERROR(CheckCnames());
    Layout();
    zone_->precompiled_ = PrecompiledAnswers::Build(*zone_);
    return std::shared_ptr<const Zone>(std::move(zone_));
  }

 private:
  struct Pending {
    RrSet set;
    std::string where;  // of the first record, for messages
    bool dynamic = false;
  };

  std::string Label(std::string_view where, std::string_view owner, uint16_t type) const {
    return std::string(where) + WireToName(owner) + " " + TypeName(type) + ": ";
  }

  // Checks the owner and RDATA of one record (or dynamic set member) and
  // lower-cases the names in its RDATA.
  Status CheckRecord(const std::string& where, std::string& owner, uint16_t type,
                     std::string& rdata) {
    if (owner.empty() || WireNameLength(owner) != owner.size()) {
      return Status::InvalidArgument(where + "malformed owner name");
    }
    for (char& c : owner) {
      c = static_cast<char>(AsciiLower(static_cast<uint8_t>(c)));
    }
    if (!IsSubdomain(owner, zone_->origin_)) {
      return Status::InvalidArgument(Label(where, owner, type) + "owner is outside the zone " +
                                     WireToName(zone_->origin_));
    }
    if (IsMetaType(type)) {
      return Status::InvalidArgument(Label(where, owner, type) + "not a data type");
    }
    if (rdata.size() > 65535) {
      return Status::InvalidArgument(Label(where, owner, type) + "RDATA longer than 65535 bytes");
    }
    std::array<RdataName, 2> names;
    const int n = FindRdataNames(type, rdata, &names);
    if (n < 0) {
      return Status::InvalidArgument(Label(where, owner, type) + "malformed RDATA");
    }
    for (int i = 0; i < n; ++i) {
      for (size_t k = names[i].offset; k < names[i].offset + names[i].length; ++k) {
        rdata[k] = static_cast<char>(AsciiLower(static_cast<uint8_t>(rdata[k])));
      }
    }
    if (type == kTypeSOA && owner != zone_->origin_) {
      return Status::InvalidArgument(Label(where, owner, type) +
                                     "SOA is only allowed at the apex " +
                                     WireToName(zone_->origin_));
    }
    return Status::OK();
  }

  Status AddStatic(ZoneRecord r) {
    const std::string where = Where(r);
    TANDEM_RETURN_IF_ERROR(CheckRecord(where, r.owner, r.type, r.rdata));
    Pending& p = sets_[r.owner][r.type];
    if (p.set.rdata.empty()) {
      p.set.type = r.type;
      p.set.ttl = r.ttl;
      p.where = where;
    }
    if (std::find(p.set.rdata.begin(), p.set.rdata.end(), r.rdata) != p.set.rdata.end()) {
      return Status::OK();  // a duplicate record (RFC 2181 5)
    }
    if (r.type == kTypeSOA && !p.set.rdata.empty()) {
      return Status::InvalidArgument(Label(where, r.owner, r.type) + "more than one SOA");
    }
    if (r.ttl != p.set.ttl) {
      const uint32_t ttl = std::min(r.ttl, p.set.ttl);
      spdlog::warn("{}TTLs differ within the RRset (RFC 2181 5.2); using {}",
                   Label(where, r.owner, r.type), ttl);
      p.set.ttl = ttl;
    }
    p.set.rdata.push_back(std::move(r.rdata));
    return Status::OK();
  }

  Status AddDynamic(DynamicRrSet d) {
    const std::string where = "record " + WireToName(d.owner) + " " + TypeName(d.set.type) + ": ";
    if (d.set.rdata.empty()) {
      return Status::InvalidArgument(where + "no values");
    }
    if (d.set.pick == RrSet::Pick::kOneByWeight && d.set.weights.size() != d.set.rdata.size()) {
      return Status::InvalidArgument(where + "one weight per value is needed");
    }
    for (std::string& rdata : d.set.rdata) {
      TANDEM_RETURN_IF_ERROR(CheckRecord(where, d.owner, d.set.type, rdata));
    }
    if (d.set.type == kTypeSOA) {
      return Status::InvalidArgument(where + "SOA cannot be a dynamic record");
    }
    Pending& p = sets_[d.owner][d.set.type];
    p.set = std::move(d.set);
    p.where = where;
    p.dynamic = true;
    return Status::OK();
  }

  // SOA and NS at the apex when the records have none.
  Status Generate(const std::vector<NameServer>& name_servers, const Fnv& serial) {
    auto& apex = sets_[zone_->origin_];
    if (apex[kTypeSOA].set.rdata.empty()) {
      std::string rdata = name_servers.empty() ? zone_->origin_ : name_servers.front().host;
      rdata += std::string("\x0ahostmaster", 11) + zone_->origin_;  // RNAME hostmaster.<origin>
      uint32_t s = static_cast<uint32_t>(serial.h ^ (serial.h >> 32));
      Put32(&rdata, s == 0 ? 1 : s);
      for (uint32_t v : {3600u, 600u, 86400u, 60u}) {
        Put32(&rdata, v);
      }
      Pending& soa = apex[kTypeSOA];
      soa.set = RrSet{kTypeSOA, 3600, {std::move(rdata)}};
      soa.where = "generated ";
    }
    if (apex.count(kTypeNS) == 0 && !name_servers.empty()) {
      Pending& ns = apex[kTypeNS];
      ns.set.type = kTypeNS;
      ns.set.ttl = 3600;
      ns.where = "generated ";
      for (const NameServer& server : name_servers) {
        std::string host = server.host;
        if (host.empty() || WireNameLength(host) != host.size()) {
          return Status::InvalidArgument("name server: malformed host name");
        }
        for (char& c : host) {
          c = static_cast<char>(AsciiLower(static_cast<uint8_t>(c)));
        }
        const std::string& rdata = host;
        if (std::find(ns.set.rdata.begin(), ns.set.rdata.end(), rdata) == ns.set.rdata.end()) {
          ns.set.rdata.push_back(rdata);
        }
        TANDEM_RETURN_IF_ERROR(AddGlue(host, server.address));
      }
    }
    return Status::OK();
  }

  // An A or AAAA for a generated name server inside the zone that has none.
  Status AddGlue(const std::string& host, const std::string& address) {
    if (address.empty() || !IsSubdomain(host, zone_->origin_)) {
      return Status::OK();
    }
    uint8_t bytes[16];
    uint16_t type = 0;
    size_t size = 0;
    if (inet_pton(AF_INET, address.c_str(), bytes) == 1) {
      type = kTypeA;
      size = 4;
    } else if (inet_pton(AF_INET6, address.c_str(), bytes) == 1) {
      type = kTypeAAAA;
      size = 16;
    } else {
      return Status::InvalidArgument("name server " + WireToName(host) + ": bad address \"" +
                                     address + "\"");
    }
    auto& node = sets_[host];
    if (node.count(kTypeA) == 0 && node.count(kTypeAAAA) == 0) {
      Pending& glue = node[type];
      glue.set = RrSet{type, 3600, {std::string(reinterpret_cast<char*>(bytes), size)}};
      glue.where = "generated ";
    }
    return Status::OK();
  }

  Status CheckCnames() const {
    for (const auto& [owner, types] : sets_) {
      auto cname = types.find(kTypeCNAME);
      if (cname == types.end()) {
        continue;
      }
      const Pending& p = cname->second;
      if (owner == zone_->origin_) {
        return Status::InvalidArgument(Label(p.where, owner, kTypeCNAME) +
                                       "a CNAME cannot be at the apex");
      }
      if (p.set.rdata.size() > 1 && p.set.pick != RrSet::Pick::kOneByWeight) {
        return Status::InvalidArgument(Label(p.where, owner, kTypeCNAME) +
                                       "more than one CNAME at one name (RFC 2181 10.1)");
      }
      for (const auto& [type, other] : types) {
        // RRSIG and NSEC may sit beside a CNAME (RFC 4035 2.5).
        if (type != kTypeCNAME && type != 46 && type != 47) {
          return Status::InvalidArgument(Label(p.where, owner, kTypeCNAME) +
                                         "a CNAME must be alone at its name (RFC 2181 10.1), but " +
                                         TypeName(type) + " is there too");
        }
      }
    }
    return Status::OK();
  }

  // Nodes for every owner and the empty non-terminals above them; zone cuts.
  void Layout() {
    Zone& z = *zone_;
    for (auto& [owner, types] : sets_) {
      Zone::Node& node = z.nodes_[owner];
      for (auto& [type, pending] : types) {
        if (!pending.set.rdata.empty()) {
          node.rrsets.push_back(std::move(pending.set));  // std::map: sorted by type
        }
      }
      node.delegation = owner != z.origin_ && node.Find(kTypeNS) != nullptr;
      if (owner.size() > 2 && owner[0] == 1 && owner[1] == '*') {
        z.has_wildcards_ = true;
      }
      for (std::string_view up = Parent(owner); up.size() >= z.origin_.size() && up != owner;
           up = Parent(up)) {
        z.nodes_.try_emplace(std::string(up));
        if (up.size() <= z.origin_.size()) {
          break;
        }
      }
    }
    for (auto& [name, node] : z.nodes_) {
      // The highest cut at or above `name`: walk down from just below the apex.
      std::array<std::string_view, kMaxLabels> chain;
      size_t n = 0;
      for (std::string_view up = name; up.size() > z.origin_.size() && n < chain.size();
           up = Parent(up)) {
        chain[n++] = up;
      }
      while (n > 0) {
        auto it = z.nodes_.find(chain[--n]);
        if (it != z.nodes_.end() && it->second.delegation) {
          node.cut_name = &it->first;
          node.cut = &it->second;
          break;
        }
      }
    }
    z.soa_ = z.nodes_[z.origin_].Find(kTypeSOA);
    const std::string& soa = z.soa_->rdata.front();
    const auto* m = reinterpret_cast<const uint8_t*>(soa.data() + soa.size() - 4);
    const uint32_t minimum = (uint32_t{m[0]} << 24) | (m[1] << 16) | (m[2] << 8) | m[3];
    z.negative_ttl_ = std::min(z.soa_->ttl, minimum);
  }

  std::unique_ptr<Zone> zone_{new Zone()};
  std::map<std::string, std::map<uint16_t, Pending>> sets_;
};

StatusOr<std::shared_ptr<const Zone>> Zone::Build(ZoneSpec spec) {
  TANDEM_ASSIGN_OR_RETURN(std::string origin, NameToWire(spec.origin, "."));
  ZoneBuilder builder(std::move(origin));
  return builder.Run(spec);
}

}  // namespace tandem::dns
