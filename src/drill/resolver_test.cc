#include "drill/resolver.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

// libknot's headers have no extern "C" of their own.
extern "C" {
#include <libknot/libknot.h>
}

#include <atomic>
#include <functional>
#include <optional>
#include <thread>

namespace tandem::drill {
namespace {

using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

struct Record {
  std::string owner;
  uint16_t type = KNOT_RRTYPE_A;
  uint32_t ttl = 60;
  std::string value;  // an IPv4 address (A) or a name (CNAME)
};

// The response to `query` built with libknot: `rcode`, `answers`, TC when
// `truncated`; `id_delta` is added to the query's id.
std::string Respond(const std::string& query, int rcode, const std::vector<Record>& answers,
                    bool truncated = false, int id_delta = 0) {
  std::string q = query;
  knot_pkt_t* parsed = knot_pkt_new(q.data(), static_cast<uint16_t>(q.size()), nullptr);
  EXPECT_EQ(knot_pkt_parse(parsed, 0), KNOT_EOK);
  knot_pkt_t* resp = knot_pkt_new(nullptr, 4096, nullptr);
  EXPECT_EQ(knot_pkt_init_response(resp, parsed), KNOT_EOK);
  knot_wire_set_rcode(resp->wire, static_cast<short>(rcode));
  knot_wire_set_id(resp->wire, static_cast<uint16_t>(knot_wire_get_id(resp->wire) + id_delta));
  if (truncated) {
    knot_wire_set_tc(resp->wire);
  }
  knot_pkt_begin(resp, KNOT_ANSWER);
  for (const Record& r : answers) {
    // The packet takes the owner and the RDATA (KNOT_PF_FREE).
    knot_rrset_t rrset;
    knot_rrset_init(&rrset, knot_dname_from_str_alloc(r.owner.c_str()), r.type, KNOT_CLASS_IN,
                    r.ttl);
    knot_rrset_t* rr = &rrset;
    if (r.type == KNOT_RRTYPE_A) {
      uint8_t addr[4];
      EXPECT_EQ(inet_pton(AF_INET, r.value.c_str(), addr), 1);
      knot_rrset_add_rdata(rr, addr, 4, nullptr);
    } else {
      knot_dname_t* target = knot_dname_from_str_alloc(r.value.c_str());
      knot_rrset_add_rdata(rr, target, static_cast<uint16_t>(knot_dname_size(target)), nullptr);
      knot_dname_free(target, nullptr);
    }
    EXPECT_EQ(knot_pkt_put(resp, KNOT_COMPR_HINT_NONE, rr, KNOT_PF_FREE), KNOT_EOK);
  }
  std::string out(reinterpret_cast<const char*>(resp->wire), resp->size);
  knot_pkt_free(resp);
  knot_pkt_free(parsed);
  return out;
}

// A DNS server on 127.0.0.1 (UDP and TCP on one port) that answers each
// query with what `handler` returns (several datagrams over UDP; the first
// over TCP; nothing: no answer).
class FakeDnsServer {
 public:
  using Handler = std::function<std::vector<std::string>(const std::string& query, bool tcp)>;

  explicit FakeDnsServer(Handler handler) : handler_(std::move(handler)) {
    for (int attempt = 0; attempt < 20 && tcp_ < 0; ++attempt) {
      udp_ = Bind(SOCK_DGRAM, 0);
      tcp_ = Bind(SOCK_STREAM, port_);
      if (tcp_ < 0) {
        ::close(udp_);
      }
    }
    EXPECT_GE(tcp_, 0);
    ::listen(tcp_, 4);
    thread_ = std::thread([this] { Serve(); });
  }
  ~FakeDnsServer() {
    stop_ = true;
    thread_.join();
    ::close(udp_);
    ::close(tcp_);
  }

  DnsServerAddress address() const { return {"127.0.0.1", port_}; }
  int udp_queries() const { return udp_queries_.load(); }
  int tcp_queries() const { return tcp_queries_.load(); }

 private:
  int Bind(int type, uint16_t port) {
    int fd = ::socket(AF_INET, type, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
      ::close(fd);
      return -1;
    }
    socklen_t len = sizeof(a);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    return fd;
  }

  void Serve() {
    while (!stop_) {
      pollfd p[2] = {{udp_, POLLIN, 0}, {tcp_, POLLIN, 0}};
      if (::poll(p, 2, 20) <= 0) {
        continue;
      }
      if (p[0].revents & POLLIN) {
        char buf[4096];
        sockaddr_storage from{};
        socklen_t len = sizeof(from);
        ssize_t n = ::recvfrom(udp_, buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&from), &len);
        ++udp_queries_;
        for (const std::string& r : handler_(std::string(buf, static_cast<size_t>(n)), false)) {
          ::sendto(udp_, r.data(), r.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
        }
      }
      if (p[1].revents & POLLIN) {
        ServeTcp(::accept(tcp_, nullptr, nullptr));
      }
    }
  }

