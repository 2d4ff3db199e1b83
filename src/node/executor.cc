#include "node/executor.h"

#include <boost/json.hpp>
#include <set>

namespace tandem::node {

bool Executor::Known(std::string_view op) {
  static const std::set<std::string_view> kOps = {
      "CreateTable",   "DescribeTable",     "ListTables",         "UpdateTable",
      "DeleteTable",   "TagResource",       "UntagResource",      "ListTagsOfResource",
      "DescribeEndpoints", "DescribeLimits", "DescribeTimeToLive", "PutItem",
      "GetItem",       "UpdateItem",        "DeleteItem",         "Query",
      "Scan",          "BatchGetItem",      "BatchWriteItem",     "CreateGlobalTable",
      "DescribeGlobalTable", "UpdateGlobalTable", "ListGlobalTables"};
  return kOps.count(op) != 0;
}

Executor::Response Executor::Execute(std::string_view op, const boost::json::object& body) {
  if (op == "GetItem") return GetItem(body);
  if (op == "PutItem") return PutItem(body);
  if (op == "UpdateItem") return UpdateItem(body);
  if (op == "DeleteItem") return DeleteItem(body);
  if (op == "Query") return Query(body);
  if (op == "Scan") return Scan(body);
  if (op == "BatchGetItem") return BatchGetItem(body);
  if (op == "BatchWriteItem") return BatchWriteItem(body);
  if (op == "CreateTable") return CreateTable(body);
  if (op == "DescribeTable") return DescribeTable(body);
  if (op == "ListTables") return ListTables(body);
  if (op == "UpdateTable") return UpdateTable(body);
  if (op == "DeleteTable") return DeleteTable(body);
  if (op == "TagResource") return TagResource(body);
  if (op == "UntagResource") return UntagResource(body);
  if (op == "ListTagsOfResource") return ListTagsOfResource(body);
  if (op == "DescribeEndpoints") return DescribeEndpoints(body);
  if (op == "DescribeLimits") return DescribeLimits(body);
  if (op == "DescribeTimeToLive") return DescribeTimeToLive(body);
  if (op == "CreateGlobalTable") return CreateGlobalTable(body);
  if (op == "DescribeGlobalTable") return DescribeGlobalTable(body);
  if (op == "UpdateGlobalTable") return UpdateGlobalTable(body);
  if (op == "ListGlobalTables") return ListGlobalTables(body);
  return ApiError::UnknownOperation();
}

}  // namespace tandem::node
