#include "drill/resolver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

// libknot's headers have no extern "C" of their own.
extern "C" {
#include <libknot/libknot.h>
}

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>
#include <utility>

namespace tandem::drill {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr int kMaxCnameHops = 8;
constexpr size_t kMaxUdpSize = 65535;

// What one response says about the lookup.
struct Verdict {
  enum class Kind { kNotOurs, kTruncated, kAnswer, kNotFound, kFailure } kind = Kind::kFailure;
  Resolution resolution;  // kAnswer
  std::string reason;     // kNotFound, kFailure
};

Verdict Fail(std::string reason) { return {Verdict::Kind::kFailure, {}, std::move(reason)}; }

std::string RcodeName(int rcode) {
  static const char* kNames[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"};
  return rcode >= 0 && rcode < 6 ? kNames[rcode] : "rcode " + std::to_string(rcode);
}

std::string BuildQuery(uint16_t id, const knot_dname_t* qname) {
  // Without a buffer of its own, knot allocates one and clears its header.
  knot_pkt_t* pkt = knot_pkt_new(nullptr, KNOT_WIRE_MIN_PKTSIZE, nullptr);
  if (pkt == nullptr) {
    return "";
  }
  knot_wire_set_id(pkt->wire, id);
  knot_wire_set_rd(pkt->wire);  // harmless to an authoritative server, needed by a recursive one
  std::string out;
  if (knot_pkt_put_question(pkt, qname, KNOT_CLASS_IN, KNOT_RRTYPE_A) == KNOT_EOK) {
    out.assign(reinterpret_cast<const char*>(pkt->wire), pkt->size);
  }
  knot_pkt_free(pkt);
  return out;
}

// Collects the A records for `qname` from the parsed answer section,
// following CNAMEs within it.
Verdict ReadAnswer(const knot_pkt_t* pkt, const knot_dname_t* qname) {
  const knot_pktsection_t* answer = knot_pkt_section(pkt, KNOT_ANSWER);
  Resolution r;
  uint32_t ttl = UINT32_MAX;
  knot_dname_storage_t target;
  std::memcpy(target, qname, knot_dname_size(qname));
  for (int hop = 0; hop <= kMaxCnameHops; ++hop) {
    const knot_dname_t* cname = nullptr;
    uint32_t cname_ttl = 0;
    for (uint16_t i = 0; i < answer->count; ++i) {
      const knot_rrset_t* rr = knot_pkt_rr(answer, i);
      if (rr->rclass != KNOT_CLASS_IN || !knot_dname_is_case_equal(rr->owner, target)) {
        continue;
      }
      if (rr->type == KNOT_RRTYPE_CNAME && rr->rrs.count > 0) {
        cname = knot_cname_name(rr->rrs.rdata);
        cname_ttl = rr->ttl;
      } else if (rr->type == KNOT_RRTYPE_A) {
        knot_rdata_t* rd = rr->rrs.rdata;
        for (uint16_t j = 0; j < rr->rrs.count; ++j, rd = knot_rdataset_next(rd)) {
          if (rd->len != 4) {
            return Fail("an A record of " + std::to_string(rd->len) + " bytes");
          }
          char text[INET_ADDRSTRLEN];
          inet_ntop(AF_INET, rd->data, text, sizeof(text));
          r.addresses.emplace_back(text);
        }
        ttl = std::min(ttl, rr->ttl);
      }
    }
    if (!r.addresses.empty()) {
      r.ttl_s = ttl;
      return {Verdict::Kind::kAnswer, std::move(r), ""};
    }
    if (cname == nullptr) {
      break;
    }
    ttl = std::min(ttl, cname_ttl);
    std::memmove(target, cname, knot_dname_size(cname));
  }
  return {Verdict::Kind::kNotFound, {}, "NODATA (no A record)"};
}

// Judges the response `data` to query `id` for `qname` (lower case).
Verdict ReadResponse(const std::string& data, uint16_t id, const knot_dname_t* qname) {
  const auto* wire = reinterpret_cast<const uint8_t*>(data.data());
  if (data.size() < KNOT_WIRE_HEADER_SIZE || knot_wire_get_id(wire) != id ||
      !knot_wire_get_qr(wire)) {
    return {Verdict::Kind::kNotOurs, {}, ""};
  }
  if (knot_wire_get_opcode(wire) != KNOT_OPCODE_QUERY) {
    return Fail("a response with opcode " + std::to_string(knot_wire_get_opcode(wire)));
  }
  if (knot_wire_get_tc(wire)) {
    return {Verdict::Kind::kTruncated, {}, "truncated"};
  }
  std::string copy = data;  // knot parses in place
  knot_pkt_t* pkt = knot_pkt_new(copy.data(), static_cast<uint16_t>(copy.size()), /*mm=*/nullptr);
  if (pkt == nullptr) {
    return Fail("out of memory");
  }
  Verdict v;
  const int rc = knot_pkt_parse(pkt, 0);
  const int rcode = knot_wire_get_rcode(wire);
  if (rc != KNOT_EOK) {
    v = Fail(std::string("a malformed response (") + knot_strerror(rc) + ")");
  } else if (knot_wire_get_qdcount(wire) != 1 ||
             !knot_dname_is_case_equal(knot_pkt_qname(pkt), qname) ||
             knot_pkt_qtype(pkt) != KNOT_RRTYPE_A || knot_pkt_qclass(pkt) != KNOT_CLASS_IN) {
    v = Fail("an answer to another question");
  } else if (rcode == KNOT_RCODE_NXDOMAIN) {
    v = {Verdict::Kind::kNotFound, {}, "NXDOMAIN"};
  } else if (rcode != KNOT_RCODE_NOERROR) {
    v = Fail(RcodeName(rcode));
  } else {
    v = ReadAnswer(pkt, qname);
  }
  knot_pkt_free(pkt);
  return v;
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

struct SockAddr {
  sockaddr_storage storage{};
  socklen_t size = 0;
  int family = AF_INET;
};

StatusOr<SockAddr> ToSockAddr(const DnsServerAddress& server) {
  SockAddr a;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&a.storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.storage);
  if (inet_pton(AF_INET, server.host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(server.port);
    a.size = sizeof(*v4);
  } else if (inet_pton(AF_INET6, server.host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(server.port);
    a.size = sizeof(*v6);
    a.family = AF_INET6;
  } else {
    return Status::InvalidArgument("\"" + server.host + "\" is not an IP address");
  }
  return a;
}

std::string Errno(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

// Waits until `fd` is ready for `events` or `deadline`; false on timeout.
bool WaitFor(int fd, short events, SteadyClock::time_point deadline) {
  while (true) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now())
            .count();
    if (left <= 0) {
      return false;
    }
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, static_cast<int>(left) + 1);
    if (n > 0) {
      return true;
    }
    if (n < 0 && errno != EINTR) {
      return true;  // let the following call report the error
    }
  }
}

StatusOr<std::string> ExchangeUdp(const SockAddr& to, const std::string& query, uint16_t id,
                                  const knot_dname_t* qname, SteadyClock::time_point deadline,
                                  Verdict* verdict) {
  Fd fd(::socket(to.family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) {
    return Status::Unavailable(Errno("socket"));
  }
  // Connected, so the kernel drops datagrams from anyone else and reports
  // ICMP port unreachable as ECONNREFUSED.
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&to.storage), to.size) != 0) {
    return Status::Unavailable(Errno("connect"));
  }
  if (::send(fd.get(), query.data(), query.size(), 0) < 0) {
    return Status::Unavailable(Errno("send"));
  }
  std::string buf(kMaxUdpSize, '\0');
  while (WaitFor(fd.get(), POLLIN, deadline)) {
    const ssize_t n = ::recv(fd.get(), buf.data(), buf.size(), 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) {
        continue;
      }
      return Status::Unavailable(Errno("recv"));
    }
    *verdict = ReadResponse(buf.substr(0, static_cast<size_t>(n)), id, qname);
    if (verdict->kind != Verdict::Kind::kNotOurs) {
      return std::string("udp");
    }
  }
  return Status::Unavailable("no answer");
}

