#include "ops/build/image_draft.hpp"

#include <berth/digest.hpp>
#include <berth/error.hpp>
#include <berth/provenance.hpp>
#include <berth/sbom.hpp>
#include <berth/sign.hpp>

#include "core/time.hpp"

#include <cstdlib>
#include <cstring>

namespace berth::ops {

using core::json::Document;
using core::json::Value;

namespace {

std::optional<std::int64_t> source_date_epoch() {
  const char *v = std::getenv("SOURCE_DATE_EPOCH");
  if (!v || !*v) return std::nullopt;
  try {
    std::size_t used = 0;
    long long n = std::stoll(v, &used);
    if (used != std::strlen(v) || n < 0) throw std::invalid_argument("x");
    return n;
  } catch (const std::exception &) {
    throw Error(Errc::config, "SOURCE_DATE_EPOCH must be a number of seconds");
  }
}

} // namespace

BuildClock BuildClock::make(std::optional<std::chrono::system_clock::time_point> created) {
  BuildClock clock;
  clock.epoch = source_date_epoch();
  if (created)
    clock.created = *created;
  else if (clock.epoch)
    clock.created = std::chrono::system_clock::time_point(std::chrono::seconds(*clock.epoch));
  else
    clock.created = std::chrono::system_clock::now();
  return clock;
}

std::string BuildClock::created_text() const {
  return core::format_iso8601(created);
}

void set_string(Value &obj, const char *key, const std::string &v, Document::AllocatorType &a) {
  obj.RemoveMember(key);
  obj.AddMember(Value(key, a), Value(v.c_str(), a), a);
}

Value string_array(const std::vector<std::string> &v, Document::AllocatorType &a) {
  Value arr(rapidjson::kArrayType);
  for (const auto &s : v)
    arr.PushBack(Value(s.c_str(), a), a);
  return arr;
}

Value &member_object(Value &obj, const char *key, Document::AllocatorType &a) {
  if (!obj.HasMember(key) || !obj[key].IsObject()) {
    obj.RemoveMember(key);
    obj.AddMember(Value(key, a), Value(rapidjson::kObjectType), a);
  }
  return obj[key];
}

void ensure_rootfs_and_history(Document &config) {
  auto &a = config.GetAllocator();
  auto &rootfs = member_object(config, "rootfs", a);
  set_string(rootfs, "type", "layers", a);
  if (!rootfs.HasMember("diff_ids") || !rootfs["diff_ids"].IsArray()) {
    rootfs.RemoveMember("diff_ids");
    rootfs.AddMember("diff_ids", Value(rapidjson::kArrayType), a);
  }
  if (!config.HasMember("history") || !config["history"].IsArray()) {
    config.RemoveMember("history");
    config.AddMember("history", Value(rapidjson::kArrayType), a);
  }
}

void add_history(Document &config, const std::string &created, const std::string &created_by,
                 bool empty_layer, const std::string &comment) {
  ensure_rootfs_and_history(config);
  auto &a = config.GetAllocator();
  Value h(rapidjson::kObjectType);
  h.AddMember("created", Value(created.c_str(), a), a);
  h.AddMember("created_by", Value(created_by.c_str(), a), a);
  if (!comment.empty()) h.AddMember("comment", Value(comment.c_str(), a), a);
  if (empty_layer) h.AddMember("empty_layer", true, a);
  config["history"].PushBack(h, a);
}

ImageForm image_form(const StoreRequest &req, const BuildClock &clock, const ImageDraft &draft) {
  ImageForm form;
  core::json::StringWriter cw;
  draft.config.Accept(cw.writer);
  form.config = cw.str();
  image::Manifest fields;
  fields.media_type =
      draft.docker_types ? image::media::docker_manifest : image::media::oci_manifest;
  fields.config.media_type =
      draft.docker_types ? image::media::docker_config : image::media::oci_config;
  fields.config.digest = image::digest_of(form.config);
  fields.config.size = static_cast<std::int64_t>(form.config.size());
  fields.layers = draft.layers;
  if (!draft.docker_types) { // Docker's schema 2 has no annotations
    fields.annotations = req.annotations;
    fields.annotations.emplace("org.opencontainers.image.created", clock.created_text());
    if (!req.base_digest.empty()) {
      fields.annotations.emplace("org.opencontainers.image.base.name", req.base_name);
      fields.annotations.emplace("org.opencontainers.image.base.digest", req.base_digest);
    }
  }
  form.manifest = image::Manifest::make(std::move(fields));
  return form;
}

void store_form(const ImageForm &form, const StoreRequest &req, ImageDestination &dst,
                ProgressReporter &reporter, BuildResult &result, bool there) {
  result.config_digest = form.manifest.config.digest;
  result.digest = image::digest_of(form.manifest.raw);
  result.media_type = form.manifest.media_type;
  if (!there) {
    dst.put_blob_bytes(form.config);
    dst.put_manifest(form.manifest.raw, form.manifest.media_type, true);
  }
  reporter.item(Progress::Event::manifest_done, result.digest, form.manifest.raw.size(),
                form.manifest.raw.size(), 0);
  for (const auto &t : req.extra_tags)
    if (dst.tag_digest(t) != result.digest)
      dst.put_manifest_as(form.manifest.raw, form.manifest.media_type, t);
}

void store_image(const StoreRequest &req, const BuildClock &clock, const ImageDraft &draft,
                 ImageDestination &dst, ProgressReporter &reporter, BuildResult &result) {
  store_form(image_form(req, clock, draft), req, dst, reporter, result, false);
}

void check_attestable(const std::string &output, bool sbom, bool provenance) {
  if (!sbom && !provenance) return;
  const auto kind = Location::parse(output).kind;
  if (kind == Location::Kind::oci_archive || kind == Location::Kind::docker_archive)
    throw Error(Errc::invalid_argument,
                "SBOM and provenance attach to a registry or an oci: layout, not an archive");
}

void attest_built_image(const AttestRequest &req, BuildResult &result) {
  if (!req.sbom && !req.provenance) return;
  SignOptions so;
  so.access = req.output_access;
  auto attach = [&](const char *type, const std::string &predicate) {
    auto a = req.signer ? attest_image(req.output, *req.signer, type, predicate, so)
                        : attach_attestation(req.output, type, predicate, so);
    result.attestations.push_back(
        {type, req.signer != nullptr, a.signature_ref, a.signature_digest});
  };
  if (req.sbom) {
    SbomOptions sbo;
    sbo.access = req.output_access;
    sbo.platform = req.platform;
    auto doc = generate_sbom(req.output, sbo);
    result.warnings = doc.warnings;
    attach("https://spdx.dev/Document", doc.spdx_json);
  }
  if (req.provenance) {
    ProvenanceInputs pi;
    pi.parameters = req.parameters;
    pi.base_ref = req.base_ref;
    pi.base_digest = req.base_digest;
    pi.builder_id = req.builder_id;
    pi.started = req.started;
    pi.finished = std::chrono::system_clock::now();
    attach("https://slsa.dev/provenance/v1", slsa_provenance_v1(pi));
  }
}

} // namespace berth::ops
