// The state of one stage of a Dockerfile build as its steps run: the image config
// being written, the layers so far (each unpacked once, as an overlay lower directory,
// and where its compressed blob can be read), and the cache key of every step so far.
#pragma once

#include <berth/manifest.hpp>

#include "core/json.hpp"
#include "ops/build/dockerfile/layer_dir.hpp"
#include "ops/transfer/endpoints.hpp"

#include <memory>
#include <string>
#include <vector>

namespace berth::ops {

struct StageLayer {
  image::Descriptor blob; // the compressed layer
  std::string diff_id;
  std::shared_ptr<LayerDir> dir; // unpacked in overlay's form when first asked
  ImageSource *source = nullptr; // where blob can be read: the base, a cache
  std::string key;               // the step that made it ("" for a base's layers)
};

struct StageImage {
  core::json::Document config;
  std::vector<StageLayer> layers; // bottom first
  bool docker_types = false;      // the base's manifests are Docker's
  // Every step so far as one digest: the parent of the next step's cache key.
  std::string cache_key;
  // A registry base: the name as written, what it resolved to, and the image manifest.
  std::string base_name, base_digest, base_manifest_digest;
  bool cmd_set = false; // CMD given in this stage: a later ENTRYPOINT keeps it

  // The layers' directories topmost first, as sandbox::RunSpec::lower_dirs wants them
  // (unpacked now where they were not yet).
  std::vector<std::string> lowers() const {
    std::vector<std::string> out;
    for (auto it = layers.rbegin(); it != layers.rend(); ++it)
      out.push_back(it->dir->path());
    return out;
  }
};

} // namespace berth::ops
