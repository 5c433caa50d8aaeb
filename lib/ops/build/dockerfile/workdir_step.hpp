// WORKDIR's directory: the components of the path the image does not have yet, made
// (root-owned, 0755) in the step's upper directory, as BuildKit's mkdir -p makes them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace berth::ops {

// lowers: the image's layers, topmost first (overlay's form). A component that the
// image has as a symlink or a file ends the walk: the step adds nothing below it.
void make_missing_dirs(const std::vector<std::string> &lowers, const std::string &upper,
                       const std::string &path, std::optional<std::int64_t> mtime);

} // namespace berth::ops
