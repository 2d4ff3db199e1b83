#include "node/legacy_params.h"

#include <boost/json.hpp>
#include <map>

#include "node/item_request.h"
#include "types/attribute_json.h"

namespace tandem::node {
namespace json = boost::json;
namespace {

constexpr char kInvalid[] = "One or more parameter values were invalid: ";

struct OperatorRule {
  int min_args;
  int max_args;
  std::vector<ValueType> types;  // empty: any
};

const std::map<std::string, OperatorRule>& Rules() {
  using T = ValueType;
  static const std::map<std::string, OperatorRule> rules = {
      {"NULL", {0, 0, {}}},
      {"NOT_NULL", {0, 0, {}}},
      {"EQ", {1, 1, {T::kS, T::kN, T::kB, T::kSS, T::kNS, T::kBS}}},
      {"NE", {1, 1, {T::kS, T::kN, T::kB, T::kSS, T::kNS, T::kBS}}},
      {"LE", {1, 1, {T::kS, T::kN, T::kB}}},
      {"LT", {1, 1, {T::kS, T::kN, T::kB}}},
      {"GE", {1, 1, {T::kS, T::kN, T::kB}}},
      {"GT", {1, 1, {T::kS, T::kN, T::kB}}},
      {"CONTAINS", {1, 1, {T::kS, T::kN, T::kB}}},
      {"NOT_CONTAINS", {1, 1, {T::kS, T::kN, T::kB}}},
      {"BEGINS_WITH", {1, 1, {T::kS, T::kB}}},
      {"IN", {1, 1 << 30, {T::kS, T::kN, T::kB}}},
      {"BETWEEN", {2, 2, {T::kS, T::kN, T::kB}}},
  };
  return rules;
}

Operand PathOperand(const std::string& name) {
  Operand o;
  o.kind = Operand::Kind::kPath;
  o.path = Path{PathElement::Name(name)};
  return o;
}

Operand ValueOperand(Value v) {
  Operand o;
  o.kind = Operand::Kind::kValue;
  o.value = std::move(v);
  return o;
}

ConditionNode FunctionNode(Function f, std::vector<Operand> args) {
  Operand call;
  call.kind = Operand::Kind::kFunction;
  call.function = f;
  call.args = std::move(args);
  ConditionNode node;
  node.op = ConditionNode::Op::kFunction;
  node.operands.push_back(std::move(call));
  return node;
}

ConditionNode Compare(ConditionNode::Op op, const std::string& name, std::vector<Value> values) {
  ConditionNode node;
  node.op = op;
  node.operands.push_back(PathOperand(name));
  for (auto& v : values) node.operands.push_back(ValueOperand(std::move(v)));
  return node;
}

ConditionNode Not(ConditionNode inner) {
  ConditionNode node;
  node.op = ConditionNode::Op::kNot;
  node.children.push_back(std::move(inner));
  return node;
}

// One attribute's condition from ComparisonOperator + values.
ConditionNode FromOperator(const std::string& op, const std::string& name,
                           std::vector<Value> values) {
  using Op = ConditionNode::Op;
  if (op == "NULL") return FunctionNode(Function::kAttributeNotExists, {PathOperand(name)});
  if (op == "NOT_NULL") return FunctionNode(Function::kAttributeExists, {PathOperand(name)});
  if (op == "CONTAINS" || op == "NOT_CONTAINS") {
    ConditionNode c =
        FunctionNode(Function::kContains, {PathOperand(name), ValueOperand(std::move(values[0]))});
    if (op == "CONTAINS") return c;
    // NOT_CONTAINS is true only for an existing attribute that lacks the value.
    ConditionNode both;
    both.op = Op::kAnd;
    both.children.push_back(FunctionNode(Function::kAttributeExists, {PathOperand(name)}));
    both.children.push_back(Not(std::move(c)));
    return both;
  }
  if (op == "BEGINS_WITH") {
    return FunctionNode(Function::kBeginsWith,
                        {PathOperand(name), ValueOperand(std::move(values[0]))});
  }
  static const std::map<std::string, Op> kOps = {{"EQ", Op::kEq}, {"NE", Op::kNe},
                                                  {"LE", Op::kLe}, {"LT", Op::kLt},
                                                  {"GE", Op::kGe}, {"GT", Op::kGt},
                                                  {"IN", Op::kIn}, {"BETWEEN", Op::kBetween}};
  return Compare(kOps.at(op), name, std::move(values));
}

Result<std::vector<Value>> ReadValueList(const json::object& cond) {
  std::vector<Value> values;
  const auto* list = cond.if_contains("AttributeValueList");
  if (list == nullptr || !list->is_array()) return values;
  for (const auto& v : list->as_array()) {
    JsonErrorKind kind = JsonErrorKind::kNone;
    auto value = ValueFromJson(v, &kind);
    if (!value.ok()) {
      if (kind == JsonErrorKind::kSerialization) return ApiError::Serialization(value.status().message());
      return ApiError::Validation(value.status().message());
    }
    values.push_back(std::move(value).value());
  }
  return values;
}

// Checks argument count and types of an operator, as DynamoDB does.
std::optional<ApiError> CheckOperator(const std::string& op, const std::vector<Value>& values) {
  const OperatorRule& rule = Rules().at(op);
  const int n = static_cast<int>(values.size());
  if (n < rule.min_args || n > rule.max_args) {
    return ApiError::Validation(std::string(kInvalid) + "Invalid number of argument(s) for the " +
                                op + " ComparisonOperator");
  }
  for (const auto& v : values) {
    if (v.type != values[0].type) {
      return ApiError::Validation(std::string(kInvalid) +
                                  "AttributeValues inside AttributeValueList must be of same type");
    }
  }
  for (const auto& v : values) {
    if (std::find(rule.types.begin(), rule.types.end(), v.type) == rule.types.end()) {
      return ApiError::Validation(std::string(kInvalid) + "ComparisonOperator " + op +
                                  " is not valid for " + TypeName(v.type) + " AttributeValue type");
    }
  }
  if (op == "BETWEEN") {
    auto order = CompareScalars(values[0], values[1]);
    if (order && *order > 0) {
      return ApiError::Validation(
          "The BETWEEN condition was provided a range where the lower bound is greater than the "
          "upper bound");
    }
  }
  return std::nullopt;
}

bool Has(const json::object& obj, std::string_view name) {
  const auto* v = obj.if_contains(name);
  return v != nullptr && !v->is_null();
}

}  // namespace

Result<std::optional<Condition>> LegacyCondition(const json::object& body, const char* member) {
  const auto* conditions = body.if_contains(member);
  if (conditions == nullptr || !conditions->is_object()) return std::optional<Condition>();
  const bool expected = std::string_view(member) == "Expected";
  std::vector<ConditionNode> parts;
  for (const auto& [key, spec] : conditions->as_object()) {
    const std::string name(key);
    const json::object& cond = spec.as_object();
    TANDEM_API_TRY(std::vector<Value> values, ReadValueList(cond));
    if (expected) {
      if (Has(cond, "AttributeValueList") && Has(cond, "Value")) {
        return ApiError::Validation(std::string(kInvalid) +
                                    "Value and AttributeValueList cannot be used together for "
                                    "Attribute: " + name);
      }
      if (!Has(cond, "ComparisonOperator")) {
        if (Has(cond, "AttributeValueList")) {
          return ApiError::Validation(std::string(kInvalid) +
                                      "AttributeValueList can only be used with a "
                                      "ComparisonOperator for Attribute: " + name);
        }
        const bool exists_given = Has(cond, "Exists");
        const bool exists = !exists_given || MemberBool(cond, "Exists");
        if (exists && !Has(cond, "Value")) {
          return ApiError::Validation(std::string(kInvalid) +
                                      "Value must be provided when Exists is " +
                                      (exists_given ? "true" : "null") + " for Attribute: " + name);
        }
        if (!exists && Has(cond, "Value")) {
          return ApiError::Validation(std::string(kInvalid) +
                                      "Value cannot be used when Exists is false for Attribute: " +
                                      name);
        }
        if (!exists) {
          parts.push_back(FunctionNode(Function::kAttributeNotExists, {PathOperand(name)}));
          continue;
        }
        TANDEM_API_TRY(Value v, [&]() -> Result<Value> {
          JsonErrorKind kind = JsonErrorKind::kNone;
          auto parsed = ValueFromJson(cond.at("Value"), &kind);
          if (!parsed.ok()) {
            if (kind == JsonErrorKind::kSerialization) {
              return ApiError::Serialization(parsed.status().message());
            }
            return ApiError::Validation(parsed.status().message());
          }
          return std::move(parsed).value();
        }());
        parts.push_back(Compare(ConditionNode::Op::kEq, name, {std::move(v)}));
        continue;
      }
      if (Has(cond, "Exists")) {
        return ApiError::Validation(std::string(kInvalid) +
                                    "Exists and ComparisonOperator cannot be used together for "
                                    "Attribute: " + name);
      }
      if (Has(cond, "Value")) {
        JsonErrorKind kind = JsonErrorKind::kNone;
        auto parsed = ValueFromJson(cond.at("Value"), &kind);
        if (!parsed.ok()) return ApiError::Validation(parsed.status().message());
        values.push_back(std::move(parsed).value());
      }
    }
    const std::string op = MemberString(cond, "ComparisonOperator");
    if (Rules().count(op) == 0) {
      return ApiError::Validation(std::string(kInvalid) + "Unsupported ComparisonOperator: " + op);
    }
    if (auto err = CheckOperator(op, values)) return *err;
    parts.push_back(FromOperator(op, name, std::move(values)));
  }
  if (parts.empty()) return std::optional<Condition>();
  const bool any = MemberString(body, "ConditionalOperator") == "OR";
  ConditionNode root = std::move(parts[0]);
  for (size_t i = 1; i < parts.size(); ++i) {
    ConditionNode joined;
    joined.op = any ? ConditionNode::Op::kOr : ConditionNode::Op::kAnd;
    joined.children.push_back(std::move(root));
    joined.children.push_back(std::move(parts[i]));
    root = std::move(joined);
  }
  return std::optional<Condition>(Condition{std::move(root)});
}

Result<std::optional<Update>> LegacyUpdate(const json::object& body) {
  const auto* updates = body.if_contains("AttributeUpdates");
  if (updates == nullptr || !updates->is_object()) return std::optional<Update>();
  Update update;
  for (const auto& [key, spec] : updates->as_object()) {
    const std::string name(key);
    const json::object& u = spec.as_object();
    std::string action = MemberString(u, "Action");
    if (action.empty()) action = "PUT";
    std::optional<Value> value;
    if (Has(u, "Value")) {
      JsonErrorKind kind = JsonErrorKind::kNone;
      auto parsed = ValueFromJson(u.at("Value"), &kind);
      if (!parsed.ok()) {
        if (kind == JsonErrorKind::kSerialization) {
          return ApiError::Serialization(parsed.status().message());
        }
        return ApiError::Validation(parsed.status().message());
      }
      value = std::move(parsed).value();
    }
    if (!value && action != "DELETE") {
      return ApiError::Validation(std::string(kInvalid) +
                                  "Only DELETE action is allowed when no attribute value is "
                                  "specified");
    }
    UpdateAction a;
    a.path = Path{PathElement::Name(name)};
    if (action == "PUT") {
      a.kind = UpdateAction::Kind::kSet;
      a.value = ValueOperand(std::move(*value));
    } else if (action == "DELETE") {
      if (!value) {
        a.kind = UpdateAction::Kind::kRemove;
      } else {
        if (!value->IsSet()) {
          return ApiError::Validation(std::string(kInvalid) +
                                      "DELETE action with value is not supported for the type " +
                                      TypeName(value->type));
        }
        a.kind = UpdateAction::Kind::kDelete;
        a.value = ValueOperand(std::move(*value));
      }
    } else {  // ADD
      if (value->type == ValueType::kL) {
        // ADD of a list appends to it, creating it when absent.
        Operand existing;
        existing.kind = Operand::Kind::kFunction;
        existing.function = Function::kIfNotExists;
        existing.args = {PathOperand(name), ValueOperand(Value::List({}))};
        Operand append;
        append.kind = Operand::Kind::kFunction;
        append.function = Function::kListAppend;
        append.args = {std::move(existing), ValueOperand(std::move(*value))};
        a.kind = UpdateAction::Kind::kSet;
        a.value = std::move(append);
      } else if (value->type == ValueType::kN || value->IsSet()) {
        a.kind = UpdateAction::Kind::kAdd;
        a.value = ValueOperand(std::move(*value));
      } else {
        return ApiError::Validation(std::string(kInvalid) +
                                    "ADD action is not supported for the type " +
                                    TypeName(value->type));
      }
    }
    update.actions.push_back(std::move(a));
  }
  return std::optional<Update>(std::move(update));
}

Result<KeyCondition> LegacyKeyConditions(const json::object& body, const KeySchemaInfo& schema) {
  const json::object& conditions = body.at("KeyConditions").as_object();
  std::map<std::string, std::pair<std::string, std::vector<Value>>> parsed;
  for (const auto& [key, spec] : conditions) {
    const json::object& cond = spec.as_object();
    TANDEM_API_TRY(std::vector<Value> values, ReadValueList(cond));
    const std::string op = MemberString(cond, "ComparisonOperator");
    if (Rules().count(op) == 0) {
      return ApiError::Validation(std::string(kInvalid) + "Unsupported ComparisonOperator: " + op);
    }
    if (auto err = CheckOperator(op, values)) return *err;
    parsed[std::string(key)] = {op, std::move(values)};
  }
  if (parsed.size() != 1 && parsed.size() != 2) {
    return ApiError::Validation("Conditions can be of length 1 or 2 only");
  }
  if (!schema.range_name && parsed.size() > 1) {
    return ApiError::Validation("Query key condition not supported");
  }
  KeyCondition out;
  auto hash = parsed.find(schema.hash_name);
  if (hash == parsed.end()) {
    return ApiError::Validation("Query condition missed key schema element: " + schema.hash_name);
  }
  auto indexable = [](const std::string& op) {
    return op != "NULL" && op != "NOT_NULL" && op != "NE" && op != "CONTAINS" &&
           op != "NOT_CONTAINS" && op != "IN";
  };
  if (!indexable(hash->second.first)) {
    return ApiError::Validation("Attempted conditional constraint is not an indexable operation");
  }
  if (hash->second.second[0].type != schema.hash_type) {
    return ApiError::Validation(std::string(kInvalid) +
                                "Condition parameter type does not match schema type");
  }
  if (hash->second.first != "EQ") return ApiError::Validation("Query key condition not supported");
  out.hash_value = hash->second.second[0];
  if (parsed.size() == 2) {
    auto range = schema.range_name ? parsed.find(*schema.range_name) : parsed.end();
    if (range == parsed.end()) {
      return ApiError::Validation("Query condition missed key schema element: " +
                                  schema.range_name.value_or(""));
    }
    const std::string& op = range->second.first;
    if (!indexable(op)) {
      return ApiError::Validation("Attempted conditional constraint is not an indexable operation");
    }
    for (const auto& v : range->second.second) {
      if (v.type != schema.range_type) {
        return ApiError::Validation(std::string(kInvalid) +
                                    "Condition parameter type does not match schema type");
      }
    }
    static const std::map<std::string, KeyOp> kOps = {
        {"EQ", KeyOp::kEq}, {"LT", KeyOp::kLt}, {"LE", KeyOp::kLe}, {"GT", KeyOp::kGt},
        {"GE", KeyOp::kGe}, {"BETWEEN", KeyOp::kBetween}, {"BEGINS_WITH", KeyOp::kBeginsWith}};
    RangeKeyCondition rc;
    rc.op = kOps.at(op);
    rc.value = range->second.second[0];
    if (rc.op == KeyOp::kBetween) rc.value2 = range->second.second[1];
    out.range = std::move(rc);
  }
  return out;
}

}  // namespace tandem::node
