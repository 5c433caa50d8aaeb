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

} // namespace berth::cli
