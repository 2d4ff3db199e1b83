// loadgen: a closed-loop HTTP/1.1 keep-alive load generator for DynamoDB-
// compatible servers (Tandem, dynalite, moto). Every request is signed with
// SigV4 by Tandem's own signer, exactly as an AWS SDK would sign it.
//
// Each of --threads threads runs its own io_context; the --connections
// connections are spread over them round-robin and each one runs as a C++20
// coroutine: send a request, wait for the whole response, record the latency,
// send the next one. So 64 connections need 2 threads, not 64.
//
// With --rate N (put, get, query) the load is open-loop instead: request i is
// due at start + i/N whatever the replies do, the next free connection sends
// it when it is due, and its latency counts from when it was due, so a stall
// shows up in the percentiles instead of slowing the offered load. Requests
// due in the warm-up are not counted; "late" counts the measured ones that
// left more than 1 ms after they were due (too few --connections, or a
// saturated machine), and ops/s divides by the time until the last of them
// was answered, so it is the rate achieved, not the rate offered.
//
// Workloads (--workload):
//   setup   create the tables bench_kv (pk S) and bench_q (pk S, sk N) if
//           missing and wait until both are ACTIVE
//   load    BatchWriteItem --items items of --item-bytes into bench_kv with
//           keys k00000000.. (25 per request; UnprocessedItems are resent)
//   load-q  BatchWriteItem --partitions x 100 small items into bench_q
//   put     PutItem of --item-bytes items with distinct keys into bench_kv
//   get     GetItem of random keys in [0, --items) from bench_kv (preloaded)
//   query   Query a random partition in [0, --partitions) of bench_q with
//           Limit 100: one page of 100 small items per request
// --table NAME puts the bench_kv workloads (setup, load, put, get) on another
// table with the same schema.
//
// The result is one JSON line on stdout: ops/s, latency percentiles (ms) and
// errors. Any response other than HTTP 200 — or a 200 whose body is not what
// the workload expects (GetItem without Item, Query without 100 items) — is an
// error; a result is valid only when errors is 0.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "auth/sigv4.h"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
namespace auth = tandem::auth;

namespace {

constexpr const char* kKvTable = "bench_kv";
constexpr const char* kQueryTable = "bench_q";
constexpr int kItemsPerPartition = 100;

struct Config {
  std::string host = "127.0.0.1";
  std::string port = "8000";
  std::string host_header;
  int connections = 16;
  int threads = 2;
  double duration_s = 10;
  double warmup_s = 1;
  long requests = 0;  // when > 0, run this many requests instead of a duration
  std::string workload = "get";
  std::string region = "us-east-1";
  std::string key = "AKIDBENCHMARK";
  std::string secret = "benchmark-secret";
  long items = 10000;
  int item_bytes = 1024;
  long partitions = 100;
  double rate = 0;  // requests per second, open-loop; 0: closed loop
  std::string table = kKvTable;
  std::string label;
  std::string run_id;
};

void Usage() {
  std::cerr << "usage: loadgen --endpoint HOST:PORT [--workload setup|load|load-q|put|get|query]\n"
               "               [--connections N] [--threads N] [--duration S] [--warmup S]\n"
               "               [--requests N] [--region R] [--key ID] [--secret S]\n"
               "               [--items N] [--item-bytes N] [--partitions N] [--label TEXT]\n"
               "               [--rate N] [--table NAME]\n";
}

bool ParseArgs(int argc, char** argv, Config* c) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "missing value for " << a << "\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--endpoint") {
      std::string e = next();
      if (auto p = e.find("://"); p != std::string::npos) e = e.substr(p + 3);
      if (!e.empty() && e.back() == '/') e.pop_back();
      auto colon = e.rfind(':');
      if (colon == std::string::npos) {
        c->host = e;
        c->port = "80";
      } else {
        c->host = e.substr(0, colon);
        c->port = e.substr(colon + 1);
      }
    } else if (a == "--connections") {
      c->connections = std::stoi(next());
    } else if (a == "--threads") {
      c->threads = std::stoi(next());
    } else if (a == "--duration") {
      c->duration_s = std::stod(next());
    } else if (a == "--warmup") {
      c->warmup_s = std::stod(next());
    } else if (a == "--requests") {
      c->requests = std::stol(next());
    } else if (a == "--workload") {
      c->workload = next();
    } else if (a == "--region") {
      c->region = next();
    } else if (a == "--key") {
      c->key = next();
    } else if (a == "--secret") {
      c->secret = next();
    } else if (a == "--items") {
      c->items = std::stol(next());
    } else if (a == "--item-bytes") {
      c->item_bytes = std::stoi(next());
    } else if (a == "--partitions") {
      c->partitions = std::stol(next());
    } else if (a == "--rate") {
      c->rate = std::stod(next());
    } else if (a == "--table") {
      c->table = next();
    } else if (a == "--label") {
      c->label = next();
    } else if (a == "-h" || a == "--help") {
      Usage();
      std::exit(0);
    } else {
      std::cerr << "unknown argument " << a << "\n";
      Usage();
      return false;
    }
  }
  c->host_header = c->host + ":" + c->port;
  c->threads = std::max(1, std::min(c->threads, c->connections));
  return true;
}

