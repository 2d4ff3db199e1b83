#include "dns/wire.h"

#include <cstring>

namespace tandem::dns {

size_t WireNameLength(std::string_view data) {
  size_t at = 0;
  while (at < data.size()) {
    const uint8_t len = static_cast<uint8_t>(data[at]);
    if (len > 63) {
      return 0;  // a pointer or an extended label type: not an uncompressed name
    }
    at += 1 + len;
    if (at > kMaxNameLength) {
      return 0;
    }
    if (len == 0) {
      return at;
    }
  }
  return 0;
}

size_t LabelOffsets(std::string_view name, std::array<uint8_t, kMaxLabels>* offsets) {
  size_t n = 0;
  size_t at = 0;
  while (at < name.size() && name[at] != 0 && n < offsets->size()) {
    (*offsets)[n++] = static_cast<uint8_t>(at);
    at += 1 + static_cast<uint8_t>(name[at]);
  }
  return n;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(static_cast<uint8_t>(a[i])) != AsciiLower(static_cast<uint8_t>(b[i]))) {
      return false;
    }
  }
  return true;
}

bool IsSubdomain(std::string_view name, std::string_view ancestor) {
  if (name.size() < ancestor.size()) {
    return false;
  }
  // Walk the labels so the suffix is compared only at a label boundary.
  size_t at = 0;
  while (name.size() - at > ancestor.size()) {
    at += 1 + static_cast<uint8_t>(name[at]);
  }
  return name.size() - at == ancestor.size() && EqualsIgnoreCase(name.substr(at), ancestor);
}

namespace {

// Reads one uncompressed name at `*at` in `rdata` into `out`, advancing `*at`.
bool TakeName(std::string_view rdata, size_t* at, bool compressible, RdataName* out) {
  if (*at > rdata.size()) {
    return false;
  }
  const size_t len = WireNameLength(rdata.substr(*at));
  if (len == 0) {
    return false;
  }
  *out = RdataName{*at, len, compressible};
  *at += len;
  return true;
}

}  // namespace

int FindRdataNames(uint16_t type, std::string_view rdata, std::array<RdataName, 2>* names) {
  size_t fixed_before = 0;  // bytes before the first name
  int count = 1;
  size_t fixed_after = 0;  // bytes after the last name
  bool compressible = false;
  switch (type) {
    case 2:
    case 3:
    case 4:
    case 5:
    case 7:
    case 8:
    case 9:
    case 12:  // NS MD MF CNAME MB MG MR PTR
      compressible = true;
      break;
    case 39:  // DNAME
      break;
    case 6:  // SOA: MNAME RNAME and five 32-bit numbers
      compressible = true;
      count = 2;
      fixed_after = 20;
      break;
    case 14:  // MINFO
      compressible = true;
      count = 2;
      break;
    case 17:  // RP
      count = 2;
      break;
    case 15:  // MX
      compressible = true;
      fixed_before = 2;
      break;
    case 18:
    case 21:
    case 36:  // AFSDB RT KX
      fixed_before = 2;
      break;
    case 33:  // SRV: priority, weight, port, target (never compressed, RFC 2782)
      fixed_before = 6;
      break;
    default:
      return 0;
  }
  size_t at = fixed_before;
  for (int i = 0; i < count; ++i) {
    if (!TakeName(rdata, &at, compressible, &(*names)[i])) {
      return -1;
    }
  }
  if (at + fixed_after != rdata.size()) {
    return -1;
  }
  return count;
}

bool PacketWriter::PutBytes(const void* bytes, size_t n) {
  if (n > limit_ - size_) {
    return false;
  }
  if (n > 0) {
    std::memcpy(data_ + size_, bytes, n);
  }
  size_ += n;
  return true;
}

bool PacketWriter::Put16(uint16_t v) {
  const uint8_t b[2] = {static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
  return PutBytes(b, 2);
}

bool PacketWriter::Put32(uint32_t v) {
  const uint8_t b[4] = {static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16),
                        static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
  return PutBytes(b, 4);
}

void PacketWriter::AddTarget(size_t offset, size_t remaining) {
  if (offset >= 0x4000 || num_targets_ == targets_.size()) {
    return;
  }
  targets_[num_targets_++] =
      Target{static_cast<uint16_t>(offset), static_cast<uint16_t>(remaining)};
}

void PacketWriter::RegisterName(size_t at, std::string_view name) {
  std::array<uint8_t, kMaxLabels> offsets;
  const size_t n = LabelOffsets(name, &offsets);
  for (size_t i = 0; i < n; ++i) {
    AddTarget(at + offsets[i], name.size() - offsets[i]);
  }
}

bool PacketWriter::MatchesAt(size_t at, std::string_view suffix) const {
  size_t i = 0;
  int hops = 0;
  while (at < size_) {
    const uint8_t len = data_[at];
    if ((len & 0xC0) == 0xC0) {
      // Only pointers this writer made are in the buffer, and they point back.
      const size_t next = ((len & 0x3F) << 8) | (at + 1 < size_ ? data_[at + 1] : 0xFF);
      if (next >= at || ++hops > 64) {
        return false;
      }
      at = next;
      continue;
    }
    if (i >= suffix.size() || static_cast<uint8_t>(suffix[i]) != len || len > 63) {
      return false;
    }
    if (len == 0) {
      return true;
    }
    if (at + 1 + len > size_) {
      return false;
    }
    for (size_t k = 1; k <= len; ++k) {
      if (AsciiLower(data_[at + k]) != AsciiLower(static_cast<uint8_t>(suffix[i + k]))) {
        return false;
      }
    }
    at += 1 + len;
    i += 1 + len;
  }
  return false;
}

bool PacketWriter::PutName(std::string_view name, bool compress, bool register_targets) {
  std::array<uint8_t, kMaxLabels> offsets;
  const size_t labels = LabelOffsets(name, &offsets);
  size_t match_label = labels;  // the first label replaced by a pointer
  uint16_t pointer = 0;
  if (compress) {
    for (size_t j = 0; j < labels && match_label == labels; ++j) {
      const std::string_view suffix = name.substr(offsets[j]);
      for (size_t t = 0; t < num_targets_; ++t) {
        if (targets_[t].remaining == suffix.size() && MatchesAt(targets_[t].offset, suffix)) {
          match_label = j;
          pointer = targets_[t].offset;
          break;
        }
      }
    }
  }
  const size_t literal = match_label == labels ? name.size() : offsets[match_label];
  const size_t needed = literal + (match_label == labels ? 0 : 2);
  if (needed > limit_ - size_) {
    return false;
  }
  const size_t start = size_;
  std::memcpy(data_ + size_, name.data(), literal);
  size_ += literal;
  if (match_label != labels) {
    data_[size_++] = static_cast<uint8_t>(0xC0 | (pointer >> 8));
    data_[size_++] = static_cast<uint8_t>(pointer);
  }
  if (register_targets) {
    for (size_t j = 0; j < match_label; ++j) {
      AddTarget(start + offsets[j], name.size() - offsets[j]);
    }
  }
  return true;
}

void PacketWriter::Rewind(size_t size) {
  if (size >= size_) {
    return;
  }
  size_ = size;
  while (num_targets_ > 0 && targets_[num_targets_ - 1].offset >= size) {
    --num_targets_;
  }
}

}  // namespace tandem::dns
