// dnsblast: a closed-loop UDP DNS load generator for scripts/bench-dns.sh.
//
//   dnsblast -s 127.0.0.1 -p 5353 -d queries.txt -l 10 [-c 4] [-q 200] [-t 2]
//            [-b 64] [--warmup 1] [-e] [--pause-us 20] [--no-gso]
//
// Why not just dnsperf: dnsperf makes one send and one recv system call per
// query (~9.5 µs of its CPU each), so with one core each it saturates before
// a one-core server does, and the benchmark measures dnsperf. On loopback
// most of a query's cost is the kernel's, and it is symmetric: the sender
// also runs the receiving half of the stack for its datagram. So dnsblast
// must do less per query than the server, not just as little:
//   - sendmmsg and recvmmsg batches, the clock read once per batch;
//   - UDP GSO: the queries of a batch with equal length (the query file has
//     a handful of lengths) go down the stack as one message and are split
//     into the same datagrams at the bottom (see GroupIntoMessages);
//   - a socket is refilled only once half its queries (at most -b) are
//     answered, and a pass that brought only a trickle of replies is followed
//     by a --pause-us sleep, so that the next pass works in batches. The
//     replies wait in the socket meanwhile: latencies can read up to the
//     pause (plus timer slack, ~50 µs) high.
// Against a one-core server that leaves dnsblast at ~3.5 µs per query, the
// servers at ~4.5-5.
//
// It reads dnsperf's query file ("name TYPE" a line; blank lines and lines
// starting with ';' are skipped) and sends the queries in file order (within
// a batch, grouped by length), over and over, keeping -q of them in flight
// spread over -c connected UDP sockets. The datagrams are what dnsperf 2.10
// sends by default (captured): RD set, nothing else, no EDNS; with -e an OPT
// record with UDP size 4096 and no DO bit, like dnsperf -e. Replies are
// matched by ID per socket and must have QR set; anything else is
// "unexpected". A query unanswered after -t seconds is lost, its ID freed.
//
// Counted are the queries sent after the warm-up and before -l ran out; the
// run then waits for their answers for at most -t seconds, so it always ends.
// qps = completed / (seconds of sending, warm-up excluded). Latency comes from
// a log-linear histogram (buckets 1/64 of an octave wide: within ~1 %).
// Prints one JSON line on stdout (with "cpu_s", its own CPU time while
// measuring, and "calls", its system calls, to check the batching); exits
// 0, or 1 when nothing was answered (e.g. nothing listening: the sockets see
// ICMP port unreachable, counted as "errors"), or 2 on bad arguments, a bad
// query file or an address that cannot be reached at all.
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <bit>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <numeric>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr int kMaxBatch = 1024;
constexpr size_t kMaxResponse = 4096;    // larger replies are counted at this size
constexpr uint16_t kEdnsUdpSize = 4096;  // what dnsperf -e advertises

// --- the query file ------------------------------------------------------------

std::optional<uint16_t> TypeCode(std::string_view text) {
  static constexpr std::pair<std::string_view, uint16_t> kTypes[] = {
      {"A", 1},      {"NS", 2},    {"CNAME", 5},  {"SOA", 6},   {"PTR", 12},
      {"HINFO", 13}, {"MX", 15},   {"TXT", 16},   {"AAAA", 28}, {"SRV", 33},
      {"NAPTR", 35}, {"DS", 43},   {"RRSIG", 46}, {"NSEC", 47}, {"DNSKEY", 48},
      {"TLSA", 52},  {"SVCB", 64}, {"HTTPS", 65}, {"ANY", 255}, {"CAA", 257},
  };
  std::string upper(text);
  for (char& c : upper) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  for (const auto& [name, code] : kTypes) {
    if (upper == name) {
      return code;
    }
  }
  if (upper.starts_with("TYPE") && upper.size() > 4) {  // RFC 3597 generic form
    unsigned value = 0;
    auto [end, ec] = std::from_chars(upper.data() + 4, upper.data() + upper.size(), value);
    if (ec == std::errc() && end == upper.data() + upper.size() && value <= 0xFFFF) {
      return static_cast<uint16_t>(value);
    }
  }
  return std::nullopt;
}

