// ECR lifecycle policies from --file: validate_lifecycle_policy, then the local
// preview (lifecycle_preview) over a small fixed repository.
#include <berth/ecr.hpp>
#include <berth/error.hpp>

#include "fuzz_input.hpp"

namespace {

using namespace std::chrono;

std::vector<berth::ImageInfo> images(system_clock::time_point now) {
  std::vector<berth::ImageInfo> out;
  const std::vector<std::vector<std::string>> tags = {
      {}, {"latest"}, {"v1.0.0", "stable"}, {"prod-1"}, {"dev-abc"}, {}, {"v2"}};
  for (std::size_t i = 0; i < tags.size(); ++i) {
    berth::ImageInfo img;
    img.digest = "sha256:" + std::string(64, static_cast<char>('0' + i));
    img.tags = tags[i];
    img.pushed_at = now - hours(24 * 30 * static_cast<int>(i));
    out.push_back(img);
  }
  // Units: an index (1) with an untagged child (0), a signature of the child (5), and a
  // cycle (3 <-> 4), so the policies are judged over units too.
  out[0].parent = out[1].digest;
  out[5].parent = out[0].digest;
  out[3].parent = out[4].digest;
  out[4].parent = out[3].digest;
  return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const std::string policy(berth::fuzz::text(data, size));
  try {
    berth::validate_lifecycle_policy(policy);
  } catch (const berth::Error &) {
    return 0;
  }
  const auto now = system_clock::time_point(seconds(1'700'000'000));
  auto list = images(now);
  // A valid policy always previews.
  auto expiring = berth::lifecycle_preview(policy, list, now);
  if (expiring.size() > list.size()) __builtin_trap(); // each image expires at most once
  return 0;
}
