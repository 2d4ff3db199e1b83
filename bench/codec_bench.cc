// Micro-benchmarks (Google Benchmark) for the inner loops of one request:
// JSON -> Item (request parsing), Item -> binary record (storage), binary ->
// Item (reads), Item -> JSON (responses), and SigV4 sign / verify.
//
//   build-bench/bench/codec_bench --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include <boost/json.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "auth/sigv4.h"
#include "storage/item_codec.h"
#include "types/attribute_json.h"

namespace {

using namespace tandem;

// The loadgen's 1 KB PutItem item.
std::string KvItemJson() {
  return R"({"pk":{"S":"k00001234"},"data":{"S":")" + std::string(1007, 'x') + R"("}})";
}

// A richer item: numbers, a map, a list and a set, ~300 bytes.
std::string MixedItemJson() {
  return R"({"pk":{"S":"order#2024-0001"},"sk":{"N":"17"},"total":{"N":"129.95"},)"
         R"("customer":{"M":{"name":{"S":"Ada Lovelace"},"email":{"S":"ada@example.com"},)"
         R"("vip":{"BOOL":true}}},"lines":{"L":[{"M":{"sku":{"S":"A-1"},"qty":{"N":"2"}}},)"
         R"({"M":{"sku":{"S":"B-7"},"qty":{"N":"1"}}}]},"tags":{"SS":["gift","express"]},)"
         R"("note":{"NULL":true}})";
}

Item ParseItem(const std::string& text) {
  auto parsed = ItemFromJson(boost::json::parse(text));
  if (!parsed.ok()) std::abort();
  return std::move(parsed).value();
}

void BM_JsonParse(benchmark::State& state, std::string text) {
  for (auto _ : state) benchmark::DoNotOptimize(boost::json::parse(text));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}

void BM_ItemFromJson(benchmark::State& state, std::string text) {
  const boost::json::value v = boost::json::parse(text);
  for (auto _ : state) benchmark::DoNotOptimize(ItemFromJson(v));
}

void BM_ItemToJsonText(benchmark::State& state, std::string text) {
  const Item item = ParseItem(text);
  for (auto _ : state) benchmark::DoNotOptimize(boost::json::serialize(ItemToJson(item)));
}

void BM_EncodeItem(benchmark::State& state, std::string text) {
  const Item item = ParseItem(text);
  for (auto _ : state) benchmark::DoNotOptimize(storage::EncodeItem(item));
}

void BM_DecodeItem(benchmark::State& state, std::string text) {
  const std::string bytes = storage::EncodeItem(ParseItem(text));
  for (auto _ : state) benchmark::DoNotOptimize(storage::DecodeItem(bytes));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes.size()));
}

struct SignedRequest {
  std::vector<std::pair<std::string, std::string>> owned;
  std::vector<auth::Header> headers;
  std::string body;
  auth::HttpRequestView view() const { return {"POST", "/", "", headers, body}; }
};

const auth::SigningCredentials kCreds{"AKIDBENCHMARK", "benchmark-secret", ""};

SignedRequest MakeSigned(std::chrono::system_clock::time_point now) {
  SignedRequest r;
  r.body = R"({"TableName":"bench_kv","Item":)" + KvItemJson() + "}";
  r.owned = {{"Host", "127.0.0.1:8000"},
             {"Content-Type", "application/x-amz-json-1.0"},
             {"X-Amz-Target", "DynamoDB_20120810.PutItem"}};
  r.headers.clear();
  for (auto& [n, v] : r.owned) r.headers.push_back({n, v});
  auto added = auth::SignRequest(r.view(), kCreds, "us-east-1", "dynamodb", now);
  if (!added.ok()) std::abort();
  for (auto& h : added.value()) r.owned.emplace_back(h.name, h.value);
  r.headers.clear();
  for (auto& [n, v] : r.owned) r.headers.push_back({n, v});
  return r;
}

void BM_SigV4Sign(benchmark::State& state) {
  SignedRequest r = MakeSigned(std::chrono::system_clock::now());
  r.owned.resize(3);
  r.headers.resize(3);
  const auto now = std::chrono::system_clock::now();
  for (auto _ : state) {
    benchmark::DoNotOptimize(auth::SignRequest(r.view(), kCreds, "us-east-1", "dynamodb", now));
  }
}

void BM_SigV4Verify(benchmark::State& state) {
  const auto now = std::chrono::system_clock::now();
  const SignedRequest r = MakeSigned(now);
  auth::VerifierOptions options;
  options.region = "us-east-1";
  options.lookup = [](std::string_view id) -> std::optional<std::string> {
    if (id == kCreds.access_key_id) return kCreds.secret_access_key;
    return std::nullopt;
  };
  auth::SigV4Verifier verifier(std::move(options));
  if (!verifier.Verify(r.view(), now).ok()) std::abort();
  for (auto _ : state) benchmark::DoNotOptimize(verifier.Verify(r.view(), now));
}

BENCHMARK_CAPTURE(BM_JsonParse, kv_1kb, KvItemJson());
BENCHMARK_CAPTURE(BM_JsonParse, mixed, MixedItemJson());
BENCHMARK_CAPTURE(BM_ItemFromJson, kv_1kb, KvItemJson());
BENCHMARK_CAPTURE(BM_ItemFromJson, mixed, MixedItemJson());
BENCHMARK_CAPTURE(BM_ItemToJsonText, kv_1kb, KvItemJson());
BENCHMARK_CAPTURE(BM_ItemToJsonText, mixed, MixedItemJson());
BENCHMARK_CAPTURE(BM_EncodeItem, kv_1kb, KvItemJson());
BENCHMARK_CAPTURE(BM_EncodeItem, mixed, MixedItemJson());
BENCHMARK_CAPTURE(BM_DecodeItem, kv_1kb, KvItemJson());
BENCHMARK_CAPTURE(BM_DecodeItem, mixed, MixedItemJson());
BENCHMARK(BM_SigV4Sign);
BENCHMARK(BM_SigV4Verify);

}  // namespace

BENCHMARK_MAIN();
