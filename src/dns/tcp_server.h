// TcpServer: DNS over TCP (RFC 7766) for a DnsServer (internal to src/dns).
//
// One I/O thread (Boost.Asio) accepts connections and serves them: each
// message is a 2-byte length and the query; several queries may arrive in
// one read (pipelining) and are answered in order, their answers sent in
// one write. A length below 12 or a packet the responder drops closes the
// connection. A connection idle for the timeout is closed, as is every
// connection accepted beyond the cap.
//
// Thread-safety: Start and Stop from the owner; everything else happens on
// the I/O thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <thread>
#include <unordered_set>
#include <vector>

#include "common/snapshot.h"
#include "dns/metrics.h"
#include "dns/responder.h"
#include "dns/zone.h"

namespace tandem::dns {

class TcpConnection;

class TcpServer {
 public:
  struct Setup {
    size_t max_connections = 256;
    std::chrono::milliseconds idle_timeout{10000};
    const SnapshotCell<ZoneSet>* zones = nullptr;
    ResponderOptions responder;
    uint64_t seed = 0;
    DnsMetrics::Counters* counters = nullptr;
  };

  explicit TcpServer(const Setup& setup);
  ~TcpServer();
  TcpServer(const TcpServer&) = delete;
  TcpServer& operator=(const TcpServer&) = delete;

  // Binds and listens on `endpoint`; the error when it cannot.
  boost::system::error_code Listen(const boost::asio::ip::tcp::endpoint& endpoint);
  uint16_t port() const;
  // Starts the I/O thread (after Listen succeeded).
  void Start();
  // Closes the listener and every connection and joins the thread. Idempotent.
  void Stop();

 private:
  friend class TcpConnection;
  void Accept();
  // The current zones and a scratch buffer for one answer (I/O thread only).
  const ZoneSet& Zones();

  Setup setup_;
  Responder responder_;
  SnapshotCell<ZoneSet>::Reader reader_;
  std::vector<uint8_t> scratch_;             // one answer, up to 65535 bytes
  std::unordered_set<TcpConnection*> live_;  // I/O thread only
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer accept_retry_;  // after a failed accept (EMFILE, ...)
  std::thread thread_;
};

}  // namespace tandem::dns
