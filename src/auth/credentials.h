// Access key pairs the node accepts, loaded from AWS shared-credentials files,
// and generation of fresh key pairs.
//
// File format (the one `aws configure` writes to ~/.aws/credentials):
//   # comment            ; comment        (whole lines only)
//   [profile-name]
//   aws_access_key_id = AKIA...
//   aws_secret_access_key = ...
// Keys are case-insensitive, blanks around '=' and at line ends are ignored,
// other keys (aws_session_token, region, ...) are ignored. Every profile that
// has both keys is one accepted key pair; a profile with only one of them, a
// key outside any profile, a repeated profile, a line that is neither, or one
// access key id with two different secrets is an error naming file:line.
//
// Thread-safety: a KeyStore is filled once and then only read; concurrent
// const calls are safe. The free functions touch only their arguments and the
// named file.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "auth/sigv4.h"
#include "common/status.h"

namespace tandem::auth {

struct KeyPair {
  std::string profile;  // the [section] it came from, or where it is written
  std::string access_key_id;
  std::string secret_access_key;
};

class KeyStore {
 public:
  KeyStore() = default;

  // Adds a pair. AlreadyExists when the access key id is known with another
  // secret; adding the same pair twice is fine.
  Status Add(KeyPair pair);

  // The secret of `access_key_id`, or nullptr. The pointer lives as long as
  // the store and is not invalidated by reads.
  const std::string* FindSecret(std::string_view access_key_id) const;

  size_t size() const { return pairs_.size(); }
  const std::vector<KeyPair>& pairs() const { return pairs_; }

 private:
  std::vector<KeyPair> pairs_;
  std::unordered_map<std::string, size_t> by_id_;  // access key id -> index in pairs_
};

// A CredentialLookup backed by `store`, which it keeps alive.
CredentialLookup MakeLookup(std::shared_ptr<const KeyStore> store);

// Parses credentials-file `text`; `file_name` only labels error messages
// ("creds:7: ..."). InvalidArgument on any format error, or when no profile
// holds a key pair.
StatusOr<KeyStore> ParseCredentials(std::string_view text, std::string_view file_name);

// Reads and parses the file at `path`. IOError when it cannot be read.
StatusOr<KeyStore> LoadCredentialsFile(const std::string& path);

// A fresh random key pair: "AKIA" + 16 characters of [A-Z0-9], and a 40
// character secret of [A-Za-z0-9+/], both from OpenSSL's RAND_bytes. Internal
// when the random generator fails.
StatusOr<KeyPair> GenerateKeyPair(std::string profile = "default");

// Writes `pairs` as a credentials file at `path` with mode 0600, atomically
// (temporary file in the same directory, fsync, rename). Replaces an existing
// file. IOError on failure.
Status WriteCredentialsFile(const std::string& path, const std::vector<KeyPair>& pairs);

}  // namespace tandem::auth
