// Value: type names, DynamoDB equality and scalar ordering, UTF-8 checking.
#include "types/value.h"

#include <algorithm>

#include "types/decimal.h"

namespace tandem {

namespace {

// Numeric comparison of two N texts; falls back to text order when either is
// not a valid number (values are validated at the edge, so this is defensive).
int CompareNumberTexts(const std::string& a, const std::string& b) {
  if (a == b) {
    return 0;
  }
  StatusOr<Decimal> da = Decimal::Parse(a);
  StatusOr<Decimal> db = Decimal::Parse(b);
  if (!da.ok() || !db.ok()) {
    return a < b ? -1 : 1;
  }
  return Decimal::Compare(*da, *db);
}

int CompareBytes(const std::string& a, const std::string& b) {
  int c = a.compare(b);  // char_traits<char> compares as unsigned char
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

// Set equality ignoring order: elements are unique, so equal sizes plus
// element-wise equality after sorting suffice.
bool SetsEqual(ValueType type, const std::vector<std::string>& a,
               const std::vector<std::string>& b) {
  if (a.size() != b.size()) {
    return false;
  }
  std::vector<std::string> sa = a;
  std::vector<std::string> sb = b;
  if (type == ValueType::kNS) {
    auto less = [](const std::string& x, const std::string& y) {
      return CompareNumberTexts(x, y) < 0;
    };
    std::sort(sa.begin(), sa.end(), less);
    std::sort(sb.begin(), sb.end(), less);
    for (size_t i = 0; i < sa.size(); ++i) {
      if (CompareNumberTexts(sa[i], sb[i]) != 0) {
        return false;
      }
    }
    return true;
  }
  std::sort(sa.begin(), sa.end());
  std::sort(sb.begin(), sb.end());
  return sa == sb;
}

}  // namespace

const char* TypeName(ValueType type) {
  switch (type) {
    case ValueType::kS: return "S";
    case ValueType::kN: return "N";
    case ValueType::kB: return "B";
    case ValueType::kBool: return "BOOL";
    case ValueType::kNull: return "NULL";
    case ValueType::kL: return "L";
    case ValueType::kM: return "M";
    case ValueType::kSS: return "SS";
    case ValueType::kNS: return "NS";
    case ValueType::kBS: return "BS";
  }
  return "?";
}

bool operator==(const Value& a, const Value& b) {
  if (a.type != b.type) {
    return false;
  }
  switch (a.type) {
    case ValueType::kS:
    case ValueType::kB:
      return a.scalar == b.scalar;
    case ValueType::kN:
      return CompareNumberTexts(a.scalar, b.scalar) == 0;
    case ValueType::kBool:
      return a.boolean == b.boolean;
    case ValueType::kNull:
      return true;
    case ValueType::kL:
      return a.list == b.list;  // element-wise, through this operator
    case ValueType::kM:
      return a.map == b.map;  // same keys, values through this operator
    case ValueType::kSS:
    case ValueType::kNS:
    case ValueType::kBS:
      return SetsEqual(a.type, a.set, b.set);
  }
  return false;
}

std::optional<int> CompareScalars(const Value& a, const Value& b) {
  if (a.type != b.type) {
    return std::nullopt;
  }
  switch (a.type) {
    case ValueType::kS:
    case ValueType::kB:
      return CompareBytes(a.scalar, b.scalar);
    case ValueType::kN:
      return CompareNumberTexts(a.scalar, b.scalar);
    default:
      return std::nullopt;
  }
}

bool IsValidUtf8(std::string_view text) {
  size_t i = 0;
  const size_t n = text.size();
  while (i < n) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    uint32_t cp = 0;
    uint32_t min = 0;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
      min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
      min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
      min = 0x10000;
    } else {
      return false;
    }
    if (n - i < len) {
      return false;
    }
    for (size_t k = 1; k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(text[i + k]);
      if ((cc & 0xC0) != 0x80) {
        return false;
      }
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += len;
  }
  return true;
}

}  // namespace tandem
