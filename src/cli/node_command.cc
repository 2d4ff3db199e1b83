#include "cli/node_command.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/json.hpp>
#include <filesystem>

#include "auth/credentials.h"
#include "auth/sigv4.h"
#include "config/deployment.h"
#include "node/executor.h"
#include "node/server.h"
#include "replication/peer_client.h"
#include "replication/replicator.h"
#include "storage/store.h"

namespace tandem::cli {

void AddNodeFlags(CLI::App* app, NodeFlags* flags) {
  app->add_option("--config", flags->config,
                  "Deployment TOML file; this node is its [[node]] with --region, its peers "
                  "the other [[node]] entries");
  app->add_option("--region", flags->region, "This node's region, e.g. us-east-1")->required();
  app->add_option("--listen", flags->listen,
                  "HOST:PORT to serve the API on (default 127.0.0.1:8000)");
  app->add_option("--data-dir", flags->data_dir, "Directory for the node's data");
  app->add_option("--credentials", flags->credentials,
                  "AWS shared-credentials file; every profile is an accepted key pair "
                  "(default: DIR/credentials, created with a fresh key pair)");
  app->add_option("--peer", flags->peers,
                  "REGION=URL of a peer region's node (repeatable), e.g. "
                  "eu-west-1=http://127.0.0.2:8000");
  app->add_option("--cluster-secret", flags->cluster_secret,
                  "File holding the secret shared by every node (authenticates replication)");
  app->add_option("--peer-ca", flags->peer_ca, "CA certificate file that verifies https:// peers");
  app->add_option("--tls-cert", flags->tls_cert,
                  "PEM certificate chain (server certificate first); with --tls-key the node "
                  "serves HTTPS only");
  app->add_option("--tls-key", flags->tls_key,
                  "PEM private key (unencrypted) of the --tls-cert certificate");
  app->add_option("--anti-entropy-interval", flags->anti_entropy_interval,
                  "Seconds between comparisons of every global table with each peer, which "
                  "re-ship what a peer lacks (default 30; 0 turns anti-entropy off)")
      ->check(CLI::Range(0.0, 86400.0));
  app->add_option("--ready-lag", flags->ready_lag,
                  "After a start, /health answers 503 (catching_up) until every reachable peer "
                  "has fewer than N records left to ship here (default 100)")
      ->check(CLI::PositiveNumber);
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

// Whether `url` is https://, or plain http:// to a loopback address (the
// only place unencrypted replication is meant for).
bool IsLoopbackPlainOrTls(const std::string& url) {
  auto parsed = replication::PeerUrl::Parse(url);
  if (!parsed.ok() || parsed->tls) return true;
  if (parsed->host == "localhost") return true;
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(parsed->host, ec);
  return !ec && address.is_loopback();
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

constexpr uint64_t kDefaultReadyLag = 100;

// The effective settings: the deployment file's [[node]] for --region (and
// its peers), overridden by flags.
struct Settings {
  NodeFlags flags;
  std::vector<replication::Peer> peers;
};

StatusOr<Settings> Resolve(const NodeFlags& given) {
  Settings out;
  out.flags = given;
  NodeFlags& f = out.flags;
  if (given.tls_cert.empty() != given.tls_key.empty()) {
    return Status::InvalidArgument(
        std::string(given.tls_cert.empty() ? "--tls-key" : "--tls-cert") + " was given without " +
        (given.tls_cert.empty() ? "--tls-cert" : "--tls-key") +
        ": give both to serve HTTPS, or neither");
  }
  if (!given.config.empty()) {
    TANDEM_ASSIGN_OR_RETURN(config::Deployment d, config::LoadDeployment(given.config));
    const config::NodeConfig* self = d.FindNode(given.region);
    if (self == nullptr) {
      return Status::InvalidArgument(given.config + ": no [[node]] with region = \"" +
                                     given.region + "\"");
    }
    if (f.listen.empty()) f.listen = self->listen;
    if (f.data_dir.empty()) f.data_dir = self->data_dir;
    if (f.credentials.empty()) f.credentials = self->credentials;
    if (f.cluster_secret.empty()) f.cluster_secret = d.cluster.secret_file;
    if (f.peer_ca.empty()) f.peer_ca = d.cluster.ca_file;
    if (f.tls_cert.empty() && f.tls_key.empty()) {
      f.tls_cert = self->tls_cert;
      f.tls_key = self->tls_key;
    }
    if (!f.ready_lag) f.ready_lag = self->ready_lag;
    for (const auto& n : d.nodes) {
      if (n.region != given.region) out.peers.push_back({n.region, n.url});
    }
  }
  if (f.listen.empty()) f.listen = "127.0.0.1:8000";
  if (!f.ready_lag) f.ready_lag = kDefaultReadyLag;
  if (f.data_dir.empty()) return Status::InvalidArgument("--data-dir is required");
  for (const auto& p : given.peers) {
    const auto eq = p.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == p.size()) {
      return Status::InvalidArgument("--peer must be REGION=URL, got '" + p + "'");
    }
    replication::Peer peer{p.substr(0, eq), p.substr(eq + 1)};
    TANDEM_RETURN_IF_ERROR(replication::PeerUrl::Parse(peer.url).status());
    if (peer.region == given.region) {
      return Status::InvalidArgument("--peer " + p + " names this node's own region");
    }
    out.peers.push_back(std::move(peer));
  }
  if (!f.peer_ca.empty()) {
    // The peer client would otherwise fall back to trusting nothing, and
    // every https:// peer would fail verification with no hint why.
    boost::asio::ssl::context probe(boost::asio::ssl::context::tls_client);
    boost::system::error_code ec;
    probe.load_verify_file(f.peer_ca, ec);
    if (ec) {
      return Status::InvalidArgument("cannot load the peer CA file " + f.peer_ca + ": " +
                                     ec.message() + " (expected PEM certificates)");
    }
  }
  if (!out.peers.empty() && f.cluster_secret.empty()) {
    return Status::InvalidArgument(
        "peers are configured but no cluster secret: give --cluster-secret FILE (the same file "
        "in every region; e.g. openssl rand -hex 32 > FILE) or [cluster] secret_file");
  }
  return out;
}

}  // namespace

int RunNode(const NodeFlags& given) {
  auto settings = Resolve(given);
  if (!settings.ok()) {
    spdlog::error("{}", settings.status().message());
    return 2;
  }
  const NodeFlags& flags = settings->flags;
  std::string host;
  uint16_t port = 0;
  if (!SplitHostPort(flags.listen, &host, &port)) {
    spdlog::error("--listen must be HOST:PORT, got '{}'", flags.listen);
    return 2;
  }
  std::shared_ptr<replication::PeerAuth> peer_auth;
  if (!flags.cluster_secret.empty()) {
    auto secret = replication::LoadSecretFile(flags.cluster_secret);
    if (!secret.ok()) {
      spdlog::error("{}", secret.status().message());
      return 2;
    }
    peer_auth =
        std::make_shared<replication::PeerAuth>(*secret, flags.region, SystemClock::Default());
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
  server_options.tls = {flags.tls_cert, flags.tls_key};
  node::Server server(server_options, &executor, &verifier, store->get(), SystemClock::Default());
  std::unique_ptr<replication::Replicator> replicator;
  if (peer_auth) {
    replication::ReplicatorOptions replication_options;
    replication_options.ca_file = flags.peer_ca;
    replication_options.ready_lag = *flags.ready_lag;
    replication_options.anti_entropy_interval = std::chrono::milliseconds(
        static_cast<int64_t>(flags.anti_entropy_interval * 1000));
    // A version younger than a few intervals of a busy peer may still be in
    // flight; never wait longer than the interval itself to repair.
    replication_options.anti_entropy_grace = std::min(
        replication_options.anti_entropy_grace,
        std::max(std::chrono::milliseconds(1000), replication_options.anti_entropy_interval));
    replicator = std::make_unique<replication::Replicator>(
        store->get(), peer_auth, settings->peers, replication_options, SystemClock::Default());
    server.set_replicator(replicator.get());
    executor.set_replicator(replicator.get());
    replicator->set_control_handler(
        [&executor](const std::string& from, const boost::json::object& request) {
          return executor.HandleControl(from, request);
        });
  }
  Status st = server.Start();
  if (!st.ok()) {
    spdlog::error("{}", st.message());
    return 1;
  }
  spdlog::info("tandem node {} serving the DynamoDB API on {}://{}:{} (data in {})", flags.region,
               server.scheme(), host, server.port(), flags.data_dir);
  if (replicator) {
    for (const auto& p : settings->peers) {
      spdlog::info("peer {} at {}", p.region, p.url);
      if (!IsLoopbackPlainOrTls(p.url)) {
        spdlog::warn(
            "replication to {} is not encrypted: use an https:// peer URL across "
            "networks (plain http:// is for loopback and tests)",
            p.region);
      }
    }
    spdlog::info(
        "ready after a start once every reachable peer has fewer than {} records to "
        "ship here",
        *flags.ready_lag);
    replicator->Start();
  }

  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("received {}, finishing in-flight requests", sig == SIGTERM ? "SIGTERM" : "SIGINT");
  server.Stop();
  server.Wait();
  if (replicator) replicator->Stop();
  store->reset();  // flushes and closes the database
  spdlog::info("stopped cleanly");
  return 0;
}

}  // namespace tandem::cli
