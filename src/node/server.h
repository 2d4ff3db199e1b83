// Server: the node's HTTP/1.1 front end (DynamoDB JSON 1.0 API, /health,
// /metrics, GET / liveness), over plain TCP or, when given a certificate and
// key (ServerOptions::tls), over TLS only (tls.h).
//
// Protection comes before parsing, as in Alternator: a connection cap, a
// body-size cap (413), then the media type, JSON, operation and SigV4
// signature, then the operation itself.
//
// Threading: an Asio event loop on a few I/O threads owns every connection
// (keep-alive, no thread per connection). Reads (GetItem, Query, Scan, ...)
// run inline on the I/O thread that received them: they never block on the
// disk for long. So do single-item writes (PutItem, UpdateItem, DeleteItem):
// they are written without a WAL sync and answered when the store's syncer
// thread has synced them, many writes per sync. Other writes and the health
// canary block until their WAL record is synced, so they run on a separate
// pool of writer threads (RocksDB's group commit) while the I/O threads keep
// serving. Stop() stops accepting, lets in-flight requests finish
// and closes idle connections. Start/Stop/Wait are called from one owner
// thread; Handle() is thread-safe.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "auth/sigv4.h"
#include "common/clock.h"
#include "common/status.h"
#include "node/executor.h"
#include "node/metrics.h"
#include "node/tls.h"
#include "replication/replicator.h"
#include "storage/store.h"

namespace tandem::node {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8000;              // 0 picks a free port
  size_t max_body_bytes = 16 << 20;  // larger requests get 413
  size_t max_connections = 4096;     // beyond: accepted and closed at once
  size_t io_threads = 0;             // 0: one per core
  size_t writer_threads = 64;        // concurrent blocking writes (group commit width)
  TlsFiles tls;                      // both set: serve HTTPS only; both empty: plain HTTP
  // A TLS connection that has not completed its handshake by then is closed.
  std::chrono::milliseconds tls_handshake_timeout{10'000};
};

class SessionBase;

class Server {
 public:
  Server(ServerOptions options, Executor* executor, const auth::SigV4Verifier* verifier,
         storage::Store* store, const Clock* clock);
  ~Server();

  // Loads the TLS certificate and key if configured, binds and starts
  // accepting. Fails with InvalidArgument naming the file when the
  // certificate or key cannot be used, IOError naming the address when it
  // cannot listen.
  Status Start();
  uint16_t port() const { return bound_port_; }
  // "https" when serving TLS, else "http".
  const char* scheme() const { return tls_ ? "https" : "http"; }
  // Stops accepting, finishes in-flight requests, closes idle connections.
  void Stop();
  // Blocks until Stop() has completed: connections closed, threads joined.
  void Wait();

  Metrics& metrics() { return metrics_; }
  // Serves peers' replication requests with `replicator` (not owned; set
  // before Start()).
  void set_replicator(replication::Replicator* replicator) { replicator_ = replicator; }

  struct Reply {
    int status = 200;
    std::string content_type = "application/x-amz-json-1.0";
    std::string body;
    bool close = false;
    // Set for a write that waits for its WAL sync (WritesInline): records
    // the request's metrics once the sync is done, with its status.
    std::function<void(const Status&)> after_sync;
  };
  // Handles one request (exposed for tests and fuzzing). `headers` are the
  // request's headers as received.
  Reply Handle(std::string_view method, std::string_view target,
               std::span<const auth::Header> headers, std::string_view body);

  // Whether a request must run on the writer pool (it waits for a WAL sync).
  static bool Blocks(std::string_view method, std::string_view target, std::string_view amz_target);
  // Whether a request is a single-item write that runs on its I/O thread and
  // is answered after the store's deferred sync (storage::Store::DeferSync).
  static bool WritesInline(std::string_view method, std::string_view target,
                           std::string_view amz_target);
  // The answer to a write whose WAL sync failed: a 500 InternalServerError,
  // since the write may or may not survive a power loss.
  static Reply SyncFailedReply(const Status& status);

 private:
  template <class Stream>
  friend class Session;
  void DoAccept();
  void SessionEnded(SessionBase* session);
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
  replication::Replicator* replicator_ = nullptr;

  std::unique_ptr<boost::asio::ssl::context> tls_;  // null: plain HTTP
  boost::asio::io_context io_;
  std::unique_ptr<boost::asio::thread_pool> writers_;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  std::vector<std::thread> io_threads_;
  uint16_t bound_port_ = 0;
  std::atomic<bool> stopping_{false};
  bool waited_ = false;

  std::mutex sessions_mu_;
  std::map<SessionBase*, std::weak_ptr<SessionBase>> sessions_;
};

}  // namespace tandem::node
