#include "registry/credential_helper.hpp"

#include "core/json.hpp"
#include "core/subprocess.hpp"
#include "core/untrusted_text.hpp"

#include <berth/error.hpp>

#include <algorithm>
#include <cctype>
#include <optional>
#include <string_view>

namespace berth::registry {
namespace {

// Long enough for a helper that asks the user to unlock a keyring or renews a cloud
// token, short enough that a wedged helper does not hang a CI job forever.
constexpr auto kHelperTimeout = std::chrono::seconds(60);

// What every docker-credential-helpers implementation prints for a miss ("credentials
// not found in native keychain"); matched loosely, as docker's client does.
constexpr std::string_view kNotFoundText = "credentials not found";

// A helper's error text is quoted to help the user act on it, not to dump its output.
constexpr std::size_t kMaxMessage = 300;

std::string program_for(const std::string &helper_name) {
  // The name comes from a config file; with a '/' in it posix_spawnp would run an
  // arbitrary path instead of a docker-credential-* program found on PATH.
  if (helper_name.empty() || helper_name.find('/') != std::string::npos ||
      helper_name.find('\0') != std::string::npos)
    throw Error(Errc::invalid_argument,
                "invalid credential helper name '" + helper_name.substr(0, 64) + "'");
  return "docker-credential-" + helper_name;
}

core::ProcessResult run(const std::string &program, const char *verb, std::string_view input) {
  try {
    return core::run_process({program, verb}, input, kHelperTimeout);
  } catch (const Error &e) {
    if (e.code() == Errc::not_found)
      throw Error(Errc::not_found,
                  "credential helper '" + program + "' is not installed (not on PATH)");
    throw;
  }
}

bool icontains(std::string_view hay, std::string_view needle) {
  return std::search(hay.begin(), hay.end(), needle.begin(), needle.end(),
                     [](unsigned char a, unsigned char b) {
                       return std::tolower(a) == std::tolower(b);
                     }) != hay.end();
}

bool says_not_found(const core::ProcessResult &r) {
  return icontains(r.out, kNotFoundText) || icontains(r.err, kNotFoundText);
}

std::string_view trim(std::string_view s) {
  auto is_space = [](unsigned char c) { return std::isspace(c) != 0; };
  while (!s.empty() && is_space(static_cast<unsigned char>(s.front())))
    s.remove_prefix(1);
  while (!s.empty() && is_space(static_cast<unsigned char>(s.back())))
    s.remove_suffix(1);
  return s;
}

// The helper's own words on one short line. docker reads stdout for the message; some
// helpers only write to stderr, so that is the fallback. The secret we handed the
// helper is cut out first, in case it echoes its input back.
std::string helper_message(const core::ProcessResult &r, std::string_view secret) {
  std::string text(trim(r.out).empty() ? trim(r.err) : trim(r.out));
  if (!secret.empty()) {
    for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at))
      text.replace(at, secret.size(), "<redacted>");
  }
  if (text.size() > kMaxMessage) text = text.substr(0, kMaxMessage) + "...";
  return core::printable(text);
}

[[noreturn]] void fail(const std::string &program, const char *verb, const core::ProcessResult &r,
                       std::string_view secret = {}) {
  std::string msg = "credential helper '" + program + " " + verb + "' failed with exit code " +
                    std::to_string(r.exit_code);
  if (auto detail = helper_message(r, secret); !detail.empty()) msg += ": " + detail;
  throw Error(Errc::auth, msg);
}

// Never quotes the output: a half-broken answer to "get" may well hold the secret.
[[noreturn]] void malformed(const std::string &program, const char *verb, const char *what) {
  throw Error(Errc::auth, "credential helper '" + program + " " + verb +
                              "' returned malformed output: " + what);
}

// A helper's reply as a JSON object, or nothing when it is not one (or names a key
// twice: Go's helpers read the last, rapidjson the first).
std::optional<core::json::Document> reply_object(const std::string &out) {
  try {
    auto doc = core::json::parse(out, "credential helper reply");
    if (doc.IsObject()) return doc;
  } catch (const Error &) {
  }
  return std::nullopt;
}

} // namespace

std::optional<HelperCredentials> helper_get(const std::string &helper_name,
                                            const std::string &server) {
  const std::string program = program_for(helper_name);
  auto r = run(program, "get", server);
  if (r.exit_code != 0) {
    if (says_not_found(r)) return std::nullopt;
    fail(program, "get", r);
  }
  auto doc = reply_object(r.out);
  if (!doc) {
    if (says_not_found(r)) return std::nullopt; // a helper that reports a miss with exit 0
    malformed(program, "get", "not a JSON object with each key once");
  }
  for (const char *field : {"ServerURL", "Username", "Secret"}) {
    auto it = doc->FindMember(field);
    if (it != doc->MemberEnd() && !it->value.IsString() && !it->value.IsNull())
      malformed(program, "get", (std::string(field) + " is not a string").c_str());
  }
  HelperCredentials c;
  c.server_url = core::json::get_string(*doc, "ServerURL", server);
  c.username = core::json::get_string(*doc, "Username");
  c.secret = core::json::get_string(*doc, "Secret");
  return c;
}

} // namespace berth::registry
