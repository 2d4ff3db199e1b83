#include "up/readiness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "probe/http_client.h"
#include "probe/url.h"

namespace tandem::up {
namespace {

constexpr size_t kMaxBodyQuoted = 200;

// A socket address for `host`:`port`; false when host is not an IP address.
bool MakeAddress(const std::string& host, uint16_t port, sockaddr_storage* out, socklen_t* len) {
  std::memset(out, 0, sizeof(*out));
  auto* v4 = reinterpret_cast<sockaddr_in*>(out);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    *len = sizeof(sockaddr_in);
    return true;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(out);
  if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    *len = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

std::string HostForUrl(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

// Closes a descriptor at scope exit.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

Status CheckHttp(const ReadyCheck& c, std::chrono::milliseconds timeout) {
  auto url = probe::ParseUrl("http://" + HostForUrl(c.endpoint.host) + ":" +
                             std::to_string(c.endpoint.port) + c.path);
  if (!url.ok()) return url.status();
  probe::Network network(nullptr, false);
  probe::HttpConnection connection(&network, *url);
  probe::HttpRequest request;
  request.target = url->target;
  auto response = connection.RoundTrip(request, std::chrono::steady_clock::now() + timeout, false);
  if (!response.ok()) return Status::Unavailable(response.status().message());
  std::string body = response->body;
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
  if (body.size() > kMaxBodyQuoted) body = body.substr(0, kMaxBodyQuoted) + "...";
  if (response->status != 200) {
    return Status::Unavailable("HTTP " + std::to_string(response->status) + ": " + body);
  }
  if (!c.body_contains.empty() && response->body.find(c.body_contains) == std::string::npos) {
    return Status::Unavailable("\"" + c.body_contains + "\" not in the answer: " + body);
  }
  return Status::OK();
}

Status CheckDns(const ReadyCheck& c, std::chrono::milliseconds timeout) {
  sockaddr_storage addr;
  socklen_t len = 0;
  if (!MakeAddress(c.endpoint.host, c.endpoint.port, &addr, &len)) {
    return Status::InvalidArgument("not an IP address: " + c.endpoint.host);
  }
  Fd s{::socket(addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0)};
  if (s.fd < 0) return Status::Unavailable(std::string("socket: ") + std::strerror(errno));
  if (::connect(s.fd, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    return Status::Unavailable(std::string("connect: ") + std::strerror(errno));
  }
  const uint16_t id = static_cast<uint16_t>(
      ::getpid() ^ std::chrono::steady_clock::now().time_since_epoch().count());
  const std::string query = BuildQuery(id, c.dns_name, 1);
  if (::send(s.fd, query.data(), query.size(), 0) < 0) {
    return Status::Unavailable(std::string("send: ") + std::strerror(errno));
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{s.fd, POLLIN, 0};
    const int r = left.count() > 0 ? ::poll(&p, 1, static_cast<int>(left.count())) : 0;
    if (r == 0) {
      return Status::Unavailable("no answer within " + std::to_string(timeout.count()) + " ms");
    }
    if (r < 0 && errno == EINTR) continue;
    char buf[1500];
    const ssize_t n = ::recv(s.fd, buf, sizeof(buf), 0);
    if (n < 0) {
      // ECONNREFUSED: nothing listens yet (an ICMP port unreachable came back).
      return Status::Unavailable(std::string("no answer: ") + std::strerror(errno));
    }
    Status st = CheckDnsResponse(std::string(buf, static_cast<size_t>(n)), id);
    if (st.code() != Status::Code::kNotFound) return st;  // NotFound: another query's answer
  }
}

Status CheckFile(const ReadyCheck& c) {
  std::error_code ec;
  const uintmax_t size = std::filesystem::file_size(c.file, ec);
  if (ec) return Status::Unavailable("no file yet (" + ec.message() + ")");
  const uint64_t from = size < c.file_from ? 0 : c.file_from;
  std::ifstream in(c.file, std::ios::binary);
  if (!in) return Status::Unavailable("cannot open it: " + std::string(std::strerror(errno)));
  in.seekg(static_cast<std::streamoff>(from));
  char buf[4096];
  while (in.read(buf, sizeof(buf)) || in.gcount() > 0) {
    if (std::memchr(buf, '\n', static_cast<size_t>(in.gcount())) != nullptr) return Status::OK();
  }
  return Status::Unavailable("no new line yet (" + std::to_string(size) + " bytes)");
}

}  // namespace

ReadyCheck NewLineIn(const std::string& path) {
  ReadyCheck c;
  c.kind = ReadyCheck::Kind::kFile;
  c.file = path;
  std::error_code ec;
  const uintmax_t size = std::filesystem::file_size(path, ec);
  c.file_from = ec ? 0 : static_cast<uint64_t>(size);
  return c;
}

std::string Endpoint::ToString() const {
  return HostForUrl(host) + ":" + std::to_string(port) + (udp ? "/udp" : "");
}

std::string ReadyCheck::Describe() const {
  switch (kind) {
    case Kind::kNone:
      return "(started)";
    case Kind::kHttp:
      return "GET http://" + endpoint.ToString() + path;
    case Kind::kDns:
      return "A " + dns_name + " @" + endpoint.ToString();
    case Kind::kFile:
      return "a new line in " + file;
  }
  return "?";
}

Status CheckReady(const ReadyCheck& check, std::chrono::milliseconds timeout) {
  switch (check.kind) {
    case ReadyCheck::Kind::kNone:
      return Status::OK();
    case ReadyCheck::Kind::kHttp:
      return CheckHttp(check, timeout);
    case ReadyCheck::Kind::kDns:
      return CheckDns(check, timeout);
    case ReadyCheck::Kind::kFile:
      return CheckFile(check);
  }
  return Status::Internal("unknown readiness check");
}

Status CheckFree(const Endpoint& endpoint) {
  sockaddr_storage addr;
  socklen_t len = 0;
  if (!MakeAddress(endpoint.host, endpoint.port, &addr, &len)) {
    return Status::InvalidArgument("not an IP address: " + endpoint.host);
  }
  Fd s{::socket(addr.ss_family, (endpoint.udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0)};
  if (s.fd < 0) return Status::IOError(std::string("socket: ") + std::strerror(errno));
  if (!endpoint.udp) {
    const int one = 1;
    ::setsockopt(s.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  }
  if (::bind(s.fd, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    return Status::FailedPrecondition(endpoint.ToString() + " is already in use (" +
                                      std::strerror(errno) + ")");
  }
  return Status::OK();
}

std::string BuildQuery(uint16_t id, const std::string& name, uint16_t qtype) {
  std::string q;
  q.push_back(static_cast<char>(id >> 8));
  q.push_back(static_cast<char>(id & 0xFF));
  q.append("\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00", 10);  // flags 0, QDCOUNT 1
  size_t start = 0;
  while (start < name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    if (dot > start) {
      q.push_back(static_cast<char>(dot - start));
      q.append(name, start, dot - start);
    }
    start = dot + 1;
  }
  q.push_back('\0');
  q.push_back(static_cast<char>(qtype >> 8));
  q.push_back(static_cast<char>(qtype & 0xFF));
  q.append("\x00\x01", 2);  // IN
  return q;
}

Status CheckDnsResponse(const std::string& r, uint16_t id) {
  auto byte = [&r](size_t i) { return static_cast<uint8_t>(r[i]); };
  if (r.size() < 12) return Status::Unavailable("a DNS answer shorter than its header");
  if ((byte(0) << 8 | byte(1)) != id) return Status::NotFound("an answer to another query");
  if ((byte(2) & 0x80) == 0) return Status::Unavailable("a DNS message that is not a response");
  static const char* kRcodes[] = {"NOERROR",  "FORMERR", "SERVFAIL",
                                  "NXDOMAIN", "NOTIMP",  "REFUSED"};
  const int rcode = byte(3) & 0x0F;
  if (rcode != 0) {
    return Status::Unavailable(rcode < 6 ? kRcodes[rcode] : "rcode " + std::to_string(rcode));
  }
  if ((byte(6) << 8 | byte(7)) == 0) return Status::Unavailable("NOERROR without an answer");
  return Status::OK();
}

}  // namespace tandem::up
