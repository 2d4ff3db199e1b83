// Server-side TLS settings for the node's listener.
//
// Replication crosses the public internet between regions, so a node given a
// certificate chain and a private key serves HTTPS only: TLS 1.2 or newer,
// forward-secret AEAD cipher suites for TLS 1.2 (TLS 1.3 uses OpenSSL's
// defaults), no compression, no renegotiation. Clients are not asked for
// certificates: peers authenticate with the cluster secret (peer_auth.h) and
// API clients with SigV4.
//
// The context is built once at Start() and shared, read-only, by every
// connection (OpenSSL contexts are safe to use from many threads once set up).
#pragma once

#include <memory>
#include <string>

#include "common/status.h"

namespace boost::asio::ssl {
class context;
}

namespace tandem::node {

struct TlsFiles {
  std::string cert_chain_file;   // PEM: the server certificate, then intermediates
  std::string private_key_file;  // PEM, unencrypted

  bool enabled() const { return !cert_chain_file.empty() || !private_key_file.empty(); }
};

// Loads and checks the certificate chain and key. On failure returns
// InvalidArgument naming the file and the problem: unreadable, not PEM, an
// encrypted key, a key that does not match the certificate, or only one of
// the two files given. Logs a warning (but succeeds) when the certificate has
// expired or is not yet valid.
StatusOr<std::unique_ptr<boost::asio::ssl::context>> MakeServerTlsContext(const TlsFiles& files);

}  // namespace tandem::node