// Appends NAME in wire form; false (and *error) if it is not a valid name.
bool EncodeName(std::string_view name, std::string* out, std::string* error) {
  if (name.ends_with('.')) {
    name.remove_suffix(1);
  }
  size_t wire = 1;
  while (!name.empty()) {
    const size_t dot = name.find('.');
    const std::string_view label = name.substr(0, dot);
    if (label.empty() || label.size() > 63) {
      *error = "bad label in name";
      return false;
    }
    out->push_back(static_cast<char>(label.size()));
    out->append(label);
    wire += 1 + label.size();
    name = dot == std::string_view::npos ? std::string_view() : name.substr(dot + 1);
  }
  out->push_back('\0');
  if (wire > 255) {
    *error = "name longer than 255 bytes";
    return false;
  }
  return true;
}

// Every query of FILE in wire form with ID 0, in file order.
bool LoadQueries(const std::string& path, bool edns, std::vector<std::string>* queries,
                 std::string* error) {
  std::ifstream in(path);
  if (!in) {
    *error = path + ": " + std::strerror(errno);
    return false;
  }
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    const auto where = [&] { return path + ":" + std::to_string(number) + ": "; };
    char name[512];
    char type[32];
    char extra[2];
    const int fields = std::sscanf(line.c_str(), "%511s %31s %1s", name, type, extra);
    if (fields <= 0 || name[0] == ';') {
      continue;
    }
    if (fields != 2) {
      *error = where() + "expected \"name TYPE\", got \"" + line + "\"";
      return false;
    }
    const std::optional<uint16_t> code = TypeCode(type);
    if (!code) {
      *error = where() + "unknown type \"" + std::string(type) + "\"";
      return false;
    }
    // Header: ID 0, flags RD (0x0100), one question, ARCOUNT 1 with EDNS.
    std::string wire = {0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, static_cast<char>(edns ? 1 : 0)};
    std::string why;
    if (!EncodeName(name, &wire, &why)) {
      *error = where() + why + ": \"" + std::string(name) + "\"";
      return false;
    }
    const char question_tail[4] = {static_cast<char>(*code >> 8), static_cast<char>(*code & 0xFF),
                                   0, 1};  // QCLASS IN
    wire.append(question_tail, 4);
    if (edns) {  // root owner, type OPT (41), class = UDP size, TTL 0 (no DO), no options
      const uint8_t opt[11] = {0, 0, 41, kEdnsUdpSize >> 8, kEdnsUdpSize & 0xFF, 0, 0, 0, 0, 0, 0};
      wire.append(reinterpret_cast<const char*>(opt), sizeof(opt));
    }
    queries->push_back(std::move(wire));
  }
  if (queries->empty()) {
    *error = path + ": no queries";
    return false;
  }
  return true;
}

// --- latency -----------------------------------------------------------------------

// Nanoseconds in log-linear buckets: exact below 64, above that each octave
// [2^k, 2^(k+1)) split into 64 equal buckets.
class LatencyHistogram {
 public:
  LatencyHistogram() : counts_(Index(UINT64_MAX) + 1) {}

  void Add(uint64_t ns) {
    ++counts_[Index(ns)];
    ++count_;
    sum_ += ns;
    max_ = std::max(max_, ns);
  }
  uint64_t count() const { return count_; }
  double MeanNs() const { return count_ ? static_cast<double>(sum_) / count_ : 0; }
  uint64_t MaxNs() const { return max_; }

  // The bucket midpoint holding the P-quantile (0 < P <= 1), at most the max.
  double QuantileNs(double p) const {
    if (count_ == 0) {
      return 0;
    }
    const auto rank = static_cast<uint64_t>(std::ceil(p * static_cast<double>(count_)));
    uint64_t seen = 0;
    for (size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen >= rank) {
        const double mid = (static_cast<double>(Lower(i)) + static_cast<double>(Lower(i + 1))) / 2;
        return std::min(mid, static_cast<double>(max_));
      }
    }
    return static_cast<double>(max_);
  }

 private:
  static size_t Index(uint64_t v) {
    if (v < 64) {
      return v;
    }
    const int k = std::bit_width(v) - 1;  // >= 6
    return static_cast<size_t>(k - 5) * 64 + ((v >> (k - 6)) & 63);
  }
  static uint64_t Lower(size_t i) {
    if (i < 64) {
      return i;
    }
    const size_t k = i / 64 + 5;
    if (k >= 64) {
      return UINT64_MAX;
    }
    return (64 + i % 64) << (k - 6);
  }

  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  uint64_t sum_ = 0;
  uint64_t max_ = 0;
};

