#include "probe/canary.h"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>
#include <vector>

namespace tandem::probe {
namespace json = boost::json;

namespace {

const json::string* StringAt(const json::object& o, std::string_view name) {
  const json::value* v = o.if_contains(name);
  return v != nullptr ? v->if_string() : nullptr;
}

uint64_t Fnv1a(std::string_view s) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string Base64(std::string_view bytes) {
  std::vector<unsigned char> out(4 * ((bytes.size() + 2) / 3) + 1);
  const int n = EVP_EncodeBlock(out.data(), reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  return std::string(reinterpret_cast<const char*>(out.data()), static_cast<size_t>(n));
}

json::object TypedValue(char type, std::string_view canary_id) {
  switch (type) {
    case 'N':
      return {{"N", fmt::format("-7357{:012}", Fnv1a(canary_id) % 1'000'000'000'000ull)}};
    case 'B':
      return {{"B", Base64(canary_id)}};
    default:
      return {{"S", canary_id}};
  }
}

}  // namespace

StatusOr<KeySchema> ParseKeySchema(const json::object& response) {
  const json::value* table_value = response.if_contains("Table");
  const json::object* table = table_value != nullptr ? table_value->if_object() : nullptr;
  if (table == nullptr) {
    return Status::InvalidArgument("DescribeTable answered without a Table");
  }
  const json::value* keys_value = table->if_contains("KeySchema");
  const json::value* defs_value = table->if_contains("AttributeDefinitions");
  const json::array* keys = keys_value != nullptr ? keys_value->if_array() : nullptr;
  const json::array* defs = defs_value != nullptr ? defs_value->if_array() : nullptr;
  if (keys == nullptr || defs == nullptr) {
    return Status::InvalidArgument(
        "DescribeTable answered without KeySchema and "
        "AttributeDefinitions");
  }
  const auto type_of = [&](std::string_view name) -> std::optional<char> {
    for (const json::value& d : *defs) {
      const json::object* o = d.if_object();
      if (o == nullptr) {
        continue;
      }
      const json::string* n = StringAt(*o, "AttributeName");
      const json::string* t = StringAt(*o, "AttributeType");
      if (n != nullptr && t != nullptr && *n == name && t->size() == 1 &&
          std::string_view("SNB").find((*t)[0]) != std::string_view::npos) {
        return (*t)[0];
      }
    }
    return std::nullopt;
  };
  std::optional<KeyAttribute> hash;
  std::optional<KeyAttribute> range;
  for (const json::value& k : *keys) {
    const json::object* o = k.if_object();
    const json::string* name = o != nullptr ? StringAt(*o, "AttributeName") : nullptr;
    const json::string* role = o != nullptr ? StringAt(*o, "KeyType") : nullptr;
    if (name == nullptr || role == nullptr) {
      return Status::InvalidArgument("DescribeTable answered a malformed KeySchema");
    }
    const auto type = type_of(*name);
    if (!type) {
      return Status::InvalidArgument("DescribeTable gave no S, N or B type for key attribute " +
                                     std::string(*name));
    }
    KeyAttribute attribute{std::string(*name), *type};
    if (*role == "HASH") {
      hash = std::move(attribute);
    } else if (*role == "RANGE") {
      range = std::move(attribute);
    }
  }
  if (!hash) {
    return Status::InvalidArgument("DescribeTable answered a KeySchema without a HASH key");
  }
  return KeySchema{std::move(*hash), std::move(range)};
}

std::string CanaryId(std::string_view hostname, uint16_t port) {
  return fmt::format("__tandem_probe__#{}#{}", hostname, port);
}

json::object CanaryKey(const KeySchema& schema, std::string_view canary_id) {
  json::object key;
  key[schema.hash.name] = TypedValue(schema.hash.type, canary_id);
  if (schema.range) {
    key[schema.range->name] = TypedValue(schema.range->type, canary_id);
  }
  return key;
}

json::object CanaryItem(const KeySchema& schema, std::string_view canary_id,
                        std::string_view nonce) {
  json::object item = CanaryKey(schema, canary_id);
  item[kNonceAttribute] = json::object{{"S", nonce}};
  return item;
}

StatusOr<std::string> ReadNonce(const json::object& response) {
  const json::value* item_value = response.if_contains("Item");
  const json::object* item = item_value != nullptr ? item_value->if_object() : nullptr;
  if (item == nullptr) {
    return Status::NotFound("GetItem returned no item");
  }
  const json::value* nonce_value = item->if_contains(kNonceAttribute);
  const json::object* nonce = nonce_value != nullptr ? nonce_value->if_object() : nullptr;
  const json::string* s = nonce != nullptr ? StringAt(*nonce, "S") : nullptr;
  if (s == nullptr) {
    return Status::InvalidArgument("GetItem returned the item without its " +
                                   std::string(kNonceAttribute));
  }
  return std::string(*s);
}

}  // namespace tandem::probe
