// Wire-format helpers shared by the zone code and the responder (internal to
// src/dns): walking and comparing uncompressed domain names, finding the
// names inside RDATA, and PacketWriter, which builds a response in a caller's
// buffer with RFC 1035 4.1.4 name compression and never writes past its
// limit.
//
// Names here are uncompressed wire form: length-prefixed labels ending with
// the zero byte, at most 255 bytes. Comparisons ignore ASCII case (RFC 4343).
//
// Thread-safety: free functions are pure; a PacketWriter belongs to one
// thread. Nothing here allocates.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tandem::dns {

inline constexpr size_t kMaxNameLength = 255;
inline constexpr size_t kMaxLabels = 128;  // 127 one-byte labels and the root

inline uint8_t AsciiLower(uint8_t c) { return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c; }

// Length of the well-formed uncompressed name at the start of `data` (labels
// of 1..63 bytes, at most 255 bytes in all, ending with the root), or 0 when
// it is not one.
size_t WireNameLength(std::string_view data);

// Offsets of the label starts of the well-formed `name` (the root's zero byte
// is not counted); returns how many.
size_t LabelOffsets(std::string_view name, std::array<uint8_t, kMaxLabels>* offsets);

// Whether `name` equals `ancestor` or lies below it (both well-formed).
bool IsSubdomain(std::string_view name, std::string_view ancestor);

// Case-insensitive equality of two byte strings.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// `name` without its first label (the root stays the root).
inline std::string_view Parent(std::string_view name) {
  if (name.size() <= 1) {
    return name;
  }
  return name.substr(1 + static_cast<uint8_t>(name[0]));
}

// A domain name inside RDATA.
struct RdataName {
  size_t offset = 0;          // where it starts in the RDATA
  size_t length = 0;          // its wire length
  bool compressible = false;  // RFC 3597 4: may be compressed when written
};

// The names in an RDATA of `type` (NS, CNAME, SOA, PTR, MX, SRV, DNAME, ...
// and the obsolete ones RFC 3597 lists), at most two. Returns how many, or
// -1 when the RDATA is malformed for its type (a name that does not parse,
// fixed fields missing, bytes left over for a type made only of names and
// fixed fields). Types without names return 0 and are not checked.
int FindRdataNames(uint16_t type, std::string_view rdata, std::array<RdataName, 2>* names);

// Builds a DNS message in a fixed buffer. Every Put* returns false, writing
// nothing, when it would go past the limit; the caller rewinds to a point
// it saved and carries on. Names written through PutName become targets for
// later compression; names are matched case-insensitively and pointers only
// ever refer to offsets below 0x4000 (RFC 1035 4.1.4).
class PacketWriter {
 public:
  PacketWriter(uint8_t* data, size_t limit) : data_(data), limit_(limit) {}

  size_t size() const { return size_; }
  size_t limit() const { return limit_; }
  uint8_t* data() { return data_; }
  // Lowers the limit (never below the current size or above the buffer).
  void set_limit(size_t limit) { limit_ = limit < size_ ? size_ : limit; }

  bool PutBytes(const void* bytes, size_t n);
  bool Put16(uint16_t v);
  bool Put32(uint32_t v);
  void Patch16(size_t at, uint16_t v) {
    data_[at] = static_cast<uint8_t>(v >> 8);
    data_[at + 1] = static_cast<uint8_t>(v);
  }

  // Writes the well-formed uncompressed `name`; with `compress`, its longest
  // suffix already in the message becomes a pointer. The labels written in
  // full are registered as compression targets when `register_targets`.
  bool PutName(std::string_view name, bool compress, bool register_targets = true);
  // Registers the uncompressed name already in the buffer at `at` (the
  // question, copied verbatim) as compression targets.
  void RegisterName(size_t at, std::string_view name);
  // Drops everything from `size` on, and the compression targets in it.
  void Rewind(size_t size);

 private:
  struct Target {
    uint16_t offset;     // where a label starts
    uint16_t remaining;  // the uncompressed length of the name from there
  };
  void AddTarget(size_t offset, size_t remaining);
  // Whether the name at `offset` in the buffer equals `suffix`.
  bool MatchesAt(size_t offset, std::string_view suffix) const;

  uint8_t* data_;
  size_t limit_;
  size_t size_ = 0;
  std::array<Target, 64> targets_{};
  size_t num_targets_ = 0;
};

}  // namespace tandem::dns