// --- the run -----------------------------------------------------------------------

struct Options {
  std::string server = "127.0.0.1";
  uint16_t port = 53;
  std::string file;
  double seconds = 10;
  int sockets = 4;
  int outstanding = 200;
  double timeout_s = 2;
  int batch = 64;
  double warmup_s = 0;
  bool edns = false;
  bool no_gso = false;
  int pause_us = 20;
};

struct Stats {
  // Of the measured queries (sent after the warm-up, before the end).
  uint64_t sent = 0;
  uint64_t completed = 0;
  uint64_t lost = 0;
  uint64_t request_bytes = 0;
  uint64_t response_bytes = 0;
  std::array<uint64_t, 16> rcodes{};
  LatencyHistogram latency;
  // Of the whole run.
  uint64_t unexpected = 0;  // bad IDs, no QR, too short
  uint64_t errors = 0;      // failed system calls (ICMP errors, ENOBUFS)
  int last_error = 0;       // its errno
  uint64_t send_calls = 0;  // these five: what the batching achieved
  uint64_t send_messages = 0;
  uint64_t send_datagrams = 0;
  uint64_t recv_calls = 0;
  uint64_t polls = 0;
  uint64_t pauses = 0;
};

// One connected socket and the queries in flight on it, by ID.
struct Flow {
  struct Slot {
    int64_t sent_ns = -1;  // -1: free
    bool measured = false;
  };
  struct Sent {
    uint16_t id;
    int64_t sent_ns;
  };
  int fd = -1;
  int target = 0;  // queries to keep in flight
  int refill = 1;  // free slots before a send: half the target, at most a batch
  int in_flight = 0;
  uint16_t next_id = 0;
  std::vector<Slot> slots = std::vector<Slot>(65536);
  std::deque<Sent> order;  // in send order, to find the expired; stale entries skipped
};

