// Referrers follow the images they refer to. For a subject digest, the manifests
// whose `subject` it is (cosign/notation signatures, SBOMs, attestations, anything
// `oras attach` made) are copied with their blobs, then their own referrers, to a
// bounded depth: a signature of an SBOM of an image travels too.
//
// cosign's tag scheme travels the same way: for each such subject, the manifests
// tagged "<alg>-<hex>.sig", ".att" and ".sbom" in the source repository (what
// `cosign sign`, `cosign attest` and `berth sign`/`attest` write by default) are
// copied with their blobs under the same tag, as regctl --digest-tags does; a tag
// that already holds the same digest is left alone.
//
// Discovery never fails the copy of the image: a referrers listing or digest-tag
// lookup that fails (a registry error, a fallback tag that is not an index) becomes
// a warning and counts as none. A referrer that was found but cannot be copied (its
// digest does not match, an upload fails) is an error of the copy, reported once the
// image has landed (ReferrerCopy::error).
#pragma once

#include "ops/transfer/copy_engine.hpp"
#include "ops/transfer/endpoints.hpp"
#include "ops/transfer/progress_reporter.hpp"

#include <exception>
#include <string>
#include <vector>

namespace berth::ops {

struct ReferrerPolicy {
  // Empty: every type. Else OCI referrers of these artifact types (and theirs), and
  // the digest tags whose cosign artifact type
  // ("application/vnd.dev.cosign.artifact.sig.v1+json", ".att", ".sbom") or one of
  // whose layers' media types is listed.
  std::vector<std::string> artifact_types;
  int jobs = 4;
  bool digest_tags = true; // cosign's "<alg>-<hex>.sig|.att|.sbom" tags too
};

struct ReferrerCopy {
  int manifests = 0;   // OCI referrers
  int digest_tags = 0; // cosign digest-tag manifests
  BlobCounts blobs;
  std::vector<std::string> warnings;
  // The first referrer that could not be copied; the caller rethrows it once the
  // image itself is in place.
  std::exception_ptr error;
};

// The suffixes of cosign's tag scheme: "<alg>-<hex>.<suffix>".
inline constexpr const char *kDigestTagSuffixes[] = {"sig", "att", "sbom"};

// The artifact type of a referrer: its artifactType, else its config's media type
// (the OCI 1.1 rule for image manifests), else "".
std::string artifact_type_of(const registry::FetchedManifest &m);

ReferrerCopy copy_referrers(ImageSource &src, ImageDestination &dst, const std::string &subject,
                            const ReferrerPolicy &policy, ProgressReporter &reporter);

// Adds c's counts, warnings and first error to what a copy reports.
void add_referrer_copy(CopyResult &result, ReferrerCopy &c, std::exception_ptr &error);

} // namespace berth::ops
