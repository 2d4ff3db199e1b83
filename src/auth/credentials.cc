#include "auth/credentials.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace tandem::auth {

namespace {

std::string_view TrimBlanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; });
  return out;
}

Status LineError(std::string_view file, int line, const std::string& message) {
  return Status::InvalidArgument(std::string(file) + ":" + std::to_string(line) + ": " + message);
}

// One [section] while it is being read.
struct PendingProfile {
  std::string name;
  int line = 0;
  std::optional<std::string> access_key_id;
  std::optional<std::string> secret;
};

// Adds `p` to `store` if it holds a key pair.
Status FinishProfile(const PendingProfile& p, std::string_view file, KeyStore* store) {
  if (!p.access_key_id.has_value() && !p.secret.has_value()) {
    return Status::OK();  // e.g. a profile holding only region settings
  }
  if (!p.access_key_id.has_value()) {
    return LineError(file, p.line,
                     "profile '" + p.name + "' has aws_secret_access_key but no aws_access_key_id");
  }
  if (!p.secret.has_value()) {
    return LineError(file, p.line,
                     "profile '" + p.name + "' has aws_access_key_id but no aws_secret_access_key");
  }
  Status st = store->Add(KeyPair{p.name, *p.access_key_id, *p.secret});
  if (!st.ok()) {
    return LineError(file, p.line, st.message());
  }
  return Status::OK();
}

bool HasBlank(std::string_view s) { return s.find_first_of(" \t") != std::string_view::npos; }

}  // namespace

Status KeyStore::Add(KeyPair pair) {
  auto it = by_id_.find(pair.access_key_id);
  if (it != by_id_.end()) {
    if (pairs_[it->second].secret_access_key != pair.secret_access_key) {
      return Status::AlreadyExists("access key id " + pair.access_key_id +
                                   " appears with two different secrets (profiles '" +
                                   pairs_[it->second].profile + "' and '" + pair.profile + "')");
    }
    return Status::OK();
  }
  by_id_.emplace(pair.access_key_id, pairs_.size());
  pairs_.push_back(std::move(pair));
  return Status::OK();
}

const std::string* KeyStore::FindSecret(std::string_view access_key_id) const {
  auto it = by_id_.find(std::string(access_key_id));
  if (it == by_id_.end()) {
    return nullptr;
  }
  return &pairs_[it->second].secret_access_key;
}

CredentialLookup MakeLookup(std::shared_ptr<const KeyStore> store) {
  return [store = std::move(store)](std::string_view access_key_id) -> std::optional<std::string> {
    const std::string* secret = store->FindSecret(access_key_id);
    if (secret == nullptr) {
      return std::nullopt;
    }
    return *secret;
  };
}

StatusOr<KeyStore> ParseCredentials(std::string_view text, std::string_view file_name) {
  KeyStore store;
  std::optional<PendingProfile> current;
  std::vector<std::string> seen_profiles;
  int line_no = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) {
      nl = text.size();
    }
    std::string_view line = TrimBlanks(text.substr(pos, nl - pos));
    pos = nl + 1;
    ++line_no;
    if (line.empty() || line.front() == '#' || line.front() == ';') {
      continue;
    }
    if (line.front() == '[') {
      if (line.back() != ']') {
        return LineError(file_name, line_no, "profile header must end with ']'");
      }
      std::string name(TrimBlanks(line.substr(1, line.size() - 2)));
      if (name.empty()) {
        return LineError(file_name, line_no, "empty profile name");
      }
      if (std::find(seen_profiles.begin(), seen_profiles.end(), name) != seen_profiles.end()) {
        return LineError(file_name, line_no, "profile '" + name + "' appears twice");
      }
      if (current.has_value()) {
        TANDEM_RETURN_IF_ERROR(FinishProfile(*current, file_name, &store));
      }
      seen_profiles.push_back(name);
      current = PendingProfile{name, line_no, std::nullopt, std::nullopt};
      continue;
    }
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      return LineError(file_name, line_no, "expected '[profile]' or 'key = value'");
    }
    std::string key = Lower(TrimBlanks(line.substr(0, eq)));
    std::string_view value = TrimBlanks(line.substr(eq + 1));
    if (key.empty()) {
      return LineError(file_name, line_no, "missing key before '='");
    }
    if (!current.has_value()) {
      return LineError(file_name, line_no, "'" + key + "' outside any [profile]");
    }
    if (key == "aws_access_key_id" || key == "aws_secret_access_key") {
      if (value.empty()) {
        return LineError(file_name, line_no, key + " is empty");
      }
      if (HasBlank(value)) {
        return LineError(file_name, line_no, key + " contains blanks");
      }
      std::optional<std::string>& slot =
          key == "aws_access_key_id" ? current->access_key_id : current->secret;
      if (slot.has_value()) {
        return LineError(file_name, line_no,
                         key + " given twice in profile '" + current->name + "'");
      }
      slot = std::string(value);
    }
  }
  if (current.has_value()) {
    TANDEM_RETURN_IF_ERROR(FinishProfile(*current, file_name, &store));
  }
  if (store.size() == 0) {
    return Status::InvalidArgument(std::string(file_name) +
                                   ": no profile with aws_access_key_id and aws_secret_access_key");
  }
  return store;
}

