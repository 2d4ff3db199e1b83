// Ordering, naming and message rendering of values for expressions.
#include "expr/value_ops.h"

#include "types/decimal.h"

namespace tandem {

namespace {

std::optional<int> CompareNumbers(const std::string& a, const std::string& b) {
  StatusOr<Decimal> da = Decimal::Parse(a);
  StatusOr<Decimal> db = Decimal::Parse(b);
  if (!da.ok() || !db.ok()) {
    return std::nullopt;
  }
  return Decimal::Compare(*da, *db);
}

std::string Base64(const std::string& bytes) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  while (i + 2 < bytes.size()) {
    uint32_t n = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
    i += 3;
  }
  if (i + 1 == bytes.size()) {
    uint32_t n = uint8_t(bytes[i]) << 16;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    uint32_t n = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

}  // namespace

const char* LongTypeName(ValueType type) {
  switch (type) {
    case ValueType::kS: return "STRING";
    case ValueType::kN: return "NUMBER";
    case ValueType::kB: return "BINARY";
    case ValueType::kBool: return "BOOLEAN";
    case ValueType::kNull: return "NULL";
    case ValueType::kL: return "LIST";
    case ValueType::kM: return "MAP";
    case ValueType::kSS: return "STRING SET";
    case ValueType::kNS: return "NUMBER SET";
    case ValueType::kBS: return "BINARY SET";
  }
  return "?";
}

std::string RenderForMessage(const Value& value) {
  std::string body;
  switch (value.type) {
    case ValueType::kS:
    case ValueType::kN:
      body = value.scalar;
      break;
    case ValueType::kB:
      body = Base64(value.scalar);
      break;
    case ValueType::kBool:
    case ValueType::kNull:
      body = value.boolean ? "true" : "false";
      break;
    case ValueType::kSS:
    case ValueType::kNS:
    case ValueType::kBS: {
      body = "[";
      for (size_t i = 0; i < value.set.size(); ++i) {
        body += (i > 0 ? ", " : "");
        body += value.type == ValueType::kBS ? Base64(value.set[i]) : value.set[i];
      }
      body += "]";
      break;
    }
    case ValueType::kL:
    case ValueType::kM:
      body = "...";
      break;
  }
  return std::string("AttributeValue: {") + TypeName(value.type) + ":" + body + "}";
}

bool SetContains(const Value& set, const std::string& element) {
  for (const std::string& e : set.set) {
    if (set.type == ValueType::kNS) {
      std::optional<int> c = CompareNumbers(e, element);
      if (c.has_value() && *c == 0) {
        return true;
      }
    } else if (e == element) {
      return true;
    }
  }
  return false;
}

ValueType SetElementType(ValueType set_type) {
  switch (set_type) {
    case ValueType::kSS: return ValueType::kS;
    case ValueType::kNS: return ValueType::kN;
    case ValueType::kBS: return ValueType::kB;
    default: return set_type;
  }
}

}  // namespace tandem
