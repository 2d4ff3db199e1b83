#include "dns/precompiled.h"

#include <cstring>
#include <set>

#include "dns/answer.h"
#include "dns/message.h"
#include "dns/wire.h"
#include "dns/zone.h"

namespace tandem::dns {
namespace {

constexpr uint16_t kTypeDs = 43, kTypeRrsig = 46, kTypeNsec = 47, kTypeIxfr = 251, kTypeAxfr = 252;
constexpr uint16_t kClassIn = 1;
constexpr size_t kMaxMessage = 65535;  // the largest limit any query has (TCP)
// Past this much text the zone is too big to precompile; all of it then
// takes the general path.
constexpr size_t kMaxText = size_t{1} << 30;
// PacketWriter remembers this many compression targets; past them the
// general path would compress differently from the NXDOMAIN template.
constexpr size_t kMaxTargets = 64;

// Types whose answer is not a function of the name alone, that the
// responder answers before looking at the zone, or that do not follow a
// CNAME (RRSIG, NSEC).
bool IsSpecial(uint16_t qtype) {
  return qtype == 0 || qtype == kTypeDs || qtype == kTypeRrsig || qtype == kTypeNsec ||
         qtype == kTypeIxfr || qtype == kTypeAxfr || qtype == kTypeANY;
}

uint64_t Mix(uint64_t h, uint64_t w) {
  h = (h ^ w) * 0xBF58476D1CE4E5B9ull;
  return h ^ (h >> 31);
}

// A fast hash of a wire name (at most 255 bytes), eight bytes at a time. The
// keys are the zone's own names, so an attacker can only probe, not fill.
uint64_t HashName(std::string_view name) {
  uint64_t h = 0x9E3779B97F4A7C15ull ^ name.size();
  size_t i = 0;
  for (; i + 8 <= name.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, name.data() + i, 8);
    h = Mix(h, w);
  }
  uint64_t w = 0;
  std::memcpy(&w, name.data() + i, name.size() - i);
  h = Mix(h, w) * 0x94D049BB133111EBull;
  return h ^ (h >> 29);
}

size_t CountLabels(std::string_view name) {
  std::array<uint8_t, kMaxLabels> offsets;
  return LabelOffsets(name, &offsets);
}

// The compression pointers of an NXDOMAIN body (the SOA record: owner,
// fixed fields, MNAME, RNAME, five numbers) into `answer`; false when it is
// not shaped so.
bool FindPointers(std::string_view body, PrecompiledAnswers::Answer* answer) {
  size_t at = 0;
  auto name = [&] {
    while (at < body.size()) {
      const uint8_t len = static_cast<uint8_t>(body[at]);
      if ((len & 0xC0) == 0xC0) {
        if (answer->num_moving == answer->moving.size()) {
          return false;
        }
        answer->moving[answer->num_moving++] = static_cast<uint16_t>(at);
        at += 2;
        return true;
      }
      at += 1 + len;
      if (len == 0) {
        return true;
      }
    }
    return false;
  };
  if (!name()) {
    return false;
  }
  at += 10;  // type, class, TTL, RDLENGTH
  if (!name() || !name()) {
    return false;
  }
  return at + 20 == body.size();
}

}  // namespace

// Renders every answer of one zone through the responder's own WriteAnswer.
class PrecompiledBuilder {
 public:
  explicit PrecompiledBuilder(const Zone& zone) : zone_(zone), buffer_(kMaxMessage) {}

  std::unique_ptr<const PrecompiledAnswers> Run(size_t max_names) {
    std::set<uint16_t> zone_types;
    size_t names = 0;
    zone_.ForEachNode([&](std::string_view, const Zone::Node& node) {
      ++names;
      for (const RrSet& set : node.rrsets) {
        if (!IsSpecial(set.type)) {
          zone_types.insert(set.type);
        }
      }
    });
    if (names > max_names) {
      return std::unique_ptr<const PrecompiledAnswers>(new PrecompiledAnswers());
    }
    other_type_ = 65280;  // private use (RFC 6895): a type the zone lacks
    while (zone_types.count(other_type_) != 0) {
      ++other_type_;
    }
    bool fits = true;
    zone_.ForEachNode([&](std::string_view name, const Zone::Node& node) {
      if (fits) {
        AddName(name, node, zone_types);
        fits = out_->text_.size() <= kMaxText;
      }
    });
    if (!fits) {
      return std::unique_ptr<const PrecompiledAnswers>(new PrecompiledAnswers());
    }
    AddNxdomain();
    for (PrecompiledAnswers::Entry& e : out_->entries_) {
      e.answer.body = std::string_view(out_->text_).substr(e.body_offset, e.body_size);
    }
    PrecompiledAnswers::Entry& nx = out_->nxdomain_;
    nx.answer.body = std::string_view(out_->text_).substr(nx.body_offset, nx.body_size);
    Index();
    return std::move(out_);
  }

