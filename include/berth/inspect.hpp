// Looking at images where they live, and the small registry chores around them:
// the raw manifest, a summary of an image or index, tag and repository lists, more
// tags for a manifest, deletion, and a full integrity check. What crane and regctl
// users reach for daily.
//
// References use the transports of berth/copy.hpp: "docker://REF" (or a bare REF)
// and "oci:DIR[:TAG]" everywhere; oci-archive: and docker-archive: where a source
// can be read (fetch_manifest, inspect_image, validate_image). Every function throws
// berth::Error.
#pragma once

#include <berth/copy.hpp>
#include <berth/defaults.h>
#include <berth/manifest.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace berth {

struct InspectOptions {
  RegistryAccess access;
  // fetch_manifest and inspect_image: "os/arch[/variant]" picks that image of an
  // index; "" takes the reference as it is (an index stays an index).
  std::string platform;
  int jobs = BERTH_DEFAULT_JOBS;           // validate_image: blobs read in parallel
  int page_size = BERTH_DEFAULT_PAGE_SIZE; // list_tags, list_repositories: entries asked per page
  // fetch_manifest and inspect_image: "SRC_REGISTRY=HOST/PREFIX" read-through mirrors,
  // as CopyOptions::mirrors.
  std::vector<std::string> mirrors;
};

// A manifest or index exactly as its source serves it.
struct RawManifest {
  std::string raw;        // the bytes, unchanged
  std::string media_type; // from the document, else the Content-Type
  std::string digest;     // of raw: the reference's digest when it names one
};

RawManifest fetch_manifest(const std::string &ref, const InspectOptions &options = {});

// One image manifest and what its config says.
struct ImageDetails {
  std::string digest, media_type;
  std::int64_t size = 0; // of the manifest
  std::optional<image::Platform> platform;
  image::Descriptor config;
  std::vector<image::Descriptor> layers;
  std::int64_t total_size = 0; // manifest + config + layers
  std::map<std::string, std::string> annotations;
  // From an image config (empty for artifacts whose config is not one).
  std::string created, author, user, working_dir;
  std::vector<std::string> entrypoint, cmd, env;
  std::map<std::string, std::string> labels;
};

struct ImageInspection {
  std::string reference; // as given
  std::string digest, media_type;
  std::int64_t size = 0; // of the top manifest or index
  bool is_index = false;
  std::map<std::string, std::string> annotations; // of the top manifest or index
  std::vector<image::Descriptor> manifests;       // an index's entries, in order
  // The image, or each image manifest of an index (entries that are not image
  // manifests, such as nested indexes, are listed in `manifests` only).
  std::vector<ImageDetails> images;
};

ImageInspection inspect_image(const std::string &ref, const InspectOptions &options = {});
// {"reference","digest","mediaType","size","annotations","manifests":[descriptors],
//  "images":[{"digest","mediaType","size","platform":"os/arch[/variant]","config":
//  descriptor,"layers":[descriptors],"totalSize","annotations","created","author",
//  "user","workingDir","entrypoint","cmd","env","labels"}]}; descriptors as OCI JSON.
std::string to_json(const ImageInspection &inspection);

// The tags of a repository ("REGISTRY/REPO", docker://, or oci:DIR), following the
// registry's Link pagination; a layout's ref names.
std::vector<std::string> list_tags(const std::string &repository,
                                   const InspectOptions &options = {});
// The repositories of a registry ("HOST[:PORT]"), following Link pagination.
std::vector<std::string> list_repositories(const std::string &registry,
                                           const InspectOptions &options = {});
// {"repository": R, "tags": [...]} and {"registry": R, "repositories": [...]}: what the
// C ABI returns and `berth ls|catalog --format json` prints.
std::string tags_to_json(const std::string &repository, const std::vector<std::string> &tags);
std::string repositories_to_json(const std::string &registry,
                                 const std::vector<std::string> &repositories);

struct TagImageResult {
  std::string digest;               // of the manifest that was tagged
  std::vector<std::string> tagged;  // tags written (a manifest PUT each)
  std::vector<std::string> skipped; // tags that already pointed at the digest
};

// Adds tags to the manifest ref names (registry or oci layout) without moving any
// blob: each tag is a manifest PUT of the same bytes, skipped when it already
// points at the digest.
TagImageResult tag_image(const std::string &ref, const std::vector<std::string> &tags,
                         const InspectOptions &options = {});

// Deletes the manifest ref names from its registry (a tag is resolved to its digest
// first, and every tag on that digest goes with it). Returns the digest deleted.
// A registry that does not allow deletion is Error(unsupported).
std::string delete_image(const std::string &ref, const InspectOptions &options = {});

struct ValidationFailure {
  std::string digest;
  std::string kind; // "index", "manifest", "config" or "layer"
  std::string message;
  Errc code = Errc::ok;
};

struct ValidationReport {
  std::string reference, digest, media_type;
  int manifests = 0;       // manifests and indexes read and verified
  int blobs = 0;           // configs and layers read and verified
  int skipped = 0;         // foreign layers (they live at their URLs)
  std::uint64_t bytes = 0; // bytes of blobs read
  std::vector<ValidationFailure> failures;
  bool ok() const { return failures.empty(); }
};

// Reads every manifest and blob ref reaches (index children, configs, layers) and
// checks each digest and size, carrying on past failures to report each one.
// Errors that say nothing about the image (authentication, network, a missing
// top manifest) are thrown instead.
ValidationReport validate_image(const std::string &ref, const InspectOptions &options = {});
// {"reference","digest","mediaType","ok","manifests","blobs","skipped","bytes",
//  "failures":[{"digest","kind","message","code"}]}
std::string to_json(const ValidationReport &report);

} // namespace berth