// Per-connection results; merged after the run (no sharing while running).
struct Stats {
  std::vector<uint32_t> latency_us;
  uint64_t ops = 0;  // requests (or items, for the load workloads) completed in the window
  uint64_t errors = 0;
  std::map<int, uint64_t> status_counts;  // 0 = transport error, 1 = bad body
  std::string first_error;
  uint64_t connects =
      0;  // TCP connections opened (a server that closes after each reply: one per request)
  uint64_t late = 0;  // --rate: measured requests sent more than 1 ms after they were due
};

// What every connection shares: configuration, the run's clock, counters.
struct Run {
  Config cfg;
  auth::SigningCredentials creds;
  Clock::time_point start;
  Clock::time_point measure_from;
  Clock::time_point deadline;
  std::atomic<long> remaining{0};   // --requests mode
  std::atomic<long> next_batch{0};  // load workloads
  long total_batches = 0;
  std::atomic<uint64_t> put_seq{0};
  std::atomic<uint64_t> next_due{0};  // --rate: the next request's index in the schedule
  Clock::duration interval{};         // --rate: time between two due requests
};

std::string KvKey(long i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "k%08ld", i);
  return buf;
}

std::string PartitionKey(long i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "p%06ld", i);
  return buf;
}

// A 1 KB item (by DynamoDB's size rules: attribute names plus values) is
// pk (2 + key) plus "data" (4 + padding). The padding is a window of a 1 MB
// random alphanumeric text at a random offset, so items do not compress to
// nothing in the server's storage (LZ4 in Tandem's RocksDB).
const std::string& RandomText() {
  static const std::string text = [] {
    static constexpr char kAlnum[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    std::mt19937_64 rng(42);
    std::string t(1 << 20, 'x');
    for (char& c : t) c = kAlnum[rng() % 62];
    return t;
  }();
  return text;
}

std::string Padding(int item_bytes, size_t key_len, uint64_t random) {
  const long n =
      std::max<long>(static_cast<long>(item_bytes) - 2 - static_cast<long>(key_len) - 4, 1);
  const std::string& text = RandomText();
  const size_t len = static_cast<size_t>(std::min<long>(n, static_cast<long>(text.size())));
  return text.substr(random % (text.size() - len + 1), len);
}

std::string KvItemJson(const std::string& key, const std::string& padding) {
  std::string s;
  s.reserve(padding.size() + 64);
  s += R"({"pk":{"S":")";
  s += key;
  s += R"("},"data":{"S":")";
  s += padding;
  s += R"("}})";
  return s;
}

std::string QueryItemJson(long partition, int sk) {
  return R"({"pk":{"S":")" + PartitionKey(partition) + R"("},"sk":{"N":")" + std::to_string(sk) +
         R"("},"v":{"S":"small value )" + std::to_string(sk) + R"("}})";
}

