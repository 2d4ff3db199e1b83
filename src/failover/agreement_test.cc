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

TEST(AgreementTest, AChangedCheckKeepsItsLastStateUntilObserved) {
  const std::vector<config::HealthCheckConfig> checks = {Check("p"), Check("new")};
  // The last decision had p unhealthy; its definition changed on reload and
  // nobody has observed the new one yet: it stays unhealthy.
  std::map<std::string, Agreed> previous;
  previous["p"].healthy = false;
  auto a = Agree(checks, {View("a", {})}, 0.18, previous);
  EXPECT_FALSE(a["p"].healthy);
  EXPECT_EQ(a["p"].why, "not observed since it changed; kept unhealthy");
  // A genuinely new check is healthy until its first results (Route 53).
  EXPECT_TRUE(a["new"].healthy);
  EXPECT_EQ(a["new"].why, "not observed yet");
  // Once observed, the observations decide.
  a = Agree(checks, {View("a", {{"p", true}})}, 0.18, previous);
  EXPECT_TRUE(a["p"].healthy);
  // Children of a CALCULATED check keep theirs too.
  std::vector<config::HealthCheckConfig> with_calc = checks;
  config::HealthCheckConfig calc;
  calc.name = "calc";
  calc.type = config::CheckType::kCalculated;
  calc.children = {"p"};
  calc.health_threshold = 1;
  with_calc.push_back(calc);
  EXPECT_FALSE(Agree(with_calc, {}, 0.18, previous)["calc"].healthy);
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
