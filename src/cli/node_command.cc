#include "cli/node_command.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <filesystem>

#include "auth/credentials.h"
#include "auth/sigv4.h"
#include "node/executor.h"
#include "node/server.h"
#include "storage/store.h"

namespace tandem::cli {

void AddNodeFlags(CLI::App* app, NodeFlags* flags) {
  app->add_option("--region", flags->region, "This node's region, e.g. us-east-1")->required();
  app->add_option("--listen", flags->listen, "HOST:PORT to serve the API on")
      ->capture_default_str();
  app->add_option("--data-dir", flags->data_dir, "Directory for the node's data")->required();
  app->add_option("--credentials", flags->credentials,
                  "AWS shared-credentials file; every profile is an accepted key pair "
                  "(default: DIR/credentials, created with a fresh key pair)");
}

namespace {

bool SplitHostPort(const std::string& listen, std::string* host, uint16_t* port) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) return false;
  *host = listen.substr(0, colon);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  try {
    const int p = std::stoi(listen.substr(colon + 1));
    if (p < 0 || p > 65535) return false;
    *port = static_cast<uint16_t>(p);
  } catch (const std::exception&) {
    return false;
  }
  return !host->empty();
}

// The key store from --credentials, or DIR/credentials (created on first start).
StatusOr<std::shared_ptr<const auth::KeyStore>> LoadKeys(const NodeFlags& flags) {
  std::string path = flags.credentials;
  if (path.empty()) {
    path = flags.data_dir + "/credentials";
    if (!std::filesystem::exists(path)) {
      TANDEM_ASSIGN_OR_RETURN(auth::KeyPair pair, auth::GenerateKeyPair("default"));
      TANDEM_RETURN_IF_ERROR(auth::WriteCredentialsFile(path, {pair}));
      spdlog::info("created a fresh key pair in {}", path);
    }
    spdlog::info("credentials: {}", path);
  }
  TANDEM_ASSIGN_OR_RETURN(auth::KeyStore keys, auth::LoadCredentialsFile(path));
  return std::make_shared<const auth::KeyStore>(std::move(keys));
}

}  // namespace

int RunNode(const NodeFlags& flags) {
  std::string host;
  uint16_t port = 0;
  if (!SplitHostPort(flags.listen, &host, &port)) {
    spdlog::error("--listen must be HOST:PORT, got '{}'", flags.listen);
    return 2;
  }
  // Signals are taken synchronously by this thread; block them everywhere
  // before any other thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  storage::Store::Options options;
  options.dir = flags.data_dir;
  options.region = flags.region;
  auto store = storage::Store::Open(options);
  if (!store.ok()) {
    spdlog::error("{}", store.status().message());
    return 1;
  }
  auto keys = LoadKeys(flags);
  if (!keys.ok()) {
    spdlog::error("{}", keys.status().message());
    return 1;
  }
  auth::VerifierOptions verifier_options;
  verifier_options.region = flags.region;
  verifier_options.lookup = auth::MakeLookup(*keys);
  auth::SigV4Verifier verifier(std::move(verifier_options));

  node::Executor executor(store->get(), SystemClock::Default());
  node::ServerOptions server_options;
  server_options.host = host;
  server_options.port = port;
  node::Server server(server_options, &executor, &verifier, store->get(), SystemClock::Default());
  Status st = server.Start();
  if (!st.ok()) {
    spdlog::error("{}", st.message());
    return 1;
  }
  spdlog::info("tandem node {} serving the DynamoDB API on http://{}:{} (data in {})",
               flags.region, host, server.port(), flags.data_dir);

  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("received {}, finishing in-flight requests", sig == SIGTERM ? "SIGTERM" : "SIGINT");
  server.Stop();
  server.Wait();
  store->reset();  // flushes and closes the database
  spdlog::info("stopped cleanly");
  return 0;
}

}  // namespace tandem::cli
