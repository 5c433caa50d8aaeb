#include "registry/docker_config.hpp"

#include <berth/error.hpp>

#include "core/base64.hpp"
#include "core/file.hpp"
#include "core/json.hpp"
#include "registry/keychain.hpp"

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <vector>

namespace berth::registry {
namespace {

// The file read as docker reads it (an empty one is an empty configuration), `edit`
// applied, and written back whole; nothing is written when edit returns false.
bool edit_config(const std::string &path, const std::function<bool(core::json::Document &)> &edit) {
  std::error_code ec;
  auto parent = std::filesystem::path(path).parent_path();
  const std::string dir = parent.empty() ? std::string(1, '.') : parent.string();
  std::filesystem::create_directories(dir, ec);
  // Two logins at once (two registries in one job) must not lose either entry.
  std::string what = "the directory of ";
  core::DirLock lock(dir, what.append(path));
  core::json::Document doc;
  if (std::filesystem::exists(path, ec)) {
    auto text = core::read_small_file(path, 16u << 20);
    if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
      doc.SetObject();
    } else {
      try {
        // The user's own file: the last of duplicate keys, as docker reads it.
        doc = core::json::parse(text, path.c_str(), core::json::Duplicates::keep_last);
      } catch (const Error &e) {
        throw Error(Errc::config, e.what()); // a broken local file: configuration
      }
    }
    if (!doc.IsObject()) throw Error(Errc::config, path + " is not a JSON object");
  } else {
    doc.SetObject();
  }
  if (!edit(doc)) return false;
  core::json::StringWriter w;
  doc.Accept(w.writer);
  // A login killed before its commit left a temp file holding a password: gone now.
  core::remove_stale_temp_files(dir);
  core::write_file_atomic(path, w.str() + "\n", 0600);
  return true;
}

// Drops every auths key that names `registry`; whether any did.
bool drop_entries(core::json::Value &auths, const std::string &registry) {
  std::vector<std::string> keys;
  for (const auto &m : auths.GetObject()) {
    std::string key(m.name.GetString(), m.name.GetStringLength());
    if (normalize_registry(key) == registry) keys.push_back(key);
  }
  for (const auto &k : keys)
    auths.RemoveMember(k.c_str());
  return !keys.empty();
}

} // namespace

std::string default_login_file() {
  if (const char *f = std::getenv("REGISTRY_AUTH_FILE"); f && *f) return f;
  return docker_config_file();
}

std::string docker_config_file() {
  // Where the keychain reads it: a login is written where it will be found.
  auto path = docker_config_json();
  if (path.empty()) throw Error(Errc::config, "neither DOCKER_CONFIG nor HOME is set");
  return path;
}

void write_login(const std::string &path, const std::string &registry, const std::string &user,
                 const std::string &password) {
  const auto reg = normalize_registry(registry);
  if (reg.empty()) throw Error(Errc::invalid_argument, "login: empty registry name");
  edit_config(path, [&](core::json::Document &doc) {
    auto &a = doc.GetAllocator();
    if (!doc.HasMember("auths") || !doc["auths"].IsObject()) {
      doc.RemoveMember("auths");
      doc.AddMember("auths", core::json::Value(rapidjson::kObjectType), a);
    }
    auto &auths = doc["auths"];
    drop_entries(auths, reg);
    core::json::Value entry(rapidjson::kObjectType);
    const auto encoded = core::base64_encode(user + ":" + password);
    entry.AddMember("auth", core::json::Value(encoded.c_str(), a), a);
    const auto key = docker_server_key(reg);
    auths.AddMember(core::json::Value(key.c_str(), a), entry, a);
    return true;
  });
}

bool remove_login(const std::string &path, const std::string &registry) {
  const auto reg = normalize_registry(registry);
  if (reg.empty()) throw Error(Errc::invalid_argument, "logout: empty registry name");
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return false;
  return edit_config(path, [&](core::json::Document &doc) {
    auto *auths = doc.HasMember("auths") ? &doc["auths"] : nullptr;
    return auths && auths->IsObject() && drop_entries(*auths, reg);
  });
}

} // namespace berth::registry