// One signed POST of DynamoDB JSON 1.0.
http::request<http::string_body> MakeRequest(const Run& run, std::string_view op,
                                             std::string body) {
  const std::string target = "DynamoDB_20120810." + std::string(op);
  const std::string content_type = "application/x-amz-json-1.0";
  auth::Header headers[] = {
      {"Host", run.cfg.host_header},
      {"Content-Type", content_type},
      {"X-Amz-Target", target},
  };
  auth::HttpRequestView view{"POST", "/", "", headers, body};
  auto signed_headers = auth::SignRequest(view, run.creds, run.cfg.region, "dynamodb",
                                          std::chrono::system_clock::now());
  if (!signed_headers.ok()) {
    std::cerr << "signing failed: " << signed_headers.status().message() << "\n";
    std::exit(1);
  }
  http::request<http::string_body> req{http::verb::post, "/", 11};
  req.set(http::field::host, run.cfg.host_header);
  req.set(http::field::content_type, content_type);
  req.set("X-Amz-Target", target);
  for (const auto& h : signed_headers.value()) req.set(h.name, h.value);
  req.keep_alive(true);
  req.body() = std::move(body);
  req.prepare_payload();
  return req;
}

struct Reply {
  int status = 0;  // 0: transport error
  std::string body;
  std::string error;
};

// A keep-alive connection that reconnects after a transport error.
class Connection {
 public:
  Connection(asio::any_io_executor ex, const Run& run) : stream_(ex), run_(run) {}

  asio::awaitable<Reply> Call(std::string_view op, std::string body) {
    Reply reply;
    auto req = MakeRequest(run_, op, std::move(body));
    try {
      if (!connected_) {
        tcp::resolver resolver(stream_.get_executor());
        auto results =
            co_await resolver.async_resolve(run_.cfg.host, run_.cfg.port, asio::use_awaitable);
        co_await stream_.async_connect(results, asio::use_awaitable);
        stream_.socket().set_option(tcp::no_delay(true));
        connected_ = true;
        ++connects_;
      }
      co_await http::async_write(stream_, req, asio::use_awaitable);
      http::response_parser<http::string_body> parser;
      parser.body_limit(64 << 20);
      co_await http::async_read(stream_, buffer_, parser, asio::use_awaitable);
      auto& res = parser.get();
      reply.status = res.result_int();
      reply.body = std::move(res.body());
      if (!res.keep_alive()) Close();
    } catch (const std::exception& e) {
      reply.status = 0;
      reply.error = e.what();
      Close();
    }
    co_return reply;
  }

  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
    buffer_.clear();
    connected_ = false;
  }

  uint64_t connects() const { return connects_; }

 private:
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  uint64_t connects_ = 0;
  const Run& run_;
  bool connected_ = false;
};

// The value of `"Count":` in a response body (any spacing), or -1.
long CountInBody(const std::string& body) {
  auto p = body.find("\"Count\"");
  if (p == std::string::npos) return -1;
  p += 7;
  while (p < body.size() && (body[p] == ' ' || body[p] == ':')) ++p;
  return std::strtol(body.c_str() + p, nullptr, 10);
}

void RecordError(Stats* st, const Reply& r, std::string_view why) {
  ++st->errors;
  ++st->status_counts[r.status];
  if (st->first_error.empty()) {
    st->first_error = std::string(why) + " status=" + std::to_string(r.status) + " " +
                      (r.error.empty() ? r.body.substr(0, 300) : r.error);
  }
}

// Builds a BatchWriteItem body from a list of item JSON texts.
std::string BatchBody(const char* table, const std::vector<std::string>& items) {
  std::string s = R"({"RequestItems":{")";
  s += table;
  s += R"(":[)";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) s += ',';
    s += R"({"PutRequest":{"Item":)";
    s += items[i];
    s += "}}";
  }
  s += "]}}";
  return s;
}

// Sends one BatchWriteItem and resends UnprocessedItems until none are left.
asio::awaitable<bool> WriteBatch(Connection& conn, Stats* st, const char* table, std::string body) {
  for (int attempt = 0; attempt < 1000; ++attempt) {
    Reply r = co_await conn.Call("BatchWriteItem", body);
    if (r.status != 200) {
      RecordError(st, r, "BatchWriteItem");
      co_return false;
    }
    boost::system::error_code ec;
    json::value v = json::parse(r.body, ec);
    if (ec || !v.is_object()) {
      RecordError(st, r, "BatchWriteItem: bad JSON");
      co_return false;
    }
    const json::value* un = v.as_object().if_contains("UnprocessedItems");
    if (un == nullptr || !un->is_object() || un->as_object().empty()) co_return true;
    json::object again;
    again["RequestItems"] = *un;
    body = json::serialize(again);
    asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(5));
    co_await t.async_wait(asio::use_awaitable);
  }
  co_return false;
}

}  // namespace

