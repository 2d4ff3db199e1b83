#include "drill/ledger.h"

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <thread>
#include <unordered_set>

namespace tandem::drill {
namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

json::object BatchRequest(const std::string& table, json::array keys) {
  json::object spec{{"Keys", std::move(keys)},
                    {"ConsistentRead", true},
                    {"ProjectionExpression", "#k"},
                    {"ExpressionAttributeNames", {{"#k", "id"}}}};
  json::object items;
  items[table] = std::move(spec);
  return json::object{{"RequestItems", std::move(items)}};
}

// The string `id` of an item or key in DynamoDB JSON, or "" when it has none.
std::string IdOf(const json::value& item) {
  const json::object* obj = item.if_object();
  const json::value* attr = obj ? obj->if_contains("id") : nullptr;
  const json::object* typed = attr ? attr->if_object() : nullptr;
  const json::value* s = typed ? typed->if_contains("S") : nullptr;
  return s && s->is_string() ? std::string(s->as_string()) : "";
}

// Asks for `keys` until none is left unprocessed; adds the ids found to
// `found`.
Status FetchBatch(probe::DynamoApi* api, const std::string& table, json::array keys,
                  probe::Deadline deadline, std::unordered_set<std::string>* found) {
  auto backoff = std::chrono::milliseconds(10);
  while (!keys.empty()) {
    auto response = api->Call("BatchGetItem", BatchRequest(table, std::move(keys)), deadline);
    if (!response.ok()) {
      return response.status().WithPrefix("BatchGetItem on " + table + ": ");
    }
    keys = {};
    if (const json::value* r = response->if_contains("Responses")) {
      const json::value* items = r->is_object() ? r->as_object().if_contains(table) : nullptr;
      if (items != nullptr && items->is_array()) {
        for (const json::value& item : items->as_array()) {
          found->insert(IdOf(item));
        }
      }
    }
    if (const json::value* u = response->if_contains("UnprocessedKeys")) {
      const json::value* spec = u->is_object() ? u->as_object().if_contains(table) : nullptr;
      const json::value* left =
          spec != nullptr && spec->is_object() ? spec->as_object().if_contains("Keys") : nullptr;
      if (left != nullptr && left->is_array()) {
        keys = left->as_array();
      }
    }
    if (keys.empty()) {
      break;
    }
    if (Clock::now() + backoff >= deadline) {
      return Status::Unavailable("BatchGetItem on " + table + ": " + std::to_string(keys.size()) +
                                 " keys still unprocessed at the deadline");
    }
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(200));
  }
  return Status::OK();
}

}  // namespace

StatusOr<std::vector<std::string>> MissingOrders(probe::DynamoApi* api, const std::string& table,
                                                 const std::vector<std::string>& ids,
                                                 probe::Deadline deadline) {
  std::vector<std::string> unique;
  std::unordered_set<std::string> seen;
  for (const std::string& id : ids) {
    if (seen.insert(id).second) {
      unique.push_back(id);
    }
  }
  std::unordered_set<std::string> found;
  for (size_t begin = 0; begin < unique.size(); begin += kBatchGetKeys) {
    json::array keys;
    const size_t end = std::min(unique.size(), begin + kBatchGetKeys);
    for (size_t i = begin; i < end; ++i) {
      keys.push_back(json::object{{"id", {{"S", unique[i]}}}});
    }
    TANDEM_RETURN_IF_ERROR(FetchBatch(api, table, std::move(keys), deadline, &found));
  }
  std::vector<std::string> missing;
  for (const std::string& id : unique) {
    if (!found.contains(id)) {
      missing.push_back(id);
    }
  }
  return missing;
}

}  // namespace tandem::drill
