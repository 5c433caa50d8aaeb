// Referrers follow the images they refer to. For a subject digest, the manifests
// whose `subject` it is (cosign/notation signatures, SBOMs, attestations, anything
// `oras attach` made) are copied with their blobs, then their own referrers, to a
// bounded depth: a signature of an SBOM of an image travels too.
#pragma once

#include "ops/copy_engine.hpp"
#include "ops/endpoints.hpp"
#include "ops/progress_reporter.hpp"

#include <string>
#include <vector>

namespace berth::ops {

struct ReferrerPolicy {
  std::vector<std::string> artifact_types; // empty: every type
  int jobs = 4;
};

struct ReferrerCopy {
  int manifests = 0;
  BlobCounts blobs;
};

// The artifact type of a referrer: its artifactType, else its config's media type
// (the OCI 1.1 rule for image manifests), else "".
std::string artifact_type_of(const registry::FetchedManifest &m);

ReferrerCopy copy_referrers(ImageSource &src, ImageDestination &dst, const std::string &subject,
                            const ReferrerPolicy &policy, ProgressReporter &reporter);

} // namespace berth::ops
