// The docker-credential-helpers protocol: "docker-credential-<name> <verb>", one
// request on stdin, one answer on stdout. The same helpers (osxkeychain, pass,
// secretservice, wincred, desktop, ecr-login, gcloud, ...) serve docker, crane and
// skopeo, so credentials stored by any of them are visible here.
#pragma once

#include <map>
#include <optional>
#include <string>

namespace berth::registry {

// Username "<token>" means Secret is an OAuth2 identity (refresh) token, not a
// password; that is how docker stores an identitytoken in a helper.
inline constexpr const char *kHelperTokenUsername = "<token>";

struct HelperCredentials {
  std::string server_url, username, secret;
};

// Every call runs "docker-credential-<helper_name> ..." found on PATH and bounds it
// with a deadline of one minute. helper_name is the suffix as config.json spells it
// ("osxkeychain", "ecr-login"); a name with '/' or empty is Error(invalid_argument).
// No message ever carries a secret: a helper's error text is trimmed, shortened and
// scrubbed of the secret it was given, and malformed output is never quoted.

// "get", server on stdin. nullopt when the helper reports "credentials not found".
// Throws Error(not_found) when the helper is not on PATH, Error(timeout) when it hangs,
// Error(auth) for any other failure (naming the helper, its exit code and message).
std::optional<HelperCredentials> helper_get(const std::string &helper_name,
                                            const std::string &server);

} // namespace berth::registry
