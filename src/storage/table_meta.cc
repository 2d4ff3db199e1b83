#include "storage/table_meta.h"

#include <boost/json.hpp>

namespace tandem::storage {
namespace {

ValueType KeyTypeFromName(std::string_view name) {
  if (name == "N") return ValueType::kN;
  if (name == "B") return ValueType::kB;
  return ValueType::kS;
}

boost::json::object KeyToJson(const KeyElement& key) {
  return {{"name", key.name}, {"type", TypeName(key.type)}};
}

KeyElement KeyFromJson(const boost::json::object& obj) {
  return {std::string(obj.at("name").as_string()), KeyTypeFromName(obj.at("type").as_string())};
}

}  // namespace

std::string TableMeta::ToJson() const {
  boost::json::object obj;
  obj["id"] = id;
  obj["name"] = name;
  obj["uuid"] = table_uuid;
  obj["hash"] = KeyToJson(hash_key);
  if (range_key) obj["range"] = KeyToJson(*range_key);
  boost::json::array defs;
  for (const auto& [n, t] : attribute_definitions) defs.push_back(boost::json::array{n, t});
  obj["defs"] = std::move(defs);
  obj["billing"] = billing_mode;
  obj["rcu"] = read_capacity;
  obj["wcu"] = write_capacity;
  obj["created"] = creation_time;
  obj["inc"] = last_increase_time;
  obj["dec"] = last_decrease_time;
  obj["decs"] = decreases_today;
  obj["ppr_since"] = pay_per_request_since;
  boost::json::object tag_obj;
  for (const auto& [k, v] : tags) tag_obj[k] = v;
  obj["tags"] = std::move(tag_obj);
  obj["status"] = status;
  if (deletion_protection) obj["protected"] = true;
  if (!replicas.empty()) {
    boost::json::object reps;
    for (const auto& [region, state] : replicas) reps[region] = state;
    obj["replicas"] = std::move(reps);
    obj["gtv"] = global_table_version;
    obj["gcreated"] = global_created;
  }
  return boost::json::serialize(obj);
}

StatusOr<TableMeta> TableMeta::FromJson(std::string_view json) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(json, ec);
  if (ec || !v.is_object()) return Status::Internal("corrupt table metadata");
  const auto& obj = v.as_object();
  TableMeta m;
  try {
    m.id = static_cast<uint32_t>(obj.at("id").to_number<int64_t>());
    m.name = obj.at("name").as_string();
    m.table_uuid = obj.at("uuid").as_string();
    m.hash_key = KeyFromJson(obj.at("hash").as_object());
    if (auto* r = obj.if_contains("range")) m.range_key = KeyFromJson(r->as_object());
    for (const auto& d : obj.at("defs").as_array()) {
      m.attribute_definitions.emplace_back(std::string(d.as_array().at(0).as_string()),
                                           std::string(d.as_array().at(1).as_string()));
    }
    m.billing_mode = obj.at("billing").as_string();
    m.read_capacity = obj.at("rcu").to_number<int64_t>();
    m.write_capacity = obj.at("wcu").to_number<int64_t>();
    m.creation_time = obj.at("created").to_number<double>();
    m.last_increase_time = obj.at("inc").to_number<double>();
    m.last_decrease_time = obj.at("dec").to_number<double>();
    m.decreases_today = obj.at("decs").to_number<int64_t>();
    m.pay_per_request_since = obj.at("ppr_since").to_number<double>();
    for (const auto& [k, t] : obj.at("tags").as_object()) {
      m.tags[std::string(k)] = std::string(t.as_string());
    }
    m.status = obj.at("status").as_string();
    if (const auto* p = obj.if_contains("protected")) m.deletion_protection = p->as_bool();
    if (const auto* reps = obj.if_contains("replicas")) {
      for (const auto& [region, state] : reps->as_object()) {
        m.replicas[std::string(region)] = std::string(state.as_string());
      }
      m.global_table_version = obj.at("gtv").as_string();
      m.global_created = obj.at("gcreated").to_number<double>();
    }
  } catch (const std::exception& e) {  // metadata is ours; corruption is not a data-plane path
    return Status::Internal(std::string("corrupt table metadata: ") + e.what());
  }
  return m;
}

}  // namespace tandem::storage
