#include "up/readiness.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

namespace tandem::up {
namespace {

using std::chrono::milliseconds;

// A socket bound to 127.0.0.1 on a free port.
struct Bound {
  int fd = -1;
  uint16_t port = 0;
  explicit Bound(int type) {
    fd = ::socket(AF_INET, type, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    socklen_t len = sizeof(a);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~Bound() { ::close(fd); }
};

// Answers one HTTP request on `server` with `response`.
std::thread ServeOnce(const Bound& server, std::string response) {
  ::listen(server.fd, 4);
  return std::thread([fd = server.fd, response] {
    const int c = ::accept(fd, nullptr, nullptr);
    char buf[4096];
    std::string request;
    while (request.find("\r\n\r\n") == std::string::npos) {
      const ssize_t n = ::read(c, buf, sizeof(buf));
      if (n <= 0) break;
      request.append(buf, static_cast<size_t>(n));
    }
    (void)!::write(c, response.data(), response.size());
    ::close(c);
  });
}

std::string Http(int status, const std::string& body) {
  return "HTTP/1.1 " + std::to_string(status) +
         " X\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" +
         body;
}

TEST(ReadinessTest, HttpIsReadyOn200WithTheExpectedBody) {
  Bound server(SOCK_STREAM);
  ReadyCheck check{ReadyCheck::Kind::kHttp, {"127.0.0.1", server.port}, "/health", "\"ok\"", ""};
  auto t = ServeOnce(server, Http(200, R"({"status": "ok"})"));
  EXPECT_TRUE(CheckReady(check, milliseconds(2000)).ok());
  t.join();
}

TEST(ReadinessTest, HttpSaysWhyItIsNotReady) {
  Bound server(SOCK_STREAM);
  ReadyCheck check{ReadyCheck::Kind::kHttp, {"127.0.0.1", server.port}, "/health", "\"ok\"", ""};
  auto t = ServeOnce(server, Http(503, R"({"status": "error", "message": "no table"})"));
  Status st = CheckReady(check, milliseconds(2000));
  t.join();
  EXPECT_EQ(st.code(), Status::Code::kUnavailable);
  EXPECT_EQ(st.message(), R"(HTTP 503: {"status": "error", "message": "no table"})");

  auto t2 = ServeOnce(server, Http(200, R"({"status": "error"})"));
  st = CheckReady(check, milliseconds(2000));
  t2.join();
  EXPECT_NE(st.message().find("not in the answer"), std::string::npos) << st.message();
}

TEST(ReadinessTest, HttpRefusedConnectionIsNotReady) {
  uint16_t port;
  {
    Bound gone(SOCK_STREAM);
    port = gone.port;
  }
  Status st = CheckReady({ReadyCheck::Kind::kHttp, {"127.0.0.1", port}}, milliseconds(1000));
  EXPECT_FALSE(st.ok());
}

TEST(ReadinessTest, QueryIsAWellFormedAQuestion) {
  const std::string q = BuildQuery(0x1234, "www.shop.example.", 1);
  const std::string expected(
      "\x12\x34\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00"
      "\x03www\x04shop\x07"
      "example\x00\x00\x01\x00\x01",
      34);
  EXPECT_EQ(q, expected);
  EXPECT_EQ(BuildQuery(1, "www.shop.example", 1).substr(2), expected.substr(2));
}

std::string Response(uint16_t id, uint8_t rcode, uint16_t answers) {
  std::string r = BuildQuery(id, "www.shop.example.", 1);
  r[2] = static_cast<char>(0x84);  // QR, AA
  r[3] = static_cast<char>(rcode);
  r[6] = static_cast<char>(answers >> 8);
  r[7] = static_cast<char>(answers & 0xFF);
  return r;  // the answer records themselves are not looked at
}

TEST(ReadinessTest, ResponsesNeedNoerrorAndAnAnswer) {
  EXPECT_TRUE(CheckDnsResponse(Response(7, 0, 1), 7).ok());
  EXPECT_EQ(CheckDnsResponse(Response(7, 3, 0), 7).message(), "NXDOMAIN");
  EXPECT_EQ(CheckDnsResponse(Response(7, 5, 0), 7).message(), "REFUSED");
  EXPECT_EQ(CheckDnsResponse(Response(7, 0, 0), 7).message(), "NOERROR without an answer");
  EXPECT_EQ(CheckDnsResponse(Response(8, 0, 1), 7).code(), Status::Code::kNotFound);
  EXPECT_FALSE(CheckDnsResponse("abc", 7).ok());
  EXPECT_FALSE(CheckDnsResponse(BuildQuery(7, "x.", 1), 7).ok());  // not a response
}

TEST(ReadinessTest, DnsAsksOverUdpAndReadsTheAnswer) {
  Bound server(SOCK_DGRAM);
  std::thread answer([fd = server.fd] {
    char buf[512];
    sockaddr_in from{};
    socklen_t len = sizeof(from);
    const ssize_t n = ::recvfrom(fd, buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&from), &len);
    if (n < 12) return;
    std::string r(buf, static_cast<size_t>(n));
    r[2] = static_cast<char>(0x84);
    r[7] = 1;
    ::sendto(fd, r.data(), r.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
  });
  ReadyCheck check{
      ReadyCheck::Kind::kDns, {"127.0.0.1", server.port, true}, "", "", "www.shop.example."};
  EXPECT_TRUE(CheckReady(check, milliseconds(2000)).ok());
  answer.join();
}

TEST(ReadinessTest, DnsWithoutAServerIsNotReady) {
  uint16_t port;
  {
    Bound gone(SOCK_DGRAM);
    port = gone.port;
  }
  ReadyCheck check{ReadyCheck::Kind::kDns, {"127.0.0.1", port, true}, "", "", "www.shop.example."};
  EXPECT_FALSE(CheckReady(check, milliseconds(300)).ok());
}

TEST(ReadinessTest, CheckFreeSeesPortsInUse) {
  Bound tcp(SOCK_STREAM);
  ::listen(tcp.fd, 1);
  Status st = CheckFree({"127.0.0.1", tcp.port});
  EXPECT_EQ(st.code(), Status::Code::kFailedPrecondition);
  EXPECT_EQ(st.message(), "127.0.0.1:" + std::to_string(tcp.port) +
                              " is already in use (Address already in use)");
  Bound udp(SOCK_DGRAM);
  EXPECT_FALSE(CheckFree({"127.0.0.1", udp.port, true}).ok());
  uint16_t free_port;
  {
    Bound gone(SOCK_STREAM);
    free_port = gone.port;
  }
  EXPECT_TRUE(CheckFree({"127.0.0.1", free_port}).ok());
  EXPECT_EQ(CheckFree({"localhost", 80}).code(), Status::Code::kInvalidArgument);
}

void Append(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::app | std::ios::binary) << text;
}

// The controller's readiness: a whole line appended after the check was
// made, so an audit log left by an earlier run does not count.
TEST(ReadinessTest, FileIsReadyOnANewCompleteLine) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("tandem-readiness-" + std::to_string(::getpid()) + ".jsonl"))
                               .string();
  std::filesystem::remove(path);
  ReadyCheck fresh = NewLineIn(path);
  EXPECT_EQ(fresh.file_from, 0u);
  EXPECT_EQ(fresh.Describe(), "a new line in " + path);
  EXPECT_EQ(CheckReady(fresh, milliseconds(100)).code(), Status::Code::kUnavailable);

  Append(path, "{\"event\":\"leadership\"}\n");
  EXPECT_TRUE(CheckReady(fresh, milliseconds(100)).ok());

  ReadyCheck later = NewLineIn(path);  // an earlier run's line is already there
  EXPECT_EQ(later.file_from, 23u);
  EXPECT_FALSE(CheckReady(later, milliseconds(100)).ok());
  Append(path, "{\"event\":");  // partly written
  Status st = CheckReady(later, milliseconds(100));
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.message(), "no new line yet (32 bytes)");
  Append(path, "\"alarm\"}\n");
  EXPECT_TRUE(CheckReady(later, milliseconds(100)).ok());

  // Rotated away and started again: counts from the start.
  std::filesystem::remove(path);
  Append(path, "x\n");
  EXPECT_TRUE(CheckReady(later, milliseconds(100)).ok());
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace tandem::up
