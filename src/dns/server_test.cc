// DnsServer on loopback: UDP and TCP answers, a snapshot swap, pipelining,
// framing errors, the idle timeout, the connection cap, metrics, a port
// taken by another server, and a prompt Stop. Every wait is a socket
// receive with a deadline, never a sleep.
#include "dns/server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "dns/dns_testing.h"

namespace tandem::dns {
namespace {

using testing::MakeQuery;
using testing::QuerySpec;

constexpr int kDeadlineSeconds = 10;

// A socket that closes itself, with a receive deadline.
class Socket {
 public:
  Socket(int type, uint16_t port) : fd_(socket(AF_INET, type, 0)) {
    timeval tv{kDeadlineSeconds, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~Socket() { close(fd_); }
  bool connected() const { return connected_; }

  void Send(const std::vector<uint8_t>& bytes) {
    ASSERT_EQ(send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
  }
  // One datagram, or empty at the deadline.
  std::vector<uint8_t> ReceiveDatagram() {
    std::vector<uint8_t> buf(65536);
    const ssize_t n = recv(fd_, buf.data(), buf.size(), 0);
    buf.resize(n > 0 ? n : 0);
    return buf;
  }
  // Exactly `n` bytes of a stream; fewer when it ended or the deadline passed.
  std::vector<uint8_t> ReceiveExactly(size_t n) {
    std::vector<uint8_t> buf(n);
    size_t got = 0;
    while (got < n) {
      const ssize_t r = recv(fd_, buf.data() + got, n - got, 0);
      if (r <= 0) {
        break;
      }
      got += r;
    }
    buf.resize(got);
    return buf;
  }
  // One length-prefixed TCP message, or empty when the stream ended.
  std::vector<uint8_t> ReceiveMessage() {
    auto prefix = ReceiveExactly(2);
    if (prefix.size() < 2) {
      return {};
    }
    return ReceiveExactly((prefix[0] << 8) | prefix[1]);
  }
  // Whether the peer closes the stream before the deadline.
  bool ClosedByPeer() {
    uint8_t byte;
    const ssize_t r = recv(fd_, &byte, 1, 0);
    return r == 0 || (r < 0 && errno == ECONNRESET);
  }

 private:
  int fd_;
  bool connected_ = false;
};

std::vector<uint8_t> Framed(const std::vector<uint8_t>& message) {
  std::vector<uint8_t> out = {static_cast<uint8_t>(message.size() >> 8),
                              static_cast<uint8_t>(message.size())};
  out.insert(out.end(), message.begin(), message.end());
  return out;
}

QuerySpec Q(const std::string& name, uint16_t type, uint16_t id = 7) {
  QuerySpec q;
  q.name = name;
  q.qtype = type;
  q.id = id;
  return q;
}

std::shared_ptr<const ZoneSet> ShopZones(const std::string& extra = "") {
  auto zone = testing::ZoneFromText("shop.example.", std::string(testing::kShopZone) + extra);
  EXPECT_TRUE(zone.ok());
  auto set = std::make_shared<ZoneSet>();
  set->zones.push_back(*zone);
  return set;
}

class DnsServerTest : public ::testing::Test {
 protected:
  void StartServer(DnsServerOptions options = {}) {
    if (options.listen.empty()) {
      options.listen = "127.0.0.1:0";
    }
    cell_.Publish(ShopZones());
    server_ = std::make_unique<DnsServer>(options, &cell_);
    Status st = server_->Start();
    ASSERT_TRUE(st.ok()) << st.ToString();
    ASSERT_NE(server_->port(), 0);
  }
  testing::Response UdpAsk(const QuerySpec& q) {
    Socket s(SOCK_DGRAM, server_->port());
    s.Send(MakeQuery(q));
    auto decoded = testing::Decode(s.ReceiveDatagram());
    EXPECT_TRUE(decoded.has_value());
    return decoded ? *decoded : testing::Response{};
  }

  SnapshotCell<ZoneSet> cell_;
  std::unique_ptr<DnsServer> server_;
};

TEST_F(DnsServerTest, AnswersOverUdp) {
  DnsServerOptions options;
  options.udp_threads = 2;
  StartServer(options);
  testing::Response r = UdpAsk(Q("www.static.shop.example.", kTypeA, 99));
  EXPECT_EQ(r.id, 99);
  EXPECT_TRUE(r.aa());
  ASSERT_EQ(r.answer.size(), 1u);
  EXPECT_TRUE(UdpAsk(Q("big.shop.example.", kTypeTXT)).tc());
  EXPECT_EQ(UdpAsk(Q("www.example.org.", kTypeA)).rcode, 5);
}

TEST_F(DnsServerTest, BurstsOfDatagramsAreAllAnswered) {
  StartServer();
  Socket s(SOCK_DGRAM, server_->port());
  // Bursts of 32 (they reach the server as batches); the client's own
  // receive buffer limits how many may be in flight without loss.
  constexpr int kBurst = 32;
  for (int round = 0; round < 8; ++round) {
    for (int i = 0; i < kBurst; ++i) {
      s.Send(MakeQuery(Q("mv.shop.example.", kTypeA, static_cast<uint16_t>(i))));
    }
    std::vector<bool> seen(kBurst);
    for (int i = 0; i < kBurst; ++i) {
      auto r = testing::Decode(s.ReceiveDatagram());
      ASSERT_TRUE(r.has_value()) << "round " << round << ", after " << i << " answers";
      ASSERT_LT(r->id, kBurst);
      seen[r->id] = true;
      EXPECT_EQ(r->answer.size(), 12u);
    }
    EXPECT_EQ(std::count(seen.begin(), seen.end(), true), kBurst);
  }
}

TEST_F(DnsServerTest, APublishedSnapshotIsUsedForTheNextQueries) {
  StartServer();
  EXPECT_EQ(UdpAsk(Q("new.shop.example.", kTypeA)).rcode, 3);
  cell_.Publish(ShopZones("new IN A 192.0.2.200\n"));
  testing::Response r = UdpAsk(Q("new.shop.example.", kTypeA));
  EXPECT_EQ(r.rcode, 0);
  EXPECT_EQ(r.answer.size(), 1u);
}

TEST_F(DnsServerTest, BeforeAnyZonesEverythingIsRefused) {
  server_ = std::make_unique<DnsServer>(DnsServerOptions{.listen = "127.0.0.1:0"}, &cell_);
  ASSERT_TRUE(server_->Start().ok());
  EXPECT_EQ(UdpAsk(Q("www.static.shop.example.", kTypeA)).rcode, 5);
}

TEST_F(DnsServerTest, TcpAnswersPipelinedAndSplitQueriesInOrder) {
  StartServer();
  Socket s(SOCK_STREAM, server_->port());
  ASSERT_TRUE(s.connected());
  std::vector<uint8_t> both = Framed(MakeQuery(Q("www.static.shop.example.", kTypeA, 1)));
  auto second = Framed(MakeQuery(Q("big.shop.example.", kTypeTXT, 2)));
  both.insert(both.end(), second.begin(), second.end());
  s.Send(both);
  auto first = testing::Decode(s.ReceiveMessage());
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->id, 1);
  auto big = testing::Decode(s.ReceiveMessage());
  ASSERT_TRUE(big.has_value());
  EXPECT_EQ(big->id, 2);
  EXPECT_FALSE(big->tc());
  EXPECT_EQ(big->answer.size(), 40u);
  // A message sent a byte at a time.
  for (uint8_t byte : Framed(MakeQuery(Q("mail.shop.example.", kTypeMX, 3)))) {
    s.Send({byte});
  }
  auto third = testing::Decode(s.ReceiveMessage());
  ASSERT_TRUE(third.has_value());
  EXPECT_EQ(third->id, 3);
}

TEST_F(DnsServerTest, TcpClosesOnAShortLengthOrAResponse) {
  StartServer();
  {
    Socket s(SOCK_STREAM, server_->port());
    s.Send({0, 5, 1, 2, 3, 4, 5});
    EXPECT_TRUE(s.ClosedByPeer());
  }
  {
    Socket s(SOCK_STREAM, server_->port());
    auto response = MakeQuery(Q("www.static.shop.example.", kTypeA));
    response[2] |= 0x80;
    s.Send(Framed(response));
    EXPECT_TRUE(s.ClosedByPeer());
  }
  EXPECT_NE(server_->RenderMetrics().find("tandem_dns_dropped_total{transport=\"tcp\"} 2"),
            std::string::npos)
      << server_->RenderMetrics();
}

TEST_F(DnsServerTest, TcpIdleConnectionsAreClosed) {
  DnsServerOptions options;
  options.tcp_idle_timeout = std::chrono::milliseconds(200);
  StartServer(options);
  Socket s(SOCK_STREAM, server_->port());
  s.Send(Framed(MakeQuery(Q("www.static.shop.example.", kTypeA))));
  EXPECT_FALSE(s.ReceiveMessage().empty());
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(s.ClosedByPeer());
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(100));
}

TEST_F(DnsServerTest, ConnectionsBeyondTheCapAreClosed) {
  DnsServerOptions options;
  options.max_tcp_connections = 1;
  StartServer(options);
  Socket first(SOCK_STREAM, server_->port());
  first.Send(Framed(MakeQuery(Q("www.static.shop.example.", kTypeA))));
  ASSERT_FALSE(first.ReceiveMessage().empty());  // the first is being served
  Socket second(SOCK_STREAM, server_->port());
  EXPECT_TRUE(second.ClosedByPeer());
  first.Send(Framed(MakeQuery(Q("www.static.shop.example.", kTypeA))));
  EXPECT_FALSE(first.ReceiveMessage().empty());
}

TEST_F(DnsServerTest, MetricsCountByTransportTypeAndRcode) {
  StartServer();
  UdpAsk(Q("www.static.shop.example.", kTypeA));
  UdpAsk(Q("www.static.shop.example.", kTypeA));
  UdpAsk(Q("nope.shop.example.", kTypeMX));
  UdpAsk(Q("big.shop.example.", kTypeTXT));
  Socket tcp(SOCK_STREAM, server_->port());
  tcp.Send(Framed(MakeQuery(Q("shop.example.", kTypeSOA))));
  ASSERT_FALSE(tcp.ReceiveMessage().empty());
  const std::string text = server_->RenderMetrics();
  for (const char* line :
       {"tandem_dns_queries_total{transport=\"udp\",qtype=\"A\",rcode=\"NOERROR\"} 2\n",
        "tandem_dns_queries_total{transport=\"udp\",qtype=\"MX\",rcode=\"NXDOMAIN\"} 1\n",
        "tandem_dns_queries_total{transport=\"tcp\",qtype=\"SOA\",rcode=\"NOERROR\"} 1\n",
        "tandem_dns_truncated_total{transport=\"udp\"} 1\n",
        "# TYPE tandem_dns_queries_total counter\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
  }
}

TEST_F(DnsServerTest, APortInUseIsUnavailable) {
  StartServer();
  DnsServer other(DnsServerOptions{.listen = "127.0.0.1:" + std::to_string(server_->port())},
                  &cell_);
  Status st = other.Start();
  EXPECT_EQ(st.code(), Status::Code::kUnavailable) << st.ToString();
  DnsServer bad(DnsServerOptions{.listen = "127.0.0.1"}, &cell_);
  EXPECT_EQ(bad.Start().code(), Status::Code::kInvalidArgument);
  DnsServer bad_port(DnsServerOptions{.listen = "127.0.0.1:70000"}, &cell_);
  EXPECT_EQ(bad_port.Start().code(), Status::Code::kInvalidArgument);
}

TEST_F(DnsServerTest, StopIsPromptWithOpenConnections) {
  DnsServerOptions options;
  options.udp_threads = 2;
  StartServer(options);
  Socket idle(SOCK_STREAM, server_->port());
  Socket busy(SOCK_STREAM, server_->port());
  busy.Send(Framed(MakeQuery(Q("www.static.shop.example.", kTypeA))));
  ASSERT_FALSE(busy.ReceiveMessage().empty());
  const auto start = std::chrono::steady_clock::now();
  server_->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_TRUE(busy.ClosedByPeer());
  server_->Stop();  // idempotent
}

TEST_F(DnsServerTest, ListensOnIpv6Loopback) {
  cell_.Publish(ShopZones());
  DnsServer server(DnsServerOptions{.listen = "[::1]:0"}, &cell_);
  Status st = server.Start();
  if (!st.ok()) {
    GTEST_SKIP() << "no IPv6 loopback here: " << st.ToString();
  }
  const int fd = socket(AF_INET6, SOCK_DGRAM, 0);
  timeval tv{kDeadlineSeconds, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in6 addr{};
  addr.sin6_family = AF_INET6;
  addr.sin6_port = htons(server.port());
  addr.sin6_addr = in6addr_loopback;
  auto query = MakeQuery(Q("www.static.shop.example.", kTypeA));
  sendto(fd, query.data(), query.size(), 0, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  std::vector<uint8_t> buf(4096);
  const ssize_t n = recv(fd, buf.data(), buf.size(), 0);
  close(fd);
  ASSERT_GT(n, 0);
  buf.resize(n);
  EXPECT_EQ(testing::Decode(buf)->answer.size(), 1u);
}

TEST_F(DnsServerTest, WildcardBindAnswersFromTheQueriedAddress) {
  cell_.Publish(ShopZones());
  DnsServer server(DnsServerOptions{.listen = "0.0.0.0:0"}, &cell_);
  ASSERT_TRUE(server.Start().ok());
  // A connected UDP socket accepts only datagrams from the address it sent to.
  Socket s(SOCK_DGRAM, server.port());
  s.Send(MakeQuery(Q("www.static.shop.example.", kTypeA)));
  auto r = testing::Decode(s.ReceiveDatagram());
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->answer.size(), 1u);
}

}  // namespace
}  // namespace tandem::dns
