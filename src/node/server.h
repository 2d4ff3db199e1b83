// Server: the node's HTTP/1.1 front end (DynamoDB JSON 1.0 API, /health,
// /metrics, GET / liveness).
//
// Protection comes before parsing, as in Alternator: a connection cap, a
// body-size cap (413), then the SigV4 signature, then JSON, then the
// operation. Each connection is served by its own thread with keep-alive;
// executing requests block that thread only, so concurrent writers share WAL
// syncs in the store. Stop() stops accepting, lets in-flight requests finish
// and closes idle connections. Thread-safe: Start/Stop/Wait from one owner
// thread; connections run on their own threads.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/io_context.hpp>

#include "auth/sigv4.h"
#include "common/clock.h"
#include "common/status.h"
#include "node/executor.h"
#include "node/metrics.h"
#include "storage/store.h"

namespace tandem::node {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8000;                  // 0 picks a free port
  size_t max_body_bytes = 16 << 20;      // larger requests get 413
  size_t max_connections = 4096;         // beyond: accepted and closed at once
};

class Server {
 public:
  Server(ServerOptions options, Executor* executor, const auth::SigV4Verifier* verifier,
         storage::Store* store, const Clock* clock);
  ~Server();

  // Binds and starts accepting. Fails with IOError naming the address.
  Status Start();
  uint16_t port() const { return bound_port_; }
  // Stops accepting, finishes in-flight requests, closes idle connections.
  void Stop();
  // Blocks until Stop() has completed and every connection thread ended.
  void Wait();

  Metrics& metrics() { return metrics_; }

  struct Reply {
    int status = 200;
    std::string content_type = "application/x-amz-json-1.0";
    std::string body;
    bool close = false;
  };
  // Handles one request (exposed for tests and fuzzing). `headers` are the
  // request's headers as received.
  Reply Handle(std::string_view method, std::string_view target,
               std::span<const auth::Header> headers, std::string_view body);

 private:
  void AcceptLoop();
  void Serve(uint64_t id, boost::asio::ip::tcp::socket socket);
  Reply HandleApi(std::span<const auth::Header> headers, std::string_view method,
                  std::string_view path, std::string_view query, std::string_view body);
  Reply HandleHealth();
  Reply HandleMetrics();

  ServerOptions options_;
  Executor* executor_;
  const auth::SigV4Verifier* verifier_;
  storage::Store* store_;
  const Clock* clock_;
  Metrics metrics_;

  boost::asio::io_context io_;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  uint16_t bound_port_ = 0;
  std::thread accept_thread_;
  std::atomic<bool> stopping_{false};

  std::mutex conn_mu_;
  std::condition_variable conn_cv_;
  std::map<uint64_t, boost::asio::ip::tcp::socket*> connections_;
  std::map<uint64_t, bool> busy_;  // connection id -> a request is executing
  uint64_t next_id_ = 0;
  size_t live_threads_ = 0;
};

}  // namespace tandem::node
