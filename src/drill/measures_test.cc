#include "drill/measures.h"

#include <gtest/gtest.h>

namespace tandem::drill {
namespace {

using std::chrono::milliseconds;

const SteadyTime kT0 = SteadyTime() + std::chrono::hours(1);

SteadyTime At(int ms) { return kT0 + milliseconds(ms); }

DnsSample Answer(int ms, size_t server, const std::string& a) { return {At(ms), server, a}; }

TEST(MeasuresTest, FlipAwayIsTheFirstOtherAnswerAfterTheFault) {
  std::vector<DnsSample> dns = {Answer(0, 0, "10.0.0.1"),    Answer(100, 1, "10.0.0.2"),
                                Answer(900, 1, "10.0.0.1"),  Answer(1000, 1, ""),
                                Answer(1100, 1, "10.0.0.2"), Answer(1200, 1, "10.0.0.2")};
  // The answer at 100 ms came before the fault and does not count; a lost
  // answer is not a flip.
  auto flip = FlipAway(dns, "10.0.0.1", At(500));
  ASSERT_TRUE(flip.has_value());
  EXPECT_DOUBLE_EQ(SecondsBetween(At(500), *flip), 0.6);
  EXPECT_FALSE(FlipAway(dns, "10.0.0.1", At(1300)).has_value());
}

TEST(MeasuresTest, FlipHomeIgnoresAGlimpseOfThePrimary) {
  std::vector<DnsSample> dns = {Answer(0, 1, "10.0.0.2"), Answer(100, 1, "10.0.0.1"),
                                Answer(200, 1, "10.0.0.2"), Answer(300, 1, "10.0.0.1"),
                                Answer(400, 1, "10.0.0.1")};
  auto home = FlipHome(dns, "10.0.0.1", At(0));
  ASSERT_TRUE(home.has_value());
  EXPECT_EQ(*home, At(300));
  dns.push_back(Answer(500, 0, "10.0.0.2"));
  EXPECT_FALSE(FlipHome(dns, "10.0.0.1", At(0)).has_value());
}

TEST(MeasuresTest, TrafficMovesCountsChangesPerServer) {
  // Two servers interleaved: each moved away and back once; a lost answer in
  // between is not a move.
  std::vector<DnsSample> dns = {Answer(0, 0, "a"),   Answer(0, 1, "a"),   Answer(100, 0, "b"),
                                Answer(100, 1, ""),  Answer(200, 1, "b"), Answer(300, 0, "a"),
                                Answer(300, 1, "a"), Answer(400, 1, "a")};
  EXPECT_EQ(TrafficMoves(dns), 2);
  EXPECT_EQ(TrafficMoves({Answer(0, 0, "a"), Answer(50, 0, "a"), Answer(100, 1, "a")}), 0);
}

TEST(MeasuresTest, DetectionIsTheFirstUnhealthySampleAfterTheFault) {
  std::vector<HealthSample> h = {{At(0), false}, {At(100), true}, {At(700), false}};
  EXPECT_EQ(Detection(h, At(50)), At(700));
  EXPECT_FALSE(Detection({{At(0), true}}, At(0)).has_value());
}

TEST(MeasuresTest, TimelineBucketsAnswersClientResultsAndBacklog) {
  std::vector<ObservedRegion> regions = {{"us-east-1", "10.0.0.1", "", 0, ""},
                                         {"eu-west-1", "10.0.0.2", "", 0, ""}};
  std::vector<DnsSample> dns = {Answer(10, 1, "10.0.0.2"), Answer(20, 0, "10.0.0.1"),
                                Answer(150, 1, "10.0.0.2")};
  std::vector<Attempt> attempts;
  auto attempt = [&](int end_ms, bool ok, Attempt::Kind kind = Attempt::Kind::kOrder) {
    Attempt a;
    a.kind = kind;
    a.start = At(end_ms - 5);
    a.end = At(end_ms);
    a.ok = ok;
    attempts.push_back(a);
  };
  attempt(30, true);
  attempt(60, true);
  attempt(120, false);
  attempt(130, true, Attempt::Kind::kResolve);  // resolutions are not client operations
  std::vector<LagSample> lag = {{At(110), 7.0}, {At(190), 3.0}};
  auto t = BuildTimeline(dns, attempts, lag, At(0), At(799), milliseconds(100), regions);
  ASSERT_EQ(t.size(), 8u);
  // The lowest-numbered server that answered in the step speaks for it.
  EXPECT_EQ(t[0].answer, "10.0.0.1");
  EXPECT_EQ(t[0].answer_region, "us-east-1");
  EXPECT_EQ(t[0].client_ok, 2u);
  EXPECT_EQ(t[0].client_errors, 0u);
  EXPECT_FALSE(t[0].replication_pending.has_value());
  EXPECT_EQ(t[1].answer_region, "eu-west-1");
  EXPECT_EQ(t[1].client_ok, 0u);
  EXPECT_EQ(t[1].client_errors, 1u);
  EXPECT_EQ(t[1].replication_pending, 3.0);
  EXPECT_DOUBLE_EQ(t[1].t_s, 0.1);
  // A backlog sample holds for three more steps, then the data has a gap.
  EXPECT_EQ(t[4].replication_pending, 3.0);
  EXPECT_FALSE(t[5].replication_pending.has_value());
}

TEST(MeasuresTest, ExpectationsNameWhatWasSeen) {
  auto held = AtMost("dns flip", 0.74, 1.0);
  EXPECT_TRUE(held.held);
  EXPECT_EQ(held.actual, "0.740 s");
  EXPECT_EQ(held.expected, "<= 1.0 s");
  auto missing = AtMost("dns flip", std::nullopt, 1.0);
  EXPECT_FALSE(missing.held);
  EXPECT_EQ(missing.actual, "not measured");
  EXPECT_FALSE(CountIs("lost", 3, 0).held);
  EXPECT_TRUE(CountIs("lost", 0, 0).held);
  EXPECT_FALSE(IsTrue("consistent", false).held);
  EXPECT_FALSE(IsTrue("consistent", std::nullopt).held);
}

}  // namespace
}  // namespace tandem::drill