Status WriteAll(int fd, const std::string& data, SteadyClock::time_point deadline) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n > 0) {
      done += static_cast<size_t>(n);
    } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
      return Status::Unavailable(Errno("send"));
    } else if (!WaitFor(fd, POLLOUT, deadline)) {
      return Status::Unavailable("no answer");
    }
  }
  return Status::OK();
}

Status ReadExactly(int fd, size_t size, SteadyClock::time_point deadline, std::string* out) {
  out->assign(size, '\0');
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::recv(fd, out->data() + done, size - done, 0);
    if (n > 0) {
      done += static_cast<size_t>(n);
    } else if (n == 0) {
      return Status::Unavailable("the TCP connection closed mid-answer");
    } else if (errno != EAGAIN && errno != EINTR) {
      return Status::Unavailable(Errno("recv"));
    } else if (!WaitFor(fd, POLLIN, deadline)) {
      return Status::Unavailable("no answer");
    }
  }
  return Status::OK();
}

Status ExchangeTcp(const SockAddr& to, const std::string& query, uint16_t id,
                   const knot_dname_t* qname, SteadyClock::time_point deadline, Verdict* verdict) {
  Fd fd(::socket(to.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) {
    return Status::Unavailable(Errno("socket"));
  }
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&to.storage), to.size) != 0) {
    if (errno != EINPROGRESS) {
      return Status::Unavailable(Errno("TCP connect"));
    }
    if (!WaitFor(fd.get(), POLLOUT, deadline)) {
      return Status::Unavailable("TCP connect timed out");
    }
    int err = 0;
    socklen_t len = sizeof(err);
    ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      return Status::Unavailable(std::string("TCP connect: ") + std::strerror(err));
    }
  }
  std::string framed;
  framed.push_back(static_cast<char>(query.size() >> 8));
  framed.push_back(static_cast<char>(query.size() & 0xFF));
  framed += query;
  TANDEM_RETURN_IF_ERROR(WriteAll(fd.get(), framed, deadline));
  std::string length, message;
  TANDEM_RETURN_IF_ERROR(ReadExactly(fd.get(), 2, deadline, &length));
  const size_t size =
      static_cast<size_t>(static_cast<uint8_t>(length[0])) << 8 | static_cast<uint8_t>(length[1]);
  TANDEM_RETURN_IF_ERROR(ReadExactly(fd.get(), size, deadline, &message));
  *verdict = ReadResponse(message, id, qname);
  if (verdict->kind == Verdict::Kind::kNotOurs) {
    *verdict = Fail("a TCP answer to another query");
  } else if (verdict->kind == Verdict::Kind::kTruncated) {
    *verdict = Fail("a truncated TCP answer");
  }
  return Status::OK();
}

