#include "probe/service.h"

#include <spdlog/spdlog.h>

#include "probe/checker.h"
#include "probe/coalescer.h"
#include "probe/report.h"
#include "probe/server.h"

namespace tandem::probe {

// Members are destroyed last to first: the coalescer, whose callbacks post
// to the server's io_context, goes before the server.
struct ProbeService::Impl {
  ProbeConfig config;
  std::unique_ptr<Network> network;
  std::unique_ptr<Checker> checker;
  std::optional<HealthReport> last;  // touched by the coalescer's thread only
  std::unique_ptr<HealthServer> server;
  std::unique_ptr<Coalescer> coalescer;

  HealthReport CheckAndLog() {
    HealthReport report = checker->Run();
    if (network->abandoned()) {
      return report;  // stopping: not a change of health
    }
    if (auto change = DescribeChange(last, report)) {
      if (report.ok) {
        spdlog::info("{}", *change);
      } else {
        spdlog::warn("{}", *change);
      }
    }
    last = report;
    return report;
  }
};

ProbeService::ProbeService(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ProbeService::~ProbeService() { Stop(); }

StatusOr<std::unique_ptr<ProbeService>> ProbeService::Start(ProbeConfig config) {
  auto impl = std::make_unique<Impl>();
  impl->config = std::move(config);
  const ProbeConfig& c = impl->config;
  TANDEM_ASSIGN_OR_RETURN(auto tls, MakeClientTlsContext(c.tls));
  impl->network = std::make_unique<Network>(std::move(tls), !c.tls.insecure);
  Impl* raw = impl.get();
  impl->server = std::make_unique<HealthServer>(
      c.listen, [raw](std::function<void(const HealthReport&)> done) {
        raw->coalescer->Request(std::move(done));
      });
  // Bound before the checker exists: the canary is named after the port.
  TANDEM_RETURN_IF_ERROR(impl->server->Listen());
  CheckerOptions options{c.table, c.app, c.timeout, CanaryId(c.hostname, impl->server->port())};
  impl->checker = std::make_unique<Checker>(
      std::move(options),
      NetworkEnv(impl->network.get(), c.endpoint, c.credentials, c.region, SystemClock::Default()));
  impl->coalescer = std::make_unique<Coalescer>([raw] { return raw->CheckAndLog(); },
                                                [raw] { raw->network->Abandon(); });
  impl->server->Serve();
  // A first check now, so that the log tells at once whether all is well.
  impl->coalescer->Request([](const HealthReport&) {});
  return std::unique_ptr<ProbeService>(new ProbeService(std::move(impl)));
}

void ProbeService::Stop() {
  if (impl_->coalescer) {
    impl_->coalescer->Stop();
  }
  impl_->server->Stop();
}

uint16_t ProbeService::port() const { return impl_->server->port(); }

}  // namespace tandem::probe
