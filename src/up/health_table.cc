#include "up/health_table.h"

#include <boost/json.hpp>
#include <set>

namespace tandem::up {
namespace json = boost::json;
namespace {

Status Failed(const char* operation, const std::string& region, const Status& st) {
  return st.WithPrefix(std::string(operation) + " in " + region + ": ");
}

Status EnsureTable(const std::string& table, const RegionApi& r, probe::Deadline deadline) {
  auto described = r.api->Call("DescribeTable", {{"TableName", table}}, deadline);
  if (described.ok()) return Status::OK();
  if (described.status().code() != Status::Code::kNotFound) {
    return Failed("DescribeTable", r.region, described.status());
  }
  json::object request{
      {"TableName", table},
      {"AttributeDefinitions",
       json::array{json::object{{"AttributeName", "id"}, {"AttributeType", "S"}}}},
      {"KeySchema", json::array{json::object{{"AttributeName", "id"}, {"KeyType", "HASH"}}}},
      {"BillingMode", "PAY_PER_REQUEST"}};
  auto created = r.api->Call("CreateTable", request, deadline);
  if (!created.ok()) return Failed("CreateTable", r.region, created.status());
  return Status::OK();
}

}  // namespace

Status EnsureHealthTable(const std::string& table, const std::vector<RegionApi>& regions,
                         probe::Deadline deadline) {
  if (regions.empty()) return Status::InvalidArgument("no region");
  for (const RegionApi& r : regions) TANDEM_RETURN_IF_ERROR(EnsureTable(table, r, deadline));
  if (regions.size() == 1) return Status::OK();  // nothing to replicate to
  const RegionApi& first = regions.front();
  auto described = first.api->Call("DescribeGlobalTable", {{"GlobalTableName", table}}, deadline);
  if (!described.ok()) {
    // Not global yet (GlobalTableNotFoundException): make it so.
    json::array group;
    for (const RegionApi& r : regions) group.push_back(json::object{{"RegionName", r.region}});
    auto created = first.api->Call(
        "CreateGlobalTable", {{"GlobalTableName", table}, {"ReplicationGroup", group}}, deadline);
    if (!created.ok()) return Failed("CreateGlobalTable", first.region, created.status());
    return Status::OK();
  }
  std::set<std::string> members;
  if (const auto* d = described->if_contains("GlobalTableDescription"); d && d->is_object()) {
    if (const auto* g = d->as_object().if_contains("ReplicationGroup"); g && g->is_array()) {
      for (const auto& m : g->as_array()) {
        const auto* name = m.is_object() ? m.as_object().if_contains("RegionName") : nullptr;
        if (name && name->is_string()) members.insert(std::string(name->as_string()));
      }
    }
  }
  json::array updates;
  for (const RegionApi& r : regions) {
    if (!members.count(r.region)) {
      updates.push_back(json::object{{"Create", json::object{{"RegionName", r.region}}}});
    }
  }
  if (updates.empty()) return Status::OK();
  auto updated = first.api->Call(
      "UpdateGlobalTable", {{"GlobalTableName", table}, {"ReplicaUpdates", updates}}, deadline);
  if (!updated.ok()) return Failed("UpdateGlobalTable", first.region, updated.status());
  return Status::OK();
}

}  // namespace tandem::up
