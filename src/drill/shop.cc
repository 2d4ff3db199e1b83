#include "drill/shop.h"

#include <algorithm>
#include <boost/json.hpp>
#include <utility>

#include "probe/url.h"

namespace tandem::drill {
namespace {

namespace json = boost::json;
using SteadyClock = std::chrono::steady_clock;

constexpr const char* kItems[] = {"teapot", "kettle", "mug", "tea towel"};

std::string Join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) {
    out += (out.empty() ? "" : ",") + p;
  }
  return out;
}

// The string `id` of a DynamoDB JSON item, or "" when it has none.
std::string IdOf(const json::value* item) {
  const json::object* obj = item ? item->if_object() : nullptr;
  const json::value* attr = obj ? obj->if_contains("id") : nullptr;
  const json::object* typed = attr ? attr->if_object() : nullptr;
  const json::value* s = typed ? typed->if_contains("S") : nullptr;
  return s && s->is_string() ? std::string(s->as_string()) : "";
}

// A DynamoClient that keeps the Network it runs on alive.
class NetworkedClient : public probe::DynamoApi {
 public:
  NetworkedClient(std::shared_ptr<probe::Network> network, probe::Url url,
                  const ShopOptions& options)
      : network_(std::move(network)),
        client_(network_.get(), std::move(url), options.credentials, options.signing_region,
                SystemClock::Default()) {}

  StatusOr<json::object> Call(std::string_view operation, const json::object& request,
                              probe::Deadline deadline) override {
    return client_.Call(operation, request, deadline);
  }

 private:
  std::shared_ptr<probe::Network> network_;
  probe::DynamoClient client_;
};

}  // namespace

ShopClient::ApiFactory DefaultApiFactory(const ShopOptions& options) {
  auto network = std::make_shared<probe::Network>(nullptr, /*verify_names=*/false);
  return [network, options](const std::string& address) -> std::unique_ptr<probe::DynamoApi> {
    const bool v6 = address.find(':') != std::string::npos;
    auto url = probe::ParseUrl("http://" + (v6 ? "[" + address + "]" : address) + ":" +
                               std::to_string(options.port) + "/");
    if (!url.ok()) {
      return nullptr;
    }
    return std::make_unique<NetworkedClient>(network, std::move(*url), options);
  };
}

ShopClient::ShopClient(ShopOptions options, HostResolver* resolver, ApiFactory factory)
    : options_(std::move(options)),
      resolver_(resolver),
      factory_(factory ? std::move(factory) : DefaultApiFactory(options_)),
      wall_clock_(SystemClock::Default()) {}

ShopClient::~ShopClient() { Stop(); }

void ShopClient::Start() {
  if (!thread_.joinable()) {
    thread_ = std::thread([this] { Run(); });
  }
}

void ShopClient::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void ShopClient::Run() {
  auto next = SteadyClock::now();
  for (uint64_t seq = 1;; ++seq) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) {
        return;
      }
    }
    Tick(seq);
    next += options_.order_interval;
    std::unique_lock<std::mutex> lock(mu_);
    next = std::max(next, SteadyClock::now());  // an overrun delays, never bursts
    if (changed_.wait_until(lock, next, [this] { return stopping_; })) {
      return;
    }
  }
}

void ShopClient::Tick(uint64_t seq) {
  const std::string id = options_.order_prefix + std::to_string(seq);
  const auto start = SteadyClock::now();
  auto resolved = resolver_->LookupA(options_.name);
  const auto end = SteadyClock::now();
  if (resolved.ok() && resolved->addresses.empty()) {
    resolved = Status::NotFound("an answer without addresses");
  }
  if (!resolved.ok() || !resolved->from_cache) {
    Record({Attempt::Kind::kResolve, start, end, resolved.ok(),
            resolved.ok() ? Join(resolved->addresses) : "", "",
            resolved.ok() ? "" : resolved.status().ToString()});
  }
  if (!resolved.ok()) {
    Record({Attempt::Kind::kOrder, start, end, false, "", id,
            "cannot resolve " + options_.name + ": " + resolved.status().ToString()});
    return;
  }
  const std::string address = resolved->addresses.front();
  if (PlaceOrder(address, id, seq) && options_.read_every > 0 &&
      seq % static_cast<uint64_t>(options_.read_every) == 0) {
    ReadBack(address, id);
  }
}

