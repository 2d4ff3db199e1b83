#include "relay/relay.h"

#include <array>
#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <charconv>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_set>
#include <vector>

namespace tandem::relay {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;
using boost::system::error_code;

namespace {

constexpr size_t kReadChunk = 64 * 1024;
constexpr size_t kMaxGather = 64;  // chunks written by one gathering write

class Connection;

// What the I/O thread shares with every connection. Touched on that thread
// only, except the counters.
struct Shared {
  RelayOptions options;
  tcp::resolver::results_type target;
  std::unordered_set<Connection*> live;
  std::atomic<uint64_t> accepted{0};
  std::atomic<uint64_t> open{0};
  std::atomic<uint64_t> connect_failures{0};
  std::atomic<uint64_t> bytes_to_target{0};
  std::atomic<uint64_t> bytes_to_client{0};
};

// One relayed connection: two pipes, client -> target ("up") and target ->
// client ("down"). Every handler runs on the relay's single I/O thread and
// holds a reference, so the connection lives while any operation is pending.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Shared* shared, tcp::socket client)
      : shared_(shared),
        client_(std::move(client)),
        target_(client_.get_executor()),
        up_(&client_, &target_, &shared->bytes_to_target),
        down_(&target_, &client_, &shared->bytes_to_client) {
    shared_->live.insert(this);
    shared_->open.fetch_add(1);
  }

  ~Connection() {
    shared_->live.erase(this);
    shared_->open.fetch_sub(1);
  }

  void Start() {
    asio::async_connect(target_, shared_->target,
                        [self = shared_from_this()](error_code ec, const tcp::endpoint&) {
                          self->OnConnected(ec);
                        });
  }

  // Closes both sockets; pending operations complete with an error and start
  // nothing new. Bytes still waiting are dropped.
  void Close() {
    if (closed_) {
      return;
    }
    closed_ = true;
    error_code ignored;
    client_.close(ignored);
    target_.close(ignored);
    up_.timer.cancel();
    down_.timer.cancel();
  }

 private:
  struct Chunk {
    SteadyClock::time_point due;
    std::string bytes;
    bool eof = false;  // the end of the stream: shut down sending on `to`
  };

  // One direction: reads `from`, holds each chunk until it is due, writes `to`.
  struct Pipe {
    Pipe(tcp::socket* from_socket, tcp::socket* to_socket, std::atomic<uint64_t>* written_counter)
        : from(from_socket),
          to(to_socket),
          written(written_counter),
          read_buffer(std::make_unique<std::array<char, kReadChunk>>()),
          timer(from_socket->get_executor()) {}
    tcp::socket* from;
    tcp::socket* to;
    std::atomic<uint64_t>* written;
    std::unique_ptr<std::array<char, kReadChunk>> read_buffer;
    std::deque<Chunk> queue;  // due times never decrease: one delay, a steady clock
    size_t buffered = 0;      // bytes in `queue`
    bool reading = false;     // a read is pending
    bool read_ended = false;  // `from` reached its end; nothing more to read
    bool busy = false;        // a timer wait or a write is pending
    bool ended = false;       // the end of stream was passed on to `to`
    asio::steady_timer timer;
    std::vector<asio::const_buffer> gather;
  };

  void OnConnected(error_code ec) {
    if (closed_) {
      return;
    }
    if (ec) {
      shared_->connect_failures.fetch_add(1);
      Close();
      return;
    }
    error_code ignored;
    client_.set_option(tcp::no_delay(true), ignored);
    target_.set_option(tcp::no_delay(true), ignored);
    Read(up_);
    Read(down_);
  }

  void Read(Pipe& p) {
    if (closed_ || p.reading || p.read_ended || p.buffered >= shared_->options.max_buffered_bytes) {
      return;
    }
    p.reading = true;
    p.from->async_read_some(
        asio::buffer(*p.read_buffer),
        [self = shared_from_this(), &p](error_code ec, size_t n) { self->OnRead(p, ec, n); });
  }

  void OnRead(Pipe& p, error_code ec, size_t n) {
    p.reading = false;
    if (closed_) {
      return;
    }
    // Stamped when the bytes reach the relay, so they leave no earlier than
    // `delay` after the sender wrote them.
    const auto due = SteadyClock::now() + shared_->options.delay;
    if (n > 0) {
      p.queue.push_back(Chunk{due, std::string(p.read_buffer->data(), n)});
      p.buffered += n;
    }
    if (ec == asio::error::eof) {
      p.read_ended = true;
      p.queue.push_back(Chunk{due, std::string(), true});
    } else if (ec) {
      Close();
      return;
    }
    Pump(p);
    Read(p);
  }

  // Writes whatever is due (in one gathering write), or waits for the first
  // chunk's due time. One write or wait per pipe at a time keeps the order.
  void Pump(Pipe& p) {
    if (closed_ || p.busy || p.queue.empty()) {
      return;
    }
    const auto now = SteadyClock::now();
    const Chunk& front = p.queue.front();
    if (front.due > now) {
      p.busy = true;
      p.timer.expires_at(front.due);
      p.timer.async_wait([self = shared_from_this(), &p](error_code) {
        p.busy = false;
        self->Pump(p);
      });
      return;
    }
    if (front.eof) {
      p.queue.pop_front();
      p.ended = true;
      error_code ignored;
      p.to->shutdown(tcp::socket::shutdown_send, ignored);
      if (up_.ended && down_.ended) {
        Close();
      }
      return;
    }
    p.gather.clear();
    for (const Chunk& c : p.queue) {
      if (c.eof || c.due > now || p.gather.size() == kMaxGather) {
        break;
      }
      p.gather.push_back(asio::buffer(c.bytes));
    }
    p.busy = true;
    asio::async_write(*p.to, p.gather,
                      [self = shared_from_this(), &p, chunks = p.gather.size()](
                          error_code ec, size_t n) { self->OnWritten(p, ec, n, chunks); });
  }

