// tandem-relay: a TCP relay that delays each direction (src/relay/relay.h),
// for benchmarks that need a round trip between regions on one machine.
//
//   tandem-relay --listen 127.0.0.1:9001 --to 127.0.0.2:8000 --delay 20ms
//
// A round trip through it gains twice the delay. It prints the address it
// listens on, then relays until SIGTERM or SIGINT.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <charconv>
#include <iostream>

#include "relay/relay.h"

namespace {

// "20ms", "1.5s", "500us", "0": a duration of at least 0.
tandem::StatusOr<std::chrono::microseconds> ParseDelay(const std::string& text) {
  double value = 0;
  const char* end = text.data() + text.size();
  auto [unit, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || value < 0) {
    return tandem::Status::InvalidArgument("bad delay \"" + text + "\"");
  }
  const std::string_view suffix(unit, static_cast<size_t>(end - unit));
  double micros = 0;
  if (suffix == "us") {
    micros = value;
  } else if (suffix == "ms" || (suffix.empty() && value == 0)) {
    micros = value * 1e3;
  } else if (suffix == "s") {
    micros = value * 1e6;
  } else {
    return tandem::Status::InvalidArgument("delay needs a unit (us, ms, s): \"" + text + "\"");
  }
  return std::chrono::microseconds(static_cast<int64_t>(micros + 0.5));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Relays TCP connections, holding every byte for --delay in each direction"};
  std::string listen;
  std::string to;
  std::string delay_text = "0ms";
  size_t max_buffered = 8 << 20;
  app.add_option("--listen", listen, "HOST:PORT to accept on (port 0: any free port)")->required();
  app.add_option("--to", to, "HOST:PORT to forward each connection to")->required();
  app.add_option("--delay", delay_text, "added to each direction, e.g. 20ms (default 0ms)");
  app.add_option("--max-buffered", max_buffered,
                 "bytes held per direction of a connection before reading pauses");
  CLI11_PARSE(app, argc, argv);

  tandem::relay::RelayOptions options;
  auto listen_at = tandem::relay::ParseHostPort(listen);
  auto target = tandem::relay::ParseHostPort(to);
  auto delay = ParseDelay(delay_text);
  for (const tandem::Status* st : {&listen_at.status(), &target.status(), &delay.status()}) {
    if (!st->ok()) {
      std::cerr << "tandem-relay: " << st->message() << "\n";
      return 2;
    }
  }
  options.listen = *listen_at;
  options.target = *target;
  options.delay = *delay;
  options.max_buffered_bytes = max_buffered;

  // Signals are taken by sigwait below, not by the relay's thread.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  auto relay = tandem::relay::Relay::Start(options);
  if (!relay.ok()) {
    std::cerr << "tandem-relay: " << relay.status().message() << "\n";
    return 1;
  }
  std::cout << "relaying " << options.listen.host << ":" << (*relay)->port() << " -> " << to
            << " with " << delay->count() << " us each way" << std::endl;
  int sig = 0;
  sigwait(&signals, &sig);
  const auto stats = (*relay)->stats();
  (*relay)->Stop();
  std::cout << "stopped: " << stats.accepted << " connections, " << stats.bytes_to_target
            << " bytes to target, " << stats.bytes_to_client << " bytes back" << std::endl;
  return 0;
}
