#include "registry/keychain.hpp"

#include "registry/ecr_keychain.hpp"

#include "core/base64.hpp"
#include "core/json.hpp"
#include "registry/credential_helper.hpp"

#include <berth/error.hpp>

#include <openssl/evp.h>

#include <array>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <system_error>

#include <pwd.h>
#include <unistd.h>

namespace berth::registry {
namespace {

using core::json::Value;

// Docker Hub's key in config.json and the server docker hands to credential helpers:
// a leftover of the v1 API that every docker-compatible tool still writes on login.
constexpr std::string_view kHubAuthKey = "https://index.docker.io/v1/";
constexpr std::string_view kHub = "docker.io";
constexpr std::array<std::string_view, 3> kHubAliases = {"docker.io", "index.docker.io",
                                                         "registry-1.docker.io"};

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto &c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0)
    s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0)
    s.remove_suffix(1);
  return s;
}

std::string quoted(std::string_view s) {
  constexpr std::size_t kMax = 100;
  std::string out;
  out.reserve(kMax + 5);
  out.push_back('"');
  for (unsigned char c : s.substr(0, kMax))
    out.push_back(std::iscntrl(c) != 0 ? '?' : static_cast<char>(c));
  out.append(s.size() > kMax ? "...\"" : "\"");
  return out;
}

[[noreturn]] void config_error(const std::string &path, const std::string &what) {
  throw Error(Errc::config, "config file " + path + ": " + what);
}

struct FileCloser {
  void operator()(std::FILE *f) const noexcept { std::fclose(f); }
};

constexpr std::size_t kMaxConfigBytes = 16u << 20;

// nullopt when the file does not exist: an absent config is the normal case.
std::optional<std::string> read_config(const std::string &path) {
  std::unique_ptr<std::FILE, FileCloser> f(std::fopen(path.c_str(), "rb"));
  if (!f) {
    int err = errno;
    if (err == ENOENT || err == ENOTDIR) return std::nullopt;
    config_error(path, "cannot open: " + std::error_code(err, std::generic_category()).message());
  }
  std::string text;
  std::array<char, 8192> buf;
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), f.get())) > 0) {
    // A config is a few KiB; one that never ends (a FIFO, /dev/zero) must not hang
    // or exhaust memory. The cap `berth ecr login` applies when it edits the file.
    if (text.size() + n > kMaxConfigBytes)
      config_error(path, "is larger than " + std::to_string(kMaxConfigBytes >> 20) + " MiB");
    text.append(buf.data(), n);
  }
  if (std::ferror(f.get()) != 0)
    config_error(path, "cannot read: " + std::error_code(errno, std::generic_category()).message());
  return text;
}

// A member, or nullptr when absent or JSON null (Go's decoder treats null as absent).
const Value *member(const Value &obj, const char *name) {
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd() || it->value.IsNull()) return nullptr;
  return &it->value;
}

const Value *object_member(const std::string &path, const Value &obj, const char *name) {
  const Value *v = member(obj, name);
  if (v && !v->IsObject()) config_error(path, std::string("\"") + name + "\" is not an object");
  return v;
}

std::string string_member(const std::string &path, const Value &obj, const char *name,
                          const std::string &where) {
  const Value *v = member(obj, name);
  if (!v) return {};
  if (!v->IsString()) config_error(path, where + "\"" + name + "\" is not a string");
  return {v->GetString(), v->GetStringLength()};
}

struct Match {
  std::string key;
  const Value *value = nullptr;
};

// docker's own key for the registry first, then the first key (in file order) that
// normalises to the same registry: old docker versions and hand edits left
// "https://host", "http://host/v2/" and the like behind.
Match find_for_registry(const Value &obj, const std::string &registry) {
  const std::string exact = docker_server_key(registry);
  for (const auto &m : obj.GetObject())
    if (std::string_view(m.name.GetString(), m.name.GetStringLength()) == exact)
      return {exact, &m.value};
  for (const auto &m : obj.GetObject()) {
    std::string key(m.name.GetString(), m.name.GetStringLength());
    if (normalize_registry(key) == registry) return {key, &m.value};
  }
  return {};
}

