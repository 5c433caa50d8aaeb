// The AWS shared config and credentials files (~/.aws/config, ~/.aws/credentials):
// parse_ini in both conventions, then the merged view of a profile.
#include <berth/error.hpp>

#include "aws/shared_config.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  // "config", separator, "credentials": the two files load_shared_config reads.
  auto parts = berth::fuzz::split(berth::fuzz::text(data, size), 2);
  berth::aws::SharedConfig c;
  try {
    c.config = berth::aws::parse_ini(std::string(parts[0]), "config", true);
    if (parts.size() > 1)
      c.credentials = berth::aws::parse_ini(std::string(parts[1]), "credentials", false);
  } catch (const berth::Error &) {
    return 0;
  }
  for (const auto *profiles : {&c.config, &c.credentials})
    for (const auto &[name, settings] : *profiles)
      if (!c.profile(name)) __builtin_trap(); // every parsed profile is found
  (void)c.profile("default");
  return 0;
}
