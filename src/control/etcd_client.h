// EtcdClient: the few etcd v3 calls leader election needs, through etcd's
// JSON gateway over HTTP (POST /v3/lease/grant, /v3/lease/keepalive,
// /v3/lease/revoke, /v3/kv/range, /v3/kv/put, /v3/kv/txn). Keys and values
// travel base64-encoded and 64-bit numbers as decimal strings, as the
// gateway wants them.
//
// Calls go to the endpoints in turn, starting with the last that answered;
// a connection failure or a 5xx moves to the next. Errors: Unavailable when
// no endpoint answered; NotFound for etcd's NotFound (an expired lease);
// FailedPrecondition with etcd's message for other refusals.
//
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <atomic>
#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "control/http_transport.h"

namespace tandem::control {

std::string Base64Encode(std::string_view data);
// InvalidArgument when `text` is not base64.
StatusOr<std::string> Base64Decode(std::string_view text);

class EtcdClient {
 public:
  struct KeyValue {
    std::string key;
    std::string value;
    int64_t create_revision = 0;
    int64_t mod_revision = 0;
    int64_t lease = 0;
  };
  // Compares for equality only: the key's create revision (0: the key does
  // not exist), its lease, or its value.
  struct Compare {
    enum class Target { kCreateRevision, kLease, kValue } target = Target::kCreateRevision;
    std::string key;
    int64_t number = 0;  // kCreateRevision, kLease
    std::string value;   // kValue
  };
  struct Op {
    enum class Kind { kPut, kRange } kind = Kind::kRange;
    std::string key;
    std::string value;  // kPut
    int64_t lease = 0;  // kPut: attach to this lease (0: none)
  };
  struct TxnResult {
    bool succeeded = false;
    // One per kRange op of the branch that ran, in order: the key, or
    // nullopt when absent.
    std::vector<std::optional<KeyValue>> ranges;
  };

  // `endpoints` are "http://host:port".
  EtcdClient(std::vector<std::string> endpoints, HttpTransport* transport,
             std::chrono::milliseconds timeout);

  StatusOr<int64_t> Grant(int64_t ttl_seconds);  // the lease id
  // The lease's remaining TTL in seconds; 0 when it no longer exists.
  StatusOr<int64_t> KeepAlive(int64_t lease);
  Status Revoke(int64_t lease);
  StatusOr<std::optional<KeyValue>> Get(const std::string& key);
  Status Put(const std::string& key, const std::string& value, int64_t lease = 0);
  StatusOr<TxnResult> Txn(const std::vector<Compare>& compare, const std::vector<Op>& success,
                          const std::vector<Op>& failure);

 private:
  StatusOr<boost::json::object> Call(std::string_view path, const boost::json::object& body);

  const std::vector<std::string> endpoints_;
  HttpTransport* const transport_;
  const std::chrono::milliseconds timeout_;
  std::atomic<size_t> preferred_{0};
};

}  // namespace tandem::control
