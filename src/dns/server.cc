#include "dns/server.h"

#include <netdb.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include "dns/metrics.h"
#include "dns/tcp_server.h"
#include "dns/udp_worker.h"

namespace tandem::dns {
namespace {

constexpr int kSocketBuffer = 4 << 20;

struct ListenAddress {
  sockaddr_storage addr{};
  socklen_t len = 0;
  bool wildcard = false;
};

// "HOST:PORT" or "[V6]:PORT" -> a socket address (hostnames resolved).
StatusOr<ListenAddress> ResolveListen(const std::string& listen) {
  std::string host;
  std::string_view port_text;
  if (!listen.empty() && listen[0] == '[') {
    const size_t close = listen.find(']');
    if (close == std::string::npos || close + 1 >= listen.size() || listen[close + 1] != ':') {
      return Status::InvalidArgument("bad listen address \"" + listen + "\" (want [V6]:PORT)");
    }
    host = listen.substr(1, close - 1);
    port_text = std::string_view(listen).substr(close + 2);
  } else {
    const size_t colon = listen.rfind(':');
    if (colon == std::string::npos || colon == 0) {
      return Status::InvalidArgument("bad listen address \"" + listen + "\" (want HOST:PORT)");
    }
    host = listen.substr(0, colon);
    port_text = std::string_view(listen).substr(colon + 1);
  }
  unsigned port = 0;
  auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || ptr != port_text.data() + port_text.size() ||
      port > 65535) {
    return Status::InvalidArgument("bad port in listen address \"" + listen + "\"");
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port_string = std::to_string(port);
  if (const int rc = getaddrinfo(host.c_str(), port_string.c_str(), &hints, &found); rc != 0) {
    return Status::InvalidArgument("cannot resolve listen host \"" + host +
                                   "\": " + gai_strerror(rc));
  }
  ListenAddress out;
  std::memcpy(&out.addr, found->ai_addr, found->ai_addrlen);
  out.len = found->ai_addrlen;
  freeaddrinfo(found);
  if (out.addr.ss_family == AF_INET) {
    out.wildcard = reinterpret_cast<sockaddr_in*>(&out.addr)->sin_addr.s_addr == htonl(INADDR_ANY);
  } else {
    const auto* a6 = reinterpret_cast<sockaddr_in6*>(&out.addr);
    out.wildcard = std::memcmp(&a6->sin6_addr, &in6addr_any, sizeof in6addr_any) == 0;
  }
  return out;
}

void SetPort(ListenAddress* a, uint16_t port) {
  if (a->addr.ss_family == AF_INET) {
    reinterpret_cast<sockaddr_in*>(&a->addr)->sin_port = htons(port);
  } else {
    reinterpret_cast<sockaddr_in6*>(&a->addr)->sin6_port = htons(port);
  }
}

boost::asio::ip::tcp::endpoint ToEndpoint(const ListenAddress& a, uint16_t port) {
  namespace ip = boost::asio::ip;
  if (a.addr.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&a.addr);
    return {ip::address_v4(ntohl(in->sin_addr.s_addr)), port};
  }
  const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&a.addr);
  ip::address_v6::bytes_type bytes;
  std::memcpy(bytes.data(), &in6->sin6_addr, bytes.size());
  return {ip::address_v6(bytes, in6->sin6_scope_id), port};
}

// A UDP socket bound to `a` with SO_REUSEPORT; -1 and errno on failure.
int OpenUdp(const ListenAddress& a) {
  const int fd = socket(a.addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return -1;
  }
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &kSocketBuffer, sizeof kSocketBuffer);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &kSocketBuffer, sizeof kSocketBuffer);
  if (a.wildcard) {
    if (a.addr.ss_family == AF_INET) {
      setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one);
    } else {
      setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one);
    }
  }
  if (bind(fd, reinterpret_cast<const sockaddr*>(&a.addr), a.len) != 0) {
    const int saved = errno;
    close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

}  // namespace

struct DnsServer::Impl {
  DnsServerOptions options;
  const SnapshotCell<ZoneSet>* zones;
  DnsMetrics metrics;
  std::atomic<bool> stopping{false};
  std::vector<int> udp_fds;
  std::vector<std::unique_ptr<UdpWorker>> workers;
  std::vector<std::thread> threads;
  std::unique_ptr<TcpServer> tcp;
  uint16_t port = 0;
  bool started = false;
  bool stopped = false;

