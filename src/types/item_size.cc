// Item size by DynamoDB's rules (see item_size.h).
#include "types/item_size.h"

#include "types/decimal.h"

namespace tandem {

namespace {

size_t NumberSize(const std::string& text) {
  StatusOr<Decimal> d = Decimal::Parse(text);
  if (!d.ok()) {
    return text.size();  // not reached for validated values
  }
  return static_cast<size_t>(d->StorageSize());
}

}  // namespace

size_t ValueSize(const Value& value) {
  size_t size = 0;
  switch (value.type) {
    case ValueType::kS:
    case ValueType::kB:
      return value.scalar.size();
    case ValueType::kN:
      return NumberSize(value.scalar);
    case ValueType::kBool:
    case ValueType::kNull:
      return 1;
    case ValueType::kSS:
    case ValueType::kBS:
      for (const std::string& member : value.set) {
        size += member.size();
      }
      return size;
    case ValueType::kNS:
      for (const std::string& member : value.set) {
        size += NumberSize(member);
      }
      return size;
    case ValueType::kL:
      size = 3;
      for (const Value& element : value.list) {
        size += 1 + ValueSize(element);
      }
      return size;
    case ValueType::kM:
      size = 3;
      for (const auto& [name, element] : value.map) {
        size += 1 + name.size() + ValueSize(element);
      }
      return size;
  }
  return size;
}

size_t ItemSize(const Item& item) {
  size_t size = 0;
  for (const auto& [name, value] : item) {
    size += name.size() + ValueSize(value);
  }
  return size;
}

}  // namespace tandem
