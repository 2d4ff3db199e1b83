#include "node/item_request.h"

#include <boost/json.hpp>
#include <cmath>

#include "node/legacy_params.h"
#include "types/attribute_json.h"
#include "types/item_size.h"

namespace tandem::node {
namespace json = boost::json;
namespace {

bool PlaceholderSyntaxOk(std::string_view key, char sigil) {
  if (key.size() < 2 || key[0] != sigil) return false;
  for (char c : key.substr(1)) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  }
  return true;
}

bool Present(const json::object& body, std::string_view name) {
  const auto* v = body.if_contains(name);
  return v != nullptr && !v->is_null();
}

std::string JoinNames(const std::vector<std::string>& names, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) out += sep;
    out += names[i];
  }
  return out;
}

std::optional<ApiError> FromJsonError(const Status& st, JsonErrorKind kind) {
  if (kind == JsonErrorKind::kSerialization) return ApiError::Serialization(st.message());
  return ApiError::Validation(st.message());
}

}  // namespace

std::string MemberString(const json::object& body, std::string_view name) {
  const auto* v = body.if_contains(name);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

bool MemberBool(const json::object& body, std::string_view name) {
  const auto* v = body.if_contains(name);
  if (v == nullptr) return false;
  if (v->is_bool()) return v->as_bool();
  if (v->is_string()) {
    std::string s(v->as_string());
    for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s == "TRUE" || s == "1" || s == "YES";
  }
  return false;
}

Result<Item> ParseAttributeMap(const json::value* v) {
  if (v == nullptr || v->is_null()) return Item{};
  JsonErrorKind kind = JsonErrorKind::kNone;
  auto item = ItemFromJson(*v, &kind);
  if (!item.ok()) return *FromJsonError(item.status(), kind);
  return std::move(item).value();
}

Result<Expressions> ParseExpressions(const json::object& body, const ExpressionMembers& members) {
  std::vector<std::string> used_expr;
  for (const auto& e : members.expressions) {
    if (Present(body, e)) used_expr.push_back(e);
  }
  if (!used_expr.empty()) {
    std::vector<std::string> used_legacy;
    for (const auto& l : members.legacy) {
      if (Present(body, l)) used_legacy.push_back(l);
    }
    if (!used_legacy.empty()) {
      return ApiError::Validation(
          "Can not use both expression and non-expression parameters in the same request: "
          "Non-expression parameters: {" +
          JoinNames(used_legacy, ", ") + "} Expression parameters: {" + JoinNames(used_expr, ", ") +
          "}");
    }
  }
  const bool has_names = Present(body, "ExpressionAttributeNames");
  const bool has_values = Present(body, "ExpressionAttributeValues");
  if (has_names && used_expr.empty()) {
    return ApiError::Validation(
        "ExpressionAttributeNames can only be specified when using expressions");
  }
  std::vector<std::string> value_exprs;
  for (const auto& e : members.expressions) {
    if (e != "ProjectionExpression") value_exprs.push_back(e);
  }
  if (has_values && !value_exprs.empty()) {
    bool any = false;
    for (const auto& e : value_exprs) any = any || Present(body, e);
    if (!any) {
      return ApiError::Validation(
          "ExpressionAttributeValues can only be specified when using expressions: " +
          JoinNames(value_exprs, " and ") + (value_exprs.size() > 1 ? " are" : " is") + " null");
    }
  }

  Expressions out;
  if (has_names) {
    const auto& obj = body.at("ExpressionAttributeNames").as_object();
    if (obj.empty()) return ApiError::Validation("ExpressionAttributeNames must not be empty");
    for (const auto& [k, v] : obj) {
      if (!PlaceholderSyntaxOk(k, '#')) {
        return ApiError::Validation(
            "ExpressionAttributeNames contains invalid key: Syntax error; key: \"" +
            std::string(k) + "\"");
      }
      if (v.is_string()) out.names[std::string(k)] = std::string(v.as_string());
    }
  }
  if (has_values) {
    const auto& obj = body.at("ExpressionAttributeValues").as_object();
    if (obj.empty()) return ApiError::Validation("ExpressionAttributeValues must not be empty");
    for (const auto& [k, v] : obj) {
      if (!PlaceholderSyntaxOk(k, ':')) {
        return ApiError::Validation(
            "ExpressionAttributeValues contains invalid key: Syntax error; key: \"" +
            std::string(k) + "\"");
      }
    }
    for (const auto& [k, v] : obj) {
      JsonErrorKind kind = JsonErrorKind::kNone;
      auto value = ValueFromJson(v, &kind);
      if (!value.ok()) {
        if (kind == JsonErrorKind::kSerialization) {
          return ApiError::Serialization(value.status().message());
        }
        return ApiError::Validation("ExpressionAttributeValues contains invalid value: " +
                                    value.status().message() + " for key " + std::string(k));
      }
      out.values[std::string(k)] = std::move(value).value();
    }
  }

  ExpressionContext context(has_names ? &out.names : nullptr, has_values ? &out.values : nullptr);
  // Only the members this operation has: others (say AttributesToGet sent
  // to UpdateItem) were not type-checked by its schema, and DynamoDB
  // ignores members an operation does not have.
  auto given = [&](const char* member) {
    const auto has = [&](const std::vector<std::string>& list) {
      return std::find(list.begin(), list.end(), member) != list.end();
    };
    return (has(members.expressions) || has(members.legacy)) && Present(body, member);
  };
  auto parse_condition = [&](const char* member,
                             std::optional<Condition>* slot) -> std::optional<ApiError> {
    if (!given(member)) return std::nullopt;
    auto parsed = ParseCondition(MemberString(body, member), member, &context);
    if (!parsed.ok()) return ApiError::Validation(parsed.status().message());
    *slot = std::move(parsed).value();
    return std::nullopt;
  };
  if (given("UpdateExpression")) {
    auto parsed = ParseUpdate(MemberString(body, "UpdateExpression"), &context);
    if (!parsed.ok()) return ApiError::Validation(parsed.status().message());
    out.update = std::move(parsed).value();
  }
  if (auto err = parse_condition("ConditionExpression", &out.condition)) return *err;
  if (given("KeyConditionExpression")) {
    // Parsed by the Query operation, which knows the key schema; here it
    // only has to mark its placeholders as used, in DynamoDB's order.
    out.key_condition_text = MemberString(body, "KeyConditionExpression");
    std::optional<Condition> ignored;
    if (auto err = parse_condition("KeyConditionExpression", &ignored)) return *err;
  }
  if (auto err = parse_condition("FilterExpression", &out.filter)) return *err;
  if (given("ProjectionExpression")) {
    auto parsed = ParseProjection(MemberString(body, "ProjectionExpression"), &context);
    if (!parsed.ok()) return ApiError::Validation(parsed.status().message());
    out.projection = std::move(parsed).value();
  } else if (given("AttributesToGet")) {
    Projection p;
    std::set<std::string> seen;
    for (const auto& a : body.at("AttributesToGet").as_array()) {
      std::string name(a.as_string());
      if (!seen.insert(name).second) {
        return ApiError::Validation(
            "One or more parameter values were invalid: Duplicate value in attribute name: " +
            name);
      }
      p.paths.push_back(Path{PathElement::Name(name)});
    }
    out.projection = std::move(p);
  }
  Status unused = context.CheckUnused();
  if (!unused.ok()) return ApiError::Validation(unused.message());
  // The legacy parameters, when no expression took their place.
  auto legacy_member = [&](const char* name) {
    return std::find(members.legacy.begin(), members.legacy.end(), name) != members.legacy.end();
  };
  if (!out.condition && legacy_member("Expected")) {
    TANDEM_API_TRY(out.condition, LegacyCondition(body, "Expected"));
  }
  for (const char* filter : {"QueryFilter", "ScanFilter"}) {
    if (!out.filter && legacy_member(filter)) {
      TANDEM_API_TRY(out.filter, LegacyCondition(body, filter));
    }
  }
  if (!out.update && legacy_member("AttributeUpdates")) {
    TANDEM_API_TRY(out.update, LegacyUpdate(body));
  }
  return out;
}

namespace {

std::optional<ApiError> CheckKeyValue(const Value& v, const storage::KeyElement& key, bool is_hash,
                                      bool in_item) {
  if (v.type != key.type) {
    if (in_item) {
      return ApiError::Validation(
          std::string("One or more parameter values were invalid: Type mismatch for key ") +
          key.name + " expected: " + TypeName(key.type) + " actual: " + TypeName(v.type));
    }
    return ApiError::Validation("The provided key element does not match the schema");
  }
  if ((v.type == ValueType::kS || v.type == ValueType::kB) && v.scalar.empty()) {
    return ApiError::Validation(
        std::string("One or more parameter values are not valid. The AttributeValue for a key "
                    "attribute cannot contain an empty ") +
        (v.type == ValueType::kS ? "string" : "binary") + " value. Key: " + key.name);
  }
  if (v.type != ValueType::kN) {
    if (is_hash && v.scalar.size() > 2048) {
      return ApiError::Validation(
          "One or more parameter values were invalid: Size of hashkey has exceeded the maximum "
          "size limit of2048 bytes");
    }
    if (!is_hash && v.scalar.size() > 1024) {
      return ApiError::Validation(
          "One or more parameter values were invalid: Aggregated size of all range keys has "
          "exceeded the size limit of 1024 bytes");
    }
  }
  return std::nullopt;
}

}  // namespace

Result<Item> ParseKey(const json::value* key_json, const storage::TableMeta& table) {
  TANDEM_API_TRY(Item key, ParseAttributeMap(key_json));
  const size_t expected = table.range_key ? 2 : 1;
  if (key.size() != expected) {
    return ApiError::Validation("The provided key element does not match the schema");
  }
  std::vector<std::pair<const storage::KeyElement*, bool>> parts = {{&table.hash_key, true}};
  if (table.range_key) parts.emplace_back(&*table.range_key, false);
  for (const auto& [element, is_hash] : parts) {
    auto it = key.find(element->name);
    if (it == key.end()) {
      return ApiError::Validation("The provided key element does not match the schema");
    }
    if (auto err = CheckKeyValue(it->second, *element, is_hash, false)) return *err;
  }
  return key;
}

std::optional<ApiError> CheckItemKey(const Item& item, const storage::TableMeta& table) {
  std::vector<std::pair<const storage::KeyElement*, bool>> parts = {{&table.hash_key, true}};
  if (table.range_key) parts.emplace_back(&*table.range_key, false);
  for (const auto& [element, is_hash] : parts) {
    auto it = item.find(element->name);
    if (it == item.end()) {
      return ApiError::Validation("One or more parameter values were invalid: Missing the key " +
                                  element->name + " in the item");
    }
    if (auto err = CheckKeyValue(it->second, *element, is_hash, true)) return *err;
  }
  return std::nullopt;
}

Result<Item> ParseItem(const json::value* item_json, const storage::TableMeta& table) {
  TANDEM_API_TRY(Item item, ParseAttributeMap(item_json));
  if (auto err = CheckItemKey(item, table)) return *err;
  if (ItemSize(item) > kMaxItemBytes) {
    return ApiError::Validation("Item size has exceeded the maximum allowed size");
  }
  return item;
}

Item KeyOf(const Item& item, const storage::TableMeta& table) {
  Item key;
  key.emplace(table.hash_key.name, item.at(table.hash_key.name));
  if (table.range_key) key.emplace(table.range_key->name, item.at(table.range_key->name));
  return key;
}

double WriteUnits(size_t bytes) {
  return std::max<double>(1.0, std::ceil(static_cast<double>(bytes) / 1024.0));
}

double ReadUnits(size_t bytes, bool consistent) {
  const double units = std::max<double>(1.0, std::ceil(static_cast<double>(bytes) / 4096.0));
  return consistent ? units : units / 2.0;
}

std::optional<json::object> ConsumedCapacity(const json::object& body, const std::string& table,
                                             double units) {
  const std::string mode = MemberString(body, "ReturnConsumedCapacity");
  if (mode != "TOTAL" && mode != "INDEXES") return std::nullopt;
  json::object out{{"TableName", table}, {"CapacityUnits", units}};
  if (mode == "INDEXES") out["Table"] = json::object{{"CapacityUnits", units}};
  return out;
}

Field ReturnConsumedCapacityField() {
  return Enum(StringField("ReturnConsumedCapacity"), {"INDEXES", "TOTAL", "NONE"});
}
Field ReturnValuesField() {
  return Enum(StringField("ReturnValues"),
              {"ALL_NEW", "UPDATED_OLD", "ALL_OLD", "NONE", "UPDATED_NEW"});
}
Field ExpressionValuesField() { return AttrMapField("ExpressionAttributeValues"); }
Field ExpressionNamesField() { return NamesMapField("ExpressionAttributeNames"); }

}  // namespace tandem::node
