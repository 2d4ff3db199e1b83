#include "control/etcd_client.h"

#include <openssl/evp.h>

#include <boost/json.hpp>
#include <charconv>

namespace tandem::control {
namespace {

// The gateway writes int64 as a string; accept a number too.
int64_t Int(const boost::json::value* v) {
  if (v == nullptr) {
    return 0;
  }
  if (v->is_int64()) {
    return v->as_int64();
  }
  if (v->is_uint64()) {
    return static_cast<int64_t>(v->as_uint64());
  }
  if (v->is_string()) {
    int64_t out = 0;
    const auto& s = v->as_string();
    std::from_chars(s.data(), s.data() + s.size(), out);
    return out;
  }
  return 0;
}

StatusOr<EtcdClient::KeyValue> ParseKv(const boost::json::value& v) {
  const auto* o = v.if_object();
  if (o == nullptr) {
    return Status::Unavailable("etcd answered a malformed key-value");
  }
  EtcdClient::KeyValue kv;
  auto str = [&](const char* name) -> StatusOr<std::string> {
    const auto* s = o->if_contains(name);
    if (s == nullptr || !s->is_string()) {
      return std::string();
    }
    return Base64Decode(s->as_string());
  };
  TANDEM_ASSIGN_OR_RETURN(kv.key, str("key"));
  TANDEM_ASSIGN_OR_RETURN(kv.value, str("value"));
  kv.create_revision = Int(o->if_contains("create_revision"));
  kv.mod_revision = Int(o->if_contains("mod_revision"));
  kv.lease = Int(o->if_contains("lease"));
  return kv;
}

StatusOr<std::optional<EtcdClient::KeyValue>> FirstKv(const boost::json::object& range) {
  const auto* kvs = range.if_contains("kvs");
  if (kvs == nullptr || !kvs->is_array() || kvs->as_array().empty()) {
    return std::optional<EtcdClient::KeyValue>();
  }
  TANDEM_ASSIGN_OR_RETURN(EtcdClient::KeyValue kv, ParseKv(kvs->as_array().front()));
  return std::optional<EtcdClient::KeyValue>(std::move(kv));
}

boost::json::object OpJson(const EtcdClient::Op& op) {
  if (op.kind == EtcdClient::Op::Kind::kPut) {
    boost::json::object put{{"key", Base64Encode(op.key)}, {"value", Base64Encode(op.value)}};
    if (op.lease != 0) {
      put["lease"] = std::to_string(op.lease);
    }
    return {{"request_put", std::move(put)}};
  }
  return {{"request_range", boost::json::object{{"key", Base64Encode(op.key)}}}};
}

}  // namespace

std::string Base64Encode(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(data.data()),
                                static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

StatusOr<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) {
    return Status::InvalidArgument("not base64");
  }
  std::string out(3 * text.size() / 4, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) {
    return Status::InvalidArgument("not base64");
  }
  // EVP_DecodeBlock counts the padding as zero bytes.
  size_t pad = 0;
  while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=') {
    ++pad;
  }
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

EtcdClient::EtcdClient(std::vector<std::string> endpoints, HttpTransport* transport,
                       std::chrono::milliseconds timeout)
    : endpoints_(std::move(endpoints)), transport_(transport), timeout_(timeout) {}

StatusOr<boost::json::object> EtcdClient::Call(std::string_view path,
                                               const boost::json::object& body) {
  if (endpoints_.empty()) {
    return Status::Unavailable("no etcd endpoint configured");
  }
  const size_t first = preferred_.load() % endpoints_.size();
  std::string errors;
  for (size_t i = 0; i < endpoints_.size(); ++i) {
    const size_t at = (first + i) % endpoints_.size();
    HttpCall call;
    call.method = "POST";
    call.url = endpoints_[at] + std::string(path);
    call.body = boost::json::serialize(body);
    call.timeout = timeout_;
    auto reply = transport_->Do(call);
    if (!reply.ok()) {
      errors += (errors.empty() ? "" : "; ") + endpoints_[at] + ": " + reply.status().message();
      continue;
    }
    boost::system::error_code ec;
    // A keepalive answers as a stream: its first object is the answer.
    boost::json::stream_parser parser;
    parser.write_some(reply->body, ec);
    const bool parsed = !ec && parser.done();
    boost::json::value v = parsed ? parser.release() : boost::json::value();
    const boost::json::object* o = parsed ? v.if_object() : nullptr;
    if (reply->status >= 500 || o == nullptr) {
      errors +=
          (errors.empty() ? "" : "; ") + endpoints_[at] + ": HTTP " + std::to_string(reply->status);
      continue;
    }
    preferred_.store(at);
    if (reply->status != 200) {
      const auto* message = o->if_contains("message");
      const std::string text = message != nullptr && message->is_string()
                                   ? std::string(message->as_string())
                                   : reply->body;
      // gRPC code 5: NotFound (a lease that expired).
      if (Int(o->if_contains("code")) == 5) {
        return Status::NotFound("etcd: " + text);
      }
      return Status::FailedPrecondition("etcd: " + text);
    }
    return *o;
  }
  return Status::Unavailable("etcd unreachable: " + errors);
}

