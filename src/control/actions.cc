#include "control/actions.h"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include "control/command.h"
#include "control/webhook.h"
#include "replication/peer_auth.h"

namespace tandem::control {

StatusOr<std::unique_ptr<ActionRunner>> ActionRunner::Create(std::vector<config::HookConfig> hooks,
                                                             HttpTransport* transport,
                                                             AuditLog* audit, const Clock* clock,
                                                             Sleeper* sleeper) {
  std::vector<Hook> loaded;
  for (auto& h : hooks) {
    Hook hook{std::move(h), ""};
    if (!hook.config.url.empty()) {
      TANDEM_ASSIGN_OR_RETURN(hook.secret, replication::LoadSecretFile(hook.config.secret_file));
    }
    loaded.push_back(std::move(hook));
  }
  return std::unique_ptr<ActionRunner>(
      new ActionRunner(std::move(loaded), transport, audit, clock, sleeper));
}

ActionRunner::ActionRunner(std::vector<Hook> hooks, HttpTransport* transport, AuditLog* audit,
                           const Clock* clock, Sleeper* sleeper)
    : hooks_(std::move(hooks)),
      transport_(transport),
      audit_(audit),
      clock_(clock),
      sleeper_(sleeper != nullptr ? sleeper : &own_sleeper_) {}

ActionRunner::~ActionRunner() { Stop(); }

void ActionRunner::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable()) {
    return;
  }
  stopping_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void ActionRunner::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!thread_.joinable()) {
      return;
    }
    stopping_ = true;
  }
  cancel_.store(true);
  own_sleeper_.Interrupt();
  cv_.notify_all();
  thread_.join();
  std::deque<Event> left;
  {
    std::lock_guard<std::mutex> lock(mu_);
    left.swap(queue_);
  }
  for (const Event& e : left) {
    if (audit_ != nullptr) {
      (void)audit_->Write({0,
                           "actions_done",
                           e.id,
                           {{"type", EventTypeName(e.type)}},
                           "not run: the controller stopped first",
                           {}});
    }
  }
}

std::vector<std::string> ActionRunner::Dispatch(const Event& event) {
  std::vector<std::string> names;
  for (const auto& h : hooks_) {
    if (h.config.Wants(EventTypeName(event.type))) {
      names.push_back(h.config.name);
    }
  }
  if (names.empty()) {
    return names;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(event);
  }
  cv_.notify_all();
  return names;
}

bool ActionRunner::WaitIdle(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [this] { return queue_.empty() && !running_; });
}

void ActionRunner::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (stopping_) {
      return;
    }
    Event event = std::move(queue_.front());
    queue_.pop_front();
    running_ = true;
    lock.unlock();
    boost::json::array results = RunActions(event);
    size_t ok = 0;
    for (const auto& r : results) {
      ok += r.as_object().at("ok").as_bool() ? 1 : 0;
    }
    const std::string decision =
        std::to_string(ok) + " of " + std::to_string(results.size()) + " hooks succeeded";
    if (ok < results.size()) {
      spdlog::warn("event {}: {}", event.id, decision);
    }
    if (audit_ != nullptr) {
      Status st = audit_->Write(
          {0, "actions_done", event.id, {{"type", EventTypeName(event.type)}}, decision, results});
      if (!st.ok()) {
        spdlog::error("{}", st.message());
      }
    }
    lock.lock();
    running_ = false;
    cv_.notify_all();
  }
}

boost::json::array ActionRunner::RunActions(const Event& event) {
  boost::json::array out;
  for (const auto& h : hooks_) {
    if (!h.config.Wants(EventTypeName(event.type))) {
      continue;
    }
    out.push_back(h.config.url.empty() ? RunCommandHook(h, event) : RunWebhook(h, event));
  }
  return out;
}

boost::json::object ActionRunner::RunCommandHook(const Hook& hook, const Event& event) {
  CommandSpec spec;
  spec.argv = hook.config.command;
  spec.dir = hook.config.dir;
  spec.env = {{"TANDEM_EVENT", EventTypeName(event.type)}, {"TANDEM_EVENT_ID", event.id}};
  spec.input = EventJson(event);
  spec.timeout = hook.config.timeout;
  spec.kill_grace = hook.config.kill_grace;
  spec.max_output = hook.config.max_output;
  boost::json::array attempts;
  bool ok = false;
  RetryWithBackoff(
      [&](int) {
        CommandResult r = RunCommand(spec, &cancel_);
        attempts.push_back(r.ToJson());
        spdlog::info("hook {} for {}: {}", hook.config.name, event.id, r.Summary());
        ok = r.ok();
        return ok || r.cancelled;
      },
      hook.config.retries, hook.config.backoff, sleeper_);
  return {{"hook", hook.config.name}, {"kind", "command"}, {"ok", ok}, {"attempts", attempts}};
}

boost::json::object ActionRunner::RunWebhook(const Hook& hook, const Event& event) {
  WebhookRequest request{hook.config.url, hook.secret,      EventTypeName(event.type),
                         event.id,        EventJson(event), hook.config.timeout};
  boost::json::array attempts;
  bool ok = false;
  RetryWithBackoff(
      [&](int) {
        WebhookResult r = PostWebhook(transport_, request, clock_);
        attempts.push_back(r.ToJson());
        spdlog::info("webhook {} for {}: {}", hook.config.name, event.id,
                     r.ok ? "ok" : (r.status ? "HTTP " + std::to_string(r.status) : r.error));
        ok = r.ok;
        return ok || !r.retryable || cancel_.load();
      },
      hook.config.retries, hook.config.backoff, sleeper_);
  return {{"hook", hook.config.name}, {"kind", "webhook"}, {"ok", ok}, {"attempts", attempts}};
}

}  // namespace tandem::control
