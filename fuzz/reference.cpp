// Image references as users, CI variables, docker-archive RepoTags and registries'
// own replies give them: Reference::parse, and what berth derives from a parsed one.
#include <berth/error.hpp>
#include <berth/reference.hpp>

#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const auto in = berth::fuzz::text(data, size);
  try {
    auto ref = berth::image::Reference::parse(in);
    (void)ref.registry_host();
    (void)ref.identifier();
    (void)ref.is_loopback();
    // The normalized form is itself a reference that normalizes to the same thing:
    // berth writes str() into layouts and archives and reads it back later.
    if (!(berth::image::Reference::parse(ref.str()) == ref)) __builtin_trap();
    (void)ref.with_tag("latest");
  } catch (const berth::Error &) {
  }
  (void)berth::image::valid_tag(in);
  return 0;
}
