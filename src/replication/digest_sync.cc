#include "replication/digest_sync.h"

#include <boost/json.hpp>
#include <charconv>
#include <map>

namespace tandem::replication {
namespace json = boost::json;

namespace {

constexpr char kHex[] = "0123456789abcdef";

std::string ToHex(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xf]);
  }
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

bool FromHex(std::string_view hex, std::string* out) {
  if (hex.size() % 2 != 0) return false;
  out->clear();
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = HexValue(hex[i]);
    const int lo = HexValue(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi * 16 + lo));
  }
  return true;
}

std::string StringMember(const json::object& o, std::string_view name) {
  const auto* v = o.if_contains(name);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

StatusOr<std::shared_ptr<const storage::TableMeta>> FindTable(const storage::Store& store,
                                                              const json::object& request) {
  const std::string name = StringMember(request, "table");
  auto table = store.FindTable(name);
  if (!table) return Status::NotFound("table " + name + " does not exist in " + store.region());
  return table;
}

json::array KeyElementJson(const storage::KeyElement& k) {
  return json::array{json::string(k.name), json::string(TypeName(k.type))};
}

std::optional<storage::KeyElement> ParseKeyElement(const json::value* v) {
  if (v == nullptr || !v->is_array() || v->as_array().size() != 2) return std::nullopt;
  const auto& a = v->as_array();
  if (!a[0].is_string() || !a[1].is_string()) return std::nullopt;
  storage::KeyElement k;
  k.name = std::string(a[0].as_string());
  const std::string_view type = a[1].as_string();
  if (type == "S") {
    k.type = ValueType::kS;
  } else if (type == "N") {
    k.type = ValueType::kN;
  } else if (type == "B") {
    k.type = ValueType::kB;
  } else {
    return std::nullopt;
  }
  return k;
}

Status Malformed(std::string_view what) {
  return Status::InvalidArgument("malformed " + std::string(what) + " answer");
}

}  // namespace

StatusOr<json::object> AnswerTableDigests(const storage::Store& store,
                                          const json::object& request) {
  TANDEM_ASSIGN_OR_RETURN(auto table, FindTable(store, request));
  TANDEM_ASSIGN_OR_RETURN(std::vector<storage::RangeDigest> digests, store.TableDigests(*table));
  json::array ranges;
  ranges.reserve(digests.size());
  for (const auto& d : digests) ranges.emplace_back(d.ToHex());
  json::object keys{{"hash", KeyElementJson(table->hash_key)}};
  if (table->range_key) keys["range"] = KeyElementJson(*table->range_key);
  return json::object{{"table", table->name},
                      {"region", store.region()},
                      {"keys", std::move(keys)},
                      {"item_count", store.Stats(table->id).item_count},
                      {"ranges", std::move(ranges)}};
}

StatusOr<json::object> AnswerRangeVersions(const storage::Store& store,
                                           const json::object& request) {
  TANDEM_ASSIGN_OR_RETURN(auto table, FindTable(store, request));
  const auto* range_value = request.if_contains("range");
  int64_t range = -1;
  if (range_value != nullptr && range_value->is_int64()) range = range_value->as_int64();
  if (range_value != nullptr && range_value->is_uint64() &&
      range_value->as_uint64() < storage::kDigestRanges) {
    range = static_cast<int64_t>(range_value->as_uint64());
  }
  if (range < 0 || range >= static_cast<int64_t>(storage::kDigestRanges)) {
    return Status::InvalidArgument("range must be an integer in [0, " +
                                   std::to_string(storage::kDigestRanges) + ")");
  }
  std::string after;
  if (!FromHex(StringMember(request, "after"), &after)) {
    return Status::InvalidArgument("after must be hex");
  }
  TANDEM_ASSIGN_OR_RETURN(auto entries, store.RangeVersions(*table, static_cast<uint32_t>(range),
                                                            after, kRangePageLimit));
  json::array out;
  out.reserve(entries.size());
  for (const auto& e : entries) {
    out.push_back(json::array{json::string(ToHex(e.key_suffix)),
                              json::string(std::to_string(e.meta.hlc)), e.meta.origin,
                              e.meta.tombstone, json::string(e.hash.ToHex())});
  }
  const bool more = entries.size() == kRangePageLimit;
  return json::object{{"entries", std::move(out)}, {"more", more}};
}

