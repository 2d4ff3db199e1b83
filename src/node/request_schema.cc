#include "node/request_schema.h"

#include <boost/json.hpp>
#include <cmath>

namespace tandem::node {
namespace json = boost::json;
namespace {

std::string LowerFirst(const std::string& s) {
  if (s.empty()) return s;
  std::string out = s;
  out[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(out[0])));
  return out;
}

std::string ValueText(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: return "null";
    case json::kind::string: return std::string(v.as_string());
    case json::kind::array: {
      std::string out = "[";
      bool first = true;
      for (const auto& e : v.as_array()) {
        if (!first) out += ", ";
        first = false;
        out += ValueText(e);
      }
      return out + "]";
    }
    default: return json::serialize(v);
  }
}

bool MatchesNamePattern(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-')) {
      return false;
    }
  }
  return true;
}

bool IsBase64Char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/';
}

// ---- Phase 1: JSON types ----

std::optional<ApiError> TypeError(std::string msg) { return ApiError::Serialization(std::move(msg)); }

std::optional<ApiError> CheckType(const json::value& v, const Field& f);

std::optional<ApiError> CheckAttrValue(const json::value& v, bool top_level) {
  if (!v.is_object()) {
    if (v.is_array()) {
      return TypeError("Unrecognized collection type class com.amazonaws.dynamodb.v20120810.AttributeValue");
    }
    if (v.is_null()) return std::nullopt;
    return TypeError(top_level ? "Unexpected value type in payload" : "Unexpected value type in payload");
  }
  static const Field kString = StringField("S");
  static const Field kBool = BoolField("BOOL");
  static const Field kBlob = [] {
    Field f;
    f.kind = FieldKind::kBlob;
    return f;
  }();
  static const Field kStringList = ListOf("SS", StringField("member"));
  static const Field kBlobList = ListOf("BS", kBlob);
  for (const auto& [key, member] : v.as_object()) {
    if (member.is_null()) continue;
    std::optional<ApiError> err;
    if (key == "S" || key == "N") {
      err = CheckType(member, kString);
    } else if (key == "B") {
      err = CheckType(member, kBlob);
    } else if (key == "BOOL" || key == "NULL") {
      err = CheckType(member, kBool);
    } else if (key == "SS" || key == "NS") {
      err = CheckType(member, kStringList);
    } else if (key == "BS") {
      err = CheckType(member, kBlobList);
    } else if (key == "L") {
      if (!member.is_array()) {
        return TypeError(member.is_object() ? "Start of structure or map found where not expected"
                                            : "Unexpected field type");
      }
      for (const auto& e : member.as_array()) {
        if (auto e2 = CheckAttrValue(e, false)) return e2;
      }
    } else if (key == "M") {
      if (!member.is_object()) {
        return TypeError(member.is_array()
                             ? "Unrecognized collection type java.util.Map<java.lang.String, "
                               "com.amazonaws.dynamodb.v20120810.AttributeValue>"
                             : "Unexpected field type");
      }
      for (const auto& [k, e] : member.as_object()) {
        if (auto e2 = CheckAttrValue(e, false)) return e2;
      }
    }
    if (err) return err;
  }
  return std::nullopt;
}

