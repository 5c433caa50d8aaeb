// registry::plan_segments: how a large blob is split into parallel Range GETs.
#include <doctest/doctest.h>

#include "registry/segmented_fetch.hpp"

using berth::registry::plan_segments;
using berth::registry::RegistryOptions;

TEST_CASE("segment plan: small blobs get one GET, large ones up to `segments`") {
  RegistryOptions o; // 8 MiB minimum, 4 segments
  const std::uint64_t MiB = 1u << 20;
  CHECK(plan_segments(0, o) == std::vector<std::uint64_t>{0});
  CHECK(plan_segments(16 * MiB - 1, o) == std::vector<std::uint64_t>{0});
  CHECK(plan_segments(16 * MiB, o) == std::vector<std::uint64_t>{0, 8 * MiB});
  CHECK(plan_segments(24 * MiB, o).size() == 3);
  auto big = plan_segments(227 * MiB, o);
  REQUIRE(big.size() == 4);
  CHECK(big[0] == 0);
  for (std::size_t i = 1; i < big.size(); ++i)
    CHECK(big[i] - big[i - 1] >= o.segment_min);
  o.segments = 1;
  CHECK(plan_segments(227 * MiB, o).size() == 1);
  o.segments = 4;
  o.segment_min = 0;
  CHECK(plan_segments(227 * MiB, o).size() == 1);
}
