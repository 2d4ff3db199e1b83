// PeerAuth: authentication of node-to-node traffic (replication, peer status)
// with the deployment's shared cluster secret.
//
// A request carries
//   X-Tandem-Region     the sending region
//   X-Tandem-Date       milliseconds since the epoch
//   X-Tandem-Nonce      16 random bytes, hex
//   X-Tandem-Signature  hex HMAC-SHA256(secret, method \n path \n region \n
//                       date \n nonce \n hex SHA-256(body))
// Verify() refuses a missing or wrong signature, a date more than the window
// away from now (either way), and a nonce seen before within the window, so a
// captured request can be neither altered nor replayed. Nonces are kept only
// for the window, bounded in number.
//
// Thread-safety: Sign and Verify may be called concurrently.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "auth/canonical.h"
#include "auth/sigv4.h"
#include "common/clock.h"
#include "common/status.h"

namespace tandem::replication {

// Reads a cluster secret file: its contents with surrounding whitespace
// removed. InvalidArgument when shorter than 16 bytes, IOError when unreadable.
StatusOr<std::string> LoadSecretFile(const std::string& path);

class PeerAuth {
 public:
  PeerAuth(std::string secret, std::string region, const Clock* clock,
           std::chrono::milliseconds window = std::chrono::minutes(5));

  // Headers to add to a request from this node.
  std::vector<auth::OwnedHeader> Sign(std::string_view method, std::string_view path,
                                      std::string_view body) const;

  // The sending region when the request is authentic; Unauthenticated with
  // the reason otherwise.
  StatusOr<std::string> Verify(std::string_view method, std::string_view path,
                               std::span<const auth::Header> headers, std::string_view body);

 private:
  std::string Signature(std::string_view method, std::string_view path, std::string_view region,
                        std::string_view date, std::string_view nonce,
                        std::string_view body) const;

  const std::string secret_;
  const std::string region_;
  const Clock* clock_;
  const std::chrono::milliseconds window_;

  std::mutex mu_;
  std::unordered_set<std::string> seen_;
  std::deque<std::pair<int64_t, std::string>> seen_order_;  // (expiry ms, nonce)
};

}  // namespace tandem::replication
