// Update expressions: parsing entry point and application to an item.
#include "expr/update.h"

#include <algorithm>

#include "expr/condition.h"
#include "expr/parser.h"
#include "expr/resolve.h"
#include "expr/value_ops.h"
#include "types/decimal.h"

namespace tandem {

namespace {

Status InvalidPath() {
  return Status::InvalidArgument(
      "The document path provided in the update expression is invalid for update");
}

Status WrongType() {
  return Status::InvalidArgument(
      "An operand in the update expression has an incorrect data type");
}

Value* FindMutable(Item* item, const Path& path, size_t length) {
  const Value* found = FindPath(*item, Path(path.begin(), path.begin() + length));
  return const_cast<Value*>(found);
}

StatusOr<Value> Arithmetic(Function op, const Value& a, const Value& b) {
  if (a.type != ValueType::kN || b.type != ValueType::kN) {
    return WrongType();
  }
  TANDEM_ASSIGN_OR_RETURN(Decimal da, Decimal::Parse(a.scalar));
  TANDEM_ASSIGN_OR_RETURN(Decimal db, Decimal::Parse(b.scalar));
  StatusOr<Decimal> result =
      op == Function::kPlus ? Decimal::Add(da, db) : Decimal::Subtract(da, db);
  if (!result.ok()) {
    return result.status();
  }
  return Value::N(result->ToString());
}

// The value of a SET right-hand side, against the item before the update.
StatusOr<Value> EvaluateOperand(const Operand& op, const Item& item) {
  switch (op.kind) {
    case Operand::Kind::kValue:
      return op.value;
    case Operand::Kind::kPath: {
      const Value* found = FindPath(item, op.path);
      if (found == nullptr) {
        return Status::InvalidArgument(
            "The provided expression refers to an attribute that does not exist in the item");
      }
      return *found;
    }
    case Operand::Kind::kFunction:
      break;
  }
  if (op.function == Function::kIfNotExists) {
    const Value* found = FindPath(item, op.args[0].path);
    if (found != nullptr) {
      return *found;
    }
    return EvaluateOperand(op.args[1], item);
  }
  TANDEM_ASSIGN_OR_RETURN(Value a, EvaluateOperand(op.args[0], item));
  TANDEM_ASSIGN_OR_RETURN(Value b, EvaluateOperand(op.args[1], item));
  if (op.function == Function::kListAppend) {
    if (a.type != ValueType::kL || b.type != ValueType::kL) {
      return WrongType();
    }
    for (Value& element : b.list) {
      a.list.push_back(std::move(element));
    }
    return a;
  }
  return Arithmetic(op.function, a, b);
}

Status SetPath(Item* item, const Path& path, Value value) {
  if (path.size() == 1) {
    (*item)[path[0].name] = std::move(value);
    return Status::OK();
  }
  Value* parent = FindMutable(item, path, path.size() - 1);
  if (parent == nullptr) {
    return InvalidPath();
  }
  const PathElement& last = path.back();
  if (last.IsIndex()) {
    if (parent->type != ValueType::kL) {
      return InvalidPath();
    }
    if (last.index >= static_cast<int64_t>(parent->list.size())) {
      parent->list.push_back(std::move(value));  // past the end appends
    } else {
      parent->list[last.index] = std::move(value);
    }
    return Status::OK();
  }
  if (parent->type != ValueType::kM) {
    return InvalidPath();
  }
  parent->map[last.name] = std::move(value);
  return Status::OK();
}

Status RemovePath(Item* item, const Path& path) {
  if (path.size() == 1) {
    item->erase(path[0].name);
    return Status::OK();
  }
  Value* parent = FindMutable(item, path, path.size() - 1);
  if (parent == nullptr) {
    return Status::OK();  // nothing there to remove
  }
  const PathElement& last = path.back();
  if (last.IsIndex()) {
    if (parent->type != ValueType::kL) {
      return InvalidPath();
    }
    if (last.index < static_cast<int64_t>(parent->list.size())) {
      parent->list.erase(parent->list.begin() + last.index);
    }
    return Status::OK();
  }
  if (parent->type != ValueType::kM) {
    return InvalidPath();
  }
  parent->map.erase(last.name);
  return Status::OK();
}

Status AddToPath(Item* item, const Path& path, const Value& value) {
  Value* existing = FindMutable(item, path, path.size());
  if (existing == nullptr) {
    return SetPath(item, path, value);
  }
  if (value.type == ValueType::kN) {
    TANDEM_ASSIGN_OR_RETURN(Value sum, Arithmetic(Function::kPlus, *existing, value));
    *existing = std::move(sum);
    return Status::OK();
  }
  if (existing->type != value.type) {
    return WrongType();
  }
  for (const std::string& element : value.set) {
    if (!SetContains(*existing, element)) {
      existing->set.push_back(element);
    }
  }
  return Status::OK();
}

Status DeleteFromPath(Item* item, const Path& path, const Value& value) {
  Value* existing = FindMutable(item, path, path.size());
  if (existing == nullptr) {
    return Status::OK();
  }
  if (existing->type != value.type) {
    return WrongType();
  }
  std::vector<std::string> kept;
  for (const std::string& element : existing->set) {
    if (!SetContains(value, element)) {
      kept.push_back(element);
    }
  }
  if (kept.empty()) {
    return RemovePath(item, path);
  }
  existing->set = std::move(kept);
  return Status::OK();
}

// Orders REMOVE paths so that later list elements go first and earlier
// indexes stay valid.
bool RemoveFirst(const Path* a, const Path* b) {
  return std::lexicographical_compare(b->begin(), b->end(), a->begin(), a->end());
}

}  // namespace

StatusOr<Update> ParseUpdate(std::string_view text, ExpressionContext* context) {
  TANDEM_ASSIGN_OR_RETURN(RawUpdate raw, ParseRawUpdate(text));
  TANDEM_ASSIGN_OR_RETURN(std::vector<UpdateAction> actions, ResolveUpdate(raw, context));
  return Update{std::move(actions)};
}

Status ApplyUpdate(const Update& update, Item* item, std::vector<Path>* touched) {
  const Item& before = *item;
  std::vector<Value> set_values;
  for (const UpdateAction& action : update.actions) {
    if (action.kind == UpdateAction::Kind::kSet) {
      TANDEM_ASSIGN_OR_RETURN(Value v, EvaluateOperand(action.value, before));
      set_values.push_back(std::move(v));
    }
  }
  Item result = before;
  size_t next_set = 0;
  std::vector<const Path*> removes;
  for (const UpdateAction& action : update.actions) {
    if (action.kind == UpdateAction::Kind::kSet) {
      TANDEM_RETURN_IF_ERROR(SetPath(&result, action.path, std::move(set_values[next_set++])));
    } else if (action.kind == UpdateAction::Kind::kRemove) {
      removes.push_back(&action.path);
    }
  }
  std::stable_sort(removes.begin(), removes.end(), RemoveFirst);
  for (const Path* path : removes) {
    TANDEM_RETURN_IF_ERROR(RemovePath(&result, *path));
  }
  for (const UpdateAction& action : update.actions) {
    if (action.kind == UpdateAction::Kind::kAdd) {
      TANDEM_RETURN_IF_ERROR(AddToPath(&result, action.path, action.value.value));
    } else if (action.kind == UpdateAction::Kind::kDelete) {
      TANDEM_RETURN_IF_ERROR(DeleteFromPath(&result, action.path, action.value.value));
    }
  }
  *item = std::move(result);
  if (touched != nullptr) {
    touched->clear();
    for (const UpdateAction& action : update.actions) {
      touched->push_back(action.path);
    }
  }
  return Status::OK();
}

}  // namespace tandem