  void ServeTcp(int fd) {
    uint8_t len[2];
    if (::recv(fd, len, 2, MSG_WAITALL) == 2) {
      std::string query(static_cast<size_t>(len[0] << 8 | len[1]), '\0');
      ::recv(fd, query.data(), query.size(), MSG_WAITALL);
      ++tcp_queries_;
      auto answers = handler_(query, true);
      if (!answers.empty()) {
        std::string framed = {static_cast<char>(answers[0].size() >> 8),
                              static_cast<char>(answers[0].size() & 0xFF)};
        framed += answers[0];
        ::send(fd, framed.data(), framed.size(), MSG_NOSIGNAL);
      }
    }
    ::close(fd);
  }

  Handler handler_;
  int udp_ = -1;
  int tcp_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> udp_queries_{0};
  std::atomic<int> tcp_queries_{0};
  std::thread thread_;
};

constexpr char kName[] = "www.shop.example.";

FakeDnsServer::Handler Always(int rcode, std::vector<Record> answers) {
  return [=](const std::string& q, bool) { return std::vector{Respond(q, rcode, answers)}; };
}

TEST(Resolver, ParsesARecordsAndTheSmallestTtl) {
  FakeDnsServer server(
      Always(KNOT_RCODE_NOERROR, {{"WWW.shop.example.", KNOT_RRTYPE_A, 30, "127.0.0.2"},
                                  {kName, KNOT_RRTYPE_A, 20, "127.0.0.3"}}));
  Resolver resolver({server.address()}, milliseconds(500));
  auto r = resolver.LookupA("www.Shop.example.");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->addresses, (std::vector<std::string>{"127.0.0.2", "127.0.0.3"}));
  EXPECT_EQ(r->ttl_s, 20u);
  EXPECT_EQ(r->server, "127.0.0.1:" + std::to_string(server.address().port));
  EXPECT_FALSE(r->from_cache);
}

TEST(Resolver, FollowsACnameInTheAnswer) {
  FakeDnsServer server(
      Always(KNOT_RCODE_NOERROR, {{kName, KNOT_RRTYPE_CNAME, 10, "east.shop.example."},
                                  {"other.example.", KNOT_RRTYPE_A, 60, "10.9.9.9"},
                                  {"east.shop.example.", KNOT_RRTYPE_A, 60, "10.0.0.1"}}));
  Resolver resolver({server.address()}, milliseconds(500));
  auto r = resolver.LookupA(kName);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->addresses, std::vector<std::string>{"10.0.0.1"});
  EXPECT_EQ(r->ttl_s, 10u);
}

TEST(Resolver, NxdomainAndNodataAreNotFound) {
  FakeDnsServer nx(Always(KNOT_RCODE_NXDOMAIN, {}));
  auto r = Resolver({nx.address()}, milliseconds(500)).LookupA(kName);
  EXPECT_EQ(r.status().code(), Status::Code::kNotFound);
  EXPECT_NE(r.status().message().find("NXDOMAIN"), std::string::npos) << r.status().message();

  FakeDnsServer nodata(
      Always(KNOT_RCODE_NOERROR, {{"mail.shop.example.", KNOT_RRTYPE_A, 5, "10.0.0.5"}}));
  r = Resolver({nodata.address()}, milliseconds(500)).LookupA(kName);
  EXPECT_EQ(r.status().code(), Status::Code::kNotFound);
  EXPECT_NE(r.status().message().find("NODATA"), std::string::npos) << r.status().message();
}

TEST(Resolver, ASilentServerCostsItsTimeoutThenTheNextAnswersAndIsPreferred) {
  // A bound UDP socket nobody reads: queries vanish.
  FakeDnsServer silent([](const std::string&, bool) { return std::vector<std::string>{}; });
  FakeDnsServer good(Always(KNOT_RCODE_NOERROR, {{kName, KNOT_RRTYPE_A, 1, "127.0.0.9"}}));
  Resolver resolver({silent.address(), good.address()}, milliseconds(200));

  auto start = SteadyClock::now();
  auto r = resolver.LookupA(kName);
  auto took = SteadyClock::now() - start;
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->addresses, std::vector<std::string>{"127.0.0.9"});
  EXPECT_EQ(r->server, good.address().ToString());
  EXPECT_GE(took, milliseconds(190));
  EXPECT_LT(took, milliseconds(800));
  EXPECT_EQ(silent.udp_queries(), 1);

  // The next lookup starts with the server that answered.
  start = SteadyClock::now();
  ASSERT_TRUE(resolver.LookupA(kName).ok());
  EXPECT_LT(SteadyClock::now() - start, milliseconds(150));
  EXPECT_EQ(silent.udp_queries(), 1);
}

TEST(Resolver, UnavailableNamesEveryServersFailure) {
  FakeDnsServer servfail(Always(KNOT_RCODE_SERVFAIL, {}));
  FakeDnsServer garbage([](const std::string& q, bool) {
    std::string r = Respond(q, KNOT_RCODE_NOERROR, {{kName, KNOT_RRTYPE_A, 5, "10.0.0.1"}});
    return std::vector{r.substr(0, r.size() - 3)};  // cut inside the A record
  });
  Resolver resolver({servfail.address(), garbage.address()}, milliseconds(300));
  auto r = resolver.LookupA(kName);
  ASSERT_EQ(r.status().code(), Status::Code::kUnavailable);
  const std::string& m = r.status().message();
  EXPECT_NE(m.find(servfail.address().ToString() + ": SERVFAIL"), std::string::npos) << m;
  EXPECT_NE(m.find(garbage.address().ToString() + ": a malformed response"), std::string::npos)
      << m;
}

