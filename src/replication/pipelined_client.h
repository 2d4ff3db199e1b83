// PipelinedClient: HTTP/1.1 POSTs to one peer node with several in flight at
// once on one keep-alive connection (pipelining), over plain TCP or TLS
// verified against a configured CA.
//
// A peer's server answers the requests of a connection one after another, in
// the order they arrived, so answers are matched to requests by position and
// the peer handles them in the order they were posted. The sender need not
// wait a round trip between requests: that is what keeps replication lag near
// half the round trip on a distant link.
//
// Post() queues a request and returns at once. Its answer, or the error that
// ended its connection, is passed to the callback on the client's own thread,
// in the order posted. When the connection fails, or no progress is made on
// it for `timeout` while requests are outstanding, every request not yet
// answered is answered with Unavailable, and the next Post opens a new
// connection. A connection the peer closes while idle is reopened quietly.
//
// Thread-safety: Post from any thread. The callback never runs concurrently
// with itself and must not block for long (it holds up the connection). The
// destructor stops the client's thread; requests not yet answered by then get
// no answer.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "auth/sigv4.h"
#include "common/status.h"
#include "replication/peer_client.h"

namespace tandem::replication {

class PipelinedClient {
 public:
  using Callback = std::function<void(uint64_t tag, StatusOr<HttpResponse> answer)>;

  // `ca_file` verifies https peers (empty: the system's default CAs).
  PipelinedClient(PeerUrl url, std::string ca_file, std::chrono::milliseconds timeout,
                  Callback callback);
  ~PipelinedClient();
  PipelinedClient(const PipelinedClient&) = delete;
  PipelinedClient& operator=(const PipelinedClient&) = delete;

  // Queues a POST of `body` to `path`; `tag` comes back with its answer.
  void Post(uint64_t tag, std::string path, std::vector<auth::OwnedHeader> headers,
            std::string body);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
  std::thread thread_;
};

}  // namespace tandem::replication
