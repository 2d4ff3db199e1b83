#include "up/workspace.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "auth/credentials.h"
#include "auth/crypto.h"

namespace tandem::up {
namespace {

constexpr char kLockFile[] = "up.lock";

std::string ReadSmallFile(const std::string& path) {
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace

StatusOr<std::unique_ptr<Workspace>> Workspace::Open(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError("cannot create " + dir + ": " + ec.message());
  const std::string path = (std::filesystem::path(dir) / kLockFile).string();
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IOError("cannot open " + path + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) {
      const std::string holder = ReadSmallFile(path);
      return Status::FailedPrecondition(dir + " is in use by another tandem up" +
                                        (holder.empty() ? std::string() : " (pid " + holder + ")") +
                                        ": stop it first (Ctrl-C), or give another --dir");
    }
    return Status::IOError("cannot lock " + path + ": " + std::strerror(err));
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  // Only a second `up`'s refusal message reads the pid: failing to write it is harmless.
  if (::ftruncate(fd, 0) == 0) (void)!::pwrite(fd, pid.data(), pid.size(), 0);
  return std::unique_ptr<Workspace>(new Workspace(dir, fd));
}

Workspace::~Workspace() {
  // The pid is left in the file; the lock is what counts.
  ::close(lock_fd_);
}

Status WriteFileAtomically(const std::string& path, const std::string& text, int mode) {
  std::string tmp = path + ".tmp.XXXXXX";
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0) return Status::IOError("cannot write " + path + ": " + std::strerror(errno));
  auto fail = [&](const char* what) {
    const int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    return Status::IOError("cannot write " + path + ": " + what + ": " + std::strerror(err));
  };
  if (::fchmod(fd, static_cast<mode_t>(mode)) != 0) return fail("chmod");
  size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("write");
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) return fail("fsync");
  if (::close(fd) != 0 || ::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return Status::IOError("cannot write " + path + ": " + std::strerror(err));
  }
  return Status::OK();
}

StatusOr<bool> EnsureSecret(const std::string& path) {
  if (std::filesystem::exists(path)) return false;
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
    return Status::Internal("the random generator failed");
  }
  TANDEM_RETURN_IF_ERROR(
      WriteFileAtomically(path, auth::HexEncode(bytes, sizeof(bytes)) + "\n", 0600));
  return true;
}

StatusOr<bool> EnsureCredentials(const std::string& path) {
  if (std::filesystem::exists(path)) return false;
  TANDEM_ASSIGN_OR_RETURN(auth::KeyPair pair, auth::GenerateKeyPair("default"));
  TANDEM_RETURN_IF_ERROR(auth::WriteCredentialsFile(path, {pair}));
  return true;
}

}  // namespace tandem::up
