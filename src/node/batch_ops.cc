// BatchGetItem (up to 100 keys, a 16 MB response) and BatchWriteItem (up to
// 25 puts or deletes). As in DynamoDB, a batch is not a transaction (no
// conditions, no isolation promise to clients); Tandem commits its writes in
// one synced WriteBatch only because one sync is cheaper than 25.
#include <boost/json.hpp>
#include <set>

#include "node/executor.h"
#include "node/item_request.h"
#include "storage/key_codec.h"
#include "types/attribute_json.h"
#include "types/item_size.h"

namespace tandem::node {
namespace json = boost::json;
namespace {

constexpr size_t kMaxBatchGetKeys = 100;
constexpr size_t kMaxBatchWrites = 25;
constexpr size_t kMaxBatchGetResponseBytes = 16 * 1024 * 1024;

std::optional<ApiError> CheckRequestItemsShape(const json::object& body, size_t max_per_table,
                                               bool is_write) {
  const auto* v = body.if_contains("RequestItems");
  std::vector<std::string> errors;
  if (v == nullptr || v->is_null()) {
    errors.push_back(ConstraintMessage(nullptr, "requestItems", "Member must not be null"));
  } else if (v->is_object()) {
    const auto& items = v->as_object();
    if (items.empty()) {
      errors.push_back(ConstraintMessage(v, "requestItems",
                                         "Member must have length greater than or equal to 1"));
    }
    for (const auto& [name, per_table] : items) {
      const bool name_ok = name.size() >= 3 && name.size() <= 255 &&
                           std::all_of(name.begin(), name.end(), [](char c) {
                             return std::isalnum(static_cast<unsigned char>(c)) || c == '_' ||
                                    c == '.' || c == '-';
                           });
      if (!name_ok) {
        errors.push_back(ConstraintMessage(
            v, "requestItems",
            "Map keys must satisfy constraint: [Member must have length less than or equal to "
            "255, Member must have length greater than or equal to 3, Member must satisfy regular "
            "expression pattern: [a-zA-Z0-9_.-]+]"));
        break;
      }
      if (is_write && per_table.is_array() &&
          (per_table.as_array().empty() || per_table.as_array().size() > max_per_table)) {
        errors.push_back(ConstraintMessage(
            v, "requestItems",
            "Map value must satisfy constraint: [Member must have length less than or equal to "
            "25, Member must have length greater than or equal to 1]"));
        break;
      }
    }
  }
  if (!errors.empty()) return ApiError::Validation(ValidationErrors(errors));
  return std::nullopt;
}

}  // namespace

Executor::Response Executor::BatchGetItem(const json::object& body) {
  static const Schema schema = {
      MapOf("RequestItems",
            StructField("member", "KeysAndAttributes",
                        {Length(NotNull(ListOf("Keys", AttrMapField("member"))), 1, 100),
                         Length(ListOf("AttributesToGet", StringField("member")), 1, 255),
                         BoolField("ConsistentRead"), StringField("ProjectionExpression"),
                         ExpressionNamesField()}),
            "com.amazonaws.dynamodb.v20120810.KeysAndAttributes"),
      ReturnConsumedCapacityField(),
  };
  if (auto err = CheckRequest(body, schema)) return *err;
  if (auto err = CheckRequestItemsShape(body, kMaxBatchGetKeys, false)) return *err;

  struct TableRequest {
    std::string name;
    const json::object* spec;
    Expressions exprs;
    std::shared_ptr<const storage::TableMeta> table;
    std::vector<Item> keys;
  };
  std::vector<TableRequest> requests;
  size_t total_keys = 0;
  for (const auto& [name, spec] : body.at("RequestItems").as_object()) {
    const json::object& obj = spec.as_object();
    TANDEM_API_TRY(Expressions exprs,
                   ParseExpressions(obj, {{"ProjectionExpression"}, {"AttributesToGet"}}));
    for (const auto& k : obj.at("Keys").as_array()) {
      TANDEM_API_TRY(Item unused, ParseAttributeMap(&k));
      (void)unused;
      if (++total_keys > kMaxBatchGetKeys) {
        return ApiError::Validation("Too many items requested for the BatchGetItem call");
      }
    }
    requests.push_back({std::string(name), &obj, std::move(exprs), nullptr, {}});
  }
  for (auto& r : requests) {
    r.table = store_->FindTable(r.name);
    if (!r.table) return ApiError::ResourceNotFound();
    std::set<std::string> seen;
    for (const auto& k : r.spec->at("Keys").as_array()) {
      TANDEM_API_TRY(Item key, ParseKey(&k, *r.table));
      const Value* range = r.table->range_key ? &key.at(r.table->range_key->name) : nullptr;
      if (!seen.insert(storage::ItemKey(0, key.at(r.table->hash_key.name), range)).second) {
        return ApiError::Validation("Provided list of item keys contains duplicates");
      }
      r.keys.push_back(std::move(key));
    }
  }

  json::object responses;
  json::object unprocessed;
  json::array capacities;
  size_t response_bytes = 0;
  for (auto& r : requests) {
    json::array items;
    json::array left;
    // Each key is read on its own: its size is rounded up to 4 KB alone
    // (a missing item still costs the minimum), then the units are summed.
    const bool consistent = MemberBool(*r.spec, "ConsistentRead");
    double units = 0;
    for (const auto& key : r.keys) {
      if (response_bytes >= kMaxBatchGetResponseBytes) {
        left.push_back(ItemToJson(key));
        continue;
      }
      auto found = store_->GetItem(*r.table, key);
      if (!found.ok()) return ApiError::FromStatus(found.status());
      if (!found->has_value()) {
        units += ReadUnits(0, consistent);
        continue;
      }
      const size_t size = ItemSize(**found);
      units += ReadUnits(size, consistent);
      response_bytes += size;
      items.push_back(ItemToJson(r.exprs.projection ? Project(*r.exprs.projection, **found)
                                                    : **found));
    }
    responses[r.name] = std::move(items);
    if (!left.empty()) {
      json::object spec = *r.spec;
      spec["Keys"] = std::move(left);
      unprocessed[r.name] = std::move(spec);
    }
    if (auto cc = ConsumedCapacity(body, r.name, units)) {
      capacities.push_back(std::move(*cc));
    }
  }
  json::object out{{"Responses", std::move(responses)}, {"UnprocessedKeys", std::move(unprocessed)}};
  if (!capacities.empty()) out["ConsumedCapacity"] = std::move(capacities);
  return out;
}

Executor::Response Executor::BatchWriteItem(const json::object& body) {
  static const Schema schema = {
      MapOf("RequestItems",
            ListOf("member",
                   StructField("member", "WriteRequest",
                               {StructField("DeleteRequest", "DeleteRequest",
                                            {NotNull(AttrMapField("Key"))}),
                                StructField("PutRequest", "PutRequest",
                                            {NotNull(AttrMapField("Item"))})})),
            "java.util.List<com.amazonaws.dynamodb.v20120810.WriteRequest>"),
      ReturnConsumedCapacityField(),
      Enum(StringField("ReturnItemCollectionMetrics"), {"SIZE", "NONE"}),
  };
  if (auto err = CheckRequest(body, schema)) return *err;
  if (auto err = CheckRequestItemsShape(body, kMaxBatchWrites, true)) return *err;

  struct Write {
    std::shared_ptr<const storage::TableMeta> table;
    bool is_put = false;
    Item item;  // the item (put) or the key (delete)
  };
  std::vector<std::pair<std::string, std::vector<const json::object*>>> per_table;
  size_t total = 0;
  for (const auto& [name, list] : body.at("RequestItems").as_object()) {
    std::vector<const json::object*> requests;
    for (const auto& r : list.as_array()) {
      const json::object& obj = r.as_object();
      const bool has_put = obj.contains("PutRequest") && !obj.at("PutRequest").is_null();
      const bool has_delete = obj.contains("DeleteRequest") && !obj.at("DeleteRequest").is_null();
      if (has_put == has_delete) {
        return ApiError::Validation(
            "Supplied AttributeValue has more than one datatypes set, must contain exactly one of "
            "the supported datatypes");
      }
      if (has_put) {
        TANDEM_API_TRY(Item item, ParseAttributeMap(obj.at("PutRequest").as_object().if_contains("Item")));
        if (ItemSize(item) > kMaxItemBytes) {
          return ApiError::Validation("Item size has exceeded the maximum allowed size");
        }
      } else {
        TANDEM_API_TRY(Item key, ParseAttributeMap(obj.at("DeleteRequest").as_object().if_contains("Key")));
        (void)key;
      }
      requests.push_back(&obj);
      ++total;
    }
    per_table.emplace_back(std::string(name), std::move(requests));
  }
  if (total > kMaxBatchWrites) {
    return ApiError::Validation("Too many items requested for the BatchWriteItem call");
  }

  std::vector<Write> writes;
  for (const auto& [name, requests] : per_table) {
    auto table = store_->FindTable(name);
    if (!table) return ApiError::ResourceNotFound();
    std::set<std::string> seen;
    for (const json::object* obj : requests) {
      Write w;
      w.table = table;
      w.is_put = obj->contains("PutRequest") && !obj->at("PutRequest").is_null();
      if (w.is_put) {
        TANDEM_API_TRY(Item item, ParseItem(obj->at("PutRequest").as_object().if_contains("Item"), *table));
        w.item = std::move(item);
      } else {
        TANDEM_API_TRY(Item key, ParseKey(obj->at("DeleteRequest").as_object().if_contains("Key"), *table));
        w.item = std::move(key);
      }
      const Value* range = table->range_key ? &w.item.at(table->range_key->name) : nullptr;
      if (!seen.insert(storage::ItemKey(0, w.item.at(table->hash_key.name), range)).second) {
        return ApiError::Validation("Provided list of item keys contains duplicates");
      }
      writes.push_back(std::move(w));
    }
  }

  // All the writes commit in one WriteBatch with one sync (Store::MutateMany);
  // each still gets its own HLC timestamp and change-log record.
  std::vector<Item> keys;
  keys.reserve(writes.size());
  for (const auto& w : writes) keys.push_back(KeyOf(w.item, *w.table));
  std::vector<size_t> bytes(writes.size(), 0);
  std::vector<storage::Store::Write> batch;
  batch.reserve(writes.size());
  for (size_t i = 0; i < writes.size(); ++i) {
    const Write& w = writes[i];
    batch.push_back({w.table.get(), &keys[i],
                     [&w, &size = bytes[i]](const std::optional<Item>& current)
                         -> StatusOr<storage::Store::Mutation> {
                       size = std::max(current ? ItemSize(*current) : 0,
                                       w.is_put ? ItemSize(w.item) : 0);
                       if (w.is_put) {
                         return storage::Store::Mutation{storage::Store::Mutation::Kind::kPut,
                                                         w.item};
                       }
                       return storage::Store::Mutation{storage::Store::Mutation::Kind::kDelete, {}};
                     }});
  }
  auto committed = store_->MutateMany(batch);
  if (!committed.ok()) return ApiError::FromStatus(committed.status());
  std::map<std::string, double> units;
  for (size_t i = 0; i < writes.size(); ++i) {
    if (!(*committed)[i].ok()) return ApiError::FromStatus((*committed)[i]);
    units[writes[i].table->name] += WriteUnits(bytes[i]);
  }
  json::object out{{"UnprocessedItems", json::object{}}};
  json::array capacities;
  for (const auto& [name, u] : units) {
    if (auto cc = ConsumedCapacity(body, name, u)) capacities.push_back(std::move(*cc));
  }
  if (!capacities.empty()) out["ConsumedCapacity"] = std::move(capacities);
  return out;
}

}  // namespace tandem::node
