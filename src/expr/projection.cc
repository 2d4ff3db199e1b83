// Projection expressions: parsing entry point and item projection.
#include "expr/projection.h"

#include <map>

#include "expr/parser.h"
#include "expr/resolve.h"

namespace tandem {

namespace {

// The requested paths as a tree: a node either takes the whole value or
// selects children by key and/or list index.
struct Selection {
  bool whole = false;
  std::map<std::string, Selection> keys;
  std::map<int64_t, Selection> indexes;
};

void Insert(Selection* root, const Path& path) {
  Selection* node = root;
  for (const PathElement& element : path) {
    if (node->whole) {
      return;
    }
    node = element.IsIndex() ? &node->indexes[element.index] : &node->keys[element.name];
  }
  node->whole = true;
  node->keys.clear();
  node->indexes.clear();
}

// Projects `value` through `selection`; false when nothing was selected.
bool ProjectValue(const Selection& selection, const Value& value, Value* out) {
  if (selection.whole) {
    *out = value;
    return true;
  }
  if (value.type == ValueType::kM && !selection.keys.empty()) {
    Value result = Value::Map({});
    for (const auto& [key, child] : selection.keys) {
      auto it = value.map.find(key);
      Value projected;
      if (it != value.map.end() && ProjectValue(child, it->second, &projected)) {
        result.map.emplace(key, std::move(projected));
      }
    }
    if (result.map.empty()) {
      return false;
    }
    *out = std::move(result);
    return true;
  }
  if (value.type == ValueType::kL && !selection.indexes.empty()) {
    Value result = Value::List({});
    for (const auto& [index, child] : selection.indexes) {
      Value projected;
      if (index < static_cast<int64_t>(value.list.size()) &&
          ProjectValue(child, value.list[index], &projected)) {
        result.list.push_back(std::move(projected));
      }
    }
    if (result.list.empty()) {
      return false;
    }
    *out = std::move(result);
    return true;
  }
  return false;
}

}  // namespace

StatusOr<Projection> ParseProjection(std::string_view text, ExpressionContext* context) {
  TANDEM_ASSIGN_OR_RETURN(RawProjection raw, ParseRawProjection(text));
  TANDEM_ASSIGN_OR_RETURN(std::vector<Path> paths, ResolveProjection(raw, context));
  return Projection{std::move(paths)};
}

Item ProjectPaths(const std::vector<Path>& paths, const Item& item) {
  Selection root;
  for (const Path& path : paths) {
    if (!path.empty() && !path[0].IsIndex()) {
      Insert(&root, path);
    }
  }
  Item result;
  for (const auto& [name, child] : root.keys) {
    auto it = item.find(name);
    Value projected;
    if (it != item.end() && ProjectValue(child, it->second, &projected)) {
      result.emplace(name, std::move(projected));
    }
  }
  return result;
}

Item Project(const Projection& projection, const Item& item) {
  return ProjectPaths(projection.paths, item);
}

}  // namespace tandem
