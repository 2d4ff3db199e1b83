#include "probe/url.h"

#include <gtest/gtest.h>

namespace tandem::probe {
namespace {

TEST(ParseUrl, HostPortAndDefaults) {
  auto u = ParseUrl("http://127.0.0.1:8000");
  ASSERT_TRUE(u.ok()) << u.status().message();
  EXPECT_FALSE(u->tls);
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, 8000);
  EXPECT_EQ(u->target, "/");
  EXPECT_EQ(u->HostHeader(), "127.0.0.1:8000");

  u = ParseUrl("HTTPS://dynamodb.us-east-1.amazonaws.com");
  ASSERT_TRUE(u.ok());
  EXPECT_TRUE(u->tls);
  EXPECT_EQ(u->port, 443);
  EXPECT_EQ(u->HostHeader(), "dynamodb.us-east-1.amazonaws.com");

  u = ParseUrl("http://example.com:80/");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->HostHeader(), "example.com");
}

TEST(ParseUrl, PathAndQueryKept) {
  auto u = ParseUrl("http://app.local:8080/healthz?deep=1");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->target, "/healthz?deep=1");
  u = ParseUrl("http://app.local?x=1");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->target, "/?x=1");
  EXPECT_EQ(u->text, "http://app.local?x=1");
}

TEST(ParseUrl, Ipv6InBrackets) {
  auto u = ParseUrl("http://[::1]:8000/x");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 8000);
  EXPECT_EQ(u->HostHeader(), "[::1]:8000");
  u = ParseUrl("https://[2001:db8::1]");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->port, 443);
  EXPECT_EQ(u->HostHeader(), "[2001:db8::1]");
}

TEST(ParseUrl, Refusals) {
  for (const char* bad :
       {"127.0.0.1:8000", "ftp://x", "http://", "http://:80", "http://x:0", "http://x:65536",
        "http://x:8o", "http://u:p@x", "http://x/#frag", "http://::1:80", "http://[::1",
        "http://[::1]x", "http://x y/", "http://x/a b"}) {
    auto u = ParseUrl(bad);
    EXPECT_FALSE(u.ok()) << bad;
    if (!u.ok()) {
      EXPECT_EQ(u.status().code(), Status::Code::kInvalidArgument);
      EXPECT_NE(u.status().message().find(bad), std::string::npos) << u.status().message();
    }
  }
}

TEST(ParseHostPort, Accepts) {
  auto hp = ParseHostPort("127.0.0.1:8080");
  ASSERT_TRUE(hp.ok());
  EXPECT_EQ(hp->host, "127.0.0.1");
  EXPECT_EQ(hp->port, 8080);
  hp = ParseHostPort("[::1]:0");
  ASSERT_TRUE(hp.ok());
  EXPECT_EQ(hp->host, "::1");
  EXPECT_EQ(hp->port, 0);
}

TEST(ParseHostPort, Refusals) {
  for (const char* bad : {"8080", ":8080", "localhost:8080", "127.0.0.1",
                          "127.0.0.1:", "127.0.0.1:99999", "::1:80", "127.0.0.1:http"}) {
    EXPECT_FALSE(ParseHostPort(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace tandem::probe