AuthConfig decode_auths_entry(const std::string &path, const Match &m) {
  const std::string where = "auths entry " + quoted(m.key) + ": ";
  if (!m.value->IsObject()) config_error(path, where + "not an object");
  AuthConfig a;
  a.username = string_member(path, *m.value, "username", where);
  a.password = string_member(path, *m.value, "password", where);
  a.identity_token = string_member(path, *m.value, "identitytoken", where);
  a.registry_token = string_member(path, *m.value, "registrytoken", where);
  // As in docker, a non-empty "auth" overrides username/password. Errors name the
  // field, never its content: it is the password.
  const std::string auth = string_member(path, *m.value, "auth", where);
  if (!trim(auth).empty()) {
    auto decoded = core::base64_decode(auth);
    if (!decoded) config_error(path, where + "\"auth\" is not valid base64");
    auto colon = decoded->find(':');
    if (colon == std::string::npos)
      config_error(path, where + "\"auth\" does not decode to username:password");
    a.username = decoded->substr(0, colon);
    a.password = decoded->substr(colon + 1);
  }
  return a;
}

AuthConfig from_helper(const std::string &helper, const char *source, const std::string &path,
                       const std::string &registry) {
  std::optional<HelperCredentials> c;
  try {
    c = helper_get(helper, docker_server_key(registry));
  } catch (const Error &e) {
    if (e.code() == Errc::cancelled) throw; // the caller stopped it: not the helper's fault
    // A bad helper name is the file's fault; anything else (missing binary, timeout,
    // helper error) is an authentication failure the user must fix before retrying.
    throw Error(e.code() == Errc::invalid_argument ? Errc::config : Errc::auth,
                "credentials for " + registry + " (" + source + " in " + path + "): " + e.what());
  }
  AuthConfig a;
  if (!c) return a;
  if (c->username == kHelperTokenUsername) {
    a.identity_token = c->secret;
  } else {
    a.username = c->username;
    a.password = c->secret;
  }
  return a;
}

// One file, docker's precedence: credHelpers, then credsStore, then auths.
AuthConfig resolve_in_file(const std::string &path, const std::string &registry) {
  auto text = read_config(path);
  if (!text || trim(*text).empty()) return {}; // docker accepts an empty file too
  core::json::Document doc;
  try {
    // The user's own file: read as docker reads it (the last of duplicate keys).
    doc = core::json::parse(*text, ("config file " + path).c_str(),
                            core::json::Duplicates::keep_last);
  } catch (const Error &e) {
    throw Error(Errc::config, e.what());
  }
  if (!doc.IsObject()) config_error(path, "not a JSON object");
  const Value *helpers = object_member(path, doc, "credHelpers");
  const Value *auths = object_member(path, doc, "auths");
  // docker's getConfiguredCredentialStore: a credHelpers entry, even an empty one
  // (which means "use auths"), overrides credsStore.
  std::string helper = string_member(path, doc, "credsStore", {});
  const char *source = "credsStore";
  if (helpers) {
    if (auto m = find_for_registry(*helpers, registry); m.value) {
      if (!m.value->IsString())
        config_error(path, "credHelpers entry " + quoted(m.key) + " is not a string");
      helper.assign(m.value->GetString(), m.value->GetStringLength());
      source = "credHelpers";
    }
  }
  if (!helper.empty()) {
    auto a = from_helper(helper, source, path, registry);
    // A miss in credsStore falls back to auths, where entries written before the store
    // was configured (or by tools that do not use it) live; a credHelpers entry is
    // the registry's only source.
    if (!a.anonymous() || source == std::string_view("credHelpers")) return a;
  }
  if (auths)
    if (auto m = find_for_registry(*auths, registry); m.value) return decode_auths_entry(path, m);
  return {};
}

std::string env(const char *name) {
  const char *v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

std::string home_dir() {
  if (auto h = env("HOME"); !h.empty()) return h;
  // Services started without HOME (some CI runners, systemd units) still have a
  // password-database entry.
  long size = ::sysconf(_SC_GETPW_R_SIZE_MAX);
  std::string buf(size > 0 ? static_cast<std::size_t>(size) : 16384, '\0');
  passwd pw{};
  passwd *result = nullptr;
  if (::getpwuid_r(::getuid(), &pw, buf.data(), buf.size(), &result) == 0 && result &&
      result->pw_dir)
    return result->pw_dir;
  return {};
}

} // namespace

