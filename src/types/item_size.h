// Item size by DynamoDB's rules: what the 400 KB item limit and consumed
// capacity units are measured in.
//
// An item is the sum over its attributes of the name's UTF-8 bytes plus the
// value's size. Value sizes: S and B their bytes; N its Decimal::StorageSize;
// BOOL and NULL 1; SS, NS and BS the sum of their members; L and M 3 bytes
// plus, per element, 1 byte and the element's size (for M also the key's
// bytes). Thread-safety: pure functions.
#pragma once

#include <cstddef>

#include "types/value.h"

namespace tandem {

// The largest item DynamoDB stores: 409,600 bytes are accepted, one more is
// refused with "Item size has exceeded the maximum allowed size".
inline constexpr size_t kMaxItemSize = 400 * 1024;

size_t ValueSize(const Value& value);
size_t ItemSize(const Item& item);

}  // namespace tandem
