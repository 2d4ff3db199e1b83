#include "drill/sandbox.h"

#include <gtest/gtest.h>

namespace tandem::drill {
namespace {

TEST(SandboxTest, ScriptReplacesTheWholeTableInOneTransaction) {
  const std::string s =
      Firewall::Script({{"partition", "ip daddr 127.0.1.0/24 tcp dport 8000 drop"},
                        {"checker", "ip saddr 127.0.0.2 ip daddr 127.0.0.1 tcp dport 8081 drop"}});
  // Declared, flushed and filled in one script: applying it twice gives the
  // same rules, never twice as many.
  EXPECT_NE(s.find("table inet tandem_drill {}\nflush table inet tandem_drill\n"),
            std::string::npos);
  EXPECT_NE(s.find("type filter hook output priority 0; policy accept;"), std::string::npos);
  EXPECT_NE(s.find("ip daddr 127.0.1.0/24 tcp dport 8000 drop comment \"partition\""),
            std::string::npos);
  EXPECT_NE(s.find("tcp dport 8081 drop comment \"checker\""), std::string::npos);
  EXPECT_EQ(Firewall::Script({}).find("drop"), std::string::npos);
}

TEST(SandboxTest, RunProgramReturnsOutputAndFailures) {
  auto out = RunProgram({"sh", "-c", "cat; echo done"}, "input\n");
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(*out, "input\ndone\n");
  auto failed = RunProgram({"sh", "-c", "echo why >&2; exit 3"}, "");
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().message().find("why"), std::string::npos);
  EXPECT_FALSE(RunProgram({"/nonexistent/program"}, "").ok());
}

}  // namespace
}  // namespace tandem::drill
