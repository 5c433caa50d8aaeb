// docker's config.json (and podman's auth.json) as DockerKeychain reads it: auths
// entries with base64 "auth", credHelpers, credsStore, docker.io's aliases.
#include <berth/error.hpp>

#include "fuzz_input.hpp"
#include "registry/keychain.hpp"

#include <cstdlib>

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  // Credential helpers named by an input must not run: with PATH pointing nowhere,
  // every helper is "not installed" (the keychain's not-found path is fuzzed instead).
  ::setenv("PATH", (berth::fuzz::scratch_dir() / "no-helpers").c_str(), 1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  // The file, separator, then a registry name to look up (else a few usual ones).
  auto parts = berth::fuzz::split(berth::fuzz::text(data, size), 2);
  const auto file = berth::fuzz::scratch_dir() / "config.json";
  berth::fuzz::write_file(file, parts[0]);
  berth::registry::DockerKeychain keychain({{file.string()}});
  std::vector<std::string> registries = {"docker.io", "localhost:5000",
                                         "123456789012.dkr.ecr.us-east-1.amazonaws.com"};
  if (parts.size() > 1) registries = {std::string(parts[1])};
  for (const auto &r : registries) {
    try {
      (void)keychain.resolve(r);
    } catch (const berth::Error &) {
    }
  }
  return 0;
}
