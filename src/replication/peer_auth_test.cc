#include "replication/peer_auth.h"

#include <gtest/gtest.h>

namespace tandem::replication {
namespace {

std::vector<auth::Header> View(const std::vector<auth::OwnedHeader>& owned) {
  std::vector<auth::Header> out;
  for (const auto& h : owned) out.push_back({h.name, h.value});
  return out;
}

class PeerAuthTest : public ::testing::Test {
 protected:
  ManualClock clock_;
  PeerAuth sender_{"0123456789abcdef-cluster", "us-east-1", &clock_};
  PeerAuth receiver_{"0123456789abcdef-cluster", "eu-west-1", &clock_};
};

TEST_F(PeerAuthTest, AcceptsASignedRequestOnce) {
  const auto headers = sender_.Sign("POST", "/_tandem/replicate", "batch");
  auto region = receiver_.Verify("POST", "/_tandem/replicate", View(headers), "batch");
  ASSERT_TRUE(region.ok()) << region.status().ToString();
  EXPECT_EQ(*region, "us-east-1");
  auto replay = receiver_.Verify("POST", "/_tandem/replicate", View(headers), "batch");
  EXPECT_EQ(replay.status().code(), Status::Code::kUnauthenticated);
}

TEST_F(PeerAuthTest, RefusesAlteredBodyPathOrRegion) {
  const auto headers = sender_.Sign("POST", "/_tandem/replicate", "batch");
  EXPECT_FALSE(receiver_.Verify("POST", "/_tandem/replicate", View(headers), "batcH").ok());
  EXPECT_FALSE(receiver_.Verify("POST", "/_tandem/other", View(headers), "batch").ok());
  auto forged = headers;
  forged[0].value = "ap-south-1";
  EXPECT_FALSE(receiver_.Verify("POST", "/_tandem/replicate", View(forged), "batch").ok());
}

TEST_F(PeerAuthTest, RefusesAnotherSecretAndMissingHeaders) {
  PeerAuth stranger("another-secret-0123456789", "us-east-1", &clock_);
  const auto headers = stranger.Sign("POST", "/p", "b");
  auto result = receiver_.Verify("POST", "/p", View(headers), "b");
  EXPECT_EQ(result.status().code(), Status::Code::kUnauthenticated);
  EXPECT_NE(result.status().message().find("cluster secret"), std::string::npos);
  EXPECT_FALSE(receiver_.Verify("POST", "/p", {}, "b").ok());
}

TEST_F(PeerAuthTest, RefusesRequestsOutsideTheWindow) {
  const auto headers = sender_.Sign("POST", "/p", "b");
  clock_.Advance(6 * 60 * 1'000'000LL);
  EXPECT_FALSE(receiver_.Verify("POST", "/p", View(headers), "b").ok());
  const auto fresh = sender_.Sign("POST", "/p", "b");
  EXPECT_TRUE(receiver_.Verify("POST", "/p", View(fresh), "b").ok());
}

}  // namespace
}  // namespace tandem::replication
