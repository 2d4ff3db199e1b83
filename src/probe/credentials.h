// The key pair the probe signs its DynamoDB requests with.
//
// From --credentials FILE (AWS shared-credentials format, auth/credentials.h):
// the profile "default", or else the file's first profile with a key pair.
// Without a file: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and
// AWS_SESSION_TOKEN when set) from the environment.
//
// Thread-safety: reads only its arguments, the named file and `getenv`.
#pragma once

#include <functional>
#include <string>

#include "auth/sigv4.h"
#include "common/status.h"

namespace tandem::probe {

using GetEnv = std::function<const char*(const char* name)>;

// The key pair; IOError or InvalidArgument (naming file:line) when the file
// cannot be read or parsed, InvalidArgument when neither source has a pair.
StatusOr<auth::SigningCredentials> LoadSigningCredentials(const std::string& file,
                                                          const GetEnv& getenv);

}  // namespace tandem::probe
