#include "control/actions.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "control/test_http_server.h"
#include "control/webhook.h"

namespace tandem::control {
namespace {

using testing::TestHttpServer;
using testing::TestRequest;
using testing::TestResponse;
using namespace std::chrono_literals;

class ActionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("control-actions-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "webhook-secret") << "webhook-secret-0123456789\n";
    auto t = NewHttpTransport("");
    ASSERT_TRUE(t.ok());
    transport_ = std::move(t).value();
    auto log = AuditLog::Open((dir_ / "audit.jsonl").string(), "control-1", &clock_);
    ASSERT_TRUE(log.ok());
    audit_ = std::move(log).value();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  config::HookConfig Command(const std::string& name, const std::string& script) {
    config::HookConfig h;
    h.name = name;
    h.command = {"/bin/sh", "-c", script};
    h.dir = dir_.string();
    h.timeout = 10s;
    h.backoff = 10ms;
    return h;
  }
  Event Failover() {
    Event e;
    e.type = EventType::kFailover;
    e.id = "failover:us-east-1:1";
    e.at_micros = clock_.NowMicros();
    e.controller = "control-1";
    e.decision = "fail over";
    e.inputs = {{"primary", "us-east-1"}};
    return e;
  }
  std::vector<boost::json::object> AuditLines() {
    std::ifstream in(dir_ / "audit.jsonl");
    std::vector<boost::json::object> out;
    std::string line;
    while (std::getline(in, line)) {
      out.push_back(boost::json::parse(line).as_object());
    }
    return out;
  }

  std::filesystem::path dir_;
  ManualClock clock_{1'700'000'000'000'000};
  std::unique_ptr<HttpTransport> transport_;
  std::unique_ptr<AuditLog> audit_;
};

TEST_F(ActionsTest, RunsTheHooksThatWantTheEventAndRecordsTheResults) {
  int calls = 0;
  std::string signature;
  TestHttpServer receiver([&](const TestRequest& r) {
    signature = r.Header("x-tandem-signature");
    return TestResponse{++calls == 1 ? 503 : 200, ""};
  });
  config::HookConfig script = Command("runbook", "cat > event.json; echo done");
  script.on = {"failover"};
  config::HookConfig webhook;
  webhook.name = "ops";
  webhook.url = receiver.url() + "/tandem";
  webhook.secret_file = (dir_ / "webhook-secret").string();
  webhook.retries = 2;
  webhook.backoff = 10ms;
  config::HookConfig other = Command("pager", "exit 0");
  other.on = {"region_unhealthy"};
  auto runner =
      ActionRunner::Create({script, webhook, other}, transport_.get(), audit_.get(), &clock_);
  ASSERT_TRUE(runner.ok()) << runner.status().ToString();
  (*runner)->Start();
  const Event event = Failover();
  EXPECT_EQ((*runner)->Dispatch(event), (std::vector<std::string>{"runbook", "ops"}));
  ASSERT_TRUE((*runner)->WaitIdle(20s));
  (*runner)->Stop();

  std::ifstream seen(dir_ / "event.json");
  std::string text((std::istreambuf_iterator<char>(seen)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, EventJson(event));
  EXPECT_EQ(calls, 2);  // 503, then retried
  const std::string body = EventJson(event);
  EXPECT_EQ(signature, WebhookSignature("webhook-secret-0123456789", "1700000000", body));

  const auto lines = AuditLines();
  ASSERT_EQ(lines.size(), 1u);
  const auto& done = lines[0];
  EXPECT_EQ(done.at("event").as_string(), "actions_done");
  EXPECT_EQ(done.at("event_id").as_string(), "failover:us-east-1:1");
  EXPECT_EQ(done.at("decision").as_string(), "2 of 2 hooks succeeded");
  const auto& actions = done.at("actions").as_array();
  ASSERT_EQ(actions.size(), 2u);
  EXPECT_EQ(actions[0].at("hook").as_string(), "runbook");
  EXPECT_EQ(actions[0].at("kind").as_string(), "command");
  EXPECT_EQ(actions[0].at("attempts").as_array()[0].at("stdout").as_string(), "done\n");
  EXPECT_EQ(actions[1].at("kind").as_string(), "webhook");
  const auto& attempts = actions[1].at("attempts").as_array();
  ASSERT_EQ(attempts.size(), 2u);
  EXPECT_EQ(attempts[0].at("status").as_int64(), 503);
  EXPECT_TRUE(attempts[1].at("ok").as_bool());
}

TEST_F(ActionsTest, AFailingHookIsRetriedAndReportedFailed) {
  auto runner = ActionRunner::Create({Command("broken", "echo no >&2; exit 4")}, transport_.get(),
                                     audit_.get(), &clock_);
  ASSERT_TRUE(runner.ok());
  const auto results = (*runner)->RunActions(Failover());
  ASSERT_EQ(results.size(), 1u);
  EXPECT_FALSE(results[0].at("ok").as_bool());
  const auto& attempts = results[0].at("attempts").as_array();
  ASSERT_EQ(attempts.size(), 3u);  // retries = 2
  EXPECT_EQ(attempts[2].at("exit").as_int64(), 4);
  EXPECT_EQ(attempts[2].at("stderr").as_string(), "no\n");
}

TEST_F(ActionsTest, NoHookWantsItNothingIsQueued) {
  config::HookConfig h = Command("pager", "exit 0");
  h.on = {"region_unhealthy"};
  auto runner = ActionRunner::Create({h}, transport_.get(), audit_.get(), &clock_);
  ASSERT_TRUE(runner.ok());
  EXPECT_TRUE((*runner)->Dispatch(Failover()).empty());
  EXPECT_TRUE((*runner)->WaitIdle(1s));
}

TEST_F(ActionsTest, AWebhookSecretMustBeReadable) {
  config::HookConfig webhook;
  webhook.name = "ops";
  webhook.url = "http://127.0.0.1:1/x";
  webhook.secret_file = (dir_ / "missing").string();
  auto runner = ActionRunner::Create({webhook}, transport_.get(), audit_.get(), &clock_);
  EXPECT_FALSE(runner.ok());
}

// Stopping the controller ends a hook in progress instead of waiting it out.
TEST_F(ActionsTest, StopEndsARunningHook) {
  config::HookConfig slow = Command("slow", "touch started; sleep 60");
  slow.timeout = 60s;
  slow.kill_grace = 100ms;
  auto runner = ActionRunner::Create({slow}, transport_.get(), audit_.get(), &clock_);
  ASSERT_TRUE(runner.ok());
  (*runner)->Start();
  (*runner)->Dispatch(Failover());
  (*runner)->Dispatch(Failover());  // left in the queue
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!std::filesystem::exists(dir_ / "started")) {  // the first one runs
    ASSERT_LT(std::chrono::steady_clock::now(), deadline);
    std::this_thread::sleep_for(5ms);
  }
  const auto started = std::chrono::steady_clock::now();
  (*runner)->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
  const auto lines = AuditLines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].at("decision").as_string(), "0 of 1 hooks succeeded");
  EXPECT_EQ(lines[1].at("decision").as_string(), "not run: the controller stopped first");
}

}  // namespace
}  // namespace tandem::control