namespace {

asio::awaitable<void> RunLoadConnection(Run& run, Stats* st) {
  Connection conn(co_await asio::this_coro::executor, run);
  const bool kv = run.cfg.workload == "load";
  while (true) {
    const long b = run.next_batch.fetch_add(1);
    if (b >= run.total_batches) break;
    std::vector<std::string> items;
    if (kv) {
      for (long i = b * 25; i < std::min<long>(run.cfg.items, (b + 1) * 25); ++i) {
        const std::string key = KvKey(i);
        items.push_back(KvItemJson(
            key, Padding(run.cfg.item_bytes, key.size(), static_cast<uint64_t>(i) * 2654435761u)));
      }
    } else {
      // 4 batches of 25 per partition.
      const long partition = b / 4;
      const int first = static_cast<int>(b % 4) * 25;
      for (int sk = first; sk < first + 25; ++sk) items.push_back(QueryItemJson(partition, sk));
    }
    const auto t0 = Clock::now();
    const char* table = kv ? run.cfg.table.c_str() : kQueryTable;
    const bool ok = co_await WriteBatch(conn, st, table, BatchBody(table, items));
    const auto t1 = Clock::now();
    if (ok) {
      st->ops += items.size();
      ++st->status_counts[200];
      st->latency_us.push_back(static_cast<uint32_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(t1 - t0).count()));
    }
  }
}

asio::awaitable<void> RunConnection(Run& run, int index, Stats* st) {
  Connection conn(co_await asio::this_coro::executor, run);
  std::mt19937_64 rng(0x9e3779b97f4a7c15ULL * (index + 1) + std::random_device{}());
  const std::string& w = run.cfg.workload;
  const bool open_loop = run.cfg.rate > 0;
  asio::steady_timer pacer(co_await asio::this_coro::executor);
  while (true) {
    Clock::time_point due{};
    if (open_loop) {
      due = run.start + run.interval * static_cast<Clock::rep>(run.next_due.fetch_add(1));
      if (run.cfg.requests == 0 && due >= run.deadline) break;
    }
    if (run.cfg.requests > 0) {
      if (run.remaining.fetch_sub(1) <= 0) break;
    } else if (!open_loop && Clock::now() >= run.deadline) {
      break;
    }
    if (open_loop && Clock::now() < due) {
      pacer.expires_at(due);
      co_await pacer.async_wait(asio::use_awaitable);
    }
    std::string op;
    std::string body;
    if (w == "put") {
      // Distinct keys: run id, connection, sequence.
      char key[64];
      std::snprintf(key, sizeof(key), "w%s-%03d-%010lu", run.cfg.run_id.c_str(), index,
                    static_cast<unsigned long>(run.put_seq.fetch_add(1)));
      op = "PutItem";
      body = R"({"TableName":")" + run.cfg.table + R"(","Item":)" +
             KvItemJson(key, Padding(run.cfg.item_bytes, std::strlen(key), rng())) + "}";
    } else if (w == "get") {
      op = "GetItem";
      const long k = static_cast<long>(rng() % static_cast<uint64_t>(run.cfg.items));
      body = R"({"TableName":")" + run.cfg.table + R"(","Key":{"pk":{"S":")" + KvKey(k) + R"("}}})";
    } else {  // query
      op = "Query";
      const long p = static_cast<long>(rng() % static_cast<uint64_t>(run.cfg.partitions));
      body = std::string(R"({"TableName":")") + kQueryTable +
             R"(","KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{":p":{"S":")" +
             PartitionKey(p) + R"("}},"Limit":100})";
    }
    const auto t0 = open_loop ? due : Clock::now();
    const auto sent = Clock::now();
    Reply r = co_await conn.Call(op, std::move(body));
    const auto t1 = Clock::now();
    // Open loop: every request due in the window counts, however long it took.
    const bool counted =
        run.cfg.requests > 0 ||
        (open_loop ? due >= run.measure_from : t0 >= run.measure_from && t1 <= run.deadline);
    if (open_loop && counted && sent - due > std::chrono::milliseconds(1)) ++st->late;
    if (r.status != 200) {
      if (counted || r.status != 0) RecordError(st, r, op);
      if (r.status == 0 && run.cfg.requests == 0 && Clock::now() >= run.deadline) break;
      continue;
    }
    if (w == "get" && r.body.find("\"Item\"") == std::string::npos) {
      RecordError(st, r, "GetItem without Item");
      continue;
    }
    if (w == "query" && CountInBody(r.body) != kItemsPerPartition) {
      RecordError(st, r, "Query without 100 items");
      continue;
    }
    if (!counted) continue;
    ++st->ops;
    ++st->status_counts[200];
    st->latency_us.push_back(static_cast<uint32_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(t1 - t0).count()));
  }
  st->connects += conn.connects();
  conn.Close();
}

