// The canary item the health check writes, reads back and deletes.
//
// Its key is derived from a canary id, "__tandem_probe__#<hostname>#<port>",
// so that probes on different hosts or ports never share an item. Both key
// attributes (hash and, when the table has one, range) get the id, typed as
// the table declares them:
//   S  the id itself;
//   N  "-7357" followed by 12 digits of the id's FNV-1a hash, a negative
//      number applications are unlikely to use;
//   B  the id's bytes.
// The item carries one more attribute, kNonceAttribute, a random string
// that the read must return.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace tandem::probe {

inline constexpr std::string_view kNonceAttribute = "tandem_probe_nonce";

struct KeyAttribute {
  std::string name;
  char type = 'S';  // 'S', 'N' or 'B'
};

struct KeySchema {
  KeyAttribute hash;
  std::optional<KeyAttribute> range;
};

// The key schema of a DescribeTable response. InvalidArgument when the
// response lacks it or a key attribute has no S/N/B definition.
StatusOr<KeySchema> ParseKeySchema(const boost::json::object& describe_table_response);

// "__tandem_probe__#<hostname>#<port>".
std::string CanaryId(std::string_view hostname, uint16_t port);

// The canary's key, as DynamoDB JSON ({"id": {"S": "..."}, ...}).
boost::json::object CanaryKey(const KeySchema& schema, std::string_view canary_id);

// The whole canary item: its key and the nonce.
boost::json::object CanaryItem(const KeySchema& schema, std::string_view canary_id,
                               std::string_view nonce);

// The nonce in a GetItem response; NotFound when the response has no item,
// InvalidArgument when the item has no string nonce.
StatusOr<std::string> ReadNonce(const boost::json::object& get_item_response);

}  // namespace tandem::probe
