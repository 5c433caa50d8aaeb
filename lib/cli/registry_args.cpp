#include "cli/registry_args.hpp"

#include <berth/error.hpp>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

namespace berth::cli {
namespace {

// Where a secret came from, for messages: the option and the file or variable it names.
std::string checked_user_pass(std::string value, const std::string &source) {
  while (!value.empty() && (value.back() == '\n' || value.back() == '\r'))
    value.pop_back();
  if (value.empty()) throw Error(Errc::auth, source + " is empty: it must hold USER:PASS");
  if (value.find(':') == std::string::npos || value.front() == ':')
    throw Error(Errc::auth, source + " does not hold USER:PASS (no user, or no colon)");
  if (value.find_first_of("\r\n") != std::string::npos)
    throw Error(Errc::auth, source + " holds more than one line: it must hold USER:PASS");
  return value;
}

std::string read_creds_file(const std::string &option, const std::string &path) {
  const std::string source = option + " " + path;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(Errc::auth, source + ": cannot read it (" + std::strerror(errno) + ")");
  // At most one byte past the cap is read: /dev/zero or a FIFO is refused, not drained.
  constexpr std::size_t kCap = 64 * 1024;
  std::string value(kCap + 1, '\0');
  in.read(value.data(), static_cast<std::streamsize>(value.size()));
  value.resize(static_cast<std::size_t>(in.gcount()));
  if (value.size() > kCap) throw Error(Errc::auth, source + " is larger than 64 KiB");
  // One line, with or without its newline (as `echo USER:PASS > FILE` writes it).
  if (auto nl = value.find_first_of("\r\n"); nl != std::string::npos) {
    auto rest = value.find_first_not_of("\r\n", nl);
    if (rest != std::string::npos)
      throw Error(Errc::auth, source + " holds more than one line: it must hold USER:PASS");
  }
  return checked_user_pass(std::move(value), source);
}

} // namespace

std::string creds_value(const Args &args, const std::string &option) {
  if (option.empty()) return {};
  const auto inline_value = args.value(option);
  const auto file = args.value(option + "-file");
  const auto var = args.value(option + "-env");
  if ((inline_value ? 1 : 0) + (file ? 1 : 0) + (var ? 1 : 0) > 1)
    throw UsageError{option + ", " + option + "-file and " + option +
                     "-env give the same credentials: give one of them"};
  if (file) return read_creds_file(option + "-file", *file);
  if (var) {
    const std::string source = option + "-env " + *var;
    const char *v = std::getenv(var->c_str());
    if (!v) throw Error(Errc::auth, source + ": the variable is not set");
    return checked_user_pass(v, source);
  }
  return inline_value.value_or("");
}

RegistryAccess registry_access(const Args &args, const std::string &creds_option) {
  RegistryAccess a;
  a.creds = creds_value(args, creds_option);
  if (auto f = args.value("--authfile")) {
    if (f->empty()) throw UsageError{"--authfile needs a file"};
    std::ifstream probe(*f);
    if (!probe)
      throw Error(Errc::auth,
                  "--authfile " + *f + ": cannot read it (" + std::strerror(errno) + ")");
    a.auth_file = *f;
  }
  a.plain_http = args.flag("--plain-http");
  a.insecure = args.flag("--insecure");
  a.ca_bundle = args.value_or("--ca-bundle", "");
  a.timeout = args.duration("--timeout", a.timeout);
  a.stall_timeout = std::chrono::duration_cast<std::chrono::seconds>(
      args.duration("--stall-timeout", a.stall_timeout));
  return a;
}

const OptionTable &creds_options() {
  static const OptionTable o = {
      {"--creds", "USER:PASS",
       "registry credentials, for that registry only (else --authfile, else docker config.json "
       "and auth.json; the ECR chain for ECR hosts)"},
      {"--creds-file", "FILE", "read USER:PASS from FILE (kept out of ps and CI logs)"},
      {"--creds-env", "VAR", "read USER:PASS from the environment variable VAR"},
      {"--authfile", "FILE",
       "read registry logins from this docker config.json or containers auth.json instead of "
       "the default files"},
  };
  return o;
}

const OptionTable &src_creds_options() {
  static const OptionTable o = {
      {"--src-creds", "USER:PASS",
       "source credentials (else --authfile, else docker config.json and auth.json; the ECR "
       "chain for ECR hosts)"},
      {"--src-creds-file", "FILE", "read the source's USER:PASS from FILE"},
      {"--src-creds-env", "VAR", "read the source's USER:PASS from the environment variable VAR"},
      {"--authfile", "FILE",
       "read registry logins from this docker config.json or containers auth.json instead of "
       "the default files"},
  };
  return o;
}

const OptionTable &dest_creds_options() {
  static const OptionTable o = {
      {"--dest-creds", "USER:PASS", "destination credentials"},
      {"--dest-creds-file", "FILE", "read the destination's USER:PASS from FILE"},
      {"--dest-creds-env", "VAR",
       "read the destination's USER:PASS from the environment variable VAR"},
  };
  return o;
}

const OptionTable &connection_options() {
  static const OptionTable o = {
      {"--plain-http", nullptr, "use http:// (loopback registries always do)"},
      {"--insecure", nullptr, "skip TLS verification"},
      {"--ca-bundle", "FILE", "trust these CAs too"},
  };
  return o;
}

const OptionTable &timeout_options() {
  static const OptionTable o = {
      {"--timeout", "DURATION", "give up after this long in all (e.g. 10m; default none)"},
      {"--stall-timeout", "DURATION",
       "abandon a transfer moving under 1 KiB/s this long (resumed where safe; default 60s, "
       "0 = never)"},
  };
  return o;
}

} // namespace berth::cli