uint16_t RandomId() {
  thread_local std::mt19937 gen{std::random_device{}()};
  return static_cast<uint16_t>(gen());
}

// One server's verdict, or why it gave none.
Verdict Ask(const DnsServerAddress& server, const knot_dname_t* qname,
            std::chrono::milliseconds timeout) {
  auto to = ToSockAddr(server);
  if (!to.ok()) {
    return Fail(to.status().message());
  }
  const uint16_t id = RandomId();
  const std::string query = BuildQuery(id, qname);
  Verdict verdict;
  auto udp = ExchangeUdp(*to, query, id, qname, SteadyClock::now() + timeout, &verdict);
  if (!udp.ok()) {
    return Fail(udp.status().message() == "no answer"
                    ? "no answer within " + std::to_string(timeout.count()) + " ms"
                    : udp.status().message());
  }
  if (verdict.kind != Verdict::Kind::kTruncated) {
    return verdict;
  }
  Status tcp = ExchangeTcp(*to, query, id, qname, SteadyClock::now() + timeout, &verdict);
  if (!tcp.ok()) {
    return Fail("truncated over UDP, then over TCP: " + tcp.message());
  }
  return verdict;
}

}  // namespace

std::string DnsServerAddress::ToString() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Resolver::Resolver(std::vector<DnsServerAddress> servers,
                   std::chrono::milliseconds per_server_timeout)
    : servers_(std::move(servers)), timeout_(per_server_timeout) {}

StatusOr<Resolution> Resolver::LookupA(const std::string& name) {
  knot_dname_storage_t qname;
  if (name.empty() || name.back() != '.' ||
      knot_dname_from_str(qname, name.c_str(), sizeof(qname)) == nullptr) {
    return Status::InvalidArgument("\"" + name + "\" is not an absolute domain name");
  }
  knot_dname_to_lower(qname);
  if (servers_.empty()) {
    return Status::Unavailable("no DNS server to ask for " + name);
  }
  std::string failures;
  const size_t first = preferred_.load();
  for (size_t i = 0; i < servers_.size(); ++i) {
    const size_t index = (first + i) % servers_.size();
    const DnsServerAddress& server = servers_[index];
    Verdict v = Ask(server, qname, timeout_);
    if (v.kind == Verdict::Kind::kAnswer) {
      preferred_.store(index);
      v.resolution.server = server.ToString();
      return std::move(v.resolution);
    }
    if (v.kind == Verdict::Kind::kNotFound) {
      preferred_.store(index);
      return Status::NotFound(name + ": " + v.reason + " from " + server.ToString());
    }
    failures += (failures.empty() ? "" : "; ") + server.ToString() + ": " + v.reason;
  }
  return Status::Unavailable("no DNS server answered " + name + ": " + failures);
}

CachingResolver::CachingResolver(HostResolver* upstream, Now now)
    : upstream_(upstream), now_(now ? std::move(now) : Now(&SteadyClock::now)) {}

StatusOr<Resolution> CachingResolver::LookupA(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = cache_.find(name);
  if (it != cache_.end() && now_() < it->second.expires) {
    Resolution hit = it->second.resolution;
    hit.from_cache = true;
    return hit;
  }
  auto fresh = upstream_->LookupA(name);
  if (!fresh.ok()) {
    return fresh;
  }
  // The TTL counts from when the answer arrived.
  cache_[name] = Entry{*fresh, now_() + std::chrono::seconds(fresh->ttl_s)};
  fresh->from_cache = false;
  return fresh;
}

}  // namespace tandem::drill