StatusOr<KeyStore> LoadCredentialsFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status::IOError(path + ": cannot open: " + std::strerror(errno));
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) {
    return Status::IOError(path + ": read failed");
  }
  return ParseCredentials(buf.str(), path);
}

StatusOr<KeyPair> GenerateKeyPair(std::string profile) {
  static constexpr std::string_view kIdAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  static constexpr std::string_view kSecretAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  KeyPair pair;
  pair.profile = std::move(profile);
  pair.access_key_id = "AKIA";
  // Rejection sampling keeps the 36-letter alphabet uniform: bytes >= 252 are dropped.
  while (pair.access_key_id.size() < 20) {
    unsigned char bytes[32];
    if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
      return Status::Internal("RAND_bytes failed");
    }
    for (unsigned char b : bytes) {
      if (b < 252 && pair.access_key_id.size() < 20) {
        pair.access_key_id.push_back(kIdAlphabet[b % kIdAlphabet.size()]);
      }
    }
  }
  unsigned char bytes[40];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
    return Status::Internal("RAND_bytes failed");
  }
  for (unsigned char b : bytes) {
    pair.secret_access_key.push_back(kSecretAlphabet[b & 63]);
  }
  return pair;
}

Status WriteCredentialsFile(const std::string& path, const std::vector<KeyPair>& pairs) {
  std::string text =
      "# AWS shared-credentials file written by tandem. Keep it private (mode 0600).\n";
  for (const KeyPair& p : pairs) {
    text += "\n[" + p.profile + "]\n";
    text += "aws_access_key_id = " + p.access_key_id + "\n";
    text += "aws_secret_access_key = " + p.secret_access_key + "\n";
  }
  std::string tmp = path + ".tmp.XXXXXX";
  int fd = mkstemp(tmp.data());  // creates the file with mode 0600
  if (fd < 0) {
    return Status::IOError(path + ": cannot create temporary file: " + std::strerror(errno));
  }
  auto fail = [&](const char* what) {
    int err = errno;
    close(fd);
    unlink(tmp.c_str());
    return Status::IOError(path + ": " + what + ": " + std::strerror(err));
  };
  if (fchmod(fd, 0600) != 0) {
    return fail("chmod");
  }
  size_t written = 0;
  while (written < text.size()) {
    ssize_t n = write(fd, text.data() + written, text.size() - written);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return fail("write");
    }
    written += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0) {
    return fail("fsync");
  }
  if (close(fd) != 0) {
    int err = errno;
    unlink(tmp.c_str());
    return Status::IOError(path + ": close: " + std::strerror(err));
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    unlink(tmp.c_str());
    return Status::IOError(path + ": rename: " + std::strerror(err));
  }
  return Status::OK();
}

}  // namespace tandem::auth
