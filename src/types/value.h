// Value: one DynamoDB attribute value (S, N, B, BOOL, NULL, L, M, SS, NS, BS).
//
// A Value is a plain tree owned by whoever holds it. Numbers are kept as their
// canonical decimal text (see types/decimal.h: Decimal::Parse(...).ToString());
// binary values hold raw bytes (base64 is a wire concern, see
// types/attribute_json.h). Set elements are kept in the order they were given;
// they are unique (validated at the edge). An Item is the attribute map of one
// table row. Thread-safety: none needed, it is a value.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tandem {

enum class ValueType : uint8_t { kS, kN, kB, kBool, kNull, kL, kM, kSS, kNS, kBS };

// The DynamoDB type descriptor: "S", "N", "B", "BOOL", "NULL", "L", "M", "SS", "NS", "BS".
const char* TypeName(ValueType type);

struct Value;
using ValueList = std::vector<Value>;
using ValueMap = std::map<std::string, Value>;
using Item = ValueMap;

struct Value {
  ValueType type = ValueType::kNull;
  std::string scalar;             // S (UTF-8), N (canonical decimal text), B (raw bytes)
  bool boolean = false;           // BOOL; NULL values always carry true on the wire
  std::vector<std::string> set;   // SS, NS (canonical text), BS (raw bytes)
  ValueList list;                 // L
  ValueMap map;                   // M

  static Value S(std::string s) { return Scalar(ValueType::kS, std::move(s)); }
  static Value N(std::string canonical) { return Scalar(ValueType::kN, std::move(canonical)); }
  static Value B(std::string bytes) { return Scalar(ValueType::kB, std::move(bytes)); }
  static Value Bool(bool b) {
    Value v;
    v.type = ValueType::kBool;
    v.boolean = b;
    return v;
  }
  static Value Null() {
    Value v;
    v.type = ValueType::kNull;
    v.boolean = true;
    return v;
  }
  static Value List(ValueList l) {
    Value v;
    v.type = ValueType::kL;
    v.list = std::move(l);
    return v;
  }
  static Value Map(ValueMap m) {
    Value v;
    v.type = ValueType::kM;
    v.map = std::move(m);
    return v;
  }
  static Value Set(ValueType set_type, std::vector<std::string> elems) {
    Value v;
    v.type = set_type;
    v.set = std::move(elems);
    return v;
  }

  bool IsSet() const {
    return type == ValueType::kSS || type == ValueType::kNS || type == ValueType::kBS;
  }

 private:
  static Value Scalar(ValueType t, std::string s) {
    Value v;
    v.type = t;
    v.scalar = std::move(s);
    return v;
  }
};

// Structural equality as DynamoDB compares values: numbers by numeric value,
// sets as unordered collections, maps and lists element-wise.
bool operator==(const Value& a, const Value& b);
inline bool operator!=(const Value& a, const Value& b) { return !(a == b); }

// Orders two scalar values of the same type the way DynamoDB orders them in
// conditions and sort keys: S and B by unsigned bytes, N numerically. Returns
// -1, 0 or 1; returns std::nullopt when the types differ or are not S, N or B.
std::optional<int> CompareScalars(const Value& a, const Value& b);

// True when `text` is well-formed UTF-8 (no overlong forms, no surrogates,
// nothing above U+10FFFF).
bool IsValidUtf8(std::string_view text);

}  // namespace tandem
