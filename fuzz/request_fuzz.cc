// Fuzzes the DynamoDB request path below HTTP and SigV4: JSON parsing,
// request schemas, key/item validation, expressions and execution against a
// real (unsynced) store. The first byte picks the operation; the rest is the
// JSON body. Any crash, sanitizer report or uncaught exception is a bug.
#include <boost/json.hpp>
#include <cstdint>
#include <filesystem>
#include <string>

#include "node/executor.h"
#include "storage/store.h"

namespace {

constexpr const char* kOps[] = {
    "PutItem", "GetItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem",
    "BatchWriteItem", "CreateTable", "DescribeTable", "UpdateTable", "ListTables",
    "TagResource", "UntagResource", "ListTagsOfResource", "DeleteTable"};

struct Fixture {
  std::unique_ptr<tandem::storage::Store> store;
  std::unique_ptr<tandem::node::Executor> executor;

  Fixture() {
    const std::string dir = std::filesystem::temp_directory_path() /
                            ("tandem-request-fuzz-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    tandem::storage::Store::Options options;
    options.dir = dir;
    options.region = "us-east-1";
    options.sync = false;
    store = std::move(tandem::storage::Store::Open(options).value());
    executor = std::make_unique<tandem::node::Executor>(store.get(),
                                                        tandem::SystemClock::Default());
    // Tables with every key shape, so item operations get past lookup.
    for (const char* body : {
             R"({"TableName":"t","AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"}],"KeySchema":[{"AttributeName":"id","KeyType":"HASH"}],"BillingMode":"PAY_PER_REQUEST"})",
             R"({"TableName":"r","AttributeDefinitions":[{"AttributeName":"h","AttributeType":"S"},{"AttributeName":"n","AttributeType":"N"}],"KeySchema":[{"AttributeName":"h","KeyType":"HASH"},{"AttributeName":"n","KeyType":"RANGE"}],"BillingMode":"PAY_PER_REQUEST"})",
             R"({"TableName":"b","AttributeDefinitions":[{"AttributeName":"k","AttributeType":"B"},{"AttributeName":"s","AttributeType":"S"}],"KeySchema":[{"AttributeName":"k","KeyType":"HASH"},{"AttributeName":"s","KeyType":"RANGE"}],"BillingMode":"PAY_PER_REQUEST"})"}) {
      executor->Execute("CreateTable", boost::json::parse(body).as_object());
    }
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture fixture;
  if (size < 1) return 0;
  const char* op = kOps[data[0] % (sizeof(kOps) / sizeof(kOps[0]))];
  // Keep the three fixture tables: deleting them would end coverage of the rest.
  if (std::string_view(op) == "DeleteTable") op = "DescribeTable";
  boost::json::parse_options opts;
  opts.max_depth = 128;
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(
      std::string_view(reinterpret_cast<const char*>(data + 1), size - 1), ec, {}, opts);
  if (ec || !v.is_object()) return 0;
  auto result = fixture.executor->Execute(op, v.as_object());
  (void)result;
  return 0;
}
