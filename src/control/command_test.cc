#include "control/command.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "control/retry.h"

namespace tandem::control {
namespace {

using namespace std::chrono_literals;

// Whether `pid` has ended (gone, or a zombie nobody reaped yet).
bool Ended(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) {
    return true;
  }
  std::string line;
  std::getline(stat, line);
  const auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'Z';
}

bool EndsWithin(pid_t pid, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!Ended(pid)) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

class CommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("control-command-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  CommandSpec Sh(const std::string& script) {
    CommandSpec spec;
    spec.argv = {"/bin/sh", "-c", script};
    spec.dir = dir_.string();
    spec.timeout = 10s;
    return spec;
  }
  pid_t ReadPid(const std::string& file) {
    std::ifstream in(dir_ / file);
    pid_t pid = 0;
    in >> pid;
    return pid;
  }

  std::filesystem::path dir_;
};

TEST_F(CommandTest, PassesTheEventOnStdinAndRecordsTheOutput) {
  CommandSpec spec = Sh("cat; echo \" $TANDEM_EVENT $(pwd)\"; echo warn >&2");
  spec.input = R"({"type":"failover"})";
  spec.env = {{"TANDEM_EVENT", "failover"}};
  CommandResult r = RunCommand(spec);
  ASSERT_TRUE(r.started) << r.error;
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, R"({"type":"failover"} failover )" + dir_.string() + "\n");
  EXPECT_EQ(r.err, "warn\n");
  EXPECT_EQ(r.Summary(), "exit 0");
  const auto json = r.ToJson();
  EXPECT_EQ(json.at("exit").as_int64(), 0);
  EXPECT_TRUE(json.at("ok").as_bool());
}

TEST_F(CommandTest, RecordsANonZeroExit) {
  CommandResult r = RunCommand(Sh("echo oops >&2; exit 3"));
  EXPECT_TRUE(r.started);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.err, "oops\n");
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.Summary(), "exit 3");
}

TEST_F(CommandTest, AProgramThatCannotStartIsReported) {
  CommandSpec spec;
  spec.argv = {"/nonexistent/hook"};
  CommandResult r = RunCommand(spec);
  EXPECT_FALSE(r.started);
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.error.find("No such file"), std::string::npos) << r.error;
  EXPECT_EQ(r.Summary().rfind("cannot start: ", 0), 0u);
}

// The program and everything it started get SIGTERM at the timeout, and
// SIGKILL after the grace when they ignore it: the whole process group.
TEST_F(CommandTest, ATimeoutKillsTheWholeProcessGroup) {
  CommandSpec spec = Sh("trap '' TERM; sleep 60 & echo $! > child.pid; wait");
  spec.timeout = 300ms;
  spec.kill_grace = 200ms;
  const auto started = std::chrono::steady_clock::now();
  CommandResult r = RunCommand(spec);
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_TRUE(r.timed_out);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.signal, SIGKILL);  // it ignored SIGTERM
  EXPECT_LT(took, 5s);
  const pid_t child = ReadPid("child.pid");
  ASSERT_GT(child, 0);
  EXPECT_TRUE(EndsWithin(child, 5s)) << "the hook's own child survived the timeout";
  EXPECT_NE(r.Summary().find("after timeout"), std::string::npos) << r.Summary();
}

TEST_F(CommandTest, ATimeoutEndsAPoliteProgramWithSigterm) {
  CommandSpec spec = Sh("sleep 60 & echo $! > child.pid; wait");
  spec.timeout = 200ms;
  spec.kill_grace = 5s;
  const auto started = std::chrono::steady_clock::now();
  CommandResult r = RunCommand(spec);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 4s);  // no need to wait the grace
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.signal, SIGTERM);
  EXPECT_TRUE(EndsWithin(ReadPid("child.pid"), 5s));
}

TEST_F(CommandTest, OutputIsBoundedAndTheProgramIsNotBlocked) {
  CommandSpec spec = Sh("head -c 1000000 /dev/zero | tr '\\0' a; head -c 5000 /dev/zero >&2");
  spec.max_output = 1000;
  CommandResult r = RunCommand(spec);
  EXPECT_TRUE(r.ok()) << r.Summary();
  EXPECT_EQ(r.out, std::string(1000, 'a'));
  EXPECT_TRUE(r.out_truncated);
  EXPECT_EQ(r.err.size(), 1000u);
  EXPECT_TRUE(r.err_truncated);
  EXPECT_NE(std::string(r.ToJson().at("stdout").as_string()).find("[truncated]"),
            std::string::npos);
}