StatusOr<TableDigests> ParseTableDigests(const json::object& answer) {
  TableDigests out;
  out.region = StringMember(answer, "region");
  const auto* keys = answer.if_contains("keys");
  if (keys == nullptr || !keys->is_object()) return Malformed("TableDigests");
  auto hash = ParseKeyElement(keys->as_object().if_contains("hash"));
  if (!hash) return Malformed("TableDigests");
  out.hash_key = *hash;
  if (const auto* r = keys->as_object().if_contains("range"); r != nullptr) {
    out.range_key = ParseKeyElement(r);
    if (!out.range_key) return Malformed("TableDigests");
  }
  if (const auto* n = answer.if_contains("item_count"); n != nullptr && n->is_number()) {
    boost::system::error_code ec;
    out.item_count = n->to_number<int64_t>(ec);
  }
  const auto* ranges = answer.if_contains("ranges");
  if (ranges == nullptr || !ranges->is_array() ||
      ranges->as_array().size() != storage::kDigestRanges) {
    return Malformed("TableDigests");
  }
  for (const auto& r : ranges->as_array()) {
    storage::RangeDigest d;
    if (!r.is_string() || !storage::RangeDigest::FromHex(r.as_string(), &d)) {
      return Malformed("TableDigests");
    }
    out.ranges.push_back(d);
  }
  return out;
}

StatusOr<TableDigests> FetchTableDigests(const ControlCall& call, const std::string& table) {
  TANDEM_ASSIGN_OR_RETURN(json::object answer,
                          call(json::object{{"op", kOpTableDigests}, {"table", table}}));
  return ParseTableDigests(answer);
}

StatusOr<std::vector<storage::Store::RangeEntry>> FetchRange(const ControlCall& call,
                                                             const std::string& table,
                                                             uint32_t range) {
  std::vector<storage::Store::RangeEntry> out;
  std::string after;
  while (true) {
    TANDEM_ASSIGN_OR_RETURN(json::object answer, call(json::object{{"op", kOpRangeVersions},
                                                                   {"table", table},
                                                                   {"range", range},
                                                                   {"after", ToHex(after)}}));
    const auto* entries = answer.if_contains("entries");
    if (entries == nullptr || !entries->is_array()) return Malformed("RangeVersions");
    for (const auto& v : entries->as_array()) {
      if (!v.is_array() || v.as_array().size() != 5) return Malformed("RangeVersions");
      const auto& a = v.as_array();
      storage::Store::RangeEntry e;
      if (!a[0].is_string() || !FromHex(a[0].as_string(), &e.key_suffix) || !a[1].is_string() ||
          !(a[2].is_int64() || a[2].is_uint64()) || !a[3].is_bool() || !a[4].is_string() ||
          !storage::RangeDigest::FromHex(a[4].as_string(), &e.hash)) {
        return Malformed("RangeVersions");
      }
      const std::string_view hlc = a[1].as_string();
      if (std::from_chars(hlc.data(), hlc.data() + hlc.size(), e.meta.hlc).ec != std::errc()) {
        return Malformed("RangeVersions");
      }
      e.meta.origin = static_cast<uint32_t>(a[2].is_int64() ? a[2].as_int64() : a[2].as_uint64());
      e.meta.tombstone = a[3].as_bool();
      if (!out.empty() && e.key_suffix <= out.back().key_suffix) {
        return Malformed("RangeVersions");  // not in key order: would never end
      }
      out.push_back(std::move(e));
    }
    const auto* more = answer.if_contains("more");
    if (more == nullptr || !more->is_bool() || !more->as_bool() || out.empty()) break;
    after = out.back().key_suffix;
  }
  return out;
}

std::vector<KeyDifference> CompareRange(
    const std::vector<std::vector<storage::Store::RangeEntry>>& replicas) {
  // key suffix -> version per replica
  std::map<std::string, std::vector<std::optional<storage::Store::RangeEntry>>> keys;
  for (size_t i = 0; i < replicas.size(); ++i) {
    for (const auto& e : replicas[i]) {
      auto& versions = keys[e.key_suffix];
      versions.resize(replicas.size());
      versions[i] = e;
    }
  }
  std::vector<KeyDifference> out;
  for (auto& [suffix, versions] : keys) {
    // The live hash (zero for a tombstone or nothing) must agree everywhere.
    auto live = [](const std::optional<storage::Store::RangeEntry>& v) {
      return v && !v->meta.tombstone ? v->hash : storage::RangeDigest{};
    };
    bool differ = false;
    for (size_t i = 1; i < versions.size(); ++i) differ |= live(versions[i]) != live(versions[0]);
    if (differ) out.push_back({suffix, std::move(versions)});
  }
  return out;
}

}  // namespace tandem::replication
