// Resolver: name lookups for the probes of checks that give a `host` and no
// `ip` (Route 53's fully qualified domain name, resolved at every probe).
//
// A lookup is part of its probe and bounded by the probe's timeout, but the
// system resolver (getaddrinfo) can neither be cancelled nor bounded. So
// lookups never run on the probes' thread: ThreadedResolver runs each on a
// thread of its own, one per host name at a time (a probe asking for a name
// already being looked up waits for that lookup), and a probe that gives up
// abandons its lookup and never hears of it again. One slow name thus holds
// up only the probes that need it, and only until their timeouts.
//
// Thread-safety: Resolve and Abandon may be called from any thread.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

namespace tandem::health {

class Resolver {
 public:
  using Addresses = std::vector<boost::asio::ip::address>;
  // Called once, on a thread of the resolver's (post the work elsewhere):
  // the addresses (never empty), or NotFound/Unavailable with the reason.
  using Done = std::function<void(StatusOr<Addresses>)>;

  // A lookup in flight.
  class Lookup {
   public:
    virtual ~Lookup() = default;
    // When this returns, `done` is not running and will never be called.
    virtual void Abandon() = 0;
  };

  virtual ~Resolver() = default;
  virtual std::shared_ptr<Lookup> Resolve(const std::string& host, Done done) = 0;
};

// The blocking lookup a ThreadedResolver runs: the addresses of `host`, or
// an error with the reason.
using LookupFunction = std::function<StatusOr<Resolver::Addresses>(const std::string& host)>;

// getaddrinfo (TCP, any family).
StatusOr<Resolver::Addresses> SystemLookup(const std::string& host);

// Runs `lookup` on a detached thread per host name being looked up; callers
// for the same name share its result. Threads still blocked in `lookup` keep
// what they need alive, so the resolver may be destroyed at any time.
std::unique_ptr<Resolver> NewThreadedResolver(LookupFunction lookup = SystemLookup);

// A process-wide ThreadedResolver over SystemLookup.
Resolver* SystemResolver();

}  // namespace tandem::health