std::optional<ApiError> CheckType(const json::value& v, const Field& f) {
  if (v.is_null()) return std::nullopt;
  const bool is_num = v.is_int64() || v.is_uint64() || v.is_double();
  const std::string num_word =
      v.is_double() && std::floor(v.as_double()) != v.as_double() ? "DECIMAL_VALUE"
                                                                   : "NUMBER_VALUE";
  switch (f.kind) {
    case FieldKind::kString:
      if (v.is_bool()) return TypeError(std::string(v.as_bool() ? "TRUE_VALUE" : "FALSE_VALUE") + " cannot be converted to String");
      if (is_num) return TypeError(num_word + " cannot be converted to String");
      if (v.is_array()) return TypeError("Unrecognized collection type class java.lang.String");
      if (v.is_object()) return TypeError("Start of structure or map found where not expected");
      return std::nullopt;
    case FieldKind::kBoolean:
      if (is_num) return TypeError(num_word + " cannot be converted to Boolean");
      if (v.is_string()) {
        std::string s(v.as_string());
        for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        if (s == "TRUE" || s == "1" || s == "YES" || s == "FALSE" || s == "0" || s == "NO") {
          return std::nullopt;
        }
        return TypeError("Unexpected token received from parser");
      }
      if (v.is_array()) return TypeError("Unrecognized collection type class java.lang.Boolean");
      if (v.is_object()) return TypeError("Start of structure or map found where not expected");
      return std::nullopt;
    case FieldKind::kLong:
    case FieldKind::kInteger: {
      const char* name = f.kind == FieldKind::kLong ? "Long" : "Integer";
      if (v.is_bool()) return TypeError(std::string(v.as_bool() ? "TRUE_VALUE" : "FALSE_VALUE") + " cannot be converted to " + name);
      if (v.is_string()) return TypeError(std::string("STRING_VALUE cannot be converted to ") + name);
      if (v.is_array()) return TypeError(std::string("Unrecognized collection type class java.lang.") + name);
      if (v.is_object()) return TypeError("Start of structure or map found where not expected");
      return std::nullopt;
    }
    case FieldKind::kBlob: {
      if (v.is_bool() || is_num) return TypeError("only base-64-encoded strings are convertible to bytes");
      if (v.is_array()) return TypeError("Unrecognized collection type class java.nio.ByteBuffer");
      if (v.is_object()) return TypeError("Start of structure or map found where not expected");
      const auto& s = v.as_string();
      if (s.size() % 4 != 0) {
        return TypeError("Base64 encoded length is expected a multiple of 4 bytes but found: " +
                         std::to_string(s.size()));
      }
      size_t pad = 0;
      for (size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (c == '=') {
          ++pad;
          if (i + 2 < s.size()) return TypeError("Invalid last non-pad Base64 character dectected");
        } else if (!IsBase64Char(c) || pad > 0) {
          return TypeError("Invalid last non-pad Base64 character dectected");
        }
      }
      if (pad > 2) return TypeError("Invalid last non-pad Base64 character dectected");
      return std::nullopt;
    }
    case FieldKind::kList:
      if (v.is_bool() || is_num || v.is_string()) return TypeError("Unexpected field type");
      if (v.is_object()) return TypeError("Start of structure or map found where not expected");
      for (const auto& e : v.as_array()) {
        if (auto err = CheckType(e, *f.element)) return err;
      }
      return std::nullopt;
    case FieldKind::kMap:
      if (v.is_bool() || is_num || v.is_string()) return TypeError("Unexpected field type");
      if (v.is_array()) {
        return TypeError("Unrecognized collection type java.util.Map<java.lang.String, " +
                         f.map_value_class + ">");
      }
      for (const auto& [k, e] : v.as_object()) {
        if (auto err = CheckType(e, *f.element)) return err;
      }
      return std::nullopt;
    case FieldKind::kStruct:
      if (v.is_bool() || is_num || v.is_string()) return TypeError("Unexpected field type");
      if (v.is_array()) {
        return TypeError("Unrecognized collection type class com.amazonaws.dynamodb.v20120810." +
                         f.struct_name);
      }
      for (const auto& m : f.members) {
        if (const auto* mv = v.as_object().if_contains(m.name)) {
          if (auto err = CheckType(*mv, m)) return err;
        }
      }
      return std::nullopt;
    case FieldKind::kAttrValue:
      return CheckAttrValue(v, true);
  }
  return std::nullopt;
}

// ---- Phase 2: constraints ----

void Validate(const json::value* v, const Field& f, const std::string& parent,
              std::vector<std::string>* errors) {
  const std::string path = (parent.empty() ? "" : parent + ".") + LowerFirst(f.name);
  auto fail = [&](const std::string& constraint) {
    if (errors->size() < 10) errors->push_back(ConstraintMessage(v, path, constraint));
  };
  const bool is_null = v == nullptr || v->is_null();
  if (f.not_null && is_null) fail("Member must not be null");
  if (is_null) return;
  if (f.kind == FieldKind::kStruct && v->is_object()) {
    for (const auto& m : f.members) Validate(v->as_object().if_contains(m.name), m, path, errors);
    return;
  }
  int64_t length = -1;
  if (v->is_string()) length = static_cast<int64_t>(v->as_string().size());
  if (v->is_array()) length = static_cast<int64_t>(v->as_array().size());
  if (v->is_object()) length = static_cast<int64_t>(v->as_object().size());
  if (f.name_pattern && v->is_string() && !MatchesNamePattern(v->as_string())) {
    fail("Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+");
  }
  if (f.min_length && length >= 0 && length < *f.min_length) {
    fail("Member must have length greater than or equal to " + std::to_string(*f.min_length));
  }
  if (f.max_length && length >= 0 && length > *f.max_length) {
    fail("Member must have length less than or equal to " + std::to_string(*f.max_length));
  }
  if ((f.min_value || f.max_value) && v->is_number()) {
    const double d = v->to_number<double>();
    if (f.min_value && d < static_cast<double>(*f.min_value)) {
      fail("Member must have value greater than or equal to " + std::to_string(*f.min_value));
    }
    if (f.max_value && d > static_cast<double>(*f.max_value)) {
      fail("Member must have value less than or equal to " + std::to_string(*f.max_value));
    }
  }
  if (!f.enum_values.empty() && v->is_string()) {
    bool found = false;
    for (const auto& e : f.enum_values) found = found || e == v->as_string();
    if (!found) {
      std::string set;
      for (size_t i = 0; i < f.enum_values.size(); ++i) {
        set += (i ? ", " : "") + f.enum_values[i];
      }
      fail("Member must satisfy enum value set: [" + set + "]");
    }
  }
  if (f.kind == FieldKind::kMap && v->is_object() && f.element) {
    // Map values are checked as "member" under the map key, e.g.
    // 'requestItems.Table.member.keys'.
    for (const auto& [key, value] : v->as_object()) {
      Field member = *f.element;
      member.name = "member";
      Validate(&value, member, path + "." + std::string(key), errors);
    }
  }
  if (f.kind == FieldKind::kList && v->is_array() && f.element) {
    const auto& arr = v->as_array();
    for (size_t i = 0; i < arr.size(); ++i) {
      Field member = *f.element;
      member.name = "member";
      Validate(&arr[i], member, path + "." + std::to_string(i + 1), errors);
    }
  }
}

}  // namespace

