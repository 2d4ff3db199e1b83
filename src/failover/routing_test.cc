#include "failover/routing.h"

#include <gtest/gtest.h>

namespace tandem::failover {
namespace {

using config::AnswerConfig;
using config::RecordConfig;
using config::Routing;

AnswerConfig Answer(std::string set, std::string check,
                    AnswerConfig::Failover failover = AnswerConfig::Failover::kNone,
                    int weight = -1) {
  AnswerConfig a;
  a.set = set;
  a.value = "192.0.2." + std::to_string(set.size());
  a.health_check = std::move(check);
  a.failover = failover;
  a.weight = weight;
  return a;
}

std::map<std::string, Agreed> Health(std::map<std::string, bool> states) {
  std::map<std::string, Agreed> out;
  for (const auto& [name, healthy] : states) out[name].healthy = healthy;
  return out;
}

RecordConfig Failover(bool secondary_checked = true) {
  RecordConfig r;
  r.name = "www.shop.example.";
  r.type = "A";
  r.routing = Routing::kFailover;
  r.answers = {Answer("us", "us", AnswerConfig::Failover::kPrimary),
               Answer("eu", secondary_checked ? "eu" : "", AnswerConfig::Failover::kSecondary)};
  return r;
}

TEST(RoutingTest, FailoverFollowsRoute53) {
  const RecordConfig r = Failover();
  EXPECT_EQ(Choose(r, Health({{"us", true}, {"eu", true}}), {}).answers, std::vector<size_t>{0});
  EXPECT_EQ(Choose(r, Health({{"us", true}, {"eu", false}}), {}).answers, std::vector<size_t>{0});
  EXPECT_EQ(Choose(r, Health({{"us", false}, {"eu", true}}), {}).answers, std::vector<size_t>{1});
  // Both unhealthy: the primary.
  EXPECT_EQ(Choose(r, Health({{"us", false}, {"eu", false}}), {}).answers, std::vector<size_t>{0});
  // A secondary without a check counts healthy.
  EXPECT_EQ(Choose(Failover(false), Health({{"us", false}}), {}).answers, std::vector<size_t>{1});
}

TEST(RoutingTest, ControlsOverrideHealth) {
  const RecordConfig r = Failover();
  const auto healthy = Health({{"us", true}, {"eu", true}});
  EXPECT_EQ(Choose(r, healthy, {{"us", Control::kOut}}).answers, std::vector<size_t>{1});
  // Forced in: the primary is served although its check fails.
  EXPECT_EQ(Choose(r, Health({{"us", false}, {"eu", true}}), {{"us", Control::kIn}}).answers,
            std::vector<size_t>{0});
  // Out wins over everything, even with the secondary down.
  EXPECT_EQ(Choose(r, Health({{"us", true}, {"eu", false}}), {{"us", Control::kOut}}).answers,
            std::vector<size_t>{1});
  EXPECT_TRUE(Choose(r, healthy, {{"us", Control::kOut}, {"eu", Control::kOut}}).empty());
}

TEST(RoutingTest, WeightedUsesZeroWeightsOnlyWhenTheOthersAreDown) {
  RecordConfig r;
  r.routing = Routing::kWeighted;
  r.answers = {Answer("a", "a", AnswerConfig::Failover::kNone, 10),
               Answer("bb", "b", AnswerConfig::Failover::kNone, 0),
               Answer("ccc", "c", AnswerConfig::Failover::kNone, 30)};
  auto c = Choose(r, Health({{"a", true}, {"b", true}, {"c", true}}), {});
  EXPECT_EQ(c.pick, Choice::Pick::kOneByWeight);
  EXPECT_EQ(c.answers, (std::vector<size_t>{0, 2}));
  EXPECT_EQ(c.weights, (std::vector<uint32_t>{10, 30}));
  c = Choose(r, Health({{"a", false}, {"b", true}, {"c", false}}), {});
  EXPECT_EQ(c.answers, std::vector<size_t>{1});
  // All unhealthy: all count as healthy, by weight; the zero weight, never
  // drawn beside the others, is not among the answers served.
  c = Choose(r, Health({{"a", false}, {"b", false}, {"c", false}}), {});
  EXPECT_EQ(c.answers, (std::vector<size_t>{0, 2}));
  EXPECT_EQ(c.weights, (std::vector<uint32_t>{10, 30}));
  // Only zero weights left (the others taken out): all of them, evenly.
  c = Choose(r, Health({{"a", false}, {"b", false}, {"c", false}}),
             {{"a", Control::kOut}, {"ccc", Control::kOut}});
  EXPECT_EQ(c.answers, std::vector<size_t>{1});
}

TEST(RoutingTest, MultivalueServesHealthyOrElseAll) {
  RecordConfig r;
  r.routing = Routing::kMultivalue;
  for (int i = 0; i < 10; ++i)
    r.answers.push_back(Answer(std::string(i + 1, 'x'), "c" + std::to_string(i)));
  std::map<std::string, bool> states;
  for (int i = 0; i < 10; ++i) states["c" + std::to_string(i)] = i % 3 == 0;
  auto c = Choose(r, Health(states), {});
  EXPECT_EQ(c.pick, Choice::Pick::kUpToEight);
  EXPECT_EQ(c.answers, (std::vector<size_t>{0, 3, 6, 9}));
  for (auto& [k, v] : states) v = false;
  EXPECT_EQ(Choose(r, Health(states), {}).answers.size(), 10u);  // responder draws 8
}

TEST(RoutingTest, SimpleServesEverythingNotTakenOut) {
  RecordConfig r;
  r.routing = Routing::kSimple;
  r.answers = {Answer("a", "a"), Answer("bb", "")};
  EXPECT_EQ(Choose(r, Health({{"a", false}}), {}).answers, (std::vector<size_t>{0, 1}));
  EXPECT_EQ(Choose(r, {}, {{"a", Control::kOut}}).answers, std::vector<size_t>{1});
}

TEST(RoutingTest, SafetyRuleNamesRecordsLeftWithNothing) {
  std::vector<RecordConfig> records = {Failover()};
  EXPECT_TRUE(RecordsLeftEmpty(records, {{"us", Control::kOut}}).empty());
  EXPECT_EQ(RecordsLeftEmpty(records, {{"us", Control::kOut}, {"eu", Control::kOut}}),
            std::vector<std::string>{"www.shop.example. A"});
}

}  // namespace
}  // namespace tandem::failover
