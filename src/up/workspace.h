// Workspace: the directory one `tandem up` owns (--dir) — its lock, and the
// files that must survive restarts (cluster secret, credentials) or be
// written afresh at each start (configuration, zone file).
//
// The lock is an flock on DIR/up.lock, held as long as the Workspace lives;
// the file also names the holder's pid for the refusal message. The kernel
// drops the lock when the process dies, however it dies, so a stale lock
// never blocks a start.
//
// Thread-safety: thread-compatible; the free functions touch only the named
// files.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"

namespace tandem::up {

class Workspace {
 public:
  // Creates `dir` (and parents) if needed and takes its lock.
  // FailedPrecondition "DIR is in use by another tandem up (pid N)" when
  // another process holds it; IOError when the directory or lock file cannot
  // be made.
  static StatusOr<std::unique_ptr<Workspace>> Open(const std::string& dir);
  ~Workspace();
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;

  const std::string& dir() const { return dir_; }

 private:
  Workspace(std::string dir, int fd) : dir_(std::move(dir)), lock_fd_(fd) {}
  std::string dir_;
  int lock_fd_;
};

// Writes a fresh cluster secret (64 hex digits from OpenSSL's RAND_bytes,
// mode 0600) at `path` unless the file exists. Returns whether it wrote one.
StatusOr<bool> EnsureSecret(const std::string& path);
// Writes a credentials file with a fresh key pair in profile "default"
// (auth/credentials.h) at `path` unless the file exists. Returns whether it
// wrote one.
StatusOr<bool> EnsureCredentials(const std::string& path);
// Replaces the file at `path` with `text` atomically (temporary file beside
// it, fsync, rename), mode 0644. IOError naming the file on failure.
Status WriteFileAtomically(const std::string& path, const std::string& text, int mode = 0644);

}  // namespace tandem::up
