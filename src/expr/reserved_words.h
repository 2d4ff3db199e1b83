// DynamoDB's reserved words (attribute names that need a "#" placeholder).
#pragma once

#include <cstddef>
#include <string_view>

namespace tandem {

// True when `name` is a reserved word, compared case-insensitively.
bool IsReservedWord(std::string_view name);

// Number of reserved words (573 in DynamoDB's list).
size_t ReservedWordCount();

}  // namespace tandem