StatusOr<int64_t> EtcdClient::Grant(int64_t ttl_seconds) {
  TANDEM_ASSIGN_OR_RETURN(auto o, Call("/v3/lease/grant", {{"TTL", std::to_string(ttl_seconds)}}));
  const int64_t id = Int(o.if_contains("ID"));
  if (id == 0) {
    return Status::Unavailable("etcd granted no lease");
  }
  return id;
}

StatusOr<int64_t> EtcdClient::KeepAlive(int64_t lease) {
  TANDEM_ASSIGN_OR_RETURN(auto o, Call("/v3/lease/keepalive", {{"ID", std::to_string(lease)}}));
  const auto* result = o.if_contains("result");
  if (result == nullptr || !result->is_object()) {
    return Status::Unavailable("etcd answered a keepalive without a result");
  }
  return Int(result->as_object().if_contains("TTL"));
}

Status EtcdClient::Revoke(int64_t lease) {
  auto o = Call("/v3/lease/revoke", {{"ID", std::to_string(lease)}});
  if (!o.ok() && o.status().code() != Status::Code::kNotFound) {
    return o.status();
  }
  return Status::OK();
}

StatusOr<std::optional<EtcdClient::KeyValue>> EtcdClient::Get(const std::string& key) {
  TANDEM_ASSIGN_OR_RETURN(auto o, Call("/v3/kv/range", {{"key", Base64Encode(key)}}));
  return FirstKv(o);
}

Status EtcdClient::Put(const std::string& key, const std::string& value, int64_t lease) {
  boost::json::object body = OpJson({Op::Kind::kPut, key, value, lease})["request_put"].as_object();
  return Call("/v3/kv/put", body).status();
}

StatusOr<EtcdClient::TxnResult> EtcdClient::Txn(const std::vector<Compare>& compare,
                                                const std::vector<Op>& success,
                                                const std::vector<Op>& failure) {
  boost::json::array cmp, ok, fail;
  for (const Compare& c : compare) {
    boost::json::object j{{"key", Base64Encode(c.key)}, {"result", "EQUAL"}};
    switch (c.target) {
      case Compare::Target::kCreateRevision:
        j["target"] = "CREATE";
        j["create_revision"] = std::to_string(c.number);
        break;
      case Compare::Target::kLease:
        j["target"] = "LEASE";
        j["lease"] = std::to_string(c.number);
        break;
      case Compare::Target::kValue:
        j["target"] = "VALUE";
        j["value"] = Base64Encode(c.value);
        break;
    }
    cmp.push_back(std::move(j));
  }
  for (const Op& op : success) {
    ok.push_back(OpJson(op));
  }
  for (const Op& op : failure) {
    fail.push_back(OpJson(op));
  }
  TANDEM_ASSIGN_OR_RETURN(
      auto o, Call("/v3/kv/txn", {{"compare", cmp}, {"success", ok}, {"failure", fail}}));
  TxnResult result;
  const auto* succeeded = o.if_contains("succeeded");
  result.succeeded = succeeded != nullptr && succeeded->is_bool() && succeeded->as_bool();
  if (const auto* responses = o.if_contains("responses");
      responses != nullptr && responses->is_array()) {
    for (const auto& r : responses->as_array()) {
      const auto* ro = r.if_object();
      const auto* range = ro != nullptr ? ro->if_contains("response_range") : nullptr;
      if (range == nullptr || !range->is_object()) {
        continue;
      }
      TANDEM_ASSIGN_OR_RETURN(auto kv, FirstKv(range->as_object()));
      result.ranges.push_back(std::move(kv));
    }
  }
  return result;
}

}  // namespace tandem::control