// setup: create both tables (ignoring "already exists") and wait until ACTIVE.
asio::awaitable<void> RunSetup(Run& run, Stats* st) {
  Connection conn(co_await asio::this_coro::executor, run);
  const std::string kv =
      R"({"TableName":")" + run.cfg.table +
      R"(","AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],)"
      R"("KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],)"
      R"("ProvisionedThroughput":{"ReadCapacityUnits":1000,"WriteCapacityUnits":1000}})";
  const std::string q =
      std::string(R"({"TableName":")") + kQueryTable +
      R"(","AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},)"
      R"({"AttributeName":"sk","AttributeType":"N"}],)"
      R"("KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},)"
      R"({"AttributeName":"sk","KeyType":"RANGE"}],)"
      R"("ProvisionedThroughput":{"ReadCapacityUnits":1000,"WriteCapacityUnits":1000}})";
  for (const std::string* body : {&kv, &q}) {
    Reply r = co_await conn.Call("CreateTable", *body);
    if (r.status != 200 && r.body.find("ResourceInUseException") == std::string::npos) {
      RecordError(st, r, "CreateTable");
      co_return;
    }
    ++st->ops;
  }
  for (const char* table : {run.cfg.table.c_str(), kQueryTable}) {
    for (int i = 0; i < 600; ++i) {
      Reply r =
          co_await conn.Call("DescribeTable", std::string(R"({"TableName":")") + table + R"("})");
      if (r.status == 200 && r.body.find("\"ACTIVE\"") != std::string::npos) break;
      asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(100));
      co_await t.async_wait(asio::use_awaitable);
    }
  }
}

double Percentile(const std::vector<uint32_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t i = static_cast<size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(i, sorted.size() - 1)] / 1000.0;
}

}  // namespace

