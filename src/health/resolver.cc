#include "health/resolver.h"

#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <system_error>
#include <thread>
#include <utility>

namespace tandem::health {
namespace {

// One caller waiting for a name.
class Waiter : public Resolver::Lookup {
 public:
  explicit Waiter(Resolver::Done done) : done_(std::move(done)) {}

  void Abandon() override {
    std::lock_guard lock(mu_);
    done_ = nullptr;
  }

  // Calls `done` unless abandoned; the lock keeps Abandon waiting meanwhile.
  void Deliver(const StatusOr<Resolver::Addresses>& result) {
    std::lock_guard lock(mu_);
    if (done_) {
      Resolver::Done done = std::exchange(done_, nullptr);
      done(result);
    }
  }

 private:
  std::mutex mu_;
  Resolver::Done done_;
};

// What the lookup threads share with the resolver (and outlive it with).
struct Shared {
  explicit Shared(LookupFunction f) : lookup(std::move(f)) {}
  const LookupFunction lookup;
  std::mutex mu;
  // The names being looked up, with the callers waiting for each.
  std::map<std::string, std::vector<std::shared_ptr<Waiter>>> pending;

  void Finish(const std::string& host, const StatusOr<Resolver::Addresses>& result) {
    std::vector<std::shared_ptr<Waiter>> waiters;
    {
      std::lock_guard lock(mu);
      auto node = pending.extract(host);
      if (!node.empty()) {
        waiters = std::move(node.mapped());
      }
    }
    for (const auto& waiter : waiters) {
      waiter->Deliver(result);
    }
  }
};

class ThreadedResolver : public Resolver {
 public:
  explicit ThreadedResolver(LookupFunction lookup)
      : shared_(std::make_shared<Shared>(std::move(lookup))) {}

  std::shared_ptr<Lookup> Resolve(const std::string& host, Done done) override {
    auto waiter = std::make_shared<Waiter>(std::move(done));
    bool first = false;
    {
      std::lock_guard lock(shared_->mu);
      auto& waiters = shared_->pending[host];
      first = waiters.empty();
      waiters.push_back(waiter);
    }
    if (!first) {
      return waiter;  // joins the lookup in flight
    }
    try {
      std::thread([shared = shared_, host] {
        shared->Finish(host, shared->lookup(host));
      }).detach();
    } catch (const std::system_error& e) {
      shared_->Finish(host, Status::Unavailable(std::string("no thread to resolve: ") + e.what()));
    }
    return waiter;
  }

 private:
  std::shared_ptr<Shared> shared_;
};

}  // namespace

StatusOr<Resolver::Addresses> SystemLookup(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &found);
  if (rc != 0) {
    return Status::NotFound(host + ": " + ::gai_strerror(rc));
  }
  Resolver::Addresses out;
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    boost::asio::ip::address address;
    if (a->ai_family == AF_INET) {
      const auto* in = reinterpret_cast<const sockaddr_in*>(a->ai_addr);
      boost::asio::ip::address_v4::bytes_type bytes;
      std::copy_n(reinterpret_cast<const unsigned char*>(&in->sin_addr), bytes.size(),
                  bytes.begin());
      address = boost::asio::ip::address_v4(bytes);
    } else if (a->ai_family == AF_INET6) {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(a->ai_addr);
      boost::asio::ip::address_v6::bytes_type bytes;
      std::copy_n(reinterpret_cast<const unsigned char*>(&in6->sin6_addr), bytes.size(),
                  bytes.begin());
      address = boost::asio::ip::address_v6(bytes, in6->sin6_scope_id);
    } else {
      continue;
    }
    if (std::find(out.begin(), out.end(), address) == out.end()) {
      out.push_back(address);
    }
  }
  ::freeaddrinfo(found);
  if (out.empty()) {
    return Status::NotFound(host + ": no address");
  }
  return out;
}

std::unique_ptr<Resolver> NewThreadedResolver(LookupFunction lookup) {
  return std::make_unique<ThreadedResolver>(std::move(lookup));
}

Resolver* SystemResolver() {
  // Never destroyed: lookups in flight may outlive main().
  static Resolver* const resolver = NewThreadedResolver().release();
  return resolver;
}

}  // namespace tandem::health