// Scratch for one recvmmsg call, shared by the flows: a datagram a message.
struct RecvBatch {
  RecvBatch(int n, size_t bytes) : msgs(n), iov(n), data(n * bytes) {
    for (int i = 0; i < n; ++i) {
      iov[i] = {data.data() + i * bytes, bytes};
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
  }
  std::vector<mmsghdr> msgs;
  std::vector<iovec> iov;
  std::vector<char> data;
};

// Scratch for one sendmmsg call, shared by the flows. Query i is built in
// buffer i; the messages then gather them, a message per run of equal
// lengths when GSO is on (see Send).
struct SendBatch {
  static constexpr size_t kBytes = 512;  // > the longest query (12 + 255 + 4 + 11)
  explicit SendBatch(int n)
      : msgs(n), query(n), iov(n), data(n * kBytes), ids(n), lengths(n), order(n), control(n) {
    for (int i = 0; i < n; ++i) {
      query[i].iov_base = data.data() + i * kBytes;
    }
  }
  std::vector<mmsghdr> msgs;
  std::vector<iovec> query;  // query[i]: buffer i and the length of its query
  std::vector<iovec> iov;    // the buffers in the order the messages send them
  std::vector<char> data;
  std::vector<uint16_t> ids;
  std::vector<uint16_t> lengths;
  std::vector<int> order;
  std::vector<std::array<char, CMSG_SPACE(sizeof(uint16_t))>> control;
};

int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

double CpuSeconds() {
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

void CountError(int err, Stats* stats) {
  if (err != 0 && err != EAGAIN && err != EWOULDBLOCK && err != EINTR) {
    ++stats->errors;
    stats->last_error = err;
  }
}

// Takes every reply waiting on FLOW; returns how many datagrams arrived.
int Receive(Flow* flow, RecvBatch* batch, Stats* stats) {
  int total = 0;
  const auto n = static_cast<unsigned>(batch->msgs.size());
  while (true) {
    const int got = recvmmsg(flow->fd, batch->msgs.data(), n, MSG_DONTWAIT, nullptr);
    ++stats->recv_calls;
    if (got <= 0) {
      CountError(errno, stats);  // a pending ICMP error is reported (and cleared) here
      return total;
    }
    const int64_t now = NowNs();
    for (int i = 0; i < got; ++i) {
      const auto* p = static_cast<const uint8_t*>(batch->iov[i].iov_base);
      const unsigned len = batch->msgs[i].msg_len;
      Flow::Slot* slot = len >= 12 ? &flow->slots[(p[0] << 8) | p[1]] : nullptr;
      if (slot == nullptr || (p[2] & 0x80) == 0 || slot->sent_ns < 0) {
        ++stats->unexpected;
        continue;
      }
      if (slot->measured) {
        ++stats->completed;
        ++stats->rcodes[p[3] & 0x0F];
        stats->response_bytes += len;
        stats->latency.Add(static_cast<uint64_t>(now - slot->sent_ns));
      }
      slot->sent_ns = -1;
      --flow->in_flight;
    }
    total += got;
    if (got < static_cast<int>(n)) {
      return total;
    }
  }
}

// Frees the IDs of queries older than the timeout; returns how many.
int Expire(Flow* flow, int64_t now, int64_t timeout_ns, Stats* stats) {
  int expired = 0;
  while (!flow->order.empty()) {
    const Flow::Sent& front = flow->order.front();
    Flow::Slot& slot = flow->slots[front.id];
    if (slot.sent_ns == front.sent_ns) {  // still in flight
      if (now - front.sent_ns < timeout_ns) {
        break;
      }
      stats->lost += slot.measured ? 1 : 0;
      slot.sent_ns = -1;
      --flow->in_flight;
      ++expired;
    }
    flow->order.pop_front();
  }
  return expired;
}

// Puts queries [0, n) of BATCH into messages; returns how many. Without
// GSO a message is a datagram. With it, the queries of equal length (most
// of a batch: the query file has a handful of lengths) go out as one
// message with UDP_SEGMENT, which the kernel splits into the same datagrams
// after one pass down the stack instead of one pass each: on loopback that
// cuts the sender's CPU per query by about a quarter. The server sees the
// same packets, reordered within a batch only.
int GroupIntoMessages(SendBatch* batch, int n, bool gso) {
  static constexpr int kMaxSegments = 64;  // UDP_MAX_SEGMENTS is 64 before Linux 6.9
  std::iota(batch->order.begin(), batch->order.begin() + n, 0);
  if (gso) {
    std::stable_sort(batch->order.begin(), batch->order.begin() + n,
                     [&](int x, int y) { return batch->lengths[x] < batch->lengths[y]; });
  }
  int messages = 0;
  for (int i = 0; i < n;) {
    const uint16_t length = batch->lengths[batch->order[i]];
    int k = 1;
    while (gso && i + k < n && k < kMaxSegments && batch->lengths[batch->order[i + k]] == length) {
      ++k;
    }
    msghdr& m = batch->msgs[messages].msg_hdr;
    m = {};
    for (int j = 0; j < k; ++j) {
      batch->iov[i + j] = batch->query[batch->order[i + j]];
    }
    m.msg_iov = &batch->iov[i];
    m.msg_iovlen = k;
    if (k > 1) {
      m.msg_control = batch->control[messages].data();
      m.msg_controllen = batch->control[messages].size();
      cmsghdr* c = CMSG_FIRSTHDR(&m);
      c->cmsg_level = SOL_UDP;
      c->cmsg_type = UDP_SEGMENT;
      c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
      std::memcpy(CMSG_DATA(c), &length, sizeof(length));
    }
    ++messages;
    i += k;
  }
  return messages;
}

// Tops FLOW up to its target with the next queries, in batches; returns how
// many were sent. Stops early when the socket refuses (full buffer, ICMP);
// queries in messages the kernel did not take are skipped, not retried.
int Send(Flow* flow, const std::vector<std::string>& queries, size_t* next_query, bool measured,
         bool* gso, SendBatch* batch, Stats* stats) {
  int total = 0;
  if (flow->target - flow->in_flight < flow->refill) {
    return 0;
  }
  while (flow->in_flight < flow->target) {
    const int n = std::min<int>(flow->target - flow->in_flight, batch->msgs.size());
    uint16_t id = flow->next_id;
    size_t q = *next_query;
    for (int i = 0; i < n; ++i) {
      while (flow->slots[id].sent_ns >= 0) {  // an ID still in flight: skip it
        ++id;
      }
      const std::string& wire = queries[q];
      char* out = static_cast<char*>(batch->query[i].iov_base);
      std::memcpy(out, wire.data(), wire.size());
      out[0] = static_cast<char>(id >> 8);
      out[1] = static_cast<char>(id & 0xFF);
      batch->query[i].iov_len = wire.size();
      batch->lengths[i] = static_cast<uint16_t>(wire.size());
      batch->ids[i] = id++;
      q = q + 1 == queries.size() ? 0 : q + 1;
    }
    const int messages = GroupIntoMessages(batch, n, *gso);
    const int sent = sendmmsg(flow->fd, batch->msgs.data(), messages, 0);
    ++stats->send_calls;
    if (sent <= 0) {
      if (*gso && (errno == EINVAL || errno == EIO || errno == ENOPROTOOPT)) {
        std::fprintf(stderr, "dnsblast: UDP GSO refused (%s): one datagram a message\n",
                     std::strerror(errno));
        *gso = false;  // an old kernel: retry the same queries without it
        continue;
      }
      CountError(errno, stats);
      return total;
    }
    const int64_t now = NowNs();
    stats->send_messages += sent;
    int datagrams = 0;
    for (int m = 0; m < sent; ++m) {
      const msghdr& h = batch->msgs[m].msg_hdr;
      for (size_t j = 0; j < h.msg_iovlen; ++j, ++datagrams) {
        const int i = batch->order[&h.msg_iov[j] - batch->iov.data()];
        flow->slots[batch->ids[i]] = {now, measured};
        flow->order.push_back({batch->ids[i], now});
        stats->request_bytes += measured ? batch->lengths[i] : 0;
      }
    }
    *next_query = q;
    flow->next_id = id;
    flow->in_flight += datagrams;
    stats->sent += measured ? datagrams : 0;
    stats->send_datagrams += datagrams;
    total += datagrams;
    if (sent < messages) {
      return total;
    }
  }
  return total;
}

// A UDP socket connected to ADDR (so ICMP errors reach it), or -1 and *error.
int Connect(const addrinfo& addr, std::string* error) {
  const int fd = socket(addr.ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = std::string("socket: ") + std::strerror(errno);
    return -1;
  }
  const int buffer = 1 << 20;  // best effort: the kernel caps it at rmem_max/wmem_max
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof(buffer));
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof(buffer));
  if (connect(fd, addr.ai_addr, addr.ai_addrlen) != 0) {
    *error = std::string("connect: ") + std::strerror(errno);
    close(fd);
    return -1;
  }
  return fd;
}

