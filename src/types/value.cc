#include "types/value.h"

namespace tandem {

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

}  // namespace tandem
