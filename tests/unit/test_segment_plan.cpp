// registry::max_segments: how many parallel Range GETs a large blob may use.
#include <doctest/doctest.h>

#include "registry/segmented_fetch.hpp"

using berth::registry::max_segments;
using berth::registry::RegistryOptions;

TEST_CASE("segment plan: small blobs get one GET, large ones up to `segments`") {
  RegistryOptions o; // 8 MiB minimum, 4 segments
  const std::uint64_t MiB = 1u << 20;
  CHECK(max_segments(0, o) == 1);
  CHECK(max_segments(16 * MiB - 1, o) == 1);
  CHECK(max_segments(16 * MiB, o) == 2);
  CHECK(max_segments(24 * MiB, o) == 3);
  CHECK(max_segments(227 * MiB, o) == 4);
  o.segments = 1;
  CHECK(max_segments(227 * MiB, o) == 1);
  o.segments = 4;
  o.segment_min = 0;
  CHECK(max_segments(227 * MiB, o) == 1);
}