  void CloseUdp() {
    for (int fd : udp_fds) {
      close(fd);
    }
    udp_fds.clear();
  }

  // TCP first (no SO_REUSEPORT: a port another server holds fails here),
  // then the UDP sockets on the same port. With port 0 the kernel's TCP
  // choice may be taken for UDP; then try another.
  Status Bind(ListenAddress address, uint16_t wanted_port, uint64_t seed) {
    const size_t udp_sockets = std::max<size_t>(1, options.udp_threads);
    const int attempts = wanted_port == 0 ? 16 : 1;
    for (int attempt = 0; attempt < attempts; ++attempt) {
      TcpServer::Setup setup{
          options.max_tcp_connections, options.tcp_idle_timeout, zones, options.responder, seed,
          metrics.NewCounters()};
      tcp = std::make_unique<TcpServer>(setup);
      if (auto ec = tcp->Listen(ToEndpoint(address, wanted_port))) {
        return Status::Unavailable("cannot listen on TCP " + options.listen + ": " + ec.message());
      }
      port = tcp->port();
      SetPort(&address, port);
      int error = 0;
      while (udp_fds.size() < udp_sockets) {
        const int fd = OpenUdp(address);
        if (fd < 0) {
          error = errno;
          break;
        }
        udp_fds.push_back(fd);
      }
      if (error == 0) {
        return Status::OK();
      }
      CloseUdp();
      tcp.reset();
      if (wanted_port != 0 || error != EADDRINUSE) {
        return Status::Unavailable("cannot bind UDP " + options.listen + ": " +
                                   std::strerror(error));
      }
    }
    return Status::Unavailable("cannot find a port free for both UDP and TCP on " + options.listen);
  }
};

DnsServer::DnsServer(DnsServerOptions options, const SnapshotCell<ZoneSet>* zones)
    : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->zones = zones;
}

DnsServer::~DnsServer() { Stop(); }

Status DnsServer::Start() {
  Impl& s = *impl_;
  if (s.started) {
    return Status::FailedPrecondition("DnsServer::Start called twice");
  }
  s.started = true;
  TANDEM_ASSIGN_OR_RETURN(ListenAddress address, ResolveListen(s.options.listen));
  const uint16_t wanted = ntohs(address.addr.ss_family == AF_INET
                                    ? reinterpret_cast<sockaddr_in*>(&address.addr)->sin_port
                                    : reinterpret_cast<sockaddr_in6*>(&address.addr)->sin6_port);
  std::random_device random;
  const uint64_t seed = (uint64_t{random()} << 32) | random();
  TANDEM_RETURN_IF_ERROR(s.Bind(address, wanted, seed));
  for (size_t i = 0; i < s.udp_fds.size(); ++i) {
    UdpWorker::Setup setup;
    setup.fd = s.udp_fds[i];
    setup.stopping = &s.stopping;
    setup.pktinfo = address.wildcard;
    setup.zones = s.zones;
    setup.responder = s.options.responder;
    setup.seed = seed + 0x9E3779B97F4A7C15ull * (i + 1);
    setup.counters = s.metrics.NewCounters();
    s.workers.push_back(std::make_unique<UdpWorker>(setup));
  }
  for (auto& worker : s.workers) {
    s.threads.emplace_back([w = worker.get()] { w->Run(); });
  }
  s.tcp->Start();
  spdlog::info("dns: answering on {} (UDP x{} and TCP, port {})", s.options.listen,
               s.udp_fds.size(), s.port);
  return Status::OK();
}

void DnsServer::Stop() {
  Impl& s = *impl_;
  if (s.stopped) {
    return;
  }
  s.stopped = true;
  s.stopping.store(true, std::memory_order_release);
  for (int fd : s.udp_fds) {
    // Wakes the worker blocked in recvmmsg (see udp_worker.h); an
    // unconnected socket reports ENOTCONN but is shut all the same.
    shutdown(fd, SHUT_RD);
  }
  for (auto& t : s.threads) {
    t.join();
  }
  s.threads.clear();
  if (s.tcp) {
    s.tcp->Stop();
  }
  s.CloseUdp();
}

uint16_t DnsServer::port() const { return impl_->port; }

std::string DnsServer::RenderMetrics() const { return impl_->metrics.Render(); }

}  // namespace tandem::dns
