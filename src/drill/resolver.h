// How the drill's shop finds the service: A lookups of the failover name
// (www.shop.example.) sent straight to Tandem's DNS servers, the way a
// customer's stub resolver would, and a cache that keeps each answer for its
// TTL and not a moment longer or shorter.
//
//   Resolver         asks the servers in turn, like the nameserver lines of
//                    resolv.conf: starting with the last one that answered,
//                    each over UDP with its own timeout, again over TCP when
//                    the UDP answer is truncated. Messages are built and
//                    parsed with Knot's libknot.
//   CachingResolver  keeps each name's answer until its TTL expires on an
//                    injectable steady clock; a failing address is not a
//                    reason to ask again early (that is what the drill
//                    measures: the TTL is the client's floor on failover).
//
// Thread-safety: both resolvers may be called from any thread;
// CachingResolver serializes its lookups.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "common/status.h"

namespace tandem::drill {

struct DnsServerAddress {
  std::string host;  // an IPv4 or IPv6 address, without brackets
  uint16_t port = 53;

  std::string ToString() const;  // "127.0.0.2:5353", "[::1]:5353"
};

struct Resolution {
  std::vector<std::string> addresses;  // the A records, in the order received
  uint32_t ttl_s = 0;                  // the smallest TTL of the records used
  std::string server;                  // who answered: "127.0.0.2:5353"
  bool from_cache = false;             // set by CachingResolver on a hit
};

// Something that answers A queries; tests fake it.
class HostResolver {
 public:
  virtual ~HostResolver() = default;
  // The A records of the absolute name `name` ("www.shop.example."), CNAMEs
  // within the answer followed. NotFound for NXDOMAIN or NODATA; Unavailable
  // when no server gave an answer; InvalidArgument for a bad name.
  virtual StatusOr<Resolution> LookupA(const std::string& name) = 0;
};

class Resolver : public HostResolver {
 public:
  // Asks `servers` (at least one) with `per_server_timeout` each: a server
  // that never answers costs that long, one that truncates up to twice that
  // (UDP, then TCP), one whose port is closed (ICMP unreachable) next to
  // nothing. A SERVFAIL, REFUSED or malformed answer also moves on to the next
  // server; NXDOMAIN and NODATA end the lookup (they are answers).
  Resolver(std::vector<DnsServerAddress> servers, std::chrono::milliseconds per_server_timeout);

  // Unavailable's message names each server's failure:
  // "no DNS server answered www.shop.example.: 127.0.0.2:5353: no answer
  // within 300 ms; 127.0.0.3:5353: SERVFAIL".
  StatusOr<Resolution> LookupA(const std::string& name) override;

 private:
  std::vector<DnsServerAddress> servers_;
  std::chrono::milliseconds timeout_;
  std::atomic<size_t> preferred_{0};  // the last server that answered
};

class CachingResolver : public HostResolver {
 public:
  using Now = std::function<std::chrono::steady_clock::time_point()>;

  // `upstream` must outlive this. `now` (steady_clock::now when empty) is the
  // clock TTLs run on.
  explicit CachingResolver(HostResolver* upstream, Now now = nullptr);

  // A cached answer (from_cache set) while younger than its TTL, else the
  // upstream's, cached when it succeeded. Failures are not cached; a TTL of 0
  // is never reused. Holds a lock across the upstream lookup.
  StatusOr<Resolution> LookupA(const std::string& name) override;

 private:
  struct Entry {
    Resolution resolution;
    std::chrono::steady_clock::time_point expires;
  };
  HostResolver* upstream_;
  Now now_;
  std::mutex mu_;
  std::map<std::string, Entry> cache_;  // by name as asked
};

}  // namespace tandem::drill
