// Condition expressions: parsing entry point and evaluation.
#include "expr/condition.h"

#include "expr/parser.h"
#include "expr/resolve.h"
#include "expr/value_ops.h"

namespace tandem {

StatusOr<Condition> ParseCondition(std::string_view text, std::string_view which,
                                   ExpressionContext* context) {
  TANDEM_ASSIGN_OR_RETURN(RawCondition raw, ParseRawCondition(text, which));
  TANDEM_ASSIGN_OR_RETURN(ConditionNode root, ResolveCondition(raw, which, context));
  return Condition{std::move(root)};
}

const Value* FindPath(const Item& item, const Path& path) {
  const Value* current = nullptr;
  for (size_t i = 0; i < path.size(); ++i) {
    const PathElement& element = path[i];
    if (i == 0) {
      auto it = item.find(element.name);
      if (element.IsIndex() || it == item.end()) {
        return nullptr;
      }
      current = &it->second;
    } else if (element.IsIndex()) {
      if (current->type != ValueType::kL ||
          element.index >= static_cast<int64_t>(current->list.size())) {
        return nullptr;
      }
      current = &current->list[element.index];
    } else {
      if (current->type != ValueType::kM) {
        return nullptr;
      }
      auto it = current->map.find(element.name);
      if (it == current->map.end()) {
        return nullptr;
      }
      current = &it->second;
    }
  }
  return current;
}

namespace {

// size() of a value, or nullopt for types that have none.
std::optional<size_t> SizeOf(const Value& v) {
  switch (v.type) {
    case ValueType::kS:
    case ValueType::kB:
      return v.scalar.size();
    case ValueType::kSS:
    case ValueType::kNS:
    case ValueType::kBS:
      return v.set.size();
    case ValueType::kL:
      return v.list.size();
    case ValueType::kM:
      return v.map.size();
    default:
      return std::nullopt;
  }
}

// The value of an operand, or nullptr when it has none (missing attribute,
// size() of an unsized value). `scratch` holds computed results.
const Value* OperandValue(const Operand& op, const Item& item, Value* scratch) {
  switch (op.kind) {
    case Operand::Kind::kValue:
      return &op.value;
    case Operand::Kind::kPath:
      return FindPath(item, op.path);
    case Operand::Kind::kFunction: {
      if (op.function != Function::kSize) {
        return nullptr;
      }
      Value arg_scratch;
      const Value* arg = OperandValue(op.args[0], item, &arg_scratch);
      std::optional<size_t> size = arg == nullptr ? std::nullopt : SizeOf(*arg);
      if (!size.has_value()) {
        return nullptr;
      }
      *scratch = Value::N(std::to_string(*size));
      return scratch;
    }
  }
  return nullptr;
}

bool Contains(const Value& haystack, const Value& needle) {
  switch (haystack.type) {
    case ValueType::kS:
    case ValueType::kB:
      return needle.type == haystack.type &&
             haystack.scalar.find(needle.scalar) != std::string::npos;
    case ValueType::kSS:
    case ValueType::kNS:
    case ValueType::kBS:
      return needle.type == SetElementType(haystack.type) && SetContains(haystack, needle.scalar);
    case ValueType::kL:
      for (const Value& element : haystack.list) {
        if (element == needle) {
          return true;
        }
      }
      return false;
    default:
      return false;
  }
}

bool EvaluateFunction(const Operand& op, const Item& item) {
  Value scratch0;
  Value scratch1;
  switch (op.function) {
    case Function::kAttributeExists:
      return FindPath(item, op.args[0].path) != nullptr;
    case Function::kAttributeNotExists:
      return FindPath(item, op.args[0].path) == nullptr;
    case Function::kAttributeType: {
      const Value* v = OperandValue(op.args[0], item, &scratch0);
      const Value* t = OperandValue(op.args[1], item, &scratch1);
      return v != nullptr && t != nullptr && t->type == ValueType::kS &&
             t->scalar == TypeName(v->type);
    }
    case Function::kBeginsWith: {
      const Value* v = OperandValue(op.args[0], item, &scratch0);
      const Value* prefix = OperandValue(op.args[1], item, &scratch1);
      return v != nullptr && prefix != nullptr && v->type == prefix->type &&
             (v->type == ValueType::kS || v->type == ValueType::kB) &&
             v->scalar.compare(0, prefix->scalar.size(), prefix->scalar) == 0 &&
             v->scalar.size() >= prefix->scalar.size();
    }
    case Function::kContains: {
      const Value* v = OperandValue(op.args[0], item, &scratch0);
      const Value* needle = OperandValue(op.args[1], item, &scratch1);
      return v != nullptr && needle != nullptr && Contains(*v, *needle);
    }
    default:
      return false;
  }
}

bool Compare(ConditionNode::Op op, const Value* a, const Value* b) {
  if (op == ConditionNode::Op::kEq) {
    return a != nullptr && b != nullptr && *a == *b;
  }
  if (op == ConditionNode::Op::kNe) {
    // A missing operand is "not equal" to anything, as DynamoDB.
    return a == nullptr || b == nullptr || *a != *b;
  }
  if (a == nullptr || b == nullptr) {
    return false;
  }
  std::optional<int> order = CompareScalars(*a, *b);
  if (!order.has_value()) {
    return false;
  }
  switch (op) {
    case ConditionNode::Op::kLt: return *order < 0;
    case ConditionNode::Op::kLe: return *order <= 0;
    case ConditionNode::Op::kGt: return *order > 0;
    case ConditionNode::Op::kGe: return *order >= 0;
    default: return false;
  }
}

bool EvaluateNode(const ConditionNode& node, const Item& item) {
  switch (node.op) {
    case ConditionNode::Op::kAnd:
      return EvaluateNode(node.children[0], item) && EvaluateNode(node.children[1], item);
    case ConditionNode::Op::kOr:
      return EvaluateNode(node.children[0], item) || EvaluateNode(node.children[1], item);
    case ConditionNode::Op::kNot:
      return !EvaluateNode(node.children[0], item);
    case ConditionNode::Op::kFunction:
      return EvaluateFunction(node.operands[0], item);
    case ConditionNode::Op::kBetween: {
      Value s0, s1, s2;
      const Value* v = OperandValue(node.operands[0], item, &s0);
      const Value* low = OperandValue(node.operands[1], item, &s1);
      const Value* high = OperandValue(node.operands[2], item, &s2);
      return Compare(ConditionNode::Op::kGe, v, low) && Compare(ConditionNode::Op::kLe, v, high);
    }
    case ConditionNode::Op::kIn: {
      Value s0;
      const Value* v = OperandValue(node.operands[0], item, &s0);
      for (size_t i = 1; i < node.operands.size(); ++i) {
        Value s1;
        if (Compare(ConditionNode::Op::kEq, v, OperandValue(node.operands[i], item, &s1))) {
          return true;
        }
      }
      return false;
    }
    default: {
      Value s0, s1;
      return Compare(node.op, OperandValue(node.operands[0], item, &s0),
                     OperandValue(node.operands[1], item, &s1));
    }
  }
}

}  // namespace

bool Evaluate(const Condition& condition, const Item& item) {
  return EvaluateNode(condition.root, item);
}

}  // namespace tandem
