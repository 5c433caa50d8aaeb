// An image being built, shared by both kinds of build (directories onto a base, and
// Dockerfiles): its config as JSON, its layers, the build's clock, and the last phase —
// config and manifest stored at the destination under every tag, then attested.
#pragma once

#include <berth/build.hpp>

#include "core/json.hpp"
#include "ops/transfer/endpoints.hpp"
#include "ops/transfer/progress_reporter.hpp"
#include <berth/manifest.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace berth::ops {

// When the image is made: the explicit time (more specific than the environment),
// else SOURCE_DATE_EPOCH, else now. SOURCE_DATE_EPOCH (epoch) also clamps file times.
struct BuildClock {
  std::optional<std::int64_t> epoch;
  std::chrono::system_clock::time_point created;

  // Error(config) for a SOURCE_DATE_EPOCH that is not a number of seconds.
  static BuildClock make(std::optional<std::chrono::system_clock::time_point> created);
  std::string created_text() const; // ISO 8601, as configs and history write it
};

struct ImageDraft {
  core::json::Document config;
  std::vector<image::Descriptor> layers;
  bool docker_types = false; // the base's manifests are Docker's: so are the new ones
};

// Config editing, the same way everywhere: a string member set (replaced), a string
// array, an object member made when missing or not an object.
void set_string(core::json::Value &obj, const char *key, const std::string &v,
                core::json::Document::AllocatorType &a);
core::json::Value string_array(const std::vector<std::string> &v,
                               core::json::Document::AllocatorType &a);
core::json::Value &member_object(core::json::Value &obj, const char *key,
                                 core::json::Document::AllocatorType &a);
// "rootfs" {"type":"layers","diff_ids":[...]} and "history" [...] made when missing.
void ensure_rootfs_and_history(core::json::Document &config);
// One history entry; empty_layer for steps that changed no file. comment "" = none.
void add_history(core::json::Document &config, const std::string &created,
                 const std::string &created_by, bool empty_layer, const std::string &comment = "");

struct StoreRequest {
  std::map<std::string, std::string> annotations; // manifest annotations (OCI only)
  std::string base_name, base_digest;             // org.opencontainers.image.base.*
  std::vector<std::string> extra_tags;
};

// The config and manifest an image draft is stored as.
struct ImageForm {
  std::string config;
  image::Manifest manifest;
};
ImageForm image_form(const StoreRequest &req, const BuildClock &clock, const ImageDraft &draft);

// Stores the config and the manifest at dst (nothing when `there`: the tag holds this
// manifest already) and under every extra tag; fills the result's digest, media type
// and config digest.
void store_form(const ImageForm &form, const StoreRequest &req, ImageDestination &dst,
                ProgressReporter &reporter, BuildResult &result, bool there);

// image_form then store_form.
void store_image(const StoreRequest &req, const BuildClock &clock, const ImageDraft &draft,
                 ImageDestination &dst, ProgressReporter &reporter, BuildResult &result);

struct AttestRequest {
  std::string output;
  RegistryAccess output_access;
  std::string platform;
  bool sbom = false, provenance = false;
  std::shared_ptr<Signer> signer;
  // Provenance: the build's parameters, its base and who built it.
  std::vector<std::pair<std::string, std::string>> parameters;
  std::string base_ref, base_digest, builder_id;
  std::chrono::system_clock::time_point started;
};

// The request for a build's options (BuildOptions, DockerfileBuildOptions: the same
// field names); parameters and base are the caller's.
template <class Options>
AttestRequest attest_request(const Options &o, std::string platform,
                             std::chrono::system_clock::time_point started) {
  AttestRequest r;
  r.output = o.output;
  r.output_access = o.output_access;
  r.platform = std::move(platform);
  r.sbom = o.attach_sbom;
  r.provenance = o.attach_provenance;
  r.signer = o.signer;
  r.builder_id = o.builder_id;
  r.started = started;
  return r;
}

// Attestations live beside the image (cosign's .att tag, or a referrer), which archives
// have no place for: Error(invalid_argument) before anything is built.
void check_attestable(const std::string &output, bool sbom, bool provenance);

// The SBOM and provenance of the image just stored, attached beside it (signed with
// the signer when there is one).
void attest_built_image(const AttestRequest &req, BuildResult &result);

} // namespace berth::ops
