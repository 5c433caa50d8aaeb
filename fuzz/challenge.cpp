// WWW-Authenticate headers from registries (and anything in front of them).
#include "registry/challenge.hpp"

#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  // Never throws: a header berth cannot read yields fewer (or no) challenges.
  auto challenges = berth::registry::parse_challenges(berth::fuzz::text(data, size));
  if (challenges.size() > size) __builtin_trap(); // each takes at least one byte
  return 0;
}
