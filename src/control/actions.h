// ActionRunner: runs the [[hook]]s an event calls for — programs
// (control/command.h) and signed webhooks (control/webhook.h) — each with
// its timeout and retries with backoff, and records every attempt's result
// in the audit log ("actions_done", one line per event).
//
// Events are queued by Dispatch and run on the runner's own thread, in the
// order they were dispatched, hooks in configuration order, so a slow hook
// never delays the controller's sampling or its routing decisions. Stop
// interrupts backoff waits, ends a running program's process group and
// records the events left in the queue as not run.
//
// Thread-safety: Dispatch from any thread; Start/Stop from the owner (Stop
// is final).
#pragma once

#include <boost/json/array.hpp>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "config/control_config.h"
#include "control/audit_log.h"
#include "control/event.h"
#include "control/http_transport.h"
#include "control/retry.h"

namespace tandem::control {

class ActionSink {
 public:
  virtual ~ActionSink() = default;
  // Queues the actions of every hook that wants `event`'s type; their names.
  virtual std::vector<std::string> Dispatch(const Event& event) = 0;
};

class ActionRunner : public ActionSink {
 public:
  // Reads the webhooks' secret files (IOError/InvalidArgument when one
  // cannot be used). `sleeper` (may be null: a real, interruptible one)
  // waits the backoffs. `audit` may be null.
  static StatusOr<std::unique_ptr<ActionRunner>> Create(std::vector<config::HookConfig> hooks,
                                                        HttpTransport* transport, AuditLog* audit,
                                                        const Clock* clock,
                                                        Sleeper* sleeper = nullptr);
  ~ActionRunner() override;

  void Start();
  void Stop();
  std::vector<std::string> Dispatch(const Event& event) override;

  // Runs `event`'s actions now, on this thread: one result per hook,
  // {"hook", "kind", "ok", "attempts": [...]}. What the runner's thread does.
  boost::json::array RunActions(const Event& event);
  // Waits until the queue is empty and nothing runs; false on timeout.
  bool WaitIdle(std::chrono::milliseconds timeout);

 private:
  struct Hook {
    config::HookConfig config;
    std::string secret;  // webhooks
  };
  ActionRunner(std::vector<Hook> hooks, HttpTransport* transport, AuditLog* audit,
               const Clock* clock, Sleeper* sleeper);
  void Loop();
  boost::json::object RunCommandHook(const Hook& hook, const Event& event);
  boost::json::object RunWebhook(const Hook& hook, const Event& event);

  const std::vector<Hook> hooks_;
  HttpTransport* const transport_;
  AuditLog* const audit_;
  const Clock* clock_;
  InterruptibleSleeper own_sleeper_;
  Sleeper* const sleeper_;
  std::atomic<bool> cancel_{false};

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Event> queue_;
  bool running_ = false;  // an event's actions are running
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace tandem::control
