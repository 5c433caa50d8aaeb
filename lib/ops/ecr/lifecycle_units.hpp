// Which images of a repository belong together for lifecycle purposes: an index and
// its children, an image and its referrers (signatures, SBOMs, attestations).
// ECR's own lifecycle rules judge each manifest alone, so "expire untagged" takes
// the children of a tagged multi-arch index and cosign's signatures go by their own
// tags; berth's preview judges units.
#pragma once

#include <berth/ecr.hpp>

#include "ecr/ecr_client.hpp"

#include <string>
#include <vector>

namespace berth::ops {

// Sets ImageInfo::parent from the manifests of the repository's indexes and
// untagged images (BatchGetImage, 100 at a time) and from cosign's tag scheme.
void find_parents(ecr::EcrClient &client, const std::string &repository,
                  std::vector<ImageInfo> &images);

// The top image of each image's unit (following parents; a parent not in the list
// ends the walk, and images in a cycle are units of their own), by index into images.
std::vector<std::size_t> unit_roots(const std::vector<ImageInfo> &images);

} // namespace berth::ops
