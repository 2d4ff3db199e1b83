#include "dns/udp_worker.h"

#include <netinet/in.h>
#include <spdlog/spdlog.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace tandem::dns {
namespace {

constexpr size_t kControlSize = 64;  // room for one in_pktinfo or in6_pktinfo

const ZoneSet& EmptyZones() {
  static const ZoneSet empty;
  return empty;
}

}  // namespace

struct UdpWorker::Buffers {
  std::vector<uint8_t> in = std::vector<uint8_t>(kBatch * kInSize);
  std::vector<uint8_t> out = std::vector<uint8_t>(kBatch * kOutSize);
  std::array<mmsghdr, kBatch> in_msgs{};
  std::array<mmsghdr, kBatch> out_msgs{};
  std::array<iovec, kBatch> in_iov{};
  std::array<iovec, kBatch> out_iov{};
  std::array<sockaddr_storage, kBatch> peers{};
  std::array<std::array<uint8_t, kControlSize>, kBatch> in_control{};
  std::array<std::array<uint8_t, kControlSize>, kBatch> out_control{};
};

UdpWorker::UdpWorker(const Setup& setup)
    : setup_(setup),
      responder_(setup.responder, setup.seed),
      reader_(setup.zones),
      buffers_(std::make_unique<Buffers>()) {}

UdpWorker::~UdpWorker() = default;

void UdpWorker::Run() {
  Buffers& b = *buffers_;
  for (size_t i = 0; i < kBatch; ++i) {
    b.in_iov[i] = {b.in.data() + i * kInSize, kInSize};
    msghdr& h = b.in_msgs[i].msg_hdr;
    h = msghdr{};
    h.msg_name = &b.peers[i];
    h.msg_iov = &b.in_iov[i];
    h.msg_iovlen = 1;
    if (setup_.pktinfo) {
      h.msg_control = b.in_control[i].data();
    }
  }
  // recvmmsg writes back only the address and control lengths (and flags)
  // of the headers it filled: reset those, not the whole batch.
  size_t used = kBatch;
  while (!setup_.stopping->load(std::memory_order_acquire)) {
    for (size_t i = 0; i < used; ++i) {
      msghdr& h = b.in_msgs[i].msg_hdr;
      h.msg_namelen = sizeof(sockaddr_storage);
      h.msg_controllen = setup_.pktinfo ? kControlSize : 0;
    }
    const int n = recvmmsg(setup_.fd, b.in_msgs.data(), kBatch, MSG_WAITFORONE, nullptr);
    if (n < 0) {
      used = 1;  // a failed call fills nothing, but be safe about the first
      if (errno != EINTR && errno != ECONNREFUSED && errno != EAGAIN) {
        spdlog::warn("dns: recvmmsg failed: {}", std::strerror(errno));
      }
      continue;
    }
    used = static_cast<size_t>(n);
    if (setup_.stopping->load(std::memory_order_acquire)) {
      return;  // woken by the shutdown: what it returned is not a query
    }
    const ZoneSet* zones = reader_.Refresh();
    const unsigned count = AnswerBatch(static_cast<unsigned>(n), zones ? *zones : EmptyZones());
    SendAll(count);
  }
}

unsigned UdpWorker::AnswerBatch(unsigned n, const ZoneSet& zones) {
  Buffers& b = *buffers_;
  unsigned count = 0;
  ResponseInfo info;
  for (unsigned i = 0; i < n; ++i) {
    const msghdr& in = b.in_msgs[i].msg_hdr;
    if (in.msg_flags & MSG_TRUNC) {
      info = ResponseInfo{};
      info.dropped = true;
      setup_.counters->Count(Transport::kUdp, info);
      continue;
    }
    uint8_t* out = b.out.data() + count * kOutSize;
    const size_t len = responder_.Respond(
        zones, std::span<const uint8_t>(b.in.data() + i * kInSize, b.in_msgs[i].msg_len),
        Transport::kUdp, std::span<uint8_t>(out, kOutSize), &info);
    setup_.counters->Count(Transport::kUdp, info);
    if (len == 0) {
      continue;
    }
    b.out_iov[count] = {out, len};
    msghdr& h = b.out_msgs[count].msg_hdr;
    h = msghdr{};
    h.msg_name = &b.peers[i];
    h.msg_namelen = in.msg_namelen;
    h.msg_iov = &b.out_iov[count];
    h.msg_iovlen = 1;
    if (setup_.pktinfo) {
      // Answer from the address the query was sent to.
      uint8_t* control = b.out_control[count].data();
      std::memset(control, 0, kControlSize);
      h.msg_control = control;
      h.msg_controllen = kControlSize;
      cmsghdr* out_c = CMSG_FIRSTHDR(&h);
      size_t used = 0;
      for (cmsghdr* c = CMSG_FIRSTHDR(&in); c != nullptr && out_c != nullptr;
           c = CMSG_NXTHDR(const_cast<msghdr*>(&in), c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
          in_pktinfo info4;
          std::memcpy(&info4, CMSG_DATA(c), sizeof info4);
          info4.ipi_spec_dst = info4.ipi_addr;
          info4.ipi_ifindex = 0;
          out_c->cmsg_level = IPPROTO_IP;
          out_c->cmsg_type = IP_PKTINFO;
          out_c->cmsg_len = CMSG_LEN(sizeof info4);
          std::memcpy(CMSG_DATA(out_c), &info4, sizeof info4);
          used = CMSG_SPACE(sizeof info4);
          break;
        }
        if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
          in6_pktinfo info6;
          std::memcpy(&info6, CMSG_DATA(c), sizeof info6);
          out_c->cmsg_level = IPPROTO_IPV6;
          out_c->cmsg_type = IPV6_PKTINFO;
          out_c->cmsg_len = CMSG_LEN(sizeof info6);
          std::memcpy(CMSG_DATA(out_c), &info6, sizeof info6);
          used = CMSG_SPACE(sizeof info6);
          break;
        }
      }
      h.msg_controllen = used;
      if (used == 0) {
        h.msg_control = nullptr;
      }
    }
    ++count;
  }
  return count;
}

void UdpWorker::SendAll(unsigned count) {
  Buffers& b = *buffers_;
  unsigned sent = 0;
  while (sent < count) {
    const int r = sendmmsg(setup_.fd, b.out_msgs.data() + sent, count - sent, 0);
    if (r < 0) {
      if (errno == EINTR) {
        continue;
      }
      ++sent;  // this one cannot go (an unreachable peer, ...): skip it
      continue;
    }
    sent += static_cast<unsigned>(r);
  }
}

}  // namespace tandem::dns
