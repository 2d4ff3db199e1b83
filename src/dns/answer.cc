#include "dns/answer.h"

#include <array>

namespace tandem::dns {
namespace {

constexpr uint16_t kTypeDs = 43, kTypeRrsig = 46, kTypeNsec = 47;
constexpr uint16_t kClassIn = 1;
constexpr int kMaxCnameChain = 16;
constexpr size_t kMaxAdditionalTargets = 16;

enum class Section { kAnswer, kAuthority, kAdditional };

class AnswerWriter {
 public:
  AnswerWriter(const Zone& zone, const Query& query, PacketWriter* w, uint64_t* rng)
      : zone_(zone), query_(query), w_(*w), rng_(rng), start_(w->size()) {}

  AnswerResult Run() {
    Resolve();
    if (result_.truncated) {
      w_.Rewind(start_);
      result_.ancount = result_.nscount = result_.arcount = 0;
      return result_;
    }
    WriteAdditional();
    return result_;
  }

 private:
  struct Target {
    std::string_view name;
    bool glue = false;       // a referral's name server: may be below the cut
    bool in_domain = false;  // ... and below it: its glue is required (RFC 9471)
  };

  // Walks from the query name through CNAMEs to the final answer.
  void Resolve() {
    std::string_view name = query_.qname_view();
    std::array<std::string_view, kMaxCnameChain + 1> visited;
    size_t chain = 0;
    visited[0] = name;
    const uint16_t qtype = query_.qtype;
    while (true) {
      const Zone::Node* node = zone_.FindNode(name);
      if (node != nullptr && node->cut != nullptr && !(node == node->cut && qtype == kTypeDs)) {
        Referral(*node->cut_name, *node->cut, chain);
        return;
      }
      if (node == nullptr) {
        std::string_view encloser = Parent(name);
        const Zone::Node* found = zone_.FindNode(encloser);
        while (found == nullptr && encloser.size() > zone_.origin().size()) {
          encloser = Parent(encloser);
          found = zone_.FindNode(encloser);
        }
        if (found != nullptr && found->cut != nullptr) {
          Referral(*found->cut_name, *found->cut, chain);
          return;
        }
        node = found != nullptr ? FindWildcard(encloser) : nullptr;
        if (node == nullptr) {
          result_.rcode = kRcodeNxDomain;
          Negative();
          return;
        }
      }
      if (qtype == kTypeANY) {
        if (node->rrsets.empty()) {
          Negative();
        } else {
          PutSet(name, node->rrsets.front(), Section::kAnswer);
        }
        return;
      }
      if (const RrSet* set = node->Find(qtype)) {
        PutSet(name, *set, Section::kAnswer);
        return;
      }
      // RRSIG and NSEC may sit beside a CNAME (RFC 4035 2.5): never followed.
      const bool follows = qtype != kTypeCNAME && qtype != kTypeRrsig && qtype != kTypeNsec;
      const RrSet* cname = follows ? node->Find(kTypeCNAME) : nullptr;
      if (cname == nullptr) {
        Negative();
        return;
      }
      // One CNAME; a weighted dynamic set may offer several to pick from.
      const uint32_t pick = cname->pick == RrSet::Pick::kOneByWeight ? PickByWeight(*cname) : 0;
      if (!PutRecord(name, kTypeCNAME, cname->ttl, cname->rdata[pick])) {
        result_.truncated = true;
        return;
      }
      ++result_.ancount;
      const std::string_view target = cname->rdata[pick];
      if (!IsSubdomain(target, zone_.origin()) || chain == kMaxCnameChain) {
        return;  // out of the zone, or too long: the resolver carries on
      }
      for (size_t i = 0; i <= chain; ++i) {
        if (visited[i] == target) {
          return;  // a loop
        }
      }
      name = target;
      visited[++chain] = name;
    }
  }

  // The source of synthesis *.<encloser> (RFC 4592 3.3.1), or null.
  const Zone::Node* FindWildcard(std::string_view encloser) const {
    if (!zone_.has_wildcards() || encloser.size() + 2 > kMaxNameLength) {
      return nullptr;
    }
    std::array<char, kMaxNameLength> buffer;
    buffer[0] = 1;
    buffer[1] = '*';
    encloser.copy(buffer.data() + 2, encloser.size());
    return zone_.FindNode(std::string_view(buffer.data(), encloser.size() + 2));
  }

  void Referral(const std::string& cut_name, const Zone::Node& cut, size_t chain) {
    if (chain == 0) {
      result_.authoritative = false;
    }
    const size_t before = num_targets_;
    if (PutSet(cut_name, *cut.Find(kTypeNS), Section::kAuthority)) {
      for (size_t i = before; i < num_targets_; ++i) {
        targets_[i].glue = true;
        targets_[i].in_domain = IsSubdomain(targets_[i].name, cut_name);
      }
    }
  }

  // NXDOMAIN or NODATA: the SOA in the authority section (RFC 2308 3).
  void Negative() {
    PutSet(zone_.origin(), zone_.soa(), Section::kAuthority, zone_.negative_ttl());
  }

  void WriteAdditional() {
    for (size_t i = 0; i < num_targets_; ++i) {
      const Target& t = targets_[i];
      if (!IsSubdomain(t.name, zone_.origin())) {
        continue;
      }
      const Zone::Node* node = zone_.FindNode(t.name);
      if (node == nullptr || (node->cut != nullptr && !t.glue)) {
        continue;
      }
      for (uint16_t type : {kTypeA, kTypeAAAA}) {
        if (const RrSet* set = node->Find(type)) {
          if (!PutSet(t.name, *set, Section::kAdditional)) {
            // Additional data is dropped without TC (RFC 2181 9), except
            // the glue of name servers inside the delegated zone, without
            // which the referral cannot be followed (RFC 9471 3.1).
            if (t.in_domain) {
              result_.truncated = true;
            }
            return;
          }
        }
      }
    }
  }

