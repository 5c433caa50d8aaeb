#include "cli/registry_args.hpp"

namespace berth::cli {

RegistryAccess registry_access(const Args &args, const std::string &creds_option) {
  RegistryAccess a;
  a.creds = args.value_or(creds_option, "");
  a.plain_http = args.flag("--plain-http");
  a.insecure = args.flag("--insecure");
  a.ca_bundle = args.value_or("--ca-bundle", "");
  a.timeout = args.duration("--timeout", a.timeout);
  a.stall_timeout = std::chrono::duration_cast<std::chrono::seconds>(
      args.duration("--stall-timeout", a.stall_timeout));
  return a;
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
