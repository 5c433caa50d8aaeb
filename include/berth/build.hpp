// Image build without a daemon: a base image (registry, layout or scratch), new
// layers from directories or tar files, config changes, straight to any destination.
// Layers stream files -> tar -> compressor -> destination with digest and diffID
// computed in the same pass; the same inputs and SOURCE_DATE_EPOCH give the same
// digests.
#pragma once

#include <berth/copy.hpp>
#include <berth/sign.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace berth {

struct BuildOptions {
  std::string from = "scratch"; // "scratch", docker://REF, REF or oci:DIR[:TAG]
  RegistryAccess from_access;
  std::vector<std::string> mirrors; // for a registry base, as CopyOptions::mirrors

  // "DIR" (contents at /), "DIR:/dest", or a tar file (added as one layer as is,
  // compressed by berth).
  std::vector<std::string> layers;
  std::string compression = "gzip"; // gzip | zstd | none
  int level = -1;                   // -1: the algorithm's default
  unsigned threads = 0;             // 0: all cores

  // Config changes (unset: inherited from the base).
  std::optional<std::vector<std::string>> entrypoint, cmd;
  std::vector<std::string> env;                   // "K=V", replacing K when the base has it
  std::map<std::string, std::string> labels;      // config labels
  std::map<std::string, std::string> annotations; // manifest annotations
  std::string workdir, user;
  std::vector<std::string> expose; // "8080", "53/udp"
  std::string platform;            // "os/arch[/variant]"; base index selection too
  // Creation time: this, else SOURCE_DATE_EPOCH when set, else now. File mtimes are
  // clamped to SOURCE_DATE_EPOCH.
  std::optional<std::chrono::system_clock::time_point> created;

  std::string output; // oci:DIR[:TAG] or docker://REF
  RegistryAccess output_access;
  std::vector<std::string> extra_tags; // more tags for the same manifest
  // Layer cache: unchanged inputs (same paths, sizes, modes, mtimes, link targets —
  // or contents with cache_key "content") reuse the layer built before.
  std::string cache_dir;
  std::string cache_key = "metadata"; // "metadata" | "content"
  int jobs = BERTH_DEFAULT_JOBS;
  ProgressFn progress;

  // Attestations of the built image, attached once it is stored (a registry or oci:
  // output; archives have no place for them): its SPDX 2.3 SBOM and SLSA provenance
  // v1 as in-toto statements — signed, where `cosign verify-attestation` finds them
  // (cosign's .att tag), when signer is set; else unsigned OCI referrers.
  bool attach_sbom = false, attach_provenance = false;
  std::shared_ptr<Signer> signer;
  std::string builder_id; // provenance's runDetails.builder.id ("" = the workflow or berth)
};

struct BuiltLayer {
  std::string digest, diff_id, media_type;
  std::uint64_t size = 0;
  bool from_cache = false;
};

struct BuildResult {
  std::string digest; // of the manifest
  std::string media_type;
  std::string config_digest;
  std::vector<BuiltLayer> layers; // the new layers, in order
  // A registry base, resolved: its reference as given (normalized) and the digest it
  // pointed at (of the index when it was one), recorded in the manifest as the
  // org.opencontainers.image.base.name / .base.digest annotations; the mirror that
  // served it, if any. Empty for scratch and local bases.
  std::string base_name, base_digest, base_mirror;
  // The base image manifest built on (the platform's, when the base is an index);
  // "" for scratch. Provenance names it as a resolved dependency.
  std::string base_manifest_digest;
  // What attach_sbom / attach_provenance attached, in that order.
  struct Attestation {
    std::string predicate_type; // "https://spdx.dev/Document", "https://slsa.dev/provenance/v1"
    bool is_signed = false;
    std::string location; // REPO:sha256-<hex>.att, or REF@<artifact digest> unsigned
    std::string digest;   // of the manifest written
  };
  std::vector<Attestation> attestations;
  std::vector<std::string> warnings; // the SBOM's (files it could not read as packages)
  std::chrono::milliseconds duration{0};
};

// Builds, stores and (when asked) attests the image. Error(invalid_argument) before
// anything is built for attestations asked of an archive output.
BuildResult build_image(const BuildOptions &options);

// {"digest","mediaType","config","layers":[...],"baseName","baseDigest","baseMirror",
// "attestations":[...],"seconds"}: what `berth build --json` prints.
std::string to_json(const BuildResult &result);

} // namespace berth
