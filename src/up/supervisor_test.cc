#include "up/supervisor.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

namespace tandem::up {
namespace {

using std::chrono::milliseconds;
using Steady = std::chrono::steady_clock;

class SupervisorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("tandem-supervisor-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  ChildSpec Shell(const std::string& name, const std::string& script) {
    return {name, "/bin/sh", {"sh", "-c", script}, (dir_ / (name + ".log")).string()};
  }

  std::string Log(const std::string& name) {
    std::ifstream in(dir_ / (name + ".log"));
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }

  // Polls `done` until it holds or 10 s pass.
  static bool WaitFor(const std::function<bool()>& done) {
    const auto deadline = Steady::now() + std::chrono::seconds(10);
    while (!done()) {
      if (Steady::now() > deadline) return false;
      std::this_thread::sleep_for(milliseconds(10));
    }
    return true;
  }

  std::filesystem::path dir_;
};

TEST_F(SupervisorTest, StartsAChildInItsOwnGroupWithItsOutputInTheLog) {
  Supervisor s;
  ChildSpec spec = Shell("hello", "echo hello; echo oops >&2; exec sleep 30");
  spec.log_banner = "---- starting ----";
  auto pid = s.Start(spec);
  ASSERT_TRUE(pid.ok()) << pid.status().ToString();
  EXPECT_EQ(s.Pid("hello"), *pid);
  EXPECT_EQ(s.running(), 1u);
  EXPECT_EQ(::getpgid(*pid), *pid);
  EXPECT_TRUE(WaitFor([&] { return Log("hello") == "---- starting ----\nhello\noops\n"; }))
      << Log("hello");
  auto exits = s.Stop(milliseconds(5000));
  ASSERT_EQ(exits.size(), 1u);
  EXPECT_TRUE(WIFSIGNALED(exits[0].wait_status));
  EXPECT_EQ(WTERMSIG(exits[0].wait_status), SIGTERM);
  EXPECT_FALSE(exits[0].killed);
  EXPECT_TRUE(exits[0].stopped_as_asked());
  EXPECT_FALSE(exits[0].clean());
  EXPECT_EQ(s.running(), 0u);
}

TEST_F(SupervisorTest, ChildInheritsOnlyStdioWithStdinFromDevNull) {
  Supervisor s;
  ASSERT_TRUE(s.Start(Shell("fds", "ls /proc/$$/fd; readlink /proc/$$/fd/0")).ok());
  std::vector<ChildExit> exits;
  ASSERT_TRUE(WaitFor([&] {
    for (auto& e : s.Reap()) exits.push_back(e);
    return !exits.empty();
  }));
  EXPECT_TRUE(exits[0].clean());
  EXPECT_EQ(Log("fds"), "0\n1\n2\n/dev/null\n");
}

TEST_F(SupervisorTest, NoticesAnExitOnce) {
  Supervisor s;
  ASSERT_TRUE(s.Start(Shell("quitter", "echo bye; exit 3")).ok());
  ASSERT_TRUE(s.Start(Shell("stayer", "exec sleep 30")).ok());
  std::vector<ChildExit> exits;
  ASSERT_TRUE(WaitFor([&] {
    for (auto& e : s.Reap()) exits.push_back(e);
    return !exits.empty();
  }));
  ASSERT_EQ(exits.size(), 1u);
  EXPECT_EQ(exits[0].name, "quitter");
  EXPECT_FALSE(exits[0].clean());
  EXPECT_EQ(exits[0].Describe(), "exited with status 3");
  EXPECT_FALSE(exits[0].stopped_as_asked());
  EXPECT_EQ(exits[0].log_path, (dir_ / "quitter.log").string());
  EXPECT_TRUE(s.Reap().empty());
  EXPECT_FALSE(s.Pid("quitter").has_value());
  EXPECT_TRUE(s.Pid("stayer").has_value());
  // The same spec can be started again.
  ASSERT_TRUE(s.Start(Shell("quitter", "exec sleep 30")).ok());
  EXPECT_EQ(s.Stop(milliseconds(5000)).size(), 2u);
}

TEST_F(SupervisorTest, ReportsAChildKilledBySignal) {
  Supervisor s;
  ASSERT_TRUE(s.Start(Shell("victim", "exec sleep 30")).ok());
  ASSERT_TRUE(s.Signal("victim", SIGKILL).ok());
  std::vector<ChildExit> exits;
  ASSERT_TRUE(WaitFor([&] {
    exits = s.Reap();
    return !exits.empty();
  }));
  EXPECT_EQ(exits[0].Describe(), "killed by signal 9 (Killed)");
  EXPECT_EQ(s.Signal("victim", SIGTERM).code(), Status::Code::kNotFound);
}

TEST_F(SupervisorTest, StopKillsAChildThatIgnoresSigtermAfterTheGrace) {
  Supervisor s;
  ASSERT_TRUE(
      s.Start(Shell("stubborn", "trap '' TERM; echo trapped; while :; do sleep 0.05; done")).ok());
  ASSERT_TRUE(s.Start(Shell("polite", "exec sleep 30")).ok());
  ASSERT_TRUE(WaitFor([&] { return Log("stubborn") == "trapped\n"; }));
  const auto start = Steady::now();
  auto exits = s.Stop(milliseconds(300));
  const auto took = Steady::now() - start;
  EXPECT_GE(took, milliseconds(300));
  EXPECT_LT(took, std::chrono::seconds(3));
  ASSERT_EQ(exits.size(), 2u);
  const ChildExit& polite = exits[0].name == "polite" ? exits[0] : exits[1];
  const ChildExit& stubborn = exits[0].name == "stubborn" ? exits[0] : exits[1];
  EXPECT_FALSE(polite.killed);
  EXPECT_EQ(WTERMSIG(polite.wait_status), SIGTERM);
  EXPECT_TRUE(stubborn.killed);
  EXPECT_FALSE(stubborn.stopped_as_asked());
  EXPECT_EQ(WTERMSIG(stubborn.wait_status), SIGKILL);
  EXPECT_EQ(stubborn.Describe(), "killed by signal 9 (Killed) after it ignored SIGTERM");
  EXPECT_EQ(s.running(), 0u);
}

TEST_F(SupervisorTest, ChildrenGetTheDeathSignalWhenTheirStarterGoes) {
  Supervisor s;
  // The thread that starts the child ends at once: the kernel then sends
  // the child SIGTERM, as it would if the whole supervisor were killed.
  std::thread starter([&] { ASSERT_TRUE(s.Start(Shell("orphan", "exec sleep 30")).ok()); });
  starter.join();
  std::vector<ChildExit> exits;
  ASSERT_TRUE(WaitFor([&] {
    exits = s.Reap();
    return !exits.empty();
  }));
  EXPECT_TRUE(WIFSIGNALED(exits[0].wait_status));
  EXPECT_EQ(WTERMSIG(exits[0].wait_status), SIGTERM);
}

TEST_F(SupervisorTest, RefusesWhatCannotRun) {
  Supervisor s;
  auto missing = s.Start({"ghost", "/nonexistent/tandem", {"tandem"}, (dir_ / "g.log").string()});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Status::Code::kIOError);
  EXPECT_NE(missing.status().message().find("No such file or directory"), std::string::npos)
      << missing.status().message();
  EXPECT_EQ(s.running(), 0u);
  auto no_log = s.Start({"x", "/bin/true", {"true"}, "/proc/nope/x.log"});
  EXPECT_EQ(no_log.status().code(), Status::Code::kIOError);
  ASSERT_TRUE(s.Start(Shell("twice", "exec sleep 30")).ok());
  EXPECT_EQ(s.Start(Shell("twice", "exec sleep 30")).status().code(), Status::Code::kAlreadyExists);
}