// "https://Index.Docker.io/v1/" -> "docker.io". docker's ConvertToHostname (scheme and
// path stripped) plus lower-casing, since host names are case-insensitive and
// references are lower-cased, plus Docker Hub's aliases folded into one name.
std::string normalize_registry(std::string_view key) {
  std::string s = lower(trim(key));
  for (std::string_view scheme : {"http://", "https://"})
    if (s.starts_with(scheme)) {
      s.erase(0, scheme.size());
      break;
    }
  if (auto slash = s.find('/'); slash != std::string::npos) s.resize(slash);
  for (auto alias : kHubAliases)
    if (s == alias) return std::string(kHub);
  return s;
}

// What docker itself writes as the config key and asks helpers for.
std::string docker_server_key(const std::string &registry) {
  return registry == kHub ? std::string(kHubAuthKey) : registry;
}

std::string docker_config_json() {
  if (auto dc = env("DOCKER_CONFIG"); !dc.empty()) return dc + "/config.json";
  if (auto home = home_dir(); !home.empty()) return home + "/.docker/config.json";
  return {};
}

std::vector<std::string> default_auth_files() {
  std::vector<std::string> files;
  if (auto f = env("REGISTRY_AUTH_FILE"); !f.empty()) files.push_back(f);
  if (auto docker = docker_config_json(); !docker.empty()) files.push_back(docker);
  if (auto xdg = env("XDG_RUNTIME_DIR"); !xdg.empty())
    files.push_back(xdg + "/containers/auth.json");
  return files;
}

DockerKeychain::DockerKeychain(DockerKeychainOptions options) : options_(std::move(options)) {}

AuthConfig DockerKeychain::resolve(const std::string &registry) const {
  const std::string reg = normalize_registry(registry);
  if (reg.empty()) throw Error(Errc::invalid_argument, "keychain: empty registry name");
  const auto files = options_.files.empty() ? default_auth_files() : options_.files;
  for (const auto &f : files)
    if (auto a = resolve_in_file(f, reg); !a.anonymous()) return a;
  return {};
}

StaticKeychain::StaticKeychain(std::string registry, AuthConfig auth)
    : registry_(registry.empty() ? std::string() : normalize_registry(registry)),
      auth_(std::move(auth)) {}

AuthConfig StaticKeychain::resolve(const std::string &registry) const {
  if (registry_.empty() || normalize_registry(registry) == registry_) return auth_;
  return {};
}

ChainKeychain::ChainKeychain(std::vector<std::shared_ptr<const Keychain>> keychains)
    : keychains_(std::move(keychains)) {
  for (const auto &k : keychains_)
    if (!k) throw Error(Errc::invalid_argument, "ChainKeychain: null keychain");
}

AuthConfig ChainKeychain::resolve(const std::string &registry) const {
  for (const auto &k : keychains_)
    if (auto a = k->resolve(registry); !a.anonymous()) return a;
  return {};
}

void ChainKeychain::invalidate(const std::string &registry) const {
  for (const auto &k : keychains_)
    k->invalidate(registry);
}

std::shared_ptr<const Keychain> default_keychain() {
  // ECR hosts get tokens from the AWS credential chain; everything else (and ECR
  // hosts when AWS has nothing) from the docker/podman configuration.
  return std::make_shared<ChainKeychain>(std::vector<std::shared_ptr<const Keychain>>{
      std::make_shared<EcrKeychain>(), std::make_shared<DockerKeychain>()});
}

AuthConfig parse_user_pass(std::string_view s) {
  auto colon = s.find(':');
  if (colon == std::string_view::npos)
    throw Error(Errc::invalid_argument, "credentials must be given as USERNAME:PASSWORD");
  if (colon == 0)
    throw Error(Errc::invalid_argument,
                "credentials have an empty username (expected USERNAME:PASSWORD)");
  AuthConfig a;
  a.username = std::string(s.substr(0, colon));
  a.password = std::string(s.substr(colon + 1));
  return a;
}

} // namespace berth::registry
