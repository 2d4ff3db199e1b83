#include "common/status.h"

namespace tandem {

std::string Status::ToString() const {
  static const char* const kNames[] = {
      "OK",           "InvalidArgument", "NotFound", "AlreadyExists", "FailedPrecondition",
      "ResourceExhausted", "Unauthenticated", "IOError", "Unavailable", "Internal"};
  std::string out = kNames[static_cast<int>(code_)];
  if (!message_.empty()) {
    out += ": ";
    out += message_;
  }
  return out;
}

}  // namespace tandem
