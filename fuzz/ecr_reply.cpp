// ECR's JSON replies as berth's ECR client and operations read them: the first byte
// picks the operation, the rest is the body. DescribeImages pages then go through the
// lifecycle preview, where their timestamps become ages.
#include <berth/ecr.hpp>
#include <berth/error.hpp>

#include "core/json.hpp"
#include "ecr/ecr_replies.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  if (size == 0) return 0;
  const auto body = berth::fuzz::text(data + 1, size - 1);
  namespace ecr = berth::ecr;
  try {
    switch (data[0] % 5) {
    case 0: (void)ecr::parse_authorization_token(body); break;
    case 1:
      (void)ecr::parse_page(body, "ecr:DescribeRepositories reply", "repositories",
                            [](const auto &v) { (void)ecr::parse_repository(v); });
      break;
    case 2: {
      std::vector<berth::ImageInfo> images;
      (void)ecr::parse_page(body, "ecr:DescribeImages reply", "imageDetails",
                            [&](const auto &v) { images.push_back(ecr::parse_image_detail(v)); });
      const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));
      (void)berth::lifecycle_preview(berth::lifecycle_policy_from_shorthand(3, 7), images, now);
      break;
    }
    case 3: (void)ecr::parse_created_repository(body); break;
    default: (void)ecr::scan_findings_of(berth::core::json::parse(body, "scan findings")); break;
    }
  } catch (const berth::Error &) {
  }
  return 0;
}
