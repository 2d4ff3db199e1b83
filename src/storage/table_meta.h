// TableMeta: the description of one table as the node keeps it.
//
// A TableMeta is immutable once published: the catalog hands out
// shared_ptr<const TableMeta> snapshots, and a change (UpdateTable, tags)
// publishes a new copy. Persisted as JSON in the meta column family.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "types/value.h"

namespace tandem::storage {

struct KeyElement {
  std::string name;
  ValueType type = ValueType::kS;  // S, N or B
};

struct TableMeta {
  uint32_t id = 0;  // local storage prefix; never reused
  std::string name;
  std::string table_uuid;  // TableId as DynamoDB shows it
  KeyElement hash_key;
  std::optional<KeyElement> range_key;
  // AttributeDefinitions as given (name -> "S" | "N" | "B").
  std::vector<std::pair<std::string, std::string>> attribute_definitions;
  std::string billing_mode = "PROVISIONED";  // or PAY_PER_REQUEST
  int64_t read_capacity = 0;
  int64_t write_capacity = 0;
  double creation_time = 0;  // seconds since the epoch
  double last_increase_time = 0;
  double last_decrease_time = 0;
  int64_t decreases_today = 0;
  double pay_per_request_since = 0;
  std::map<std::string, std::string> tags;
  std::string status = "ACTIVE";
  bool deletion_protection = false;  // DeletionProtectionEnabled: DeleteTable refused

  // Global tables. `replicas` lists every region holding a replica of this
  // table, this one included, with its ReplicaStatus ("CREATING", "ACTIVE",
  // ...); empty for a regional table. `global_table_version` is "2017.11.29"
  // or "2019.11.21" (the API generation that made it global);
  // `global_created` its creation time.
  std::map<std::string, std::string> replicas;
  std::string global_table_version;
  double global_created = 0;

  bool IsGlobal() const { return !replicas.empty(); }
  bool ReplicatesTo(std::string_view region) const {
    return replicas.count(std::string(region)) != 0;
  }

  std::string ToJson() const;
  static StatusOr<TableMeta> FromJson(std::string_view json);
};

}  // namespace tandem::storage
