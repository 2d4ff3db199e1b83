#include "probe/credentials.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>

namespace tandem::probe {
namespace {

GetEnv FakeEnv(std::map<std::string, std::string> vars) {
  auto shared = std::make_shared<std::map<std::string, std::string>>(std::move(vars));
  return [shared](const char* name) -> const char* {
    auto it = shared->find(name);
    return it == shared->end() ? nullptr : it->second.c_str();
  };
}

class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    char name[] = "/tmp/probe-creds-XXXXXX";
    const int fd = ::mkstemp(name);
    ::close(fd);
    path_ = name;
    std::ofstream(path_) << text;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(LoadSigningCredentials, DefaultProfileWins) {
  TempFile f(
      "[other]\naws_access_key_id = AKIAOTHER\naws_secret_access_key = s1\n"
      "[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = s2\n");
  auto c = LoadSigningCredentials(
      f.path(), FakeEnv({{"AWS_ACCESS_KEY_ID", "AKIAENV"}, {"AWS_SECRET_ACCESS_KEY", "env"}}));
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->access_key_id, "AKIADEFAULT");
  EXPECT_EQ(c->secret_access_key, "s2");
}

TEST(LoadSigningCredentials, ElseTheFirstProfile) {
  TempFile f(
      "[a]\naws_access_key_id = AKIAA\naws_secret_access_key = sa\n"
      "[b]\naws_access_key_id = AKIAB\naws_secret_access_key = sb\n");
  auto c = LoadSigningCredentials(f.path(), FakeEnv({}));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->access_key_id, "AKIAA");
}

TEST(LoadSigningCredentials, FileErrorsNameTheFile) {
  auto c = LoadSigningCredentials("/nonexistent/creds", FakeEnv({}));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("/nonexistent/creds"), std::string::npos);
  TempFile f("[a]\naws_access_key_id = AKIAA\n");
  c = LoadSigningCredentials(f.path(), FakeEnv({}));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find(f.path()), std::string::npos) << c.status().message();
}

TEST(LoadSigningCredentials, EnvironmentWithoutFile) {
  auto c = LoadSigningCredentials("", FakeEnv({{"AWS_ACCESS_KEY_ID", "AKIAENV"},
                                               {"AWS_SECRET_ACCESS_KEY", "env"},
                                               {"AWS_SESSION_TOKEN", "tok"}}));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->access_key_id, "AKIAENV");
  EXPECT_EQ(c->secret_access_key, "env");
  EXPECT_EQ(c->session_token, "tok");
  c = LoadSigningCredentials("", FakeEnv({{"AWS_ACCESS_KEY_ID", "AKIAENV"}}));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("--credentials"), std::string::npos);
}

}  // namespace
}  // namespace tandem::probe
