// DynamoDB JSON <-> Value. Reading runs two passes over the JSON: a shape pass
// that finds serialization errors anywhere in the value, then a conversion
// pass that validates in document order and builds the Value.
#include "types/attribute_json.h"

#include <openssl/evp.h>

#include <set>
#include <utility>
#include <vector>

#include "types/decimal.h"

namespace tandem {

namespace json = boost::json;

namespace {

// Shape checks stop this deep; the conversion pass reports the nesting error
// long before, and the stack stays bounded on hostile input.
constexpr int kMaxShapeLevels = 2 * kMaxNestingLevels;

constexpr std::string_view kInvalid = "One or more parameter values were invalid: ";
constexpr std::string_view kEmptyValue =
    "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes";
constexpr std::string_view kSeveralTypes =
    "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the "
    "supported datatypes";

enum class Member { kS, kN, kB, kBool, kNull, kL, kM, kSS, kNS, kBS, kUnknown };

Member MemberOf(std::string_view key) {
  static const std::pair<std::string_view, Member> kMembers[] = {
      {"S", Member::kS},     {"N", Member::kN},       {"B", Member::kB},   {"BOOL", Member::kBool},
      {"NULL", Member::kNull}, {"L", Member::kL},     {"M", Member::kM},   {"SS", Member::kSS},
      {"NS", Member::kNS},   {"BS", Member::kBS}};
  for (const auto& [name, member] : kMembers) {
    if (key == name) {
      return member;
    }
  }
  return Member::kUnknown;
}

Status Invalid(std::string_view detail) {
  std::string msg(kInvalid);
  msg.append(detail);
  return Status::InvalidArgument(std::move(msg));
}

Status Bare(std::string_view msg) { return Status::InvalidArgument(std::string(msg)); }

// ---- Shape pass (SerializationException texts) ----------------------------

// How Coral names a JSON scalar that is not the expected one.
std::string TokenName(const json::value& v) {
  if (v.is_bool()) {
    return v.get_bool() ? "TRUE_VALUE" : "FALSE_VALUE";
  }
  if (v.is_string()) {
    return "STRING_VALUE";
  }
  return "NUMBER_VALUE";
}

// A non-null scalar (String, Blob, Boolean) member.
Status CheckScalar(const json::value& v, json::kind want, std::string_view type_name) {
  if (v.is_array()) {
    return Bare("Start of list found where not expected");
  }
  if (v.is_object()) {
    return Bare("Start of structure or map found where not expected.");
  }
  bool matches = (want == json::kind::string && v.is_string()) ||
                 (want == json::kind::bool_ && v.is_bool());
  if (!matches) {
    return Bare(TokenName(v) + " can not be converted to " + std::string(type_name));
  }
  return Status::OK();
}

Status CheckString(const json::value& v) { return CheckScalar(v, json::kind::string, "a String"); }
Status CheckBoolean(const json::value& v) {
  return CheckScalar(v, json::kind::bool_, "a Boolean");
}
Status CheckBlob(const json::value& v) {
  TANDEM_RETURN_IF_ERROR(CheckScalar(v, json::kind::string, "a Blob"));
  StatusOr<std::string> bytes = Base64Decode(v.get_string());
  return bytes.ok() ? Status::OK() : bytes.status();
}

Status CheckList(const json::value& v) {
  if (v.is_object()) {
    return Bare("Start of structure or map found where not expected.");
  }
  if (!v.is_array()) {
    return Bare("Expected list or null");
  }
  return Status::OK();
}

Status CheckMap(const json::value& v) {
  if (v.is_array()) {
    return Bare("Start of list found where not expected");
  }
  if (!v.is_object()) {
    return Bare("Expected map or null");
  }
  return Status::OK();
}

Status CheckValueShape(const json::value& v, int level);

// Each non-null element of a list member with `check`.
template <typename Check>
Status CheckElements(const json::value& v, Check check) {
  TANDEM_RETURN_IF_ERROR(CheckList(v));
  for (const json::value& element : v.get_array()) {
    if (!element.is_null()) {
      TANDEM_RETURN_IF_ERROR(check(element));
    }
  }
  return Status::OK();
}

Status CheckMember(Member member, const json::value& v, int level) {
  switch (member) {
    case Member::kS:
    case Member::kN:
      return CheckString(v);
    case Member::kB:
      return CheckBlob(v);
    case Member::kBool:
    case Member::kNull:
      return CheckBoolean(v);
    case Member::kSS:
    case Member::kNS:
      return CheckElements(v, CheckString);
    case Member::kBS:
      return CheckElements(v, CheckBlob);
    case Member::kL:
      return CheckElements(v, [level](const json::value& e) {
        return CheckValueShape(e, level + 1);
      });
    case Member::kM:
      TANDEM_RETURN_IF_ERROR(CheckMap(v));
      for (const auto& entry : v.get_object()) {
        if (!entry.value().is_null()) {
          TANDEM_RETURN_IF_ERROR(CheckValueShape(entry.value(), level + 1));
        }
      }
      return Status::OK();
    case Member::kUnknown:
      return Status::OK();  // Coral ignores members it does not know
  }
  return Status::OK();
}

// An AttributeValue structure at nesting `level`.
Status CheckValueShape(const json::value& v, int level) {
  if (level > kMaxShapeLevels || v.is_null()) {
    return Status::OK();
  }
  if (v.is_array()) {
    return Bare("Start of list found where not expected");
  }
  if (!v.is_object()) {
    return Bare("Expected null");
  }
  for (const auto& entry : v.get_object()) {
    if (!entry.value().is_null()) {
      TANDEM_RETURN_IF_ERROR(CheckMember(MemberOf(entry.key()), entry.value(), level));
    }
  }
  return Status::OK();
}

// ---- Conversion pass (ValidationException texts) --------------------------

// DynamoDB's duplicate listing: the members seen so far in byte order, then
// the repeated one, then the rest as sent.
std::vector<std::string> DuplicateListing(const std::vector<std::string>& members, size_t* dup) {
  std::set<std::string> seen;
  for (size_t i = 0; i < members.size(); ++i) {
    if (!seen.insert(members[i]).second) {
      std::vector<std::string> listing(seen.begin(), seen.end());
      listing.insert(listing.end(), members.begin() + static_cast<std::ptrdiff_t>(i),
                     members.end());
      *dup = i;
      return listing;
    }
  }
  *dup = members.size();
  return {};
}

Status CheckUniqueStrings(const std::vector<std::string>& members) {
  size_t dup = 0;
  std::vector<std::string> listing = DuplicateListing(members, &dup);
  if (dup == members.size()) {
    return Status::OK();
  }
  std::string text = "Input collection [";
  for (size_t i = 0; i < listing.size(); ++i) {
    text += (i == 0 ? "" : ", ") + listing[i];
  }
  return Invalid(text + "] contains duplicates.");
}

Status CheckUniqueBinaries(const std::vector<std::string>& members) {
  size_t dup = 0;
  std::vector<std::string> listing = DuplicateListing(members, &dup);
  if (dup == members.size()) {
    return Status::OK();
  }
  std::string text = "Input collection [";
  for (size_t i = 0; i < listing.size(); ++i) {
    text += (i == 0 ? "" : ", ") + Base64Encode(listing[i]);
  }
  return Invalid(text + "]of type BS contains duplicates.");
}

Status ConvertValue(const json::value& v, int level, Value* out);

Status ConvertStringSet(const json::array& elements, Value* out) {
  if (elements.empty()) {
    return Invalid("An string set  may not be empty");
  }
  std::vector<std::string> members;
  members.reserve(elements.size());
  for (const json::value& e : elements) {
    if (e.is_null()) {
      return Invalid("An string set may not have a empty string as a member");
    }
    members.emplace_back(e.get_string());
  }
  TANDEM_RETURN_IF_ERROR(CheckUniqueStrings(members));
  *out = Value::Set(ValueType::kSS, std::move(members));
  return Status::OK();
}

Status ConvertNumberSet(const json::array& elements, Value* out) {
  if (elements.empty()) {
    return Invalid("An number set  may not be empty");
  }
  std::vector<std::string> members;
  members.reserve(elements.size());
  for (const json::value& e : elements) {
    if (e.is_null()) {
      return Bare(kNumberNotNumericMessage);
    }
    StatusOr<Decimal> d = Decimal::Parse(e.get_string());
    if (!d.ok()) {
      return d.status();
    }
    members.push_back(d->ToString());
  }
  // Canonical texts are equal exactly when the numbers are.
  if (std::set<std::string>(members.begin(), members.end()).size() != members.size()) {
    return Bare("Input collection contains duplicates");
  }
  *out = Value::Set(ValueType::kNS, std::move(members));
  return Status::OK();
}

Status ConvertBinarySet(const json::array& elements, Value* out) {
  if (elements.empty()) {
    return Invalid("Binary sets should not be empty");
  }
  std::vector<std::string> members;
  members.reserve(elements.size());
  for (const json::value& e : elements) {
    if (e.is_null()) {
      return Invalid("Binary sets may not contain null or empty values");
    }
    StatusOr<std::string> bytes = Base64Decode(e.get_string());
    if (!bytes.ok()) {
      return bytes.status();  // not reached: the shape pass checked it
    }
    members.push_back(std::move(bytes).value());
  }
  TANDEM_RETURN_IF_ERROR(CheckUniqueBinaries(members));
  *out = Value::Set(ValueType::kBS, std::move(members));
  return Status::OK();
}

Status ConvertMember(Member member, const json::value& v, int level, Value* out) {
  switch (member) {
    case Member::kS:
      *out = Value::S(std::string(v.get_string()));
      return Status::OK();
    case Member::kN: {
      StatusOr<Decimal> d = Decimal::Parse(v.get_string());
      if (!d.ok()) {
        return d.status();
      }
      *out = Value::N(d->ToString());
      return Status::OK();
    }
    case Member::kB: {
      StatusOr<std::string> bytes = Base64Decode(v.get_string());
      if (!bytes.ok()) {
        return bytes.status();
      }
      *out = Value::B(std::move(bytes).value());
      return Status::OK();
    }
    case Member::kBool:
      *out = Value::Bool(v.get_bool());
      return Status::OK();
    case Member::kNull:
      if (!v.get_bool()) {
        return Invalid("Null attribute value types must have the value of true");
      }
      *out = Value::Null();
      return Status::OK();
    case Member::kSS:
      return ConvertStringSet(v.get_array(), out);
    case Member::kNS:
      return ConvertNumberSet(v.get_array(), out);
    case Member::kBS:
      return ConvertBinarySet(v.get_array(), out);
    case Member::kL: {
      ValueList list;
      list.reserve(v.get_array().size());
      for (const json::value& e : v.get_array()) {
        list.emplace_back();
        TANDEM_RETURN_IF_ERROR(ConvertValue(e, level + 1, &list.back()));
      }
      *out = Value::List(std::move(list));
      return Status::OK();
    }
    case Member::kM: {
      ValueMap map;
      for (const auto& entry : v.get_object()) {
        Value element;
        TANDEM_RETURN_IF_ERROR(ConvertValue(entry.value(), level + 1, &element));
        map[std::string(entry.key())] = std::move(element);
      }
      *out = Value::Map(std::move(map));
      return Status::OK();
    }
    case Member::kUnknown:
      return Status::OK();
  }
  return Status::OK();
}

// Converts an AttributeValue whose shape was already checked.
Status ConvertValue(const json::value& v, int level, Value* out) {
  if (level > kMaxNestingLevels) {
    return Bare(kNestingLevelsMessage);
  }
  int types = 0;
  if (v.is_object()) {
    for (const auto& entry : v.get_object()) {
      Member member = MemberOf(entry.key());
      if (member == Member::kUnknown || entry.value().is_null()) {
        continue;
      }
      Value converted;
      TANDEM_RETURN_IF_ERROR(ConvertMember(member, entry.value(), level, &converted));
      if (types++ == 0) {
        *out = std::move(converted);
      }
    }
  }
  if (types == 0) {
    return Bare(kEmptyValue);
  }
  if (types > 1) {
    return Bare(kSeveralTypes);
  }
  return Status::OK();
}

Status Fail(Status status, JsonErrorKind kind, JsonErrorKind* out_kind) {
  if (out_kind != nullptr) {
    *out_kind = kind;
  }
  return status;
}

}  // namespace

StatusOr<Value> ValueFromJson(const json::value& json, JsonErrorKind* kind) {
  if (kind != nullptr) {
    *kind = JsonErrorKind::kNone;
  }
  Status shape = CheckValueShape(json, 1);
  if (!shape.ok()) {
    return Fail(std::move(shape), JsonErrorKind::kSerialization, kind);
  }
  Value value;
  Status converted = ConvertValue(json, 1, &value);
  if (!converted.ok()) {
    return Fail(std::move(converted), JsonErrorKind::kValidation, kind);
  }
  return value;
}

StatusOr<Item> ItemFromJson(const json::value& json, JsonErrorKind* kind) {
  if (kind != nullptr) {
    *kind = JsonErrorKind::kNone;
  }
  if (json.is_null()) {
    return Item();
  }
  Status shape = CheckMap(json);
  if (shape.ok()) {
    for (const auto& entry : json.get_object()) {
      shape = CheckValueShape(entry.value(), 1);
      if (!shape.ok()) {
        break;
      }
    }
  }
  if (!shape.ok()) {
    return Fail(std::move(shape), JsonErrorKind::kSerialization, kind);
  }
  Item item;
  for (const auto& entry : json.get_object()) {
    Value value;
    Status converted = ConvertValue(entry.value(), 1, &value);
    if (!converted.ok()) {
      return Fail(std::move(converted), JsonErrorKind::kValidation, kind);
    }
    item[std::string(entry.key())] = std::move(value);
  }
  return item;
}

json::value ValueToJson(const Value& value) {
  json::object out;
  const char* name = TypeName(value.type);
  switch (value.type) {
    case ValueType::kS:
    case ValueType::kN:
      out[name] = value.scalar;
      break;
    case ValueType::kB:
      out[name] = Base64Encode(value.scalar);
      break;
    case ValueType::kBool:
      out[name] = value.boolean;
      break;
    case ValueType::kNull:
      out[name] = true;
      break;
    case ValueType::kL: {
      json::array list;
      list.reserve(value.list.size());
      for (const Value& element : value.list) {
        list.push_back(ValueToJson(element));
      }
      out[name] = std::move(list);
      break;
    }
    case ValueType::kM:
      out[name] = ItemToJson(value.map);
      break;
    case ValueType::kSS:
    case ValueType::kNS:
    case ValueType::kBS: {
      json::array set;
      set.reserve(value.set.size());
      for (const std::string& element : value.set) {
        if (value.type == ValueType::kBS) {
          set.emplace_back(Base64Encode(element));
        } else {
          set.emplace_back(element);
        }
      }
      out[name] = std::move(set);
      break;
    }
  }
  return out;
}

json::object ItemToJson(const Item& item) {
  json::object out;
  out.reserve(item.size());
  for (const auto& [name, value] : item) {
    out[name] = ValueToJson(value);
  }
  return out;
}

std::string Base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

StatusOr<std::string> Base64Decode(std::string_view text) {
  auto fail = [text](std::string_view why) {
    std::string msg = "'";
    msg.append(text);
    msg += "' can not be converted to a Blob: ";
    msg.append(why);
    return Status::InvalidArgument(std::move(msg));
  };
  auto sextet = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') {
      return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
      return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
      return c - '0' + 52;
    }
    if (c == '+') {
      return 62;
    }
    if (c == '/') {
      return 63;
    }
    return -1;
  };
  if (text.size() % 4 != 0) {
    return fail("Base64 encoded length is expected a multiple of 4 bytes but found: " +
                std::to_string(text.size()));
  }
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    bool bad = (c == '=') ? (i + 1 < text.size() && text[i + 1] != '=') : sextet(c) < 0;
    if (bad) {
      return fail(std::string("Invalid Base64 character: '") + c + "'");
    }
  }
  if (text.empty()) {
    return std::string();
  }
  size_t pad = text.size() - (text.find_last_not_of('=') + 1);
  // (DynamoDB's message has this spelling.)
  constexpr std::string_view kBadLast = "Invalid last non-pad Base64 character dectected";
  if (pad > 2 || (pad == 1 && (sextet(text[text.size() - 2]) & 0x3) != 0) ||
      (pad == 2 && (sextet(text[text.size() - 3]) & 0xF) != 0)) {
    return fail(kBadLast);
  }
  std::string out(text.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) {
    return fail(kBadLast);
  }
  // EVP_DecodeBlock counts padding as zero bytes; drop them.
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

}  // namespace tandem
