#include "failover/controls.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>

namespace tandem::failover {
namespace {

using Outcome = ControlStore::Outcome;
using std::chrono::milliseconds;

class ControlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("tandem-controls-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path() const { return dir_ + "/state/ns1-controls.json"; }
  std::string dir_;
};

TEST_F(ControlsTest, PersistAcrossReopen) {
  auto store = ControlStore::Open(path());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_TRUE((*store)->Current().empty());
  ASSERT_EQ(*(*store)->Set("us-east-1", {Control::kOut, 100, "ops"}), Outcome::kApplied);
  ASSERT_EQ(*(*store)->Set("eu-west-1", {Control::kAuto, 100, "ops"}), Outcome::kApplied);
  auto again = ControlStore::Open(path());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->Current(), (Controls{{"us-east-1", Control::kOut}}));
  EXPECT_EQ((*again)->Entries().at("eu-west-1").by, "ops");
}

TEST_F(ControlsTest, MergeKeepsTheNewestOfEachSet) {
  auto store = std::move(ControlStore::Open(path())).value();
  ASSERT_TRUE(store->Set("a", {Control::kOut, 200, "x"}).ok());
  ASSERT_TRUE(store->Set("b", {Control::kIn, 200, "x"}).ok());
  auto changed = store->Merge({{"a", {Control::kAuto, 100, "y"}},  // older: ignored
                               {"b", {Control::kAuto, 300, "y"}},  // newer: taken
                               {"c", {Control::kOut, 50, "y"}}});  // new set
  ASSERT_TRUE(changed.ok());
  EXPECT_TRUE(*changed);
  EXPECT_EQ(store->Current(), (Controls{{"a", Control::kOut}, {"c", Control::kOut}}));
  EXPECT_FALSE(*store->Merge(store->Entries()));  // nothing newer
}

TEST_F(ControlsTest, SetNeverReplacesANewerControl) {
  auto store = std::move(ControlStore::Open(path())).value();
  ASSERT_EQ(*store->Set("a", {Control::kOut, 200, "ops@x"}), Outcome::kApplied);
  // Issued earlier (it arrived late): the newer control stays.
  EXPECT_EQ(*store->Set("a", {Control::kAuto, 100, "ops@y"}), Outcome::kSuperseded);
  EXPECT_EQ(store->Current(), (Controls{{"a", Control::kOut}}));
  // The very same entry again (a peer passed it on first): nothing to do.
  EXPECT_EQ(*store->Set("a", {Control::kOut, 200, "ops@x"}), Outcome::kUnchanged);
  // Check decides the same way and changes nothing.
  EXPECT_EQ(*store->Check("a", {Control::kAuto, 100, "ops@y"}), Outcome::kSuperseded);
  EXPECT_EQ(*store->Check("a", {Control::kAuto, 300, "ops@y"}), Outcome::kApplied);
  EXPECT_EQ(store->Current(), (Controls{{"a", Control::kOut}}));
  // A later one wins; the file says the same.
  EXPECT_EQ(*store->Set("a", {Control::kAuto, 300, "ops@y"}), Outcome::kApplied);
  EXPECT_TRUE(store->Current().empty());
  auto again = std::move(ControlStore::Open(path())).value();
  EXPECT_EQ(again->Entries().at("a").at_micros, 300);
}

TEST_F(ControlsTest, NothingChangesWhenTheFileCannotBeWritten) {
  auto store = std::move(ControlStore::Open(path())).value();
  // A file where the state directory should be: every write fails.
  std::filesystem::create_directories(dir_);
  std::ofstream(dir_ + "/state") << "in the way";
  auto set = store->Set("a", {Control::kOut, 100, "ops"});
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.status().code(), Status::Code::kIOError);
  EXPECT_TRUE(store->Current().empty());
  EXPECT_TRUE(store->Entries().empty());
  auto merged = store->Merge({{"a", {Control::kOut, 100, "ns2"}}});
  ASSERT_FALSE(merged.ok());
  EXPECT_TRUE(store->Entries().empty());
}

TEST_F(ControlsTest, TheSafetyCheckSeesTheStateItChanges) {
  auto store = std::move(ControlStore::Open(path())).value();
  auto safety = [](const Controls& proposed) {
    return proposed.size() < 2 ? Status::OK() : Status::FailedPrecondition("both out");
  };
  ASSERT_EQ(*store->Set("a", {Control::kOut, 100, "ops"}, safety), Outcome::kApplied);
  auto refused = store->Set("b", {Control::kOut, 200, "ops"}, safety);
  EXPECT_EQ(refused.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_EQ(store->Current(), (Controls{{"a", Control::kOut}}));
  // Back to auto: the proposed controls leave "a" out.
  ASSERT_EQ(*store->Set("a", {Control::kAuto, 300, "ops"}, safety), Outcome::kApplied);
  // The check runs under the store's lock: a Merge arriving meanwhile waits
  // until the change is made, so the check never judges a stale state.
  std::future<StatusOr<bool>> merge;
  auto racing = [&](const Controls& proposed) {
    merge = std::async(std::launch::async, [&] {
      return store->Merge({{"c", {Control::kOut, 400, "ns2"}}});
    });
    EXPECT_EQ(merge.wait_for(milliseconds(100)), std::future_status::timeout);
    return safety(proposed);
  };
  ASSERT_EQ(*store->Set("b", {Control::kOut, 400, "ops"}, racing), Outcome::kApplied);
  EXPECT_TRUE(*merge.get());
  EXPECT_EQ(store->Current(), (Controls{{"b", Control::kOut}, {"c", Control::kOut}}));
}

TEST_F(ControlsTest, MergeLeavesControlsFromTheFutureForLater) {
  auto store = std::move(ControlStore::Open(path())).value();
  const ControlEntries ahead = {{"a", {Control::kOut, 5'000, "ns2"}}};
  EXPECT_FALSE(*store->Merge(ahead, /*latest_micros=*/1'000));
  EXPECT_TRUE(store->Entries().empty());
  EXPECT_TRUE(*store->Merge(ahead, /*latest_micros=*/5'000));
  EXPECT_EQ(store->Current(), (Controls{{"a", Control::kOut}}));
}

TEST_F(ControlsTest, ACorruptFileIsRefusedNotIgnored) {
  std::filesystem::create_directories(dir_ + "/state");
  std::ofstream(path()) << "{\"a\": {\"control\": \"sideways\", \"at\": 1}}";
  auto store = ControlStore::Open(path());
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("ns1-controls.json"), std::string::npos);
  EXPECT_EQ(ControlsFromJson("[]").status().code(), Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace tandem::failover
