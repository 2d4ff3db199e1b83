// PrecompiledAnswers: the answers of one Zone rendered to wire form when the
// zone is built (internal to src/dns), so that a plain query is answered by
// a hash lookup and a copy instead of a walk of the zone with name
// compression (as gdnsd does).
//
// Each answer is the sections after the question, exactly as Responder's
// general path writes them after a question of that name and type at offset
// 12, rendered with the largest limit any query has (65535): so it is the
// general path's answer for every query whose limit it fits in. Compression
// pointers into the question stay right whatever the query's case, since
// only the name's length and labels matter.
//
// Kept, for every name of the zone (data or empty non-terminal): an answer
// per type at the name (for every type in the zone when the name holds a
// CNAME, since the chain's end depends on the type), and one for all other
// types (NODATA, a referral, a chain ending in NODATA). And one NXDOMAIN
// answer for the names that do not exist, whose pointers move with the
// length of the name; it serves a name when its closest existing ancestor is
// neither at or below a zone cut (a referral) nor has a wildcard child (a
// synthesized answer), when its label just under the origin is not that of
// a name in the SOA (which the general path would then compress against the
// question), and when it has few enough labels that PacketWriter keeps every
// compression target (64, the SOA's names' labels included). Answers that
// draw at random (weighted sets, multivalue sets over 8), are truncated or
// exceed kMaxBody are left to the general path.
//
// Rendering costs about 0.7 µs per answer on every zone build (each health
// change), so zones of more than kMaxNames names are not precompiled: for
// them every query takes the general path, and a flip is not delayed.
//
// Immutable after Build; Find from any number of threads without locks.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace tandem::dns {

class Zone;

class PrecompiledAnswers {
 public:
  static constexpr size_t kMaxBody = 4096;
  static constexpr size_t kMaxNames = 20000;  // ~35 ms of rendering

  struct Answer {
    uint8_t rcode = 0;  // NOERROR or NXDOMAIN (never one with extended bits)
    bool authoritative = true;
    uint16_t ancount = 0;
    uint16_t nscount = 0;
    uint16_t arcount = 0;
    std::string_view body;  // the answer, authority and additional sections
    // The NXDOMAIN answer is rendered for a name `qname_size` long; its
    // compression pointers at these offsets of `body` move by the difference
    // between the query's name length and that.
    uint16_t qname_size = 0;
    uint8_t num_moving = 0;
    std::array<uint16_t, 3> moving{};
  };

  // Renders the answers of `zone` (none when it has more than `max_names`
  // names); the result copies what it needs and does not refer to the zone
  // afterwards.
  static std::unique_ptr<const PrecompiledAnswers> Build(const Zone& zone,
                                                         size_t max_names = kMaxNames);

  // The answer to `qtype` at `qname` (wire, lower case, inside this zone)
  // for a query of class IN, opcode QUERY and EDNS version 0 or none; null
  // when the general path must answer: the answer draws at random or does
  // not fit, the name does not exist and the NXDOMAIN answer does not serve
  // it, or the type is one whose answer depends on more than the name (0,
  // DS, AXFR, IXFR, ANY).
  const Answer* Find(std::string_view qname, uint16_t qtype) const;

  // How many names and answers were kept, and whether NXDOMAIN is (tests).
  size_t names() const { return names_.size(); }
  size_t answers() const { return entries_.size(); }
  bool has_nxdomain() const { return nxdomain_usable_; }

 private:
  struct Entry {
    uint16_t qtype = 0;  // unused for a name's default entry
    bool general = false;
    uint32_t body_offset = 0;  // in text_; answer.body points there once built
    uint32_t body_size = 0;
    Answer answer;
  };
  struct Name {
    uint32_t name_offset = 0;  // in text_
    uint16_t name_size = 0;
    bool referral = false;        // at or below a zone cut
    bool wildcard_child = false;  // *.<name> exists
    uint32_t first = 0;           // entries_[first, first + typed) then the default
    uint32_t typed = 0;
  };

  PrecompiledAnswers() = default;
  std::string_view NameAt(const Name& n) const {
    return std::string_view(text_.data() + n.name_offset, n.name_size);
  }
  const Name* FindName(std::string_view name) const;
  const Answer* FindNxdomain(std::string_view qname) const;

  std::string text_;  // names and bodies, back to back
  std::vector<Name> names_;
  std::vector<Entry> entries_;
  std::vector<uint32_t> slots_;  // open addressing, linear probing: names_ index + 1, 0 empty
  size_t mask_ = 0;

  bool nxdomain_usable_ = false;
  Entry nxdomain_;
  size_t origin_size_ = 0;
  size_t origin_labels_ = 0;
  size_t soa_labels_ = 0;                      // labels of the SOA's names (compression targets)
  std::vector<std::string> soa_first_labels_;  // of the SOA's names below the origin
  friend class PrecompiledBuilder;
};

}  // namespace tandem::dns