  void OnWritten(Pipe& p, error_code ec, size_t n, size_t chunks) {
    p.busy = false;
    if (closed_) {
      return;
    }
    if (ec) {
      Close();
      return;
    }
    p.written->fetch_add(n);
    p.buffered -= n;
    for (size_t i = 0; i < chunks; ++i) {
      p.queue.pop_front();
    }
    Pump(p);
    Read(p);  // resumes a read paused at max_buffered_bytes
  }

  Shared* shared_;
  tcp::socket client_;
  tcp::socket target_;
  Pipe up_;
  Pipe down_;
  bool closed_ = false;
};

}  // namespace

class Relay::Impl {
 public:
  void Accept() {
    acceptor_.async_accept([this](error_code ec, tcp::socket socket) {
      if (!acceptor_.is_open()) {
        return;  // stopping
      }
      if (ec) {
        // Out of descriptors and the like: try again shortly, not in a spin.
        retry_.expires_after(std::chrono::milliseconds(50));
        retry_.async_wait([this](error_code wait_ec) {
          if (!wait_ec && acceptor_.is_open()) {
            Accept();
          }
        });
        return;
      }
      shared_.accepted.fetch_add(1);
      std::make_shared<Connection>(&shared_, std::move(socket))->Start();
      Accept();
    });
  }

  // On the I/O thread: with the acceptor and every connection closed, run()
  // returns once their handlers have finished.
  void Shutdown() {
    error_code ignored;
    acceptor_.close(ignored);
    retry_.cancel();
    const std::vector<Connection*> live(shared_.live.begin(), shared_.live.end());
    for (Connection* c : live) {
      c->Close();
    }
  }

  asio::io_context io_{1};  // first: outlives everything that uses it
  tcp::acceptor acceptor_{io_};
  asio::steady_timer retry_{io_};
  Shared shared_;
  uint16_t port_ = 0;
  std::thread thread_;
  std::mutex stop_mu_;
  bool stopped_ = false;
};

StatusOr<HostPort> ParseHostPort(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size()) {
    return Status::InvalidArgument("expected HOST:PORT, got \"" + std::string(text) + "\"");
  }
  std::string_view host = text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + 1);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') {
      return Status::InvalidArgument("malformed IPv6 host in \"" + std::string(text) + "\"");
    }
    host = host.substr(1, host.size() - 2);
  }
  unsigned port = 0;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535) {
    return Status::InvalidArgument("bad port in \"" + std::string(text) + "\"");
  }
  return HostPort{std::string(host), static_cast<uint16_t>(port)};
}

StatusOr<std::unique_ptr<Relay>> Relay::Start(const RelayOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->shared_.options = options;
  tcp::resolver resolver(impl->io_);
  error_code ec;
  impl->shared_.target =
      resolver.resolve(options.target.host, std::to_string(options.target.port), ec);
  if (ec) {
    return Status::InvalidArgument("cannot resolve target " + options.target.host + ": " +
                                   ec.message());
  }
  auto listen = resolver.resolve(options.listen.host, std::to_string(options.listen.port),
                                 tcp::resolver::passive, ec);
  if (ec || listen.empty()) {
    return Status::InvalidArgument("cannot resolve listen address " + options.listen.host + ": " +
                                   ec.message());
  }
  const tcp::endpoint endpoint = listen.begin()->endpoint();
  tcp::acceptor& acceptor = impl->acceptor_;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) {
    acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  }
  if (!ec) {
    acceptor.bind(endpoint, ec);
  }
  if (!ec) {
    acceptor.listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    return Status::IOError("cannot listen on " + options.listen.host + ":" +
                           std::to_string(options.listen.port) + ": " + ec.message());
  }
  impl->port_ = acceptor.local_endpoint().port();
  impl->Accept();
  Impl* raw = impl.get();
  impl->thread_ = std::thread([raw] { raw->io_.run(); });
  return std::unique_ptr<Relay>(new Relay(std::move(impl)));
}

Relay::Relay(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Relay::~Relay() { Stop(); }

uint16_t Relay::port() const { return impl_->port_; }

void Relay::Stop() {
  std::lock_guard<std::mutex> lock(impl_->stop_mu_);
  if (impl_->stopped_) {
    return;
  }
  impl_->stopped_ = true;
  Impl* raw = impl_.get();
  asio::post(impl_->io_, [raw] { raw->Shutdown(); });
  impl_->thread_.join();
}

Relay::Stats Relay::stats() const {
  const Shared& s = impl_->shared_;
  return Stats{s.accepted.load(), s.open.load(), s.connect_failures.load(),
               s.bytes_to_target.load(), s.bytes_to_client.load()};
}

}  // namespace tandem::relay
