#include "dns/tcp_server.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <cstring>

namespace tandem::dns {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr size_t kMaxMessage = 65535;
constexpr size_t kReadChunk = 4096;
constexpr size_t kMaxPendingOut = 256 * 1024;  // answer more only after writing this

const ZoneSet& EmptyZones() {
  static const ZoneSet empty;
  return empty;
}

}  // namespace

// One client connection. Handlers hold a shared_ptr, so it lives while an
// operation is pending; at most one read or one write is pending at a time.
class TcpConnection : public std::enable_shared_from_this<TcpConnection> {
 public:
  TcpConnection(TcpServer* server, tcp::socket socket)
      : server_(server), socket_(std::move(socket)), timer_(socket_.get_executor()) {
    server_->live_.insert(this);
  }
  ~TcpConnection() { server_->live_.erase(this); }

  void Start() {
    error_code ignored;
    socket_.set_option(tcp::no_delay(true), ignored);
    in_.resize(kReadChunk);
    Read();
  }

  void Close() {
    if (closed_) {
      return;
    }
    closed_ = true;
    error_code ignored;
    socket_.close(ignored);
    timer_.cancel();
  }

 private:
  void ArmTimer() {
    timer_.expires_after(server_->setup_.idle_timeout);
    timer_.async_wait([self = shared_from_this()](error_code ec) {
      if (!ec && !self->closed_) {
        self->Close();  // idle too long (RFC 7766 6.2.3)
      }
    });
  }

  void Read() {
    if (closed_) {
      return;
    }
    ArmTimer();
    if (in_.size() - in_size_ < kReadChunk) {
      in_.resize(in_size_ + kReadChunk);
    }
    socket_.async_read_some(asio::buffer(in_.data() + in_size_, in_.size() - in_size_),
                            [self = shared_from_this()](error_code ec, size_t n) {
                              if (ec) {
                                self->Close();
                                return;
                              }
                              self->in_size_ += n;
                              self->Process();
                            });
  }

  // Answers every complete message in the buffer, then writes or reads.
  void Process() {
    if (closed_) {
      return;
    }
    const ZoneSet& zones = server_->Zones();
    out_.clear();
    size_t pos = 0;
    ResponseInfo info;
    while (in_size_ - pos >= 2 && out_.size() < kMaxPendingOut) {
      const size_t len = (size_t{in_[pos]} << 8) | in_[pos + 1];
      if (len < 12) {
        Count(ResponseInfo{.dropped = true});
        Close();  // not a DNS message
        return;
      }
      if (in_size_ - pos - 2 < len) {
        if (in_.size() < pos + 2 + len) {
          in_.resize(pos + 2 + len);  // room for the rest of this message
        }
        break;
      }
      uint8_t* scratch = server_->scratch_.data();
      const size_t n = server_->responder_.Respond(
          zones, std::span<const uint8_t>(in_.data() + pos + 2, len), Transport::kTcp,
          std::span<uint8_t>(scratch, kMaxMessage), &info);
      Count(info);
      if (n == 0) {
        Close();  // a response, or too broken to answer: end the conversation
        return;
      }
      out_.push_back(static_cast<uint8_t>(n >> 8));
      out_.push_back(static_cast<uint8_t>(n));
      out_.insert(out_.end(), scratch, scratch + n);
      pos += 2 + len;
    }
    if (pos > 0) {
      std::memmove(in_.data(), in_.data() + pos, in_size_ - pos);
      in_size_ -= pos;
    }
    if (out_.empty()) {
      Read();
      return;
    }
    ArmTimer();
    asio::async_write(socket_, asio::buffer(out_),
                      [self = shared_from_this()](error_code ec, size_t) {
                        if (ec) {
                          self->Close();
                          return;
                        }
                        self->Process();  // more complete messages may be waiting
                      });
  }

  void Count(const ResponseInfo& info) { server_->setup_.counters->Count(Transport::kTcp, info); }

  TcpServer* server_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  std::vector<uint8_t> in_;
  size_t in_size_ = 0;
  std::vector<uint8_t> out_;
  bool closed_ = false;
};

TcpServer::TcpServer(const Setup& setup)
    : setup_(setup),
      responder_(setup.responder, setup.seed),
      reader_(setup.zones),
      scratch_(kMaxMessage),
      acceptor_(io_),
      accept_retry_(io_) {}

TcpServer::~TcpServer() { Stop(); }

error_code TcpServer::Listen(const tcp::endpoint& endpoint) {
  error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) {
    acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  }
  if (!ec) {
    acceptor_.bind(endpoint, ec);
  }
  if (!ec) {
    acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    error_code ignored;
    acceptor_.close(ignored);
  }
  return ec;
}

uint16_t TcpServer::port() const {
  error_code ec;
  const auto endpoint = acceptor_.local_endpoint(ec);
  return ec ? 0 : endpoint.port();
}

const ZoneSet& TcpServer::Zones() {
  const ZoneSet* zones = reader_.Refresh();
  return zones ? *zones : EmptyZones();
}

void TcpServer::Start() {
  Accept();
  thread_ = std::thread([this] { io_.run(); });
}

void TcpServer::Accept() {
  acceptor_.async_accept([this](error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) {
      return;
    }
    if (!ec) {
      if (live_.size() >= setup_.max_connections) {
        error_code ignored;
        socket.close(ignored);  // over the cap: refuse by closing at once
      } else {
        std::make_shared<TcpConnection>(this, std::move(socket))->Start();
      }
    } else {
      spdlog::warn("dns: TCP accept failed: {}", ec.message());
      accept_retry_.expires_after(std::chrono::milliseconds(100));
      accept_retry_.async_wait([this](error_code wait_ec) {
        if (!wait_ec) {
          Accept();
        }
      });
      return;
    }
    Accept();
  });
}

void TcpServer::Stop() {
  if (thread_.joinable()) {
    asio::post(io_, [this] {
      error_code ignored;
      acceptor_.close(ignored);
      accept_retry_.cancel();
      for (TcpConnection* c : std::vector<TcpConnection*>(live_.begin(), live_.end())) {
        c->Close();
      }
      io_.stop();
    });
    thread_.join();
  } else {
    error_code ignored;
    acceptor_.close(ignored);
  }
}

}  // namespace tandem::dns
