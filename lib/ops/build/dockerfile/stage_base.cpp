#include "ops/build/dockerfile/stage_base.hpp"

#include <berth/error.hpp>

#include "core/stream.hpp"
#include "layer/extract.hpp"
#include "layer/tar_reader.hpp"
#include "layer/tar_writer.hpp"
#include "ops/build/image_draft.hpp"
#include "ops/transfer/mirror.hpp"
#include "ops/transfer/pipe_reader.hpp"
#include "ops/transfer/resolve.hpp"
#include "sandbox/overlay_diff.hpp"
#include "sandbox/run.hpp"
#include "sandbox/userns_call.hpp"

#include <unistd.h>

namespace berth::ops {

using core::json::Value;

StageImage scratch_stage(const image::Platform &platform) {
  StageImage img;
  auto &cfg = img.config;
  cfg.SetObject();
  auto &a = cfg.GetAllocator();
  set_string(cfg, "architecture", platform.architecture, a);
  set_string(cfg, "os", platform.os, a);
  if (!platform.variant.empty()) set_string(cfg, "variant", platform.variant, a);
  auto &c = member_object(cfg, "config", a);
  c.AddMember("Env", string_array({std::string("PATH=") + sandbox::kDefaultPath}, a), a);
  set_string(c, "WorkingDir", "/", a);
  ensure_rootfs_and_history(cfg);
  return img;
}

StageImage open_base_stage(const std::string &ref, const image::Platform &platform,
                           const BaseOpener &opener) {
  auto loc = Location::parse(ref);
  auto opened = open_source_with_mirrors(loc, opener.access, parse_mirrors(opener.mirrors));
  auto &src = *opened.source;
  StageImage img;
  registry::FetchedManifest chosen;
  image::Manifest m;
  try {
    m = resolve_image(src, platform.str(), &chosen);
  } catch (const Error &e) {
    if (e.code() != Errc::not_found) throw;
    throw Error(Errc::not_found, "base image " + ref + ": " + e.what());
  }
  if (loc.kind == Location::Kind::registry) {
    img.base_name = loc.ref.str();
    img.base_digest = src.manifest("").digest;
  }
  img.base_manifest_digest = chosen.digest;
  img.docker_types = m.media_type == image::media::docker_manifest;
  std::string raw;
  src.blob(m.config, [&](const char *d, std::size_t n) { raw.append(d, n); }, {});
  const std::string what = "the config of " + ref;
  img.config = core::json::parse(raw, what.c_str());
  if (!img.config.IsObject())
    throw Error(Errc::protocol, "the config of " + ref + " is not an object");
  ensure_rootfs_and_history(img.config);
  const auto &ids = img.config["rootfs"]["diff_ids"];
  if (!ids.IsArray() || ids.Size() != m.layers.size())
    throw Error(Errc::protocol, ref + ": its config lists " + std::to_string(ids.Size()) +
                                    " diffIDs for " + std::to_string(m.layers.size()) + " layers");
  for (std::size_t i = 0; i < m.layers.size(); ++i) {
    const auto &l = m.layers[i];
    if (!ids[static_cast<rapidjson::SizeType>(i)].IsString())
      throw Error(Errc::protocol, ref + ": a diffID is not a string");
    std::string diff_id = ids[static_cast<rapidjson::SizeType>(i)].GetString();
    // Unpacked when a step first needs the files: a build whose steps all hit the
    // cache downloads none of the base.
    img.layers.push_back({l, diff_id, layer_dir(*opener.store, src, l, diff_id), &src, ""});
  }
  opener.keep->push_back(std::move(opened.source));
  return img;
}

namespace {
void materialize_as(const std::vector<std::string> &lowers, const std::string &dir, bool owners);
} // namespace

void materialize_stage(const StageImage &img, const std::string &dir) {
  const bool root = ::geteuid() == 0;
  const auto lowers = img.lowers(); // unpacked here, before any user-namespace child
  if (!root && sandbox::rootless_mapping().use_helpers) {
    // Rootless: as root of the build's user namespace, which reads the layers' files of
    // every id as the ids inside and can give them those owners (setuid bits kept).
    sandbox::call_in_userns(
        sandbox::rootless_mapping(),
        [&]() -> std::string {
          materialize_as(lowers, dir, true);
          return {};
        },
        "laying out a stage's files");
    return;
  }
  materialize_as(lowers, dir, root);
}

namespace {

// The layers (topmost first) applied bottom up to dir; owners kept when `owners`.
void materialize_as(const std::vector<std::string> &lowers, const std::string &dir, bool owners) {
  layer::ExtractOptions eo;
  eo.preserve_owner = owners;
  eo.devices = ::geteuid() == 0; // mknod needs real root, not a user namespace's
  layer::Extractor x(dir, eo);
  for (auto it = lowers.rbegin(); it != lowers.rend(); ++it) {
    // Each layer directory as a layer tar again (its overlay whiteouts as .wh. entries),
    // applied by the Extractor with its safety checks.
    PipeReader pipe([&](const http::BodySink &sink) {
      core::FunctionSink out(sink);
      layer::TarOptions to;
      to.keep_owner = true;
      to.xattrs = true;
      layer::TarWriter tw(out, to);
      sandbox::write_overlay_diff(*it, tw);
      tw.finish();
    });
    layer::TarReader reader([&](char *buf, std::size_t len) { return pipe.read(buf, len); });
    x.apply_layer(reader);
  }
}

} // namespace

} // namespace berth::ops
