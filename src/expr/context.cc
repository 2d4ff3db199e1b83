// ExpressionContext: placeholder lookup and the unused-placeholder check.
#include "expr/context.h"

namespace tandem {

ExpressionContext::ExpressionContext(const NameMap* names, const ValueMap* values)
    : names_(names), values_(values) {}

const std::string* ExpressionContext::LookupName(std::string_view ref) {
  if (names_ == nullptr) {
    return nullptr;
  }
  auto it = names_->find(std::string(ref));
  if (it == names_->end()) {
    return nullptr;
  }
  used_names_.insert(it->first);
  return &it->second;
}

const Value* ExpressionContext::LookupValue(std::string_view ref) {
  if (values_ == nullptr) {
    return nullptr;
  }
  auto it = values_->find(std::string(ref));
  if (it == values_->end()) {
    return nullptr;
  }
  used_values_.insert(it->first);
  return &it->second;
}

namespace {

template <typename Map, typename Used>
std::string UnusedKeys(const Map* map, const Used& used) {
  std::string keys;
  if (map == nullptr) {
    return keys;
  }
  for (const auto& [key, unused] : *map) {
    if (used.count(key) == 0) {
      if (!keys.empty()) {
        keys += ", ";
      }
      keys += key;
    }
  }
  return keys;
}

}  // namespace

Status ExpressionContext::CheckUnused() const {
  std::string names = UnusedKeys(names_, used_names_);
  if (!names.empty()) {
    return Status::InvalidArgument(
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {" + names + "}");
  }
  std::string values = UnusedKeys(values_, used_values_);
  if (!values.empty()) {
    return Status::InvalidArgument(
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {" + values +
        "}");
  }
  return Status::OK();
}

}  // namespace tandem