TEST_F(SupervisorTest, DestructorStopsWhatRuns) {
  pid_t pid = 0;
  {
    Supervisor s;
    auto started = s.Start(Shell("left", "exec sleep 30"));
    ASSERT_TRUE(started.ok());
    pid = *started;
  }
  EXPECT_NE(::kill(pid, 0), 0);  // reaped, gone
}

TEST_F(SupervisorTest, TailLinesKeepsTheLastLines) {
  const auto path = (dir_ / "tail.log").string();
  {
    std::ofstream out(path);
    for (int i = 1; i <= 30; ++i) out << "line " << i << "\n";
  }
  EXPECT_EQ(TailLines(path, 3, "> "), "> line 28\n> line 29\n> line 30\n");
  EXPECT_EQ(TailLines(path, 0), "");
  EXPECT_EQ(TailLines((dir_ / "none.log").string(), 3), "");
  {
    std::ofstream out(path);
    out << "a\nno newline at the end";
  }
  EXPECT_EQ(TailLines(path, 5, ""), "a\nno newline at the end\n");
  {
    std::ofstream out(path);
    out << std::string(70000, 'x') << "\nlast\n";
  }
  EXPECT_EQ(TailLines(path, 5, ""), "last\n");  // the cut first line is dropped
}

}  // namespace
}  // namespace tandem::up
