#include "replication/peer_auth.h"

#include <openssl/rand.h>

#include <fstream>
#include <sstream>

#include "auth/crypto.h"

namespace tandem::replication {
namespace {

constexpr size_t kMaxNonces = 1 << 20;

std::string Trim(std::string s) {
  const char* ws = " \t\r\n";
  s.erase(0, s.find_first_not_of(ws));
  const auto end = s.find_last_not_of(ws);
  s.erase(end == std::string::npos ? 0 : end + 1);
  return s;
}

}  // namespace

StatusOr<std::string> LoadSecretFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot read cluster secret file " + path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string secret = Trim(buffer.str());
  if (secret.size() < 16) {
    return Status::InvalidArgument("cluster secret in " + path +
                                   " is too short: use at least 16 random bytes "
                                   "(e.g. openssl rand -hex 32 > " + path + ")");
  }
  return secret;
}

PeerAuth::PeerAuth(std::string secret, std::string region, const Clock* clock,
                   std::chrono::milliseconds window)
    : secret_(std::move(secret)), region_(std::move(region)), clock_(clock), window_(window) {}

std::string PeerAuth::Signature(std::string_view method, std::string_view path,
                                std::string_view region, std::string_view date,
                                std::string_view nonce, std::string_view body) const {
  std::string text;
  text.reserve(method.size() + path.size() + region.size() + date.size() + nonce.size() + 70);
  text.append(method).append("\n").append(path).append("\n").append(region).append("\n");
  text.append(date).append("\n").append(nonce).append("\n").append(auth::Sha256Hex(body));
  return auth::HexEncode(auth::HmacSha256(secret_, text));
}

std::vector<auth::OwnedHeader> PeerAuth::Sign(std::string_view method, std::string_view path,
                                              std::string_view body) const {
  unsigned char raw[16];
  RAND_bytes(raw, sizeof(raw));
  const std::string nonce = auth::HexEncode(raw, sizeof(raw));
  const std::string date = std::to_string(clock_->NowMicros() / 1000);
  return {{"X-Tandem-Region", region_},
          {"X-Tandem-Date", date},
          {"X-Tandem-Nonce", nonce},
          {"X-Tandem-Signature", Signature(method, path, region_, date, nonce, body)}};
}

StatusOr<std::string> PeerAuth::Verify(std::string_view method, std::string_view path,
                                       std::span<const auth::Header> headers,
                                       std::string_view body) {
  auto region = auth::FindHeader(headers, "x-tandem-region");
  auto date = auth::FindHeader(headers, "x-tandem-date");
  auto nonce = auth::FindHeader(headers, "x-tandem-nonce");
  auto signature = auth::FindHeader(headers, "x-tandem-signature");
  if (!region || !date || !nonce || !signature || region->empty() || nonce->size() != 32) {
    return Status::Unauthenticated("missing or malformed peer authentication headers");
  }
  int64_t date_ms = 0;
  try {
    date_ms = std::stoll(std::string(*date));
  } catch (const std::exception&) {
    return Status::Unauthenticated("malformed X-Tandem-Date");
  }
  const std::string expected = Signature(method, path, *region, *date, *nonce, body);
  if (!auth::ConstantTimeEquals(expected, *signature)) {
    return Status::Unauthenticated("peer signature does not match (wrong cluster secret?)");
  }
  const int64_t now_ms = clock_->NowMicros() / 1000;
  if (std::llabs(now_ms - date_ms) > window_.count()) {
    return Status::Unauthenticated("peer request date is outside the allowed window (clock skew "
                                   "or a replayed request)");
  }
  std::lock_guard<std::mutex> lock(mu_);
  while (!seen_order_.empty() &&
         (seen_order_.front().first < now_ms || seen_order_.size() > kMaxNonces)) {
    seen_.erase(seen_order_.front().second);
    seen_order_.pop_front();
  }
  if (!seen_.insert(std::string(*nonce)).second) {
    return Status::Unauthenticated("replayed peer request (nonce seen before)");
  }
  seen_order_.emplace_back(date_ms + window_.count(), std::string(*nonce));
  return std::string(*region);
}

}  // namespace tandem::replication
