#include "control/webhook.h"

#include <gtest/gtest.h>

#include "control/test_http_server.h"

namespace tandem::control {
namespace {

using testing::TestHttpServer;
using testing::TestRequest;
using testing::TestResponse;
using namespace std::chrono_literals;

constexpr char kSecret[] = "secret-key-0123456789";

// Computed apart: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac secret-key-0123456789
TEST(WebhookSignatureTest, IsHmacSha256OverTimestampDotBody) {
  EXPECT_EQ(WebhookSignature(kSecret, "1700000000", R"({"a":1})"),
            "sha256=95a94f8e9919abdf552708a6c1d5604116ad2a78af755c3113cf47afa01d92f2");
}

TEST(WebhookSignatureTest, VerificationRefusesTamperingAndReplays) {
  const std::string body = R"({"a":1})";
  const std::string sig = WebhookSignature(kSecret, "1700000000", body);
  EXPECT_TRUE(VerifyWebhookSignature(kSecret, "1700000000", body, sig, 1700000010, 300s).ok());
  EXPECT_FALSE(
      VerifyWebhookSignature(kSecret, "1700000000", R"({"a":2})", sig, 1700000010, 300s).ok());
  EXPECT_FALSE(
      VerifyWebhookSignature("another-secret-0123", "1700000000", body, sig, 1700000010, 300s)
          .ok());
  EXPECT_FALSE(VerifyWebhookSignature(kSecret, "1700000001", body, sig, 1700000010, 300s).ok());
  const Status old = VerifyWebhookSignature(kSecret, "1700000000", body, sig, 1700009999, 300s);
  EXPECT_EQ(old.code(), Status::Code::kUnauthenticated);
  EXPECT_NE(old.message().find("too far"), std::string::npos);
  EXPECT_FALSE(VerifyWebhookSignature(kSecret, "soon", body, sig, 1700000010, 300s).ok());
}

class WebhookTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto t = NewHttpTransport("");
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    transport_ = std::move(t).value();
  }
  WebhookRequest Request(const std::string& url) {
    return {url, kSecret, "failover", "failover:us-east-1:1", R"({"id":"failover:us-east-1:1"})",
            5s};
  }
  std::unique_ptr<HttpTransport> transport_;
  ManualClock clock_{1'700'000'000'000'000};
};

// A receiver on loopback checks the signature the way the docs tell
// receivers to.
TEST_F(WebhookTest, AReceiverVerifiesTheSignedPost) {
  Status verified = Status::Internal("no request");
  TestHttpServer receiver([&](const TestRequest& r) {
    verified = VerifyWebhookSignature(kSecret, r.Header("x-tandem-timestamp"), r.body,
                                      r.Header("x-tandem-signature"), 1'700'000'005, 300s);
    return TestResponse{verified.ok() ? 204 : 401, ""};
  });
  WebhookResult result =
      PostWebhook(transport_.get(), Request(receiver.url() + "/hooks/tandem"), &clock_);
  EXPECT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.status, 204);
  EXPECT_TRUE(verified.ok()) << verified.ToString();
  const auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 1u);
  const TestRequest& r = requests[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/hooks/tandem");
  EXPECT_EQ(r.body, R"({"id":"failover:us-east-1:1"})");
  EXPECT_EQ(r.Header("x-tandem-timestamp"), "1700000000");
  EXPECT_EQ(r.Header("x-tandem-event"), "failover");
  EXPECT_EQ(r.Header("x-tandem-event-id"), "failover:us-east-1:1");
  EXPECT_EQ(r.Header("content-type"), "application/json");
  EXPECT_TRUE(r.Header("x-tandem-signature").starts_with("sha256="));
}

TEST_F(WebhookTest, ServerErrorsAreRetryableClientErrorsAreNot) {
  int status = 503;
  TestHttpServer receiver([&](const TestRequest&) { return TestResponse{status, "busy"}; });
  WebhookResult r = PostWebhook(transport_.get(), Request(receiver.url()), &clock_);
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.retryable);
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.error, "busy");
  status = 429;
  EXPECT_TRUE(PostWebhook(transport_.get(), Request(receiver.url()), &clock_).retryable);
  status = 400;
  r = PostWebhook(transport_.get(), Request(receiver.url()), &clock_);
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(r.retryable);
}

TEST_F(WebhookTest, AnUnreachableReceiverIsRetryable) {
  int port = 0;
  {
    TestHttpServer gone([](const TestRequest&) { return TestResponse{}; });
    port = gone.port();
  }
  WebhookResult r =
      PostWebhook(transport_.get(), Request("http://127.0.0.1:" + std::to_string(port)), &clock_);
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.retryable);
  EXPECT_EQ(r.status, 0);
  EXPECT_FALSE(r.error.empty());
  EXPECT_FALSE(r.ToJson().at("ok").as_bool());
}

}  // namespace
}  // namespace tandem::control