std::string ConstraintMessage(const json::value* value, const std::string& path,
                              const std::string& constraint) {
  std::string text = value == nullptr || value->is_null() ? "null" : "'" + ValueText(*value) + "'";
  return "Value " + text + " at '" + path + "' failed to satisfy constraint: " + constraint;
}

int64_t JsonInt(const json::value& v) {
  if (v.is_int64()) return v.as_int64();
  if (v.is_uint64()) {
    return v.as_uint64() > static_cast<uint64_t>(INT64_MAX) ? INT64_MAX
                                                             : static_cast<int64_t>(v.as_uint64());
  }
  if (v.is_double()) {
    const double d = std::floor(v.as_double());
    if (!(d > -9.2e18)) return INT64_MIN;
    if (!(d < 9.2e18)) return INT64_MAX;
    return static_cast<int64_t>(d);
  }
  return 0;
}

std::string ValidationErrors(const std::vector<std::string>& errors) {
  std::string out = std::to_string(errors.size()) + " validation error" +
                    (errors.size() > 1 ? "s" : "") + " detected: ";
  for (size_t i = 0; i < errors.size(); ++i) out += (i ? "; " : "") + errors[i];
  return out;
}

std::optional<ApiError> CheckRequest(const json::object& body, const Schema& schema) {
  for (const auto& f : schema) {
    if (const auto* v = body.if_contains(f.name)) {
      if (auto err = CheckType(*v, f)) return err;
    }
  }
  std::vector<std::string> errors;
  for (const auto& f : schema) Validate(body.if_contains(f.name), f, "", &errors);
  if (!errors.empty()) return ApiError::Validation(ValidationErrors(errors));
  return std::nullopt;
}

Field StringField(std::string name) { return Field{.name = std::move(name)}; }
Field TableNameField(std::string name) {
  Field f = StringField(std::move(name));
  f.not_null = true;
  f.name_pattern = true;
  f.min_length = 3;
  f.max_length = 255;
  return f;
}
Field BoolField(std::string name) {
  return Field{.name = std::move(name), .kind = FieldKind::kBoolean};
}
Field LongField(std::string name) { return Field{.name = std::move(name), .kind = FieldKind::kLong}; }
Field IntField(std::string name) {
  return Field{.name = std::move(name), .kind = FieldKind::kInteger};
}
Field ListOf(std::string name, Field element) {
  Field f{.name = std::move(name), .kind = FieldKind::kList};
  f.element = std::make_shared<const Field>(std::move(element));
  return f;
}
Field MapOf(std::string name, Field element, std::string value_class) {
  Field f{.name = std::move(name), .kind = FieldKind::kMap};
  f.element = std::make_shared<const Field>(std::move(element));
  f.map_value_class = std::move(value_class);
  return f;
}
Field StructField(std::string name, std::string struct_name, std::vector<Field> members) {
  Field f{.name = std::move(name), .kind = FieldKind::kStruct};
  f.struct_name = std::move(struct_name);
  f.members = std::move(members);
  return f;
}
Field AttrMapField(std::string name) {
  return MapOf(std::move(name), Field{.name = "member", .kind = FieldKind::kAttrValue},
               "com.amazonaws.dynamodb.v20120810.AttributeValue");
}
Field NamesMapField(std::string name) {
  return MapOf(std::move(name), StringField("member"), "java.lang.String");
}
Field NotNull(Field f) {
  f.not_null = true;
  return f;
}
Field Enum(Field f, std::vector<std::string> values) {
  f.enum_values = std::move(values);
  return f;
}
Field Length(Field f, std::optional<int64_t> min, std::optional<int64_t> max) {
  f.min_length = min;
  f.max_length = max;
  return f;
}
Field Range(Field f, std::optional<int64_t> min, std::optional<int64_t> max) {
  f.min_value = min;
  f.max_value = max;
  return f;
}

}  // namespace tandem::node
