// Where a stage starts (FROM): scratch, or an image whose layers are unpacked once into
// the layer store; and a stage's whole file system as one directory, for COPY --from.
#pragma once

#include <berth/copy.hpp>
#include <berth/manifest.hpp>

#include "ops/build/dockerfile/stage_image.hpp"
#include "sandbox/layer_store.hpp"

#include <memory>
#include <string>
#include <vector>

namespace berth::ops {

// BuildKit's empty image: the platform, WorkingDir "/", PATH the default one.
StageImage scratch_stage(const image::Platform &platform);

struct BaseOpener {
  RegistryAccess access;
  std::vector<std::string> mirrors;
  sandbox::LayerStore *store = nullptr;
  // Opened sources stay open here: the final image's base blobs are read from them.
  std::vector<std::unique_ptr<ImageSource>> *keep = nullptr;
};

// The image `ref` (a registry reference or oci:/docker-archive: location) for
// `platform`, its layers unpacked into the store (by diffID, once for every build).
// Error(not_found) names the base when it does not exist.
StageImage open_base_stage(const std::string &ref, const image::Platform &platform,
                           const BaseOpener &opener);

// Applies the stage's layers in order into `dir` (whiteouts applied, owners kept as root).
void materialize_stage(const StageImage &img, const std::string &dir);

} // namespace berth::ops
