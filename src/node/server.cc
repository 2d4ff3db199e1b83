// Request handling of the Server: routing, the API edge, /health, /metrics.
// The network side (sessions, threads, shutdown) is in server_net.cc.
#include "node/server.h"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <chrono>

#include "types/attribute_json.h"

namespace tandem::node {
namespace json = boost::json;

namespace {

constexpr std::string_view kTargetPrefix = "DynamoDB_20120810.";
constexpr size_t kMaxJsonDepth = 128;  // item nesting (32) is checked by the types layer

Server::Reply ErrorReply(const ApiError& e) {
  Server::Reply r;
  r.status = e.http_status;
  r.body = e.Body();
  return r;
}

}  // namespace

bool Server::Blocks(std::string_view method, std::string_view target, std::string_view amz_target) {
  if (method == "GET" || method == "HEAD") return target.starts_with("/health");
  if (target.starts_with("/_tandem/")) return true;
  if (!amz_target.starts_with(kTargetPrefix)) return false;
  const std::string_view op = amz_target.substr(kTargetPrefix.size());
  static constexpr std::string_view kBlocking[] = {
      "PutItem",       "UpdateItem",        "DeleteItem",       "BatchWriteItem",
      "CreateTable",   "UpdateTable",       "DeleteTable",      "TagResource",
      "UntagResource", "CreateGlobalTable", "UpdateGlobalTable"};
  for (std::string_view b : kBlocking) {
    if (op == b) return true;
  }
  return false;
}

bool Server::WritesInline(std::string_view method, std::string_view target,
                          std::string_view amz_target) {
  if (method != "POST" || target.starts_with("/_tandem/") ||
      !amz_target.starts_with(kTargetPrefix)) {
    return false;
  }
  const std::string_view op = amz_target.substr(kTargetPrefix.size());
  return op == "PutItem" || op == "UpdateItem" || op == "DeleteItem";
}

Server::Reply Server::SyncFailedReply(const Status& status) {
  spdlog::error("WAL sync failed; answering 500 to the writes it covered: {}", status.ToString());
  return ErrorReply(ApiError::Internal());
}

Server::Reply Server::Handle(std::string_view method, std::string_view target,
                             std::span<const auth::Header> headers, std::string_view body) {
  std::string_view path = target;
  std::string_view query;
  if (auto q = target.find('?'); q != std::string_view::npos) {
    path = target.substr(0, q);
    query = target.substr(q + 1);
  }
  if (method == "GET" || method == "HEAD") {
    if (path == "/health") return HandleHealth();
    if (path == "/metrics") return HandleMetrics();
    if (path == "/") {
      Reply r;
      r.content_type = "text/plain";
      r.body = "healthy: dynamodb." + store_->region() + ".amazonaws.com ";
      return r;
    }
    Reply r;
    r.status = 404;
    r.content_type = "text/plain";
    r.body = "Not Found";
    return r;
  }
  if (method != "POST") {
    Reply r;
    r.status = 405;
    r.content_type = "text/plain";
    r.body = "Method Not Allowed";
    return r;
  }
  if (path == replication::kApplyPath || path == replication::kControlPath ||
      path == replication::kStatusPath) {
    Reply r;
    r.content_type = "application/json";
    if (replicator_ == nullptr) {
      r.status = 404;
      r.body = R"({"error":"this node has no peers configured"})";
      return r;
    }
    auto answer = path == replication::kApplyPath    ? replicator_->HandleApply(headers, body)
                  : path == replication::kStatusPath ? replicator_->HandleStatus(headers, body)
                                                     : replicator_->HandleControl(headers, body);
    r.status = answer.status;
    r.body = std::move(answer.body);
    return r;
  }
  return HandleApi(headers, method, path, query, body);
}

Server::Reply Server::HandleApi(std::span<const auth::Header> headers, std::string_view method,
                                std::string_view path, std::string_view query,
                                std::string_view body) {
  const auto started = std::chrono::steady_clock::now();
  std::string_view op = "Unknown";
  auto target = auth::FindHeader(headers, "x-amz-target");
  if (target && target->starts_with(kTargetPrefix)) op = target->substr(kTargetPrefix.size());

  auto finish = [&](Reply reply) {
    const Metrics::Outcome outcome = reply.status >= 500   ? Metrics::kServerError
                                     : reply.status >= 400 ? Metrics::kClientError
                                                           : Metrics::kSuccess;
    auto record = [this, started](std::string_view op, Metrics::Outcome outcome) {
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      metrics_.Record(op, outcome, seconds);
    };
    if (store_->DeferPending()) {
      // The latency a client sees includes the sync it waits for.
      reply.after_sync = [record, op = std::string(op), outcome](const Status& synced) {
        record(op, synced.ok() ? outcome : Metrics::kServerError);
      };
    } else {
      record(op, outcome);
    }
    return reply;
  };

  // DynamoDB's order of checks: media type, JSON, operation, then signature.
  auto content_type = auth::FindHeader(headers, "content-type");
  std::string_view media = content_type.value_or("");
  media = media.substr(0, media.find(';'));
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  if (!body.empty() && media != "application/x-amz-json-1.0" && media != "application/json") {
    Reply r;
    r.status = 404;
    r.content_type = "text/plain";
    r.body = "<UnknownOperationException/>\n";
    return finish(std::move(r));
  }
  json::parse_options opts;
  opts.max_depth = kMaxJsonDepth;
  boost::system::error_code ec;
  json::value parsed = json::parse(body, ec, {}, opts);
  if (ec || !parsed.is_object()) return finish(ErrorReply(ApiError::Serialization("")));
  if (!target || !target->starts_with(kTargetPrefix) || !Executor::Known(op)) {
    return finish(ErrorReply(ApiError::UnknownOperation()));
  }
  auth::HttpRequestView view{method, path, query, headers, body};
  auth::AuthResult auth_result = verifier_->Verify(view, clock_->Now());
  if (!auth_result.ok()) {
    metrics_.AddAuthFailure();
    spdlog::debug("refused request: {}: {}", auth_result.error->type, auth_result.error->message);
    return finish(ErrorReply(ApiError::Coral(auth_result.error->http_status,
                                             auth_result.error->type, auth_result.error->message)));
  }
  Executor::Response response = [&]() -> Executor::Response {
    try {
      return executor_->Execute(op, parsed.as_object());
    } catch (const std::exception& e) {
      // A request that slipped past validation must not take the node down.
      spdlog::error("{} failed unexpectedly: {}", op, e.what());
      return ApiError::Internal();
    }
  }();
  if (!response.ok()) return finish(ErrorReply(response.error()));
  Reply reply;
  reply.body = json::serialize(response.value());
  return finish(std::move(reply));
}

Server::Reply Server::HandleHealth() {
  Reply r;
  r.content_type = "application/json";
  Status st = store_->Canary();
  json::object body;
  body["region"] = store_->region();
  std::string reason;
  if (!st.ok()) {
    r.status = 503;
    body["status"] = "error";
    body["reason"] = "storage canary failed: " + st.message();
  } else if (replicator_ != nullptr && !replicator_->Ready(&reason)) {
    // A restarted region serves stale data until its peers' backlog toward
    // it is drained: DNS health checks must not send customers here yet.
    r.status = 503;
    body["status"] = "catching_up";
    body["reason"] = reason;
  } else {
    body["status"] = "ok";
    body["tables"] = store_->ListTables().size();
    body["message"] = "All systems nominal.";
  }
  r.body = json::serialize(body);
  return r;
}

Server::Reply Server::HandleMetrics() {
  std::string extra;
  extra += "# HELP tandem_items Items per table (live, excluding tombstones).\n";
  extra += "# TYPE tandem_items gauge\n";
  std::string sizes =
      "# HELP tandem_table_size_bytes Item bytes per table by DynamoDB's size rules.\n"
      "# TYPE tandem_table_size_bytes gauge\n";
  for (const auto& t : store_->ListTables()) {
    const storage::TableStats stats = store_->Stats(t->id);
    extra += "tandem_items{table=\"" + t->name + "\"} " + std::to_string(stats.item_count) + "\n";
    sizes += "tandem_table_size_bytes{table=\"" + t->name + "\"} " +
             std::to_string(stats.size_bytes) + "\n";
  }
  extra += sizes;
  extra += "# HELP tandem_storage_bytes Bytes in SST files and memtables.\n";
  extra += "# TYPE tandem_storage_bytes gauge\n";
  extra += "tandem_storage_bytes " + std::to_string(store_->DiskBytes()) + "\n";
  extra += "# HELP tandem_changelog_sequence Last committed change-log sequence number.\n";
  extra += "# TYPE tandem_changelog_sequence gauge\n";
  extra += "tandem_changelog_sequence " + std::to_string(store_->CommittedSeq()) + "\n";
  extra +=
      "# HELP tandem_changelog_trimmed_below Change-log records below this sequence were "
      "deleted once every peer had them (since this start).\n";
  extra += "# TYPE tandem_changelog_trimmed_below gauge\n";
  extra +=
      "tandem_changelog_trimmed_below " + std::to_string(store_->ChangeLogTrimmedBelow()) + "\n";
  if (replicator_ != nullptr) extra += replicator_->RenderMetrics();
  Reply r;
  r.content_type = "text/plain; version=0.0.4";
  r.body = metrics_.Render(extra);
  return r;
}

}  // namespace tandem::node
