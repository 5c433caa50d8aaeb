// The AWS shared config and credentials files (INI): "[default]", "[profile x]" in
// config, "[x]" in credentials; "key = value"; comments with '#' or ';'; indented
// sub-keys (e.g. under "s3 =") are skipped. Malformed lines are errors naming the
// file and line; values are never echoed (they may be secrets).
#pragma once

#include <berth/aws_credentials.hpp>

#include <map>
#include <optional>
#include <string>

namespace berth::aws {

using Profile = std::map<std::string, std::string>;

struct SharedConfig {
  std::map<std::string, Profile> config;      // from the config file, by profile name
  std::map<std::string, Profile> credentials; // from the credentials file
  std::string config_path, credentials_path;

  // Both files merged for one profile (credentials win), nullopt when absent.
  std::optional<Profile> profile(const std::string &name) const;
};

// Reads AWS_CONFIG_FILE (~/.aws/config) and AWS_SHARED_CREDENTIALS_FILE
// (~/.aws/credentials); missing files are empty.
SharedConfig load_shared_config(const EnvFn &env);

// Parses one file's text; `is_config` selects the "[profile x]" convention.
std::map<std::string, Profile> parse_ini(const std::string &text, const std::string &path,
                                         bool is_config);

// AWS_PROFILE, AWS_DEFAULT_PROFILE, else "default".
std::string active_profile_name(const EnvFn &env);

} // namespace berth::aws
