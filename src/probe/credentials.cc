#include "probe/credentials.h"

#include "auth/credentials.h"

namespace tandem::probe {

StatusOr<auth::SigningCredentials> LoadSigningCredentials(const std::string& file,
                                                          const GetEnv& getenv) {
  if (!file.empty()) {
    TANDEM_ASSIGN_OR_RETURN(auth::KeyStore store, auth::LoadCredentialsFile(file));
    const auth::KeyPair* chosen = &store.pairs().front();  // not empty: parsing checks
    for (const auto& pair : store.pairs()) {
      if (pair.profile == "default") {
        chosen = &pair;
        break;
      }
    }
    return auth::SigningCredentials{chosen->access_key_id, chosen->secret_access_key, ""};
  }
  const char* id = getenv("AWS_ACCESS_KEY_ID");
  const char* secret = getenv("AWS_SECRET_ACCESS_KEY");
  if (id == nullptr || *id == '\0' || secret == nullptr || *secret == '\0') {
    return Status::InvalidArgument(
        "no credentials: give --credentials FILE or set AWS_ACCESS_KEY_ID and "
        "AWS_SECRET_ACCESS_KEY");
  }
  const char* token = getenv("AWS_SESSION_TOKEN");
  return auth::SigningCredentials{id, secret, token != nullptr ? token : ""};
}

}  // namespace tandem::probe
