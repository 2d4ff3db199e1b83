#include "failover/agreement.h"

#include <gtest/gtest.h>

namespace tandem::failover {
namespace {

config::HealthCheckConfig Check(std::string name) {
  config::HealthCheckConfig c;
  c.name = std::move(name);
  c.type = config::CheckType::kHttp;
  return c;
}

CheckerView View(std::string server, std::map<std::string, bool> states) {
  CheckerView v;
  v.server = std::move(server);
  for (const auto& [name, healthy] : states) v.checks[name].healthy = healthy;
  return v;
}

TEST(AgreementTest, HealthyWhenMoreThanTheFractionOfCheckersSeeItHealthy) {
  const std::vector<config::HealthCheckConfig> checks = {Check("p")};
  // Three checkers: one cut off from p does not make it unhealthy.
  auto a =
      Agree(checks, {View("a", {{"p", false}}), View("b", {{"p", true}}), View("c", {{"p", true}})},
            0.18);
  EXPECT_TRUE(a["p"].healthy);
  EXPECT_EQ(a["p"].why, "2 of 3 checkers see it healthy");
  // One of three healthy is 33% > 18%: still healthy (Route 53's rule).
  a = Agree(checks,
            {View("a", {{"p", false}}), View("b", {{"p", false}}), View("c", {{"p", true}})}, 0.18);
  EXPECT_TRUE(a["p"].healthy);
  a = Agree(checks,
            {View("a", {{"p", false}}), View("b", {{"p", false}}), View("c", {{"p", false}})},
            0.18);
  EXPECT_FALSE(a["p"].healthy);
  // Alone, a checker decides alone.
  EXPECT_FALSE(Agree(checks, {View("a", {{"p", false}})}, 0.18)["p"].healthy);
  // Not observed by anyone yet: healthy.
  EXPECT_TRUE(Agree(checks, {}, 0.18)["p"].healthy);
  // A higher fraction: 2 of 3 is not more than 0.7.
  EXPECT_FALSE(
      Agree(checks, {View("a", {{"p", false}}), View("b", {{"p", true}}), View("c", {{"p", true}})},
            0.7)["p"]
          .healthy);
}

TEST(AgreementTest, CalculatedChecksCountHealthyChildren) {
  std::vector<config::HealthCheckConfig> checks = {Check("x"), Check("y"), Check("z")};
  config::HealthCheckConfig calc;
  calc.name = "two";
  calc.type = config::CheckType::kCalculated;
  calc.children = {"x", "y", "z"};
  calc.health_threshold = 2;
  checks.push_back(calc);
  config::HealthCheckConfig outer = calc;
  outer.name = "outer";
  outer.children = {"two"};
  outer.health_threshold = 1;
  outer.inverted = true;
  checks.push_back(outer);
  auto a = Agree(checks, {View("a", {{"x", true}, {"y", false}, {"z", true}})}, 0.18);
  EXPECT_TRUE(a["two"].healthy);
  EXPECT_EQ(a["two"].why, "2 of 3 children healthy (needs 2)");
  EXPECT_FALSE(a["outer"].healthy);  // inverted
  a = Agree(checks, {View("a", {{"x", true}, {"y", false}, {"z", false}})}, 0.18);
  EXPECT_FALSE(a["two"].healthy);
  EXPECT_TRUE(a["outer"].healthy);
  // Threshold 0: always healthy; above the children: never.
  checks[3].health_threshold = 0;
  EXPECT_TRUE(
      Agree(checks, {View("a", {{"x", false}, {"y", false}, {"z", false}})}, 0.18)["two"].healthy);
  checks[3].health_threshold = 4;
  EXPECT_FALSE(
      Agree(checks, {View("a", {{"x", true}, {"y", true}, {"z", true}})}, 0.18)["two"].healthy);
  // Disabled: healthy, and inverted applies.
  checks[3].disabled = true;
  EXPECT_TRUE(Agree(checks, {}, 0.18)["two"].healthy);
  checks[3].inverted = true;
  EXPECT_FALSE(Agree(checks, {}, 0.18)["two"].healthy);
}

}  // namespace
}  // namespace tandem::failover
