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
// The directories made belong to `user` (the stage's USER, resolved with the image's
// /etc/passwd and /etc/group; "" is root), as BuildKit's Mkdir WithUser makes them.
void make_missing_dirs(const std::vector<std::string> &lowers, const std::string &upper,
                       const std::string &path, std::optional<std::int64_t> mtime,
                       const std::string &user = "");

} // namespace berth::ops
