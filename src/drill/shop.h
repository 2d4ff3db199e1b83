// The drill's customer: a shop's backend that finds the service through DNS
// (www.shop.example. on Tandem's own DNS servers, each answer kept for its
// TTL), places an order every order_interval with a conditional PutItem,
// reads an earlier order back every read_every-th order, and records every
// attempt and every acknowledged order. What it saw is what the drill
// reports as the client's experience.
//
// Each tick:
//   1. resolve the name (through the caching resolver it was given); a
//      lookup that went to the network is recorded as a kResolve attempt;
//   2. place order `<order_prefix><seq>` at the first address of the
//      answer, PutItem with attribute_not_exists(id), within
//      request_timeout; a 200 adds it to the ledger. When the name does not
//      resolve the order fails without being sent (a kOrder attempt with no
//      address);
//   3. after a successful order whose seq is a multiple of read_every, read
//      back (GetItem, ConsistentRead) the previous order acked by the same
//      address; the read is ok only when the item is there.
// Ticks start every order_interval; one that overruns delays the next
// instead of piling up. The client keeps one connection per address and
// drops it after any error, so a dead region costs each attempt at most
// request_timeout.
//
// Thread-safety: Start and Stop from one thread; the accessors from any.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "auth/sigv4.h"
#include "common/clock.h"
#include "drill/resolver.h"
#include "probe/dynamo_client.h"

namespace tandem::drill {

struct ShopOptions {
  std::string name = "www.shop.example.";
  std::string table = "orders";  // hash key `id` (S)
  uint16_t port = 8000;          // the nodes' DynamoDB port
  auth::SigningCredentials credentials;
  std::string signing_region = "us-east-1";
  std::chrono::milliseconds order_interval{50};
  int read_every = 3;  // 0: never read
  std::chrono::milliseconds request_timeout{400};
  std::string order_prefix;  // makes ids unique across runs: "drill-20261126T1005-"
};

struct Attempt {
  enum class Kind { kOrder, kRead, kResolve };
  Kind kind = Kind::kOrder;
  std::chrono::steady_clock::time_point start, end;
  bool ok = false;
  std::string address;   // where it went; kResolve: the answer, comma-separated
  std::string order_id;  // kOrder, kRead
  std::string error;     // "" when ok
};

struct AckedOrder {
  std::string id;
  std::string address;  // the address that acknowledged it
  std::chrono::steady_clock::time_point acked;
};

struct ShopCounts {
  uint64_t orders_ok = 0, orders_failed = 0;
  uint64_t reads_ok = 0, reads_failed = 0;
  uint64_t resolves_ok = 0, resolves_failed = 0;
};

class ShopClient {
 public:
  // Makes the API for one address ("127.0.0.2"); may return null when it
  // cannot, and the attempt then fails.
  using ApiFactory = std::function<std::unique_ptr<probe::DynamoApi>(const std::string& address)>;

  // `resolver` must outlive the client and should cache (CachingResolver):
  // it is asked before every order. `factory` defaults to DefaultApiFactory.
  ShopClient(ShopOptions options, HostResolver* resolver, ApiFactory factory = nullptr);
  ~ShopClient();  // Stop()
  ShopClient(const ShopClient&) = delete;
  ShopClient& operator=(const ShopClient&) = delete;

  // Starts placing orders on a thread of its own. Once.
  void Start();
  // Stops and joins; waits for the attempt in progress (at most about
  // request_timeout, plus a DNS lookup). Idempotent.
  void Stop();

  // Snapshots, in the order the attempts ended.
  std::vector<Attempt> Attempts() const;
  std::vector<AckedOrder> Ledger() const;
  ShopCounts Counts() const;
  // Waits until `done(counts)` holds or `deadline` passes; whether it held.
  bool WaitUntil(const std::function<bool(const ShopCounts&)>& done,
                 std::chrono::steady_clock::time_point deadline) const;

 private:
  void Run();
  void Tick(uint64_t seq);
  // Places the order; whether it was acked.
  bool PlaceOrder(const std::string& address, const std::string& id, uint64_t seq);
  void ReadBack(const std::string& address, const std::string& id);
  probe::DynamoApi* ApiFor(const std::string& address);
  void Record(Attempt attempt);

  const ShopOptions options_;
  HostResolver* const resolver_;
  const ApiFactory factory_;
  const Clock* const wall_clock_;
  std::thread thread_;

  // Used by the worker thread only.
  std::map<std::string, std::unique_ptr<probe::DynamoApi>> apis_;
  std::map<std::string, std::vector<std::string>> acked_by_address_;

  mutable std::mutex mu_;
  mutable std::condition_variable changed_;  // an attempt was recorded, or stop
  bool stopping_ = false;
  std::vector<Attempt> attempts_;
  std::vector<AckedOrder> ledger_;
  ShopCounts counts_;
};

// The default factory: a probe::DynamoClient to http://ADDRESS:port signed
// with the options' credentials; all of them share one probe::Network, so
// they must be used from one thread (the ShopClient's).
ShopClient::ApiFactory DefaultApiFactory(const ShopOptions& options);

// The client-visible outage around a fault at `fault`, in seconds, from
// kOrder and kRead attempts (kResolve attempts are ignored; an order that
// could not be resolved is itself a failed kOrder). For each attempt that
// failed and ended at or after `fault`, its outage runs from the end of the
// last successful attempt ending before it (or, when none did, from the start
// of the first attempt) to the end of the first successful attempt ending
// after it; the result is the longest such outage.
//   - 0 when no attempt ending at or after `fault` failed (nothing seen);
//   - nullopt when no attempt ended at or after `fault` (nothing measured),
//     or when a failure after `fault` was never followed by a success (the
//     outage had not ended when the attempts stop).
// Attempts may be given in any order.
std::optional<double> ClientOutage(const std::vector<Attempt>& attempts,
                                   std::chrono::steady_clock::time_point fault);

}  // namespace tandem::drill