TEST(Resolver, AClosedPortFailsFast) {
  // A port nobody listens on answers with ICMP port unreachable.
  uint16_t closed = 0;
  {
    FakeDnsServer gone([](const std::string&, bool) { return std::vector<std::string>{}; });
    closed = gone.address().port;
  }
  FakeDnsServer good(Always(KNOT_RCODE_NOERROR, {{kName, KNOT_RRTYPE_A, 1, "127.0.0.9"}}));
  Resolver resolver({{"127.0.0.1", closed}, good.address()}, milliseconds(2000));
  const auto start = SteadyClock::now();
  auto r = resolver.LookupA(kName);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_LT(SteadyClock::now() - start, milliseconds(1000));

  auto dead = Resolver({{"127.0.0.1", closed}}, milliseconds(2000)).LookupA(kName);
  EXPECT_EQ(dead.status().code(), Status::Code::kUnavailable);
  EXPECT_NE(dead.status().message().find("Connection refused"), std::string::npos)
      << dead.status().message();
}

TEST(Resolver, IgnoresAnAnswerWithAnotherIdAndTakesTheRightOne) {
  FakeDnsServer server([](const std::string& q, bool) {
    return std::vector{Respond(q, KNOT_RCODE_NOERROR, {{kName, KNOT_RRTYPE_A, 5, "6.6.6.6"}}, false,
                               /*id_delta=*/1),
                       Respond(q, KNOT_RCODE_NOERROR, {{kName, KNOT_RRTYPE_A, 5, "10.0.0.1"}})};
  });
  auto r = Resolver({server.address()}, milliseconds(500)).LookupA(kName);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->addresses, std::vector<std::string>{"10.0.0.1"});
}

TEST(Resolver, TruncatedOverUdpRetriesOverTcp) {
  FakeDnsServer server([](const std::string& q, bool tcp) {
    if (!tcp) {
      return std::vector{Respond(q, KNOT_RCODE_NOERROR, {}, /*truncated=*/true)};
    }
    return std::vector{Respond(q, KNOT_RCODE_NOERROR, {{kName, KNOT_RRTYPE_A, 7, "10.0.0.7"}})};
  });
  auto r = Resolver({server.address()}, milliseconds(500)).LookupA(kName);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->addresses, std::vector<std::string>{"10.0.0.7"});
  EXPECT_EQ(r->ttl_s, 7u);
  EXPECT_EQ(server.udp_queries(), 1);
  EXPECT_EQ(server.tcp_queries(), 1);
}

TEST(Resolver, RefusesARelativeName) {
  FakeDnsServer server(Always(KNOT_RCODE_NOERROR, {}));
  auto r = Resolver({server.address()}, milliseconds(100)).LookupA("www.shop.example");
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
}

class CountingResolver : public HostResolver {
 public:
  StatusOr<Resolution> LookupA(const std::string& name) override {
    ++calls;
    if (!next.ok()) {
      return next.status();
    }
    return *next;
  }
  int calls = 0;
  StatusOr<Resolution> next = Resolution{{"10.0.0.1"}, 5, "fake", false};
};

TEST(CachingResolver, KeepsTheAnswerForItsTtlAndNotLonger) {
  CountingResolver upstream;
  auto now = SteadyClock::time_point() + std::chrono::hours(1);
  CachingResolver cache(&upstream, [&now] { return now; });

  auto r = cache.LookupA(kName);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->from_cache);
  upstream.next = Resolution{{"10.0.0.2"}, 5, "fake", false};

  now += std::chrono::milliseconds(4999);
  r = cache.LookupA(kName);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->from_cache);
  EXPECT_EQ(r->addresses, std::vector<std::string>{"10.0.0.1"});
  EXPECT_EQ(upstream.calls, 1);

  now += std::chrono::milliseconds(1);
  r = cache.LookupA(kName);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->from_cache);
  EXPECT_EQ(r->addresses, std::vector<std::string>{"10.0.0.2"});
  EXPECT_EQ(upstream.calls, 2);
}

TEST(CachingResolver, DoesNotCacheFailuresOrTtlZero) {
  CountingResolver upstream;
  auto now = SteadyClock::time_point() + std::chrono::hours(1);
  CachingResolver cache(&upstream, [&now] { return now; });

  upstream.next = Status::Unavailable("down");
  EXPECT_FALSE(cache.LookupA(kName).ok());
  EXPECT_FALSE(cache.LookupA(kName).ok());
  EXPECT_EQ(upstream.calls, 2);

  upstream.next = Resolution{{"10.0.0.1"}, 0, "fake", false};
  EXPECT_TRUE(cache.LookupA(kName).ok());
  EXPECT_TRUE(cache.LookupA(kName).ok());
  EXPECT_EQ(upstream.calls, 4);
}

}  // namespace
}  // namespace tandem::drill
