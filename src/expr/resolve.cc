// Resolution and static validation of parsed expressions.
//
// The resolver walks the whole parse tree, keeping the first error of each
// kind; the kinds are then consulted in DynamoDB's reporting order (which
// differs between condition and update expressions).
#include "expr/resolve.h"

#include <array>
#include <map>
#include <optional>

#include "expr/reserved_words.h"
#include "expr/value_ops.h"

namespace tandem {

namespace {

enum class ErrorKind {
  kParens,
  kUnknownFunction,
  kMisusedFunction,
  kReserved,
  kSection,
  kUndefinedName,
  kUndefinedValue,
  kPathOverlap,
  kPathConflict,
  kOperandCount,
  kDistinct,
  kOperandType,
  kFunction,
  kCount,
};

enum class Mode { kCondition, kUpdate, kProjection };

class Resolver {
 public:
  Resolver(Mode mode, std::string_view label, ExpressionContext* context)
      : mode_(mode), label_(label), context_(context) {}

  void Add(ErrorKind kind, std::string message) {
    auto& slot = errors_[static_cast<size_t>(kind)];
    if (!slot.has_value()) {
      slot = std::move(message);
    }
  }
  Status Result(const std::vector<ErrorKind>& order) const {
    for (ErrorKind kind : order) {
      const auto& slot = errors_[static_cast<size_t>(kind)];
      if (slot.has_value()) {
        return Status::InvalidArgument("Invalid " + label_ + ": " + *slot);
      }
    }
    return Status::OK();
  }

  Path ResolvePath(const RawPath& raw);
  Operand ResolveOperand(const RawOperand& raw);
  ConditionNode ResolveConditionNode(const RawCondition& raw);
  void CheckPaths(const std::vector<Path>& paths);

 private:
  void CheckParens(int parens) {
    if (parens >= 2) {
      Add(ErrorKind::kParens, "The expression has redundant parentheses;");
    }
  }
  void CheckMisused(const std::vector<Operand>& operands);
  void CheckDistinct(const std::string& op, const std::vector<Operand>& operands);
  void CheckConditionFunction(const std::string& name, Operand* op);
  void CheckUpdateFunction(const std::string& name, Operand* op);
  void CheckBetweenBounds(const Operand& low, const Operand& high);
  void TypeError(const std::string& fn, const std::string& type) {
    Add(ErrorKind::kFunction,
        "Incorrect operand type for operator or function; operator or function: " + fn +
            ", operand type: " + type);
  }

