#include "failover/controls.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace tandem::failover {
namespace {

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
  ASSERT_TRUE((*store)->Set("us-east-1", {Control::kOut, 100, "ops"}).ok());
  ASSERT_TRUE((*store)->Set("eu-west-1", {Control::kAuto, 100, "ops"}).ok());
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