int main(int argc, char** argv) {
  Run run;
  if (!ParseArgs(argc, argv, &run.cfg)) return 2;
  Config& cfg = run.cfg;
  run.creds.access_key_id = cfg.key;
  run.creds.secret_access_key = cfg.secret;
  {
    std::random_device rd;
    char buf[16];
    std::snprintf(buf, sizeof(buf), "%06x", rd() & 0xffffff);
    cfg.run_id = buf;
  }
  const bool load = cfg.workload == "load" || cfg.workload == "load-q";
  const bool setup = cfg.workload == "setup";
  if (!load && !setup && cfg.workload != "put" && cfg.workload != "get" &&
      cfg.workload != "query") {
    std::cerr << "unknown workload " << cfg.workload << "\n";
    return 2;
  }
  if (load) {
    run.total_batches = cfg.workload == "load" ? (cfg.items + 24) / 25 : cfg.partitions * 4;
  }
  if (setup) cfg.connections = 1, cfg.threads = 1;
  if (setup || load) cfg.warmup_s = 0;
  if (cfg.rate > 0) {
    if (setup || load) {
      std::cerr << "--rate applies to put, get and query\n";
      return 2;
    }
    run.interval =
        std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / cfg.rate));
  }

  std::vector<std::unique_ptr<asio::io_context>> ios;
  for (int t = 0; t < cfg.threads; ++t) ios.push_back(std::make_unique<asio::io_context>(1));
  std::vector<Stats> stats(static_cast<size_t>(cfg.connections));

  run.start = Clock::now();
  run.measure_from = run.start + std::chrono::duration_cast<Clock::duration>(
                                     std::chrono::duration<double>(cfg.warmup_s));
  run.deadline = run.measure_from + std::chrono::duration_cast<Clock::duration>(
                                        std::chrono::duration<double>(cfg.duration_s));
  run.remaining = cfg.requests;
  for (int c = 0; c < cfg.connections; ++c) {
    auto& io = *ios[static_cast<size_t>(c % cfg.threads)];
    Stats* st = &stats[static_cast<size_t>(c)];
    if (setup) {
      asio::co_spawn(io, RunSetup(run, st), asio::detached);
    } else if (load) {
      asio::co_spawn(io, RunLoadConnection(run, st), asio::detached);
    } else {
      asio::co_spawn(io, RunConnection(run, c, st), asio::detached);
    }
  }
  std::vector<std::thread> threads;
  for (auto& io : ios) threads.emplace_back([&io] { io->run(); });
  for (auto& t : threads) t.join();
  const auto end = Clock::now();

  Stats all;
  for (auto& s : stats) {
    all.ops += s.ops;
    all.errors += s.errors;
    all.connects += s.connects;
    all.late += s.late;
    for (auto [k, v] : s.status_counts) all.status_counts[k] += v;
    if (all.first_error.empty()) all.first_error = s.first_error;
    all.latency_us.insert(all.latency_us.end(), s.latency_us.begin(), s.latency_us.end());
  }
  std::sort(all.latency_us.begin(), all.latency_us.end());
  // Open loop: the window is over when the last request due in it is answered,
  // so ops/s is what the server achieved, not what was offered.
  const double elapsed =
      (cfg.requests > 0 || load || setup) ? std::chrono::duration<double>(end - run.start).count()
      : cfg.rate > 0
          ? std::max(cfg.duration_s, std::chrono::duration<double>(end - run.measure_from).count())
          : cfg.duration_s;

  // One JSON line; numbers formatted by hand so they read as 12345 and 1.234.
  auto ms = [](double v) {
    char b[32];
    std::snprintf(b, sizeof(b), "%.3f", v);
    return std::string(b);
  };
  std::string out = "{";
  if (!cfg.label.empty()) out += "\"label\":" + json::serialize(json::value(cfg.label)) + ",";
  out += "\"workload\":\"" + cfg.workload + "\"";
  out += ",\"connections\":" + std::to_string(cfg.connections);
  out += ",\"threads\":" + std::to_string(cfg.threads);
  out += ",\"seconds\":" + ms(elapsed);
  out += ",\"ops\":" + std::to_string(all.ops);
  out += ",\"ops_per_s\":" + std::to_string(std::llround(static_cast<double>(all.ops) / elapsed));
  out += ",\"p50_ms\":" + ms(Percentile(all.latency_us, 0.50));
  out += ",\"p99_ms\":" + ms(Percentile(all.latency_us, 0.99));
  out += ",\"p999_ms\":" + ms(Percentile(all.latency_us, 0.999));
  out += ",\"max_ms\":" + ms(all.latency_us.empty() ? 0.0 : all.latency_us.back() / 1000.0);
  out += ",\"errors\":" + std::to_string(all.errors);
  {
    // The load generator's own CPU time: it shares the machine with the server.
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    const double cpu = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                       static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    out += ",\"loadgen_cpu_s\":" + ms(cpu);
  }
  out += ",\"connects\":" + std::to_string(all.connects);
  if (cfg.rate > 0) {
    out += ",\"rate\":" + ms(cfg.rate);
    out += ",\"late\":" + std::to_string(all.late);
  }
  out += ",\"status\":{";
  bool first = true;
  for (auto [k, v] : all.status_counts) {
    if (!first) out += ",";
    first = false;
    out +=
        "\"" + (k == 0 ? std::string("transport") : std::to_string(k)) + "\":" + std::to_string(v);
  }
  out += "}";
  if (!all.first_error.empty()) {
    out += ",\"first_error\":" + json::serialize(json::value(all.first_error));
  }
  out += "}";
  std::cout << out << std::endl;
  return all.errors == 0 && all.ops > 0 ? 0 : 1;
}