  void NoteTarget(std::string_view name) {
    for (size_t i = 0; i < num_targets_; ++i) {
      if (targets_[i].name == name) {
        return;
      }
    }
    if (num_targets_ < targets_.size()) {
      targets_[num_targets_++] = Target{name, false};
    }
  }

  // Writes one RR; false (and nothing written) when it does not fit.
  bool PutRecord(std::string_view owner, uint16_t type, uint32_t ttl, std::string_view rdata) {
    const size_t start = w_.size();
    if (!w_.PutName(owner, true) || !w_.Put16(type) || !w_.Put16(kClassIn) || !w_.Put32(ttl) ||
        !w_.Put16(0)) {
      w_.Rewind(start);
      return false;
    }
    const size_t rdata_start = w_.size();
    std::array<RdataName, 2> names;
    const int n = FindRdataNames(type, rdata, &names);
    size_t at = 0;
    bool ok = true;
    for (int i = 0; i < n && ok; ++i) {
      ok = w_.PutBytes(rdata.data() + at, names[i].offset - at) &&
           w_.PutName(rdata.substr(names[i].offset, names[i].length), names[i].compressible,
                      names[i].compressible);
      at = names[i].offset + names[i].length;
    }
    ok = ok && w_.PutBytes(rdata.data() + at, rdata.size() - at);
    if (!ok) {
      w_.Rewind(start);
      return false;
    }
    w_.Patch16(rdata_start - 2, static_cast<uint16_t>(w_.size() - rdata_start));
    if (n > 0 && (type == kTypeNS || type == kTypeMX || type == kTypeSRV)) {
      NoteTarget(rdata.substr(names[0].offset, names[0].length));
    }
    return true;
  }

  // Writes the RRset (as its Pick says) whole, or nothing. An answer or
  // authority RRset that does not fit marks the response truncated.
  bool PutSet(std::string_view owner, const RrSet& set, Section section,
              uint32_t ttl_override = UINT32_MAX) {
    const uint32_t ttl = ttl_override == UINT32_MAX ? set.ttl : ttl_override;
    const size_t start = w_.size();
    const size_t targets_before = num_targets_;
    std::array<uint32_t, 8> picked;
    size_t count = 0;
    bool ok = true;
    switch (set.pick) {
      case RrSet::Pick::kAll:
        for (const std::string& rdata : set.rdata) {
          if (!(ok = PutRecord(owner, set.type, ttl, rdata))) {
            break;
          }
          ++count;
        }
        break;
      case RrSet::Pick::kOneByWeight:
        picked[0] = PickByWeight(set);
        count = 1;
        ok = PutRecord(owner, set.type, ttl, set.rdata[picked[0]]);
        break;
      case RrSet::Pick::kUpToEight:
        count = PickUpToEight(set, &picked);
        for (size_t i = 0; i < count && ok; ++i) {
          ok = PutRecord(owner, set.type, ttl, set.rdata[picked[i]]);
        }
        break;
    }
    if (!ok) {
      w_.Rewind(start);
      num_targets_ = targets_before;
      if (section != Section::kAdditional) {
        result_.truncated = true;
      }
      return false;
    }
    uint16_t& counter = section == Section::kAnswer      ? result_.ancount
                        : section == Section::kAuthority ? result_.nscount
                                                         : result_.arcount;
    counter = static_cast<uint16_t>(counter + count);
    return true;
  }

  uint32_t PickByWeight(const RrSet& set) {
    uint64_t total = 0;
    for (size_t i = 0; i < set.rdata.size() && i < set.weights.size(); ++i) {
      total += set.weights[i];
    }
    const uint64_t r = NextRandom(rng_);
    if (total == 0) {
      return static_cast<uint32_t>(r % set.rdata.size());
    }
    uint64_t point = r % total;
    for (size_t i = 0; i < set.rdata.size() && i < set.weights.size(); ++i) {
      if (point < set.weights[i]) {
        return static_cast<uint32_t>(i);
      }
      point -= set.weights[i];
    }
    return 0;
  }

  size_t PickUpToEight(const RrSet& set, std::array<uint32_t, 8>* picked) {
    const size_t n = set.rdata.size();
    if (n <= picked->size()) {
      for (size_t i = 0; i < n; ++i) {
        (*picked)[i] = static_cast<uint32_t>(i);
      }
      return n;
    }
    size_t count = 0;
    while (count < picked->size()) {  // distinct indices; n > 8 keeps this short
      const auto candidate = static_cast<uint32_t>(NextRandom(rng_) % n);
      bool seen = false;
      for (size_t i = 0; i < count; ++i) {
        seen = seen || (*picked)[i] == candidate;
      }
      if (!seen) {
        (*picked)[count++] = candidate;
      }
    }
    return count;
  }

  const Zone& zone_;
  const Query& query_;
  PacketWriter& w_;
  uint64_t* rng_;
  const size_t start_;
  AnswerResult result_;
  std::array<Target, kMaxAdditionalTargets> targets_;
  size_t num_targets_ = 0;
};

}  // namespace

AnswerResult WriteAnswer(const Zone& zone, const Query& query, PacketWriter* writer,
                         uint64_t* rng) {
  return AnswerWriter(zone, query, writer, rng).Run();
}

}  // namespace tandem::dns
