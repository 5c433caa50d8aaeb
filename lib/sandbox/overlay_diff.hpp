// An overlayfs upper directory as an image layer: what a RUN step changed, in the OCI
// layer format. Overlay records a deleted path as a character device 0/0 and a directory
// that hides everything below it with the "opaque" xattr; the layer format says the same
// with ".wh.<name>" and ".wh..wh..opq" entries. Everything else is written as TarWriter
// writes any tree (sorted, deterministic, hardlinks kept, security.capability kept).
#pragma once

#include "core/stream.hpp"
#include "layer/compression.hpp"
#include "layer/layer_pipeline.hpp"
#include "layer/tar_writer.hpp"
#include "sandbox/id_map.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace berth::sandbox {

struct OverlayDiffOptions {
  // Entries' mtimes above this become this (SOURCE_DATE_EPOCH); whiteouts get it too.
  std::optional<std::int64_t> mtime_clamp;
  // The upper directory of a rootless sandbox holds host ids; these give the ids inside
  // (RunResult's mappings), which are what the layer must record. Empty: ids as found.
  IdMapping ids;
  // Overlay mounted with "userxattr" (in a user namespace) marks opaque directories with
  // user.overlay.opaque instead of trusted.overlay.opaque. Both are honoured when set;
  // trusted.* is only readable as root.
  bool userxattr = false;
  // The image below the upper directory (overlay's lower dirs, topmost first). Entries
  // overlay copied up unchanged are left out then, as BuildKit leaves them out
  // (sandbox/overlay_unchanged.hpp); a directory is kept when anything below it is. They
  // are removed from the upper directory too, which then holds exactly the layer.
  // Empty: every entry of the upper directory is written.
  std::vector<std::string> lower_dirs;
};

// Writes the layer entries of `upper_dir` into `tw` (the caller finishes it). Error(io)
// for a file that cannot be read; Error(unsupported) for an id with no mapping inside.
void write_overlay_diff(const std::string &upper_dir, layer::TarWriter &tw,
                        const OverlayDiffOptions &opts = {});

// The whole layer in one pass: upper dir -> tar -> diffID -> compressor -> digest ->
// `out`, through the same LayerPipeline `berth build` uses for directories.
layer::LayerResult overlay_diff_layer(const std::string &upper_dir, core::ByteSink &out,
                                      layer::Compression compression,
                                      const OverlayDiffOptions &opts = {}, int level = -1,
                                      unsigned threads = 0, bool docker_media_type = false);

} // namespace berth::sandbox
