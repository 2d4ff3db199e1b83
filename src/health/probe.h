// Probe: one asynchronous health probe of one endpoint, with Route 53's
// rules for what counts as healthy:
//   HTTP / HTTPS          a status in 200..399 within the timeout;
//   HTTP(S)_STR_MATCH     that, and the search string entirely within the
//                         first 5,120 bytes of the body (no more is read);
//   TCP                   the connection is accepted within the timeout.
// The timeout covers the whole probe: resolving `host` (for a check without
// `ip`), connect, TLS handshake, request, headers and the body bytes read. A
// probe still resolving when it times out ends at once ("resolve timeout
// after N ms"); the lookup runs off the io thread (health/resolver.h), so it
// never holds up other probes. HTTPS does not validate the certificate
// (as Route 53); SNI is sent only when the check asks for it. The request is
// `GET path` with `Host: host` (or the ip), ":port" appended when the port is
// not the scheme's default (Route 53's rule), and `Connection: close`.
//
// Thread-safety: a probe lives on one io_context; StartProbe and Cancel must
// be called from the thread running it, and the callback runs there too.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/clock.h"
#include "config/dns_config.h"
#include "health/resolver.h"

namespace tandem::health {

// How much of the body *_STR_MATCH checks search (Route 53's limit).
inline constexpr size_t kSearchBytes = 5120;

struct ProbeResult {
  bool healthy = false;  // the raw result, before thresholds and inversion
  std::string reason;    // "HTTP 200", "HTTP 503", "timeout after 500 ms", ...
  std::chrono::microseconds latency{0};
  int64_t at_micros = 0;  // when it completed (Clock)
};

// A probe in flight.
class Probe {
 public:
  virtual ~Probe() = default;
  // Ends the probe now (closing its socket); its callback is then never
  // called. Harmless after the probe finished.
  virtual void Cancel() = 0;
};

using ProbeCallback = std::function<void(ProbeResult)>;

// Starts probing `check` (any type but CALCULATED) on `io`; `done` is called
// exactly once with the result (never from within StartProbe) unless the
// probe is cancelled first. `tls` is
// used for HTTPS* checks and should be a client context with verify_none; it
// and `clock` must outlive the probe. A `timeout` of zero means the
// configuration default, min(interval / 2, 4 s). The returned handle may be
// dropped: the probe keeps itself alive until it finishes; it must finish or
// be cancelled before `io` is destroyed. A non-empty `source` is the local
// address the probe connects from. `resolver` finds the addresses of a check
// without `ip` (null: SystemResolver()); it must outlive the probe.
std::shared_ptr<Probe> StartProbe(boost::asio::io_context& io, boost::asio::ssl::context& tls,
                                  const config::HealthCheckConfig& check, const Clock* clock,
                                  ProbeCallback done, const std::string& source = "",
                                  Resolver* resolver = nullptr);

// The timeout StartProbe applies to `check`.
std::chrono::milliseconds EffectiveTimeout(const config::HealthCheckConfig& check);

// A client TLS context that does not verify peers, for StartProbe.
boost::asio::ssl::context MakeProbeTlsContext();

}  // namespace tandem::health