// Resolves the server and opens the sockets, splitting -q among them.
bool OpenFlows(const Options& o, std::vector<Flow>* flows, std::string* error) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* resolved = nullptr;
  if (const int rc =
          getaddrinfo(o.server.c_str(), std::to_string(o.port).c_str(), &hints, &resolved);
      rc != 0) {
    *error = o.server + ": " + gai_strerror(rc);
    return false;
  }
  const int n = static_cast<int>(flows->size());
  for (int i = 0; i < n; ++i) {
    Flow& flow = (*flows)[i];
    flow.fd = Connect(*resolved, error);
    if (flow.fd < 0) {
      *error = o.server + " port " + std::to_string(o.port) + ": " + *error;
      freeaddrinfo(resolved);
      return false;
    }
    flow.target = o.outstanding / n + (i < o.outstanding % n ? 1 : 0);
    flow.refill = std::min(o.batch, (flow.target + 1) / 2);
    flow.next_id = static_cast<uint16_t>(i * 7919);  // arbitrary, distinct per socket
  }
  freeaddrinfo(resolved);
  return true;
}

// The load loop: warm-up, measured sending, then draining until every
// measured query is answered or lost. Closes the sockets.
void Blast(const Options& o, const std::vector<std::string>& queries, std::vector<Flow>* flows,
           Stats* stats, double* seconds, double* cpu_s) {
  std::vector<pollfd> pollfds;
  for (const Flow& flow : *flows) {
    pollfds.push_back({flow.fd, POLLIN, 0});
  }
  SendBatch out(o.batch);
  RecvBatch in(o.batch, kMaxResponse);
  bool gso = !o.no_gso;
  const auto timeout_ns = static_cast<int64_t>(o.timeout_s * 1e9);
  const int64_t begin = NowNs();
  const int64_t measure_from = begin + static_cast<int64_t>(o.warmup_s * 1e9);
  const int64_t measure_until = measure_from + static_cast<int64_t>(o.seconds * 1e9);
  const int64_t hard_stop = measure_until + timeout_ns;  // draining ends here at the latest
  int64_t started = -1;
  int64_t stopped = -1;
  double cpu_at_start = 0;
  size_t next_query = 0;
  const int trickle = flows->front().refill;  // fewer replies in a pass than one refill
  while (true) {
    const int64_t now = NowNs();
    if (started < 0 && now >= measure_from) {
      started = now;
      cpu_at_start = CpuSeconds();
    }
    const bool sending = now < measure_until;
    if (!sending && stopped < 0) {
      stopped = now;
    }
    int in_flight = 0;
    int activity = 0;
    int received = 0;
    for (Flow& flow : *flows) {
      const int got = Receive(&flow, &in, stats);
      received += got;
      activity += got;
      activity += Expire(&flow, now, timeout_ns, stats);
      if (sending) {
        activity += Send(&flow, queries, &next_query, started >= 0, &gso, &out, stats);
      }
      in_flight += flow.in_flight;
    }
    if ((!sending && in_flight == 0) || now >= hard_stop) {
      break;
    }
    if (received > 0 && received < trickle && o.pause_us > 0) {
      // A trickle of replies: let more gather so that the next pass works in
      // batches (the server is busy with the rest in flight meanwhile).
      const timespec pause = {0, o.pause_us * 1000L};
      nanosleep(&pause, nullptr);
      ++stats->pauses;
    } else if (activity == 0) {
      poll(pollfds.data(), pollfds.size(), 1);  // 1 ms: also paces the expiry checks
      ++stats->polls;
    }
  }
  for (Flow& flow : *flows) {  // what is still in flight at the hard stop is lost
    for (const Flow::Sent& sent : flow.order) {
      Flow::Slot& slot = flow.slots[sent.id];
      if (slot.sent_ns == sent.sent_ns && slot.measured) {
        ++stats->lost;
        slot.sent_ns = -1;
      }
    }
    close(flow.fd);
  }
  *seconds = static_cast<double>(stopped - started) / 1e9;
  *cpu_s = CpuSeconds() - cpu_at_start;
}