bool ShopClient::PlaceOrder(const std::string& address, const std::string& id, uint64_t seq) {
  const auto start = SteadyClock::now();
  const int64_t placed_at_ms = wall_clock_->NowMicros() / 1000;
  json::object item{{"id", {{"S", id}}},
                    {"item", {{"S", kItems[seq % std::size(kItems)]}}},
                    {"qty", {{"N", std::to_string(1 + seq % 3)}}},
                    {"placed_at", {{"N", std::to_string(placed_at_ms)}}}};
  json::object request{{"TableName", options_.table},
                       {"Item", std::move(item)},
                       {"ConditionExpression", "attribute_not_exists(id)"}};
  probe::DynamoApi* api = ApiFor(address);
  Status status = api == nullptr
                      ? Status::Unavailable("no DynamoDB client for " + address)
                      : api->Call("PutItem", request, start + options_.request_timeout).status();
  if (!status.ok()) {
    apis_.erase(address);  // a fresh connection next time
  } else {
    acked_by_address_[address].push_back(id);
  }
  Record({Attempt::Kind::kOrder, start, SteadyClock::now(), status.ok(), address, id,
          status.ok() ? "" : status.ToString()});
  return status.ok();
}

void ShopClient::ReadBack(const std::string& address, const std::string& just_acked) {
  const std::vector<std::string>& acked = acked_by_address_[address];
  if (acked.size() < 2) {
    return;
  }
  const std::string& id = acked[acked.size() - 2];
  const auto start = SteadyClock::now();
  json::object request{
      {"TableName", options_.table}, {"Key", {{"id", {{"S", id}}}}}, {"ConsistentRead", true}};
  probe::DynamoApi* api = ApiFor(address);
  Status status;
  if (api == nullptr) {
    status = Status::Unavailable("no DynamoDB client for " + address);
  } else {
    auto response = api->Call("GetItem", request, start + options_.request_timeout);
    if (!response.ok()) {
      status = response.status();
      apis_.erase(address);
    } else if (IdOf(response->if_contains("Item")) != id) {
      status = Status::NotFound("acked order " + id + " not found at " + address);
    }
  }
  Record({Attempt::Kind::kRead, start, SteadyClock::now(), status.ok(), address, id,
          status.ok() ? "" : status.ToString()});
}

probe::DynamoApi* ShopClient::ApiFor(const std::string& address) {
  auto it = apis_.find(address);
  if (it != apis_.end()) {
    return it->second.get();
  }
  std::unique_ptr<probe::DynamoApi> api = factory_(address);
  if (api == nullptr) {
    return nullptr;
  }
  return apis_.emplace(address, std::move(api)).first->second.get();
}

void ShopClient::Record(Attempt attempt) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    switch (attempt.kind) {
      case Attempt::Kind::kOrder:
        ++(attempt.ok ? counts_.orders_ok : counts_.orders_failed);
        if (attempt.ok) {
          ledger_.push_back({attempt.order_id, attempt.address, attempt.end});
        }
        break;
      case Attempt::Kind::kRead:
        ++(attempt.ok ? counts_.reads_ok : counts_.reads_failed);
        break;
      case Attempt::Kind::kResolve:
        ++(attempt.ok ? counts_.resolves_ok : counts_.resolves_failed);
        break;
    }
    attempts_.push_back(std::move(attempt));
  }
  changed_.notify_all();
}

std::vector<Attempt> ShopClient::Attempts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return attempts_;
}

std::vector<AckedOrder> ShopClient::Ledger() const {
  std::lock_guard<std::mutex> lock(mu_);
  return ledger_;
}

ShopCounts ShopClient::Counts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counts_;
}

bool ShopClient::WaitUntil(const std::function<bool(const ShopCounts&)>& done,
                           SteadyClock::time_point deadline) const {
  std::unique_lock<std::mutex> lock(mu_);
  return changed_.wait_until(lock, deadline, [&] { return done(counts_); });
}

std::optional<double> ClientOutage(const std::vector<Attempt>& attempts,
                                   SteadyClock::time_point fault) {
  std::vector<SteadyClock::time_point> successes;
  std::vector<SteadyClock::time_point> failures;  // ends at or after `fault`
  std::optional<SteadyClock::time_point> first_start;
  bool measured = false;
  for (const Attempt& a : attempts) {
    if (a.kind == Attempt::Kind::kResolve) {
      continue;
    }
    first_start = first_start ? std::min(*first_start, a.start) : a.start;
    measured = measured || a.end >= fault;
    if (a.ok) {
      successes.push_back(a.end);
    } else if (a.end >= fault) {
      failures.push_back(a.end);
    }
  }
  if (!measured) {
    return std::nullopt;
  }
  std::sort(successes.begin(), successes.end());
  SteadyClock::duration longest{0};
  for (const auto failed : failures) {
    auto after = std::upper_bound(successes.begin(), successes.end(), failed);
    if (after == successes.end()) {
      return std::nullopt;  // not over yet
    }
    const auto from = after == successes.begin() ? *first_start : *(after - 1);
    longest = std::max(longest, *after - from);
  }
  return std::chrono::duration<double>(longest).count();
}

}  // namespace tandem::drill
