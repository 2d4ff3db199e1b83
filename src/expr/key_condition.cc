// Key condition expressions: shape checks and matching against the schema.
#include "expr/key_condition.h"

#include <map>

#include "expr/condition.h"
#include "expr/value_ops.h"

namespace tandem {

namespace {

// One "attribute op values" term of the key condition.
struct Term {
  KeyOp op;
  std::vector<Value> values;
};

// The structural errors below carry no "Invalid KeyConditionExpression: "
// prefix in DynamoDB's answers (unlike syntax and BETWEEN errors).
Status Bare(const std::string& message) { return Status::InvalidArgument(message); }

Status BadOperator(const std::string& op) {
  return Bare("Invalid operator used in KeyConditionExpression: " + op);
}

KeyOp FlipComparison(ConditionNode::Op op) {
  switch (op) {
    case ConditionNode::Op::kLt: return KeyOp::kGt;
    case ConditionNode::Op::kLe: return KeyOp::kGe;
    case ConditionNode::Op::kGt: return KeyOp::kLt;
    case ConditionNode::Op::kGe: return KeyOp::kLe;
    default: return KeyOp::kEq;
  }
}

KeyOp Comparison(ConditionNode::Op op) {
  switch (op) {
    case ConditionNode::Op::kLt: return KeyOp::kLt;
    case ConditionNode::Op::kLe: return KeyOp::kLe;
    case ConditionNode::Op::kGt: return KeyOp::kGt;
    case ConditionNode::Op::kGe: return KeyOp::kGe;
    default: return KeyOp::kEq;
  }
}

// Collects the terms of `node` into `terms`, keyed by attribute name.
Status Collect(const ConditionNode& node, std::map<std::string, Term>* terms) {
  using Op = ConditionNode::Op;
  switch (node.op) {
    case Op::kAnd:
      TANDEM_RETURN_IF_ERROR(Collect(node.children[0], terms));
      return Collect(node.children[1], terms);
    case Op::kOr: return BadOperator("OR");
    case Op::kNot: return BadOperator("NOT");
    case Op::kIn: return BadOperator("IN");
    case Op::kNe: return BadOperator("<>");
    default: break;
  }
  const std::vector<Operand>* operands = &node.operands;
  std::string function_name = "BETWEEN";
  if (node.op == Op::kFunction) {
    const Operand& call = node.operands[0];
    function_name = FunctionName(call.function);
    if (call.function != Function::kBeginsWith) {
      return BadOperator(function_name);
    }
    operands = &call.args;
  }
  if ((node.op == Op::kBetween || node.op == Op::kFunction) &&
      (*operands)[0].kind != Operand::Kind::kPath) {
    return Bare("Invalid condition in KeyConditionExpression: " + function_name +
                   " operator must have the key attribute as its first operand");
  }
  std::string attribute;
  size_t attribute_index = 0;
  std::vector<Value> values;
  for (size_t i = 0; i < operands->size(); ++i) {
    const Operand& operand = (*operands)[i];
    if (operand.kind == Operand::Kind::kFunction) {
      return Bare("KeyConditionExpressions cannot contain nested operations");
    }
    if (operand.kind == Operand::Kind::kValue) {
      values.push_back(operand.value);
      continue;
    }
    if (!attribute.empty()) {
      return Bare("Invalid condition in KeyConditionExpression: Multiple attribute names used "
                     "in one condition");
    }
    if (operand.path.size() > 1) {
      return Bare("KeyConditionExpressions cannot have conditions on nested attributes");
    }
    attribute = operand.path[0].name;
    attribute_index = i;
  }
  if (attribute.empty()) {
    return Bare("Invalid condition in KeyConditionExpression: No key attribute specified");
  }
  if (terms->count(attribute) > 0) {
    return Status::InvalidArgument("KeyConditionExpressions must only contain one condition per key");
  }
  Term term;
  if (node.op == Op::kBetween) {
    term.op = KeyOp::kBetween;
  } else if (node.op == Op::kFunction) {
    term.op = KeyOp::kBeginsWith;
  } else {
    term.op = attribute_index == 0 ? Comparison(node.op) : FlipComparison(node.op);
  }
  term.values = std::move(values);
  terms->emplace(attribute, std::move(term));
  return Status::OK();
}

Status CheckTypes(const Term& term, ValueType type) {
  for (const Value& v : term.values) {
    if (v.type != type) {
      return Status::InvalidArgument(
          "One or more parameter values were invalid: Condition parameter type does not match "
          "schema type");
    }
  }
  return Status::OK();
}

}  // namespace

bool RangeKeyCondition::Matches(const Value& key) const {
  if (op == KeyOp::kBeginsWith) {
    return key.type == value.type && key.scalar.size() >= value.scalar.size() &&
           key.scalar.compare(0, value.scalar.size(), value.scalar) == 0;
  }
  std::optional<int> c = CompareScalars(key, value);
  if (!c.has_value()) {
    return false;
  }
  switch (op) {
    case KeyOp::kEq: return *c == 0;
    case KeyOp::kLt: return *c < 0;
    case KeyOp::kLe: return *c <= 0;
    case KeyOp::kGt: return *c > 0;
    case KeyOp::kGe: return *c >= 0;
    case KeyOp::kBetween: {
      std::optional<int> upper = CompareScalars(key, value2);
      return *c >= 0 && upper.has_value() && *upper <= 0;
    }
    default: return false;
  }
}

StatusOr<KeyCondition> ParseKeyCondition(std::string_view text, ExpressionContext* context,
                                         const KeySchemaInfo& schema) {
  TANDEM_ASSIGN_OR_RETURN(Condition condition,
                          ParseCondition(text, "KeyConditionExpression", context));
  std::map<std::string, Term> terms;
  TANDEM_RETURN_IF_ERROR(Collect(condition.root, &terms));
  // DynamoDB checks the hash key, then the range key, each in turn.
  if (!schema.range_name.has_value() && terms.size() > 1) {
    return Status::InvalidArgument("Query key condition not supported");
  }
  auto hash = terms.find(schema.hash_name);
  if (hash == terms.end()) {
    return Status::InvalidArgument("Query condition missed key schema element: " +
                                   schema.hash_name);
  }
  TANDEM_RETURN_IF_ERROR(CheckTypes(hash->second, schema.hash_type));
  if (hash->second.op != KeyOp::kEq) {
    return Status::InvalidArgument("Query key condition not supported");
  }
  if (schema.range_name.has_value() && terms.size() > 1 &&
      terms.count(*schema.range_name) == 0) {
    return Status::InvalidArgument("Query condition missed key schema element: " +
                                   *schema.range_name);
  }
  if (terms.size() > 2) {
    return Status::InvalidArgument("Query key condition not supported");
  }
  KeyCondition result;
  result.hash_value = hash->second.values[0];
  if (schema.range_name.has_value()) {
    auto range = terms.find(*schema.range_name);
    if (range != terms.end()) {
      TANDEM_RETURN_IF_ERROR(CheckTypes(range->second, schema.range_type));
      RangeKeyCondition rc;
      rc.op = range->second.op;
      rc.value = range->second.values[0];
      if (rc.op == KeyOp::kBetween) {
        rc.value2 = range->second.values[1];
      }
      result.range = std::move(rc);
    }
  }
  return result;
}

}  // namespace tandem
