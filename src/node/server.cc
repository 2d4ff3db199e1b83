#include "node/server.h"

#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <boost/asio/ip/address.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/crc.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <poll.h>
#include <sys/socket.h>

#include "types/attribute_json.h"

namespace tandem::node {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;

namespace {

constexpr std::string_view kTargetPrefix = "DynamoDB_20120810.";
constexpr size_t kMaxJsonDepth = 128;  // item nesting (32) is checked by the types layer

std::string RequestId() {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  unsigned char raw[52];
  RAND_bytes(raw, sizeof(raw));
  std::string id(52, 'A');
  for (size_t i = 0; i < id.size(); ++i) id[i] = kAlphabet[raw[i] % 36];
  return id;
}

Server::Reply ErrorReply(const ApiError& e) {
  Server::Reply r;
  r.status = e.http_status;
  r.body = e.Body();
  return r;
}

// After refusing an oversized body, reads (and drops) what the client is
// still sending for a short while, so it sees the 413 instead of a reset.
void DrainBeforeClose(tcp::socket& socket) {
  beast::error_code ec;
  socket.shutdown(tcp::socket::shutdown_send, ec);
  const int fd = socket.native_handle();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  size_t drained = 0;
  char buf[64 * 1024];
  while (drained < (256u << 20) && std::chrono::steady_clock::now() < deadline) {
    pollfd pfd{fd, POLLIN, 0};
    if (::poll(&pfd, 1, 200) <= 0) continue;
    const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    drained += static_cast<size_t>(n);
  }
}

}  // namespace

Server::Server(ServerOptions options, Executor* executor, const auth::SigV4Verifier* verifier,
               storage::Store* store, const Clock* clock)
    : options_(std::move(options)),
      executor_(executor),
      verifier_(verifier),
      store_(store),
      clock_(clock) {}

Server::~Server() {
  Stop();
  Wait();
}

Status Server::Start() {
  beast::error_code ec;
  auto address = asio::ip::make_address(options_.host, ec);
  if (ec) return Status::InvalidArgument("invalid listen address '" + options_.host + "'");
  tcp::endpoint endpoint(address, options_.port);
  acceptor_ = std::make_unique<tcp::acceptor>(io_);
  acceptor_->open(endpoint.protocol(), ec);
  if (!ec) acceptor_->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_->bind(endpoint, ec);
  if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::IOError("cannot listen on " + options_.host + ":" +
                           std::to_string(options_.port) + ": " + ec.message());
  }
  bound_port_ = acceptor_->local_endpoint().port();
  accept_thread_ = std::thread([this] { AcceptLoop(); });
  return Status::OK();
}

void Server::AcceptLoop() {
  while (!stopping_.load()) {
    tcp::socket socket(io_);
    beast::error_code ec;
    acceptor_->accept(socket, ec);
    if (ec) {
      if (stopping_.load()) break;
      continue;
    }
    std::unique_lock<std::mutex> lock(conn_mu_);
    if (stopping_.load() || connections_.size() >= options_.max_connections) {
      socket.close(ec);
      continue;
    }
    const uint64_t id = ++next_id_;
    ++live_threads_;
    lock.unlock();
    socket.set_option(tcp::no_delay(true), ec);
    std::thread([this, id, s = std::move(socket)]() mutable { Serve(id, std::move(s)); }).detach();
  }
}

void Server::Stop() {
  if (stopping_.exchange(true)) return;
  beast::error_code ec;
  if (acceptor_) {
    // Closing a blocked accept() is not reliable; shut the socket down so the
    // accept returns, then close it.
    ::shutdown(acceptor_->native_handle(), SHUT_RDWR);
    acceptor_->close(ec);
  }
  if (accept_thread_.joinable()) accept_thread_.join();
  std::lock_guard<std::mutex> lock(conn_mu_);
  for (auto& [id, socket] : connections_) {
    // Ends a blocked read (idle keep-alive) with EOF; a request being
    // executed still writes its response.
    socket->shutdown(tcp::socket::shutdown_receive, ec);
  }
}

void Server::Wait() {
  std::unique_lock<std::mutex> lock(conn_mu_);
  conn_cv_.wait(lock, [this] { return live_threads_ == 0; });
}

void Server::Serve(uint64_t id, tcp::socket socket) {
  {
    std::lock_guard<std::mutex> lock(conn_mu_);
    connections_[id] = &socket;
    if (stopping_.load()) {
      beast::error_code ec;
      socket.shutdown(tcp::socket::shutdown_receive, ec);
    }
  }
  beast::flat_buffer buffer;
  std::vector<auth::Header> headers;
  while (true) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(options_.max_body_bytes);
    parser.header_limit(64 * 1024);
    beast::error_code ec;
    http::read(socket, buffer, parser, ec);
    if (ec == http::error::body_limit) {
      http::response<http::string_body> res{http::status::payload_too_large, 11};
      res.set(http::field::content_type, "text/plain");
      res.set(http::field::connection, "close");
      res.body() = "Request Entity Too Large";
      res.prepare_payload();
      http::write(socket, res, ec);
      DrainBeforeClose(socket);
      break;
    }
    if (ec) break;
    auto& req = parser.get();
    headers.clear();
    for (const auto& field : req) {
      headers.push_back({std::string_view(field.name_string().data(), field.name_string().size()),
                         std::string_view(field.value().data(), field.value().size())});
    }
    Reply reply = Handle(std::string_view(req.method_string().data(), req.method_string().size()),
                         std::string_view(req.target().data(), req.target().size()), headers,
                         req.body());
    http::response<http::string_body> res{static_cast<http::status>(reply.status), req.version()};
    const std::string request_id = RequestId();
    res.set("x-amzn-RequestId", request_id);
    boost::crc_32_type crc;
    crc.process_bytes(reply.body.data(), reply.body.size());
    res.set("x-amz-crc32", std::to_string(crc.checksum()));
    res.set(http::field::content_type, reply.content_type);
    const bool keep_alive = req.keep_alive() && !reply.close && !stopping_.load();
    res.keep_alive(keep_alive);
    res.body() = std::move(reply.body);
    res.prepare_payload();
    http::write(socket, res, ec);
    if (ec || !keep_alive) break;
  }
  beast::error_code ec;
  socket.shutdown(tcp::socket::shutdown_both, ec);
  std::lock_guard<std::mutex> lock(conn_mu_);
  connections_.erase(id);
  socket.close(ec);
  --live_threads_;
  conn_cv_.notify_all();
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
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const Metrics::Outcome outcome = reply.status >= 500   ? Metrics::kServerError
                                     : reply.status >= 400 ? Metrics::kClientError
                                                           : Metrics::kSuccess;
    metrics_.Record(op, outcome, seconds);
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
                                             auth_result.error->type,
                                             auth_result.error->message)));
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
  if (st.ok()) {
    body["status"] = "ok";
    body["tables"] = store_->ListTables().size();
    body["message"] = "All systems nominal.";
  } else {
    r.status = 503;
    body["status"] = "error";
    body["reason"] = "storage canary failed: " + st.message();
  }
  r.body = json::serialize(body);
  return r;
}

Server::Reply Server::HandleMetrics() {
  std::string extra;
  extra += "# HELP tandem_items Items per table (live, excluding tombstones).\n";
  extra += "# TYPE tandem_items gauge\n";
  std::string sizes = "# HELP tandem_table_size_bytes Item bytes per table by DynamoDB's size rules.\n"
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
  Reply r;
  r.content_type = "text/plain; version=0.0.4";
  r.body = metrics_.Render(extra);
  return r;
}

}  // namespace tandem::node