 private:
  void AddName(std::string_view name, const Zone::Node& node,
               const std::set<uint16_t>& zone_types) {
    PrecompiledAnswers::Name n;
    n.name_offset = static_cast<uint32_t>(out_->text_.size());
    n.name_size = static_cast<uint16_t>(name.size());
    n.referral = node.cut != nullptr;
    if (zone_.has_wildcards() && name.size() + 2 <= kMaxNameLength) {
      n.wildcard_child = zone_.FindNode(std::string("\x01*", 2).append(name)) != nullptr;
    }
    n.first = static_cast<uint32_t>(out_->entries_.size());
    out_->text_.append(name);
    if (node.Find(kTypeCNAME) != nullptr) {
      for (uint16_t type : zone_types) {
        out_->entries_.push_back(Render(name, type));
      }
    } else {
      for (const RrSet& set : node.rrsets) {
        if (!IsSpecial(set.type)) {
          out_->entries_.push_back(Render(name, set.type));
        }
      }
    }
    n.typed = static_cast<uint32_t>(out_->entries_.size() - n.first);
    out_->entries_.push_back(Render(name, other_type_));
    out_->names_.push_back(n);
  }

  // The NXDOMAIN template, rendered for the shortest name one label under
  // the origin that does not exist and does not share a first label with
  // the SOA's names.
  void AddNxdomain() {
    PrecompiledAnswers& a = *out_;
    const std::string& origin = zone_.origin();
    a.origin_size_ = origin.size();
    a.origin_labels_ = CountLabels(origin);
    const std::string& soa = zone_.soa().rdata.front();
    std::array<RdataName, 2> names;
    const int n = FindRdataNames(kTypeSOA, soa, &names);
    for (int i = 0; i < n; ++i) {
      const std::string_view name = std::string_view(soa).substr(names[i].offset, names[i].length);
      a.soa_labels_ += CountLabels(name);
      if (name.size() > origin.size() && IsSubdomain(name, origin)) {
        std::string_view rest = name;
        while (Parent(rest).size() > origin.size()) {
          rest = Parent(rest);
        }
        std::string first(rest.substr(0, 1 + static_cast<uint8_t>(rest[0])));
        for (char& c : first) {
          c = static_cast<char>(AsciiLower(static_cast<uint8_t>(c)));
        }
        a.soa_first_labels_.push_back(std::move(first));
      }
    }
    if (origin.size() + 2 > kMaxNameLength) {
      return;
    }
    for (char c : std::string_view("0123456789abcdefghijklmnopqrstuvwxyz-_")) {
      std::string name = std::string(1, '\x01') + c;
      bool clash = zone_.FindNode(name + origin) != nullptr;
      for (const std::string& first : a.soa_first_labels_) {
        clash = clash || first == name;
      }
      if (clash) {
        continue;
      }
      name += origin;
      PrecompiledAnswers::Entry e = Render(name, other_type_);
      PrecompiledAnswers::Answer& nx = e.answer;
      if (e.general || nx.rcode != kRcodeNxDomain || nx.ancount != 0 || nx.nscount != 1 ||
          nx.arcount != 0 ||
          !FindPointers(std::string_view(a.text_).substr(e.body_offset, e.body_size), &nx)) {
        return;  // a wildcard at the apex, say: leave NXDOMAIN to the general path
      }
      nx.qname_size = static_cast<uint16_t>(name.size());
      a.nxdomain_ = e;
      a.nxdomain_usable_ = true;
      return;
    }
  }