  Mode mode_;
  std::string label_;
  ExpressionContext* context_;
  std::array<std::optional<std::string>, static_cast<size_t>(ErrorKind::kCount)> errors_;
};

// The statically known type of an operand (DynamoDB's "getType"): constants,
// and functions whose result type is fixed.
std::optional<ValueType> StaticType(const Operand& op) {
  if (op.kind == Operand::Kind::kValue) {
    return op.value.type;
  }
  if (op.kind != Operand::Kind::kFunction) {
    return std::nullopt;
  }
  switch (op.function) {
    case Function::kSize:
    case Function::kPlus:
    case Function::kMinus:
      return ValueType::kN;
    case Function::kListAppend:
      return ValueType::kL;
    case Function::kIfNotExists:
      return op.args.size() == 2 ? StaticType(op.args[1]) : std::nullopt;
    default:
      return ValueType::kBool;
  }
}

std::optional<ValueType> ConstantType(const Operand& op) {
  if (op.kind == Operand::Kind::kValue) {
    return op.value.type;
  }
  return std::nullopt;
}

Path Resolver::ResolvePath(const RawPath& raw) {
  Path path;
  for (const RawPathElement& element : raw) {
    if (element.index >= 0) {
      path.push_back(PathElement::Index(element.index));
    } else if (element.IsPlaceholder()) {
      const std::string* name = context_->LookupName(element.text);
      if (name == nullptr) {
        Add(ErrorKind::kUndefinedName,
            "An expression attribute name used in the document path is not defined; attribute "
            "name: " + element.text);
        path.push_back(PathElement::Name(std::string()));
      } else {
        path.push_back(PathElement::Name(*name));
      }
    } else {
      if (IsReservedWord(element.text)) {
        Add(ErrorKind::kReserved,
            "Attribute name is a reserved keyword; reserved keyword: " + element.text);
      }
      path.push_back(PathElement::Name(element.text));
    }
  }
  if (path.size() > kMaxPathDepth) {
    Add(ErrorKind::kFunction, "The document path has too many nesting levels; nesting levels: " +
                                  std::to_string(path.size()));
  }
  return path;
}

Operand Resolver::ResolveOperand(const RawOperand& raw) {
  CheckParens(raw.parens);
  Operand op;
  switch (raw.kind) {
    case RawOperand::Kind::kPath:
      op.kind = Operand::Kind::kPath;
      op.path = ResolvePath(raw.path);
      break;
    case RawOperand::Kind::kValue: {
      op.kind = Operand::Kind::kValue;
      const Value* value = context_->LookupValue(raw.ref);
      if (value == nullptr) {
        Add(mode_ == Mode::kCondition ? ErrorKind::kUndefinedName : ErrorKind::kUndefinedValue,
            "An expression attribute value used in expression is not defined; attribute value: " +
                raw.ref);
      } else {
        op.value = *value;
      }
      break;
    }
    case RawOperand::Kind::kCall:
    case RawOperand::Kind::kArith:
      op.kind = Operand::Kind::kFunction;
      for (const RawOperand& arg : raw.args) {
        op.args.push_back(ResolveOperand(arg));
      }
      if (mode_ == Mode::kCondition) {
        CheckMisused(op.args);
        CheckConditionFunction(raw.ref, &op);
      } else {
        CheckUpdateFunction(raw.ref, &op);
      }
      break;
  }
  return op;
}

void Resolver::CheckMisused(const std::vector<Operand>& operands) {
  for (const Operand& op : operands) {
    if (op.kind == Operand::Kind::kFunction && op.function != Function::kSize) {
      Add(ErrorKind::kMisusedFunction,
          std::string("The function is not allowed to be used this way in an expression; "
                      "function: ") + FunctionName(op.function));
      return;
    }
  }
}

void Resolver::CheckDistinct(const std::string& op, const std::vector<Operand>& operands) {
  if (operands.size() != 2 || operands[0].kind != Operand::Kind::kPath ||
      operands[1].kind != Operand::Kind::kPath || operands[0].path != operands[1].path) {
    return;
  }
  Add(ErrorKind::kDistinct,
      "The first operand must be distinct from the remaining operands for this operator or "
      "function; operator: " + op + ", first operand: " + PathToString(operands[0].path));
}

void Resolver::CheckConditionFunction(const std::string& name, Operand* op) {
  static const std::map<std::string, std::pair<Function, size_t>> kFunctions = {
      {"attribute_exists", {Function::kAttributeExists, 1}},
      {"attribute_not_exists", {Function::kAttributeNotExists, 1}},
      {"attribute_type", {Function::kAttributeType, 2}},
      {"begins_with", {Function::kBeginsWith, 2}},
      {"contains", {Function::kContains, 2}},
      {"size", {Function::kSize, 1}},
  };
  auto it = kFunctions.find(name);
  if (it == kFunctions.end()) {
    Add(ErrorKind::kUnknownFunction, "Invalid function name; function: " + name);
    return;
  }
  op->function = it->second.first;
  const std::vector<Operand>& args = op->args;
  if (args.size() != it->second.second) {
    Add(ErrorKind::kOperandCount,
        "Incorrect number of operands for operator or function; operator or function: " + name +
            ", number of operands: " + std::to_string(args.size()));
    return;
  }
  CheckDistinct(name, args);
  switch (op->function) {
    case Function::kAttributeExists:
    case Function::kAttributeNotExists:
      if (args[0].kind != Operand::Kind::kPath) {
        Add(ErrorKind::kFunction,
            "Operator or function requires a document path; operator or function: " + name);
      }
      break;
    case Function::kBeginsWith:
      for (const Operand& arg : args) {
        std::optional<ValueType> type = StaticType(arg);
        if (type.has_value() && *type != ValueType::kS && *type != ValueType::kB) {
          TypeError(name, TypeName(*type));
          break;
        }
      }
      break;
    case Function::kAttributeType: {
      std::optional<ValueType> type = StaticType(args[1]);
      if (type != ValueType::kS) {
        TypeError(name, type.has_value() ? TypeName(*type) : "{NS,SS,L,BS,N,M,B,BOOL,NULL,S}");
        break;
      }
      if (args[1].kind != Operand::Kind::kValue) {
        break;
      }
      static const char* kTypes[] = {"S", "N", "B", "NULL", "SS", "BOOL", "L", "BS", "NS", "M"};
      bool valid = false;
      for (const char* t : kTypes) {
        valid = valid || args[1].value.scalar == t;
      }
      if (!valid) {
        Add(ErrorKind::kFunction, "Invalid attribute type name found; type: " +
                                      args[1].value.scalar +
                                      ", valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}");
      }
      break;
    }
    case Function::kSize: {
      std::optional<ValueType> type = StaticType(args[0]);
      if (type == ValueType::kN || type == ValueType::kBool || type == ValueType::kNull) {
        TypeError(name, TypeName(*type));
      }
      break;
    }
    default:
      break;
  }
}

void Resolver::CheckUpdateFunction(const std::string& name, Operand* op) {
  static const std::map<std::string, Function> kFunctions = {
      {"if_not_exists", Function::kIfNotExists},
      {"list_append", Function::kListAppend},
      {"+", Function::kPlus},
      {"-", Function::kMinus},
  };
  auto it = kFunctions.find(name);
  if (it == kFunctions.end()) {
    Add(ErrorKind::kUnknownFunction, "Invalid function name; function: " + name);
    return;
  }
  op->function = it->second;
  const std::vector<Operand>& args = op->args;
  if (args.size() != 2) {
    Add(ErrorKind::kFunction,
        "Incorrect number of operands for operator or function; operator or function: " + name +
            ", number of operands: " + std::to_string(args.size()));
    return;
  }
  ValueType wanted = op->function == Function::kListAppend ? ValueType::kL : ValueType::kN;
  switch (op->function) {
    case Function::kIfNotExists:
      if (args[0].kind != Operand::Kind::kPath) {
        Add(ErrorKind::kFunction,
            "Operator or function requires a document path; operator or function: " + name);
      }
      break;
    default:
      for (const Operand& arg : args) {
        std::optional<ValueType> type = ConstantType(arg);
        if (type.has_value() && *type != wanted) {
          TypeError(name, TypeName(*type));
          break;
        }
      }
      break;
  }
}

void Resolver::CheckBetweenBounds(const Operand& low, const Operand& high) {
  if (low.kind != Operand::Kind::kValue || high.kind != Operand::Kind::kValue) {
    return;
  }
  std::string bounds = "lower bound operand: " + RenderForMessage(low.value) +
                       ", upper bound operand: " + RenderForMessage(high.value);
  if (low.value.type != high.value.type) {
    Add(ErrorKind::kFunction,
        "The BETWEEN operator requires same data type for lower and upper bounds; " + bounds);
    return;
  }
  std::optional<int> order = CompareScalars(low.value, high.value);
  if (order.has_value() && *order > 0) {
    Add(ErrorKind::kFunction,
        "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; " +
            bounds);
  }
}

ConditionNode Resolver::ResolveConditionNode(const RawCondition& raw) {
  CheckParens(raw.parens);
  ConditionNode node;
  for (const RawCondition& child : raw.children) {
    node.children.push_back(ResolveConditionNode(child));
  }
  for (const RawOperand& operand : raw.operands) {
    node.operands.push_back(ResolveOperand(operand));
  }
  switch (raw.kind) {
    case RawCondition::Kind::kAnd:
      node.op = ConditionNode::Op::kAnd;
      break;
    case RawCondition::Kind::kOr:
      node.op = ConditionNode::Op::kOr;
      break;
    case RawCondition::Kind::kNot:
      node.op = ConditionNode::Op::kNot;
      break;
    case RawCondition::Kind::kCompare: {
      static const std::map<std::string, ConditionNode::Op> kOps = {
          {"=", ConditionNode::Op::kEq}, {"<>", ConditionNode::Op::kNe},
          {"<", ConditionNode::Op::kLt}, {"<=", ConditionNode::Op::kLe},
          {">", ConditionNode::Op::kGt}, {">=", ConditionNode::Op::kGe}};
      node.op = kOps.at(raw.op);
      CheckMisused(node.operands);
      CheckDistinct(raw.op, node.operands);
      break;
    }
    case RawCondition::Kind::kBetween:
      node.op = ConditionNode::Op::kBetween;
      CheckMisused(node.operands);
      CheckBetweenBounds(node.operands[1], node.operands[2]);
      break;
    case RawCondition::Kind::kIn:
      node.op = ConditionNode::Op::kIn;
      CheckMisused(node.operands);
      if (node.operands.size() - 1 > kMaxInOperands) {
        Add(ErrorKind::kFunction,
            "The IN operator is provided with too many operands; number of operands: " +
                std::to_string(node.operands.size() - 1));
      }
      break;
    case RawCondition::Kind::kCall:
      node.op = ConditionNode::Op::kFunction;
      if (node.operands[0].function == Function::kSize) {
        Add(ErrorKind::kMisusedFunction,
            "The function is not allowed to be used this way in an expression; function: size");
      }
      break;
  }
  return node;
}

void Resolver::CheckPaths(const std::vector<Path>& paths) {
  for (size_t j = 1; j < paths.size(); ++j) {
    for (size_t i = 0; i < j; ++i) {
      const Path& one = paths[i];
      const Path& two = paths[j];
      std::string names = "must remove or rewrite one of these paths; path one: " +
                          PathToString(one) + ", path two: " + PathToString(two);
      bool differ = false;
      for (size_t k = 0; k < one.size() && k < two.size(); ++k) {
        if (one[k].IsIndex() != two[k].IsIndex()) {
          Add(ErrorKind::kPathConflict, "Two document paths conflict with each other; " + names);
          differ = true;
          break;
        }
        if (one[k] != two[k]) {
          differ = true;
          break;
        }
      }
      if (!differ) {
        Add(ErrorKind::kPathOverlap, "Two document paths overlap with each other; " + names);
      }
    }
  }
}

}  // namespace

StatusOr<ConditionNode> ResolveCondition(const RawCondition& raw, std::string_view label,
                                         ExpressionContext* context) {
  Resolver resolver(Mode::kCondition, label, context);
  ConditionNode node = resolver.ResolveConditionNode(raw);
  TANDEM_RETURN_IF_ERROR(resolver.Result(
      {ErrorKind::kParens, ErrorKind::kUnknownFunction, ErrorKind::kMisusedFunction,
       ErrorKind::kReserved, ErrorKind::kUndefinedName, ErrorKind::kOperandCount,
       ErrorKind::kDistinct, ErrorKind::kFunction}));
  return node;
}

StatusOr<std::vector<UpdateAction>> ResolveUpdate(const RawUpdate& raw,
                                                  ExpressionContext* context) {
  Resolver resolver(Mode::kUpdate, "UpdateExpression", context);
  if (!raw.repeated_section.empty()) {
    resolver.Add(ErrorKind::kSection, "The \"" + raw.repeated_section +
                                          "\" section can only be used once in an update "
                                          "expression;");
  }
  std::vector<UpdateAction> actions;
  std::vector<Path> paths;
  for (const RawUpdateAction& raw_action : raw.actions) {
    UpdateAction action;
    action.kind = static_cast<UpdateAction::Kind>(raw_action.kind);
    action.path = resolver.ResolvePath(raw_action.path);
    if (action.kind != UpdateAction::Kind::kRemove) {
      action.value = resolver.ResolveOperand(raw_action.value);
    }
    if (action.kind == UpdateAction::Kind::kAdd || action.kind == UpdateAction::Kind::kDelete) {
      ValueType type = action.value.value.type;
      bool is_add = action.kind == UpdateAction::Kind::kAdd;
      bool is_set = type == ValueType::kSS || type == ValueType::kNS || type == ValueType::kBS;
      if (!is_set && !(is_add && type == ValueType::kN) && context->LookupValue(raw_action.value.ref)) {
        resolver.Add(ErrorKind::kOperandType,
                     std::string("Incorrect operand type for operator or function; operator: ") +
                         (is_add ? "ADD" : "DELETE") + ", operand type: " + LongTypeName(type));
      }
    }
    paths.push_back(action.path);
    actions.push_back(std::move(action));
  }
  resolver.CheckPaths(paths);
  TANDEM_RETURN_IF_ERROR(resolver.Result(
      {ErrorKind::kReserved, ErrorKind::kUnknownFunction, ErrorKind::kSection,
       ErrorKind::kUndefinedName, ErrorKind::kUndefinedValue, ErrorKind::kPathOverlap,
       ErrorKind::kPathConflict, ErrorKind::kOperandType, ErrorKind::kFunction}));
  return actions;
}

StatusOr<std::vector<Path>> ResolveProjection(const RawProjection& raw,
                                              ExpressionContext* context) {
  Resolver resolver(Mode::kProjection, "ProjectionExpression", context);
  std::vector<Path> paths;
  for (const RawPath& raw_path : raw.paths) {
    paths.push_back(resolver.ResolvePath(raw_path));
  }
  resolver.CheckPaths(paths);
  TANDEM_RETURN_IF_ERROR(resolver.Result({ErrorKind::kReserved, ErrorKind::kUndefinedName,
                                          ErrorKind::kPathOverlap, ErrorKind::kPathConflict,
                                          ErrorKind::kFunction}));
  return paths;
}

Status CheckPathsDisjoint(const std::vector<Path>& paths, std::string_view label) {
  Resolver resolver(Mode::kProjection, label, nullptr);
  resolver.CheckPaths(paths);
  return resolver.Result({ErrorKind::kPathOverlap, ErrorKind::kPathConflict});
}

}  // namespace tandem
