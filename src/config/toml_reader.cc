#include "config/toml_reader.h"

#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace tandem::config {

TomlReader::TomlReader(std::string path)
    : path_(std::move(path)), base_(std::filesystem::path(path_).parent_path().string()) {}

std::string TomlReader::Where(const toml::node& node) const {
  return path_ + ":" + std::to_string(node.source().begin.line);
}

Status TomlReader::Error(const toml::node& node, const std::string& problem) const {
  return Status::InvalidArgument(Where(node) + ": " + problem);
}

Status TomlReader::String(const toml::table& table, const char* key, bool required,
                          std::string* out) const {
  const toml::node* node = table.get(key);
  if (node == nullptr) {
    if (required) return Error(table, std::string("missing required key '") + key + "'");
    return Status::OK();
  }
  const auto* s = node->as_string();
  if (s == nullptr || s->get().empty()) {
    return Error(*node, std::string("'") + key + "' must be a non-empty string");
  }
  *out = s->get();
  return Status::OK();
}

Status TomlReader::Path(const toml::table& table, const char* key, bool required,
                        std::string* out) const {
  TANDEM_RETURN_IF_ERROR(String(table, key, required, out));
  if (!out->empty() && !std::filesystem::path(*out).is_absolute()) {
    *out = (std::filesystem::path(base_) / *out).lexically_normal().string();
  }
  return Status::OK();
}

Status TomlReader::Integer(const toml::table& table, const char* key, int64_t min, int64_t max,
                           bool required, int64_t* out) const {
  const toml::node* node = table.get(key);
  if (node == nullptr) {
    if (required) return Error(table, std::string("missing required key '") + key + "'");
    return Status::OK();
  }
  const auto* i = node->as_integer();
  if (i == nullptr || i->get() < min || i->get() > max) {
    return Error(*node, std::string("'") + key + "' must be an integer from " +
                            std::to_string(min) + " to " + std::to_string(max));
  }
  *out = i->get();
  return Status::OK();
}

Status TomlReader::PositiveInteger(const toml::table& table, const char* key,
                                   std::optional<uint64_t>* out) const {
  const toml::node* node = table.get(key);
  if (node == nullptr) return Status::OK();
  const auto* i = node->as_integer();
  if (i == nullptr || i->get() < 1) {
    return Error(*node, std::string("'") + key + "' must be a positive integer");
  }
  *out = static_cast<uint64_t>(i->get());
  return Status::OK();
}

Status TomlReader::Bool(const toml::table& table, const char* key, bool* out) const {
  const toml::node* node = table.get(key);
  if (node == nullptr) return Status::OK();
  const auto* b = node->as_boolean();
  if (b == nullptr) return Error(*node, std::string("'") + key + "' must be true or false");
  *out = b->get();
  return Status::OK();
}

Status TomlReader::Double(const toml::table& table, const char* key, double min, double max,
                          double* out) const {
  const toml::node* node = table.get(key);
  if (node == nullptr) return Status::OK();
  std::optional<double> value;
  if (const auto* f = node->as_floating_point()) value = f->get();
  if (const auto* i = node->as_integer()) value = static_cast<double>(i->get());
  if (!value || !(*value >= min && *value <= max)) {
    return Error(*node, std::string("'") + key + "' must be a number from " + std::to_string(min) +
                            " to " + std::to_string(max));
  }
  *out = *value;
  return Status::OK();
}

Status TomlReader::Duration(const toml::table& table, const char* key,
                            std::chrono::milliseconds* out) const {
  const toml::node* node = table.get(key);
  if (node == nullptr) return Status::OK();
  const auto* s = node->as_string();
  if (s == nullptr) {
    return Error(*node, std::string("'") + key + "' must be a duration string like \"1s\"");
  }
  auto parsed = ParseDurationText(s->get());
  if (!parsed.ok()) return Error(*node, std::string("'") + key + "': " + parsed.status().message());
  *out = *parsed;
  return Status::OK();
}

Status TomlReader::StringArray(const toml::table& table, const char* key,
                               std::vector<std::string>* out) const {
  const toml::node* node = table.get(key);
  if (node == nullptr) return Status::OK();
  const auto* arr = node->as_array();
  if (arr == nullptr) return Error(*node, std::string("'") + key + "' must be an array of strings");
  out->clear();
  for (const toml::node& item : *arr) {
    const auto* s = item.as_string();
    if (s == nullptr || s->get().empty()) {
      return Error(item, std::string("'") + key + "' must hold non-empty strings");
    }
    out->push_back(s->get());
  }
  return Status::OK();
}

Status TomlReader::Tables(const toml::table& table, const char* key,
                          std::vector<const toml::table*>* out) const {
  out->clear();
  const toml::node* node = table.get(key);
  if (node == nullptr) return Status::OK();
  const auto* arr = node->as_array();
  if (arr == nullptr) {
    return Error(*node, std::string("'") + key + "' must be an array of tables ([[" + key + "]])");
  }
  for (const toml::node& item : *arr) {
    const auto* t = item.as_table();
    if (t == nullptr) return Error(item, std::string("'") + key + "' must hold tables");
    out->push_back(t);
  }
  return Status::OK();
}

Status TomlReader::NoUnknownKeys(const toml::table& table, std::initializer_list<const char*> known,
                                 const char* section) const {
  for (const auto& [key, node] : table) {
    bool ok = false;
    for (const char* k : known) ok = ok || key.str() == k;
    if (!ok) {
      return Error(node, "unknown key '" + std::string(key.str()) + "' in " + section);
    }
  }
  return Status::OK();
}

StatusOr<toml::table> ParseToml(std::string_view text, const std::string& path) {
  toml::parse_result parsed = toml::parse(text, path);
  if (!parsed) {
    const auto& err = parsed.error();
    return Status::InvalidArgument(path + ":" + std::to_string(err.source().begin.line) + ": " +
                                   std::string(err.description()));
  }
  return std::move(parsed).table();
}

StatusOr<std::string> ReadConfigFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::IOError("cannot read configuration file " + path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

bool ValidHostPort(std::string_view s) {
  const auto colon = s.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == s.size()) return false;
  if (colon + 1 + 5 < s.size()) return false;
  for (size_t i = colon + 1; i < s.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return std::stoul(std::string(s.substr(colon + 1))) <= 65535;
}

StatusOr<std::chrono::milliseconds> ParseDurationText(std::string_view text) {
  size_t unit = 0;
  while (unit < text.size() &&
         (std::isdigit(static_cast<unsigned char>(text[unit])) || text[unit] == '.')) {
    ++unit;
  }
  const std::string number(text.substr(0, unit));
  const std::string_view suffix = text.substr(unit);
  double value = 0;
  const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (number.empty() || ec != std::errc() || end != number.data() + number.size()) {
    return Status::InvalidArgument("'" + std::string(text) +
                                   "' is not a duration (a number and ms, s, m or h)");
  }
  double ms = 0;
  if (suffix == "ms") {
    ms = value;
  } else if (suffix == "s") {
    ms = value * 1000;
  } else if (suffix == "m") {
    ms = value * 60'000;
  } else if (suffix == "h") {
    ms = value * 3'600'000;
  } else {
    return Status::InvalidArgument("'" + std::string(text) +
                                   "' is not a duration (a number and ms, s, m or h)");
  }
  if (ms != std::floor(ms) || ms > 86'400'000.0 * 365) {
    return Status::InvalidArgument("'" + std::string(text) +
                                   "' is not a whole number of milliseconds within a year");
  }
  return std::chrono::milliseconds(static_cast<int64_t>(ms));
}

}  // namespace tandem::config
