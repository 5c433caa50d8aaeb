#include "aws/shared_config.hpp"

#include <berth/error.hpp>

#include <cctype>
#include <fstream>
#include <sstream>

namespace berth::aws {
namespace {

std::string trim(const std::string &s) {
  auto b = s.find_first_not_of(" \t\r");
  auto e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

std::string read_optional(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string home_path(const EnvFn &env, const std::string &rel) {
  auto home = env("HOME");
  return (home ? *home : std::string()) + "/" + rel;
}

} // namespace

std::map<std::string, Profile> parse_ini(const std::string &text, const std::string &path,
                                         bool is_config) {
  std::map<std::string, Profile> out;
  std::istringstream in(text);
  std::string line, section;
  bool in_section = false, skip_section = false, in_subkeys = false;
  int lineno = 0;
  auto fail = [&](const std::string &why) {
    throw Error(Errc::config, path + ":" + std::to_string(lineno) + ": " + why);
  };
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::string t = trim(line);
    if (t.empty() || t[0] == '#' || t[0] == ';') continue;
    bool indented = line[0] == ' ' || line[0] == '\t';
    if (t[0] == '[') {
      // A comment may follow the header ("[profile x] # dev"), as botocore and the
      // SDKs accept.
      auto close = t.find(']');
      if (close == std::string::npos) fail("section header without a closing ']'");
      std::string after = trim(t.substr(close + 1));
      if (!after.empty() && after[0] != '#' && after[0] != ';')
        fail("unexpected text after a section header");
      std::string name = trim(t.substr(1, close - 1));
      if (name.empty()) fail("empty section name");
      skip_section = false;
      if (is_config) {
        if (name.rfind("profile ", 0) == 0 || name.rfind("profile\t", 0) == 0) {
          name = trim(name.substr(8));
        } else if (name != "default") {
          // [sso-session x], [services x] and the like are not profiles.
          skip_section = true;
        }
      }
      if (name.empty()) fail("profile section without a name");
      section = name;
      in_section = true;
      in_subkeys = false;
      if (!skip_section) out[section];
      continue;
    }
    if (!in_section) fail("a setting outside any [section]");
    if (indented && in_subkeys) continue; // nested "s3 =" style sub-settings
    auto eq = t.find('=');
    if (eq == std::string::npos) fail("expected 'key = value' (no '=' found)");
    std::string key = trim(t.substr(0, eq));
    std::string value = trim(t.substr(eq + 1));
    if (key.empty()) fail("a setting without a name");
    // Setting names are case-insensitive, as botocore's configparser reads them
    // ("AWS_ACCESS_KEY_ID = ..." works with the AWS CLI); profile names are not.
    for (auto &c : key)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    in_subkeys = value.empty();
    if (skip_section || in_subkeys) continue;
    // Inline comments need whitespace before '#' or ';' (as botocore reads them).
    for (auto marker : {" #", " ;", "\t#", "\t;"})
      if (auto c = value.find(marker); c != std::string::npos) value = trim(value.substr(0, c));
    out[section][key] = value;
  }
  return out;
}

std::optional<Profile> SharedConfig::profile(const std::string &name) const {
  std::optional<Profile> out;
  if (auto it = config.find(name); it != config.end()) out = it->second;
  if (auto it = credentials.find(name); it != credentials.end()) {
    if (!out) out = Profile{};
    for (const auto &[k, v] : it->second)
      (*out)[k] = v;
  }
  return out;
}

SharedConfig load_shared_config(const EnvFn &env) {
  SharedConfig c;
  auto cfg = env("AWS_CONFIG_FILE");
  auto creds = env("AWS_SHARED_CREDENTIALS_FILE");
  // A leading "~/" is the home directory, as botocore expands it: the variables are
  // often set where no shell expands them (CI YAML, Dockerfile ENV).
  auto expand = [&](const std::string &p) {
    return p.rfind("~/", 0) == 0 ? home_path(env, p.substr(2)) : p;
  };
  c.config_path = cfg && !cfg->empty() ? expand(*cfg) : home_path(env, ".aws/config");
  c.credentials_path =
      creds && !creds->empty() ? expand(*creds) : home_path(env, ".aws/credentials");
  c.config = parse_ini(read_optional(c.config_path), c.config_path, true);
  c.credentials = parse_ini(read_optional(c.credentials_path), c.credentials_path, false);
  return c;
}

std::string active_profile_name(const EnvFn &env) {
  for (const char *v : {"AWS_PROFILE", "AWS_DEFAULT_PROFILE"})
    if (auto p = env(v); p && !p->empty()) return *p;
  return "default";
}

} // namespace berth::aws