TEST_F(CommandTest, AProgramThatIgnoresItsStdinIsFine) {
  CommandSpec spec = Sh("exit 0");
  spec.input = std::string(4 << 20, 'x');  // far more than a socket buffer
  CommandResult r = RunCommand(spec);
  EXPECT_TRUE(r.ok()) << r.Summary();
}

TEST_F(CommandTest, CancellingEndsTheProgram) {
  std::atomic<bool> cancel{false};
  std::thread canceller([&] {
    std::this_thread::sleep_for(100ms);
    cancel.store(true);
  });
  CommandSpec spec = Sh("sleep 60");
  spec.timeout = 60s;
  CommandResult r = RunCommand(spec, &cancel);
  canceller.join();
  EXPECT_TRUE(r.cancelled);
  EXPECT_FALSE(r.timed_out);
  EXPECT_FALSE(r.ok());
}

// The seed's Lambda, ported: it reads the event and decides as the Lambda did.
TEST_F(CommandTest, TheExampleFailoverHookDecidesAsTheLambda) {
  if (std::system("python3 -c '' 2>/dev/null") != 0) {
    GTEST_SKIP() << "python3 is not installed";
  }
  CommandSpec spec;
  spec.argv = {"python3", "hooks/failover.py"};
  spec.dir = std::string(TANDEM_SOURCE_DIR) + "/examples";
  spec.input = R"({"id":"failover:us-east-1:1","type":"failover","primary":"us-east-1",)"
               R"("secondary":"eu-west-1","primary_alarm":{"name":"east","state":"ALARM"},)"
               R"("secondary_alarm":{"name":"west","state":"OK"}})";
  CommandResult r = RunCommand(spec);
  EXPECT_TRUE(r.ok()) << r.Summary() << r.err;
  EXPECT_NE(r.out.find("Proceeding with failover"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Failover from us-east-1 to eu-west-1 initiated or confirmed."),
            std::string::npos);
  spec.input = R"({"type":"failover_aborted","primary_alarm":{"name":"east","state":"ALARM"},)"
               R"("secondary_alarm":{"name":"west","state":"ALARM"}})";
  r = RunCommand(spec);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("Cannot failover"), std::string::npos) << r.out;
  spec.input = R"({"type":"failover","primary_alarm":{"name":"east","state":"OK"}})";
  r = RunCommand(spec);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("No failover needed"), std::string::npos) << r.out;
}

class RecordingSleeper : public Sleeper {
 public:
  bool SleepFor(std::chrono::milliseconds d) override {
    waits.push_back(d);
    return !interrupt_after || waits.size() < *interrupt_after;
  }
  std::vector<std::chrono::milliseconds> waits;
  std::optional<size_t> interrupt_after;
};

TEST(RetryTest, RetriesWithDoublingBackoffUntilSuccess) {
  RecordingSleeper sleeper;
  int calls = 0;
  const int attempts =
      RetryWithBackoff([&](int n) { return (calls = n) == 3; }, 5, 100ms, &sleeper);
  EXPECT_EQ(attempts, 3);
  EXPECT_EQ(sleeper.waits, (std::vector<std::chrono::milliseconds>{100ms, 200ms}));
}

TEST(RetryTest, GivesUpAfterTheRetries) {
  RecordingSleeper sleeper;
  EXPECT_EQ(RetryWithBackoff([](int) { return false; }, 2, 1s, &sleeper), 3);
  EXPECT_EQ(sleeper.waits, (std::vector<std::chrono::milliseconds>{1s, 2s}));
  sleeper.waits.clear();
  EXPECT_EQ(RetryWithBackoff([](int) { return false; }, 0, 1s, &sleeper), 1);
  EXPECT_TRUE(sleeper.waits.empty());
}

TEST(RetryTest, AnInterruptedWaitEndsTheRetries) {
  RecordingSleeper sleeper;
  sleeper.interrupt_after = 1;
  EXPECT_EQ(RetryWithBackoff([](int) { return false; }, 5, 1s, &sleeper), 1);
  InterruptibleSleeper real;
  real.Interrupt();
  EXPECT_FALSE(real.SleepFor(10s));  // at once
}

// A hook that fails twice and then succeeds, run for real with retries.
TEST_F(CommandTest, AFailingHookIsRetried) {
  CommandSpec spec =
      Sh("n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count; "
         "[ $n -ge 3 ]");
  RecordingSleeper sleeper;
  std::vector<CommandResult> results;
  const int attempts = RetryWithBackoff(
      [&](int) {
        results.push_back(RunCommand(spec));
        return results.back().ok();
      },
      4, 10ms, &sleeper);
  EXPECT_EQ(attempts, 3);
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0].exit_code, 1);
  EXPECT_EQ(results[1].exit_code, 1);
  EXPECT_TRUE(results[2].ok());
}

}  // namespace
}  // namespace tandem::control