const char* RcodeName(size_t rcode) {
  static constexpr const char* kNames[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
                                           "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
                                           "NXRRSET", "NOTAUTH", "NOTZONE"};
  return rcode < std::size(kNames) ? kNames[rcode] : nullptr;
}

void PrintJson(const Stats& s, double seconds, double cpu_s) {
  const LatencyHistogram& h = s.latency;
  const auto us = [](double ns) { return ns / 1e3; };
  std::printf(
      "{\"sent\":%llu,\"completed\":%llu,\"lost\":%llu,\"unexpected\":%llu,\"errors\":%llu,"
      "\"seconds\":%.3f,\"qps\":%.1f,\"cpu_s\":%.3f,\"request_bytes\":%.1f,"
      "\"response_bytes\":%.1f,\"latency_us\":{\"avg\":%.1f,\"p50\":%.1f,\"p90\":%.1f,"
      "\"p99\":%.1f,\"p999\":%.1f,\"max\":%.1f},\"rcodes\":{",
      static_cast<unsigned long long>(s.sent), static_cast<unsigned long long>(s.completed),
      static_cast<unsigned long long>(s.lost), static_cast<unsigned long long>(s.unexpected),
      static_cast<unsigned long long>(s.errors), seconds,
      seconds > 0 ? static_cast<double>(s.completed) / seconds : 0.0, cpu_s,
      s.sent ? static_cast<double>(s.request_bytes) / static_cast<double>(s.sent) : 0.0,
      s.completed ? static_cast<double>(s.response_bytes) / static_cast<double>(s.completed) : 0.0,
      us(h.MeanNs()), us(h.QuantileNs(0.5)), us(h.QuantileNs(0.9)), us(h.QuantileNs(0.99)),
      us(h.QuantileNs(0.999)), us(static_cast<double>(h.MaxNs())));
  const char* comma = "";
  for (size_t i = 0; i < s.rcodes.size(); ++i) {
    if (s.rcodes[i] == 0) {
      continue;
    }
    if (const char* name = RcodeName(i)) {
      std::printf("%s\"%s\":%llu", comma, name, static_cast<unsigned long long>(s.rcodes[i]));
    } else {
      std::printf("%s\"RCODE%zu\":%llu", comma, i, static_cast<unsigned long long>(s.rcodes[i]));
    }
    comma = ",";
  }
  // System calls over the whole run (warm-up and drain too), to see the batching.
  std::printf(
      "},\"calls\":{\"sendmmsg\":%llu,\"messages\":%llu,\"datagrams\":%llu,"
      "\"recvmmsg\":%llu,\"poll\":%llu,\"pauses\":%llu}}\n",
      static_cast<unsigned long long>(s.send_calls),
      static_cast<unsigned long long>(s.send_messages),
      static_cast<unsigned long long>(s.send_datagrams),
      static_cast<unsigned long long>(s.recv_calls), static_cast<unsigned long long>(s.polls),
      static_cast<unsigned long long>(s.pauses));
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Closed-loop UDP DNS load generator (sendmmsg/recvmmsg batches); prints JSON"};
  Options o;
  app.add_option("-s,--server", o.server, "server address or name (default 127.0.0.1)");
  app.add_option("-p,--port", o.port, "server port (default 53)");
  app.add_option("-d,--datafile", o.file, "dnsperf query file: \"name TYPE\" a line")->required();
  app.add_option("-l,--limit", o.seconds, "seconds of measured load (default 10)")
      ->check(CLI::Range(0.001, 86400.0));
  app.add_option("-c,--clients", o.sockets, "UDP sockets (default 4)")->check(CLI::Range(1, 256));
  app.add_option("-q,--outstanding", o.outstanding, "queries in flight in all (default 200)")
      ->check(CLI::Range(1, 1'000'000));
  app.add_option("-t,--timeout", o.timeout_s, "seconds until a query is lost (default 2)")
      ->check(CLI::Range(0.001, 600.0));
  app.add_option("-b,--batch", o.batch, "most messages per sendmmsg/recvmmsg (default 64)")
      ->check(CLI::Range(1, kMaxBatch));
  app.add_option("--warmup", o.warmup_s, "seconds of unmeasured load first (default 0)")
      ->check(CLI::Range(0.0, 3600.0));
  app.add_flag("-e,--edns", o.edns, "add EDNS0 (UDP size 4096, no DO), like dnsperf -e");
  app.add_option("--pause-us", o.pause_us,
                 "pause when a pass brought few replies, to batch (default 20; 0: never)")
      ->check(CLI::Range(0, 1000));
  app.add_flag("--no-gso", o.no_gso, "one datagram per message (default: UDP GSO runs)");
  CLI11_PARSE(app, argc, argv);
  if (o.outstanding < o.sockets || o.outstanding / o.sockets > 60000) {
    std::fprintf(stderr, "dnsblast: need 1..60000 queries in flight per socket\n");
    return 2;
  }

  std::vector<std::string> queries;
  std::string error;
  if (!LoadQueries(o.file, o.edns, &queries, &error)) {
    std::fprintf(stderr, "dnsblast: %s\n", error.c_str());
    return 2;
  }
  std::vector<Flow> flows(o.sockets);
  if (!OpenFlows(o, &flows, &error)) {
    std::fprintf(stderr, "dnsblast: %s\n", error.c_str());
    return 2;
  }
  Stats stats;
  double seconds = 0;
  double cpu_s = 0;
  Blast(o, queries, &flows, &stats, &seconds, &cpu_s);
  PrintJson(stats, seconds, cpu_s);
  if (stats.completed == 0) {
    // On loopback a closed port shows as ICMP errors (ECONNREFUSED), though
    // sendmmsg swallows those that stop it after its first message.
    std::fprintf(stderr, "dnsblast: no query answered by %s port %u (%llu failed calls%s%s)\n",
                 o.server.c_str(), o.port, static_cast<unsigned long long>(stats.errors),
                 stats.errors ? "; the last: " : "",
                 stats.errors ? std::strerror(stats.last_error) : "");
    return 1;
  }
  return 0;
}