  // The answer to `qtype` at `name` as Responder would write it after a
  // question at offset 12; the body goes to text_.
  PrecompiledAnswers::Entry Render(std::string_view name, uint16_t qtype) {
    Query query;
    std::memcpy(query.qname.data(), name.data(), name.size());
    query.qname_size = name.size();
    query.qtype = qtype;
    query.qclass = kClassIn;
    query.question_size = name.size() + 4;

    PacketWriter w(buffer_.data(), buffer_.size());
    const uint8_t header[kHeaderSize] = {};
    w.PutBytes(header, kHeaderSize);
    w.PutBytes(name.data(), name.size());
    w.Put16(qtype);
    w.Put16(kClassIn);
    w.RegisterName(kHeaderSize, name);
    const size_t start = w.size();

    constexpr uint64_t kSeed = 0x9E3779B97F4A7C15ull;
    uint64_t rng = kSeed;
    const AnswerResult r = WriteAnswer(zone_, query, &w, &rng);
    const size_t body = w.size() - start;

    PrecompiledAnswers::Entry e;
    e.qtype = qtype;
    // xorshift never maps a state to itself: an unchanged state means no draw.
    e.general = r.truncated || rng != kSeed || body > PrecompiledAnswers::kMaxBody;
    if (!e.general) {
      e.body_offset = static_cast<uint32_t>(out_->text_.size());
      e.body_size = static_cast<uint32_t>(body);
      out_->text_.append(reinterpret_cast<const char*>(buffer_.data() + start), body);
      e.answer = {r.rcode, r.authoritative, r.ancount, r.nscount, r.arcount};
    }
    return e;
  }

  // Open addressing at most half full.
  void Index() {
    PrecompiledAnswers& a = *out_;
    size_t size = 8;
    while (size < 2 * a.names_.size()) {
      size *= 2;
    }
    a.slots_.assign(size, 0);
    a.mask_ = size - 1;
    for (uint32_t i = 0; i < a.names_.size(); ++i) {
      size_t at = HashName(a.NameAt(a.names_[i])) & a.mask_;
      while (a.slots_[at] != 0) {
        at = (at + 1) & a.mask_;
      }
      a.slots_[at] = i + 1;
    }
  }

  const Zone& zone_;
  std::vector<uint8_t> buffer_;
  uint16_t other_type_ = 0;
  std::unique_ptr<PrecompiledAnswers> out_{new PrecompiledAnswers()};
};

std::unique_ptr<const PrecompiledAnswers> PrecompiledAnswers::Build(const Zone& zone,
                                                                    size_t max_names) {
  return PrecompiledBuilder(zone).Run(max_names);
}

const PrecompiledAnswers::Name* PrecompiledAnswers::FindName(std::string_view name) const {
  size_t at = HashName(name) & mask_;
  while (const uint32_t slot = slots_[at]) {
    const Name& n = names_[slot - 1];
    if (n.name_size == name.size() &&
        std::memcmp(text_.data() + n.name_offset, name.data(), name.size()) == 0) {
      return &n;
    }
    at = (at + 1) & mask_;
  }
  return nullptr;
}

const PrecompiledAnswers::Answer* PrecompiledAnswers::Find(std::string_view qname,
                                                           uint16_t qtype) const {
  if (slots_.empty() || IsSpecial(qtype)) {
    return nullptr;
  }
  const Name* n = FindName(qname);
  if (n == nullptr) {
    return FindNxdomain(qname);
  }
  const Entry* e = entries_.data() + n->first;
  const Entry* const typed_end = e + n->typed;
  while (e != typed_end && e->qtype != qtype) {
    ++e;
  }
  return e->general ? nullptr : &e->answer;  // at typed_end: the default
}

const PrecompiledAnswers::Answer* PrecompiledAnswers::FindNxdomain(std::string_view qname) const {
  if (!nxdomain_usable_) {
    return nullptr;
  }
  std::array<uint8_t, kMaxLabels> offsets;
  const size_t labels = LabelOffsets(qname, &offsets);
  if (labels <= origin_labels_ || labels + soa_labels_ > kMaxTargets) {
    return nullptr;
  }
  const size_t above_origin = labels - origin_labels_;
  auto suffix = [&](size_t k) {  // the name without its first k labels
    return qname.substr(k < labels ? offsets[k] : qname.size() - 1);
  };
  const Name* encloser = nullptr;
  for (size_t k = 1; k <= above_origin && encloser == nullptr; ++k) {
    encloser = FindName(suffix(k));
  }
  if (encloser == nullptr || encloser->referral || encloser->wildcard_child) {
    return nullptr;
  }
  const std::string_view first = suffix(above_origin - 1);
  const std::string_view first_label = first.substr(0, 1 + static_cast<uint8_t>(first[0]));
  for (const std::string& label : soa_first_labels_) {
    if (label == first_label) {
      return nullptr;
    }
  }
  return &nxdomain_.answer;
}

}  // namespace tandem::dns
