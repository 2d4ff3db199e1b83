#include "up/workspace.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "auth/credentials.h"
#include "replication/peer_auth.h"
#include "up/instructions.h"
#include "up/topology.h"

namespace tandem::up {
namespace {

class WorkspaceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (std::filesystem::temp_directory_path() /
            ("tandem-workspace-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name()))
               .string();
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static std::string Read(const std::string& path) {
    std::ifstream in(path);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  static int Mode(const std::string& path) {
    struct stat st {};
    ::stat(path.c_str(), &st);
    return st.st_mode & 0777;
  }

  std::string dir_;
};

TEST_F(WorkspaceTest, ASecondOpenIsRefusedUntilTheFirstIsClosed) {
  auto first = Workspace::Open(dir_ + "/nested/up");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto second = Workspace::Open(dir_ + "/nested/up");
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_EQ(second.status().message(), dir_ + "/nested/up is in use by another tandem up (pid " +
                                           std::to_string(::getpid()) +
                                           "): stop it first (Ctrl-C), or give another --dir");
  first->reset();
  EXPECT_TRUE(Workspace::Open(dir_ + "/nested/up").ok());
}

TEST_F(WorkspaceTest, SecretIsMadeOnceAndKept) {
  std::filesystem::create_directories(dir_);
  const std::string path = dir_ + "/secret";
  auto made = EnsureSecret(path);
  ASSERT_TRUE(made.ok());
  EXPECT_TRUE(*made);
  const std::string secret = Read(path);
  EXPECT_EQ(secret.size(), 65u);  // 64 hex digits and a newline
  EXPECT_EQ(Mode(path), 0600);
  EXPECT_TRUE(replication::LoadSecretFile(path).ok());
  made = EnsureSecret(path);
  ASSERT_TRUE(made.ok());
  EXPECT_FALSE(*made);
  EXPECT_EQ(Read(path), secret);
}

TEST_F(WorkspaceTest, CredentialsAreMadeOnceAndKept) {
  std::filesystem::create_directories(dir_);
  const std::string path = dir_ + "/credentials";
  ASSERT_TRUE(*EnsureCredentials(path));
  const std::string text = Read(path);
  auto keys = auth::LoadCredentialsFile(path);
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ(keys->pairs()[0].profile, "default");
  EXPECT_EQ(Mode(path), 0600);
  EXPECT_FALSE(*EnsureCredentials(path));
  EXPECT_EQ(Read(path), text);
}

TEST_F(WorkspaceTest, FilesAreReplacedWhole) {
  std::filesystem::create_directories(dir_);
  const std::string path = dir_ + "/tandem.toml";
  ASSERT_TRUE(WriteFileAtomically(path, "one\n").ok());
  ASSERT_TRUE(WriteFileAtomically(path, "two\n").ok());
  EXPECT_EQ(Read(path), "two\n");
  EXPECT_EQ(Mode(path), 0644);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_),
                          std::filesystem::directory_iterator()),
            1);  // no temporary file left
  EXPECT_EQ(WriteFileAtomically(dir_ + "/missing/x", "x").code(), Status::Code::kIOError);
}

TEST(InstructionsTest, ReadyTextHoldsTheSeedsCommandsAgainstTheLocalNodes) {
  TopologyOptions o;
  o.dir = "/home/me/tandem-up";
  o.regions = LoopbackRegions(2);
  const std::string t = ReadyText(o, "/opt/tandem/tandem");
  for (const char* expected : {
           "export AWS_SHARED_CREDENTIALS_FILE=/home/me/tandem-up/credentials AWS_PROFILE=default",
           "aws dynamodb create-table --table-name woocommerce_data --attribute-definitions "
           "AttributeName=id,AttributeType=S --key-schema AttributeName=id,KeyType=HASH "
           "--provisioned-throughput ReadCapacityUnits=5,WriteCapacityUnits=5 --region "
           "us-east-1 --endpoint-url http://127.0.0.1:8000\n",
           "--region eu-west-1 --endpoint-url http://127.0.0.2:8000\n",
           "aws dynamodb create-global-table --global-table-name woocommerce_data "
           "--replication-group RegionName=us-east-1 RegionName=eu-west-1 --region us-east-1 "
           "--endpoint-url http://127.0.0.1:8000\n",
           "aws dynamodb describe-global-table --global-table-name woocommerce_data --region "
           "us-east-1 --endpoint-url http://127.0.0.1:8000\n",
           "dig @127.0.0.1 -p 5353 www.shop.example ",
           "/opt/tandem/tandem status --config /home/me/tandem-up/tandem.toml\n",
           "www.shop.example moves to eu-west-1 when us-east-1 is unhealthy in 3 of 3 alarm "
           "periods of 0.2 s\n",
           "once us-east-1 has been healthy and caught up for 10 s.\n",
           "tail -f /home/me/tandem-up/control-audit.jsonl ",
           "/opt/tandem/tandem status --config /home/me/tandem-up/tandem.toml    # shows its "
           "latest decisions\n",
       }) {
    EXPECT_NE(t.find(expected), std::string::npos) << expected << "\nin:\n" << t;
  }
  o.regions = LoopbackRegions(3);
  EXPECT_NE(ReadyText(o, "tandem")
                .find("RegionName=us-east-1 RegionName=eu-west-1 RegionName=ap-southeast-1"),
            std::string::npos);
}

TEST(InstructionsTest, ShellQuoteQuotesOnlyWhenNeeded) {
  EXPECT_EQ(ShellQuote("/a/b-c_d.e"), "/a/b-c_d.e");
  EXPECT_EQ(ShellQuote("/a b"), "'/a b'");
  EXPECT_EQ(ShellQuote("it's"), "'it'\\''s'");
  EXPECT_EQ(ShellQuote(""), "''");
}

}  // namespace
}  // namespace tandem::up
