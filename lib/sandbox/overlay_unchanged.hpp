// Entries overlay copied up without changing them. Overlay copies an entry into the upper
// directory on any hardlink or metadata touch, even when the result equals the image's
// ("ln a b" copies a up; so does "mv a t && mv t a"). BuildKit's overlay differ leaves
// such an entry out of the layer (its sameDirent) unless something below it changed, so a
// layer holds what the step changed and a new hardlink to an unchanged file is a plain
// file in the layer. berth's overlay diff does the same.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace berth::sandbox {

// Where the image that `lowers` make (overlay's on-disk layers, topmost first) has `rel`;
// nullopt when it does not: absent, whited out, or hidden by an opaque directory or a
// non-directory above it.
std::optional<std::string> image_path(const std::vector<std::string> &lowers,
                                      const std::string &rel);

// True when the upper entry is the image's entry unchanged, as BuildKit decides it: the
// same type and permission bits, owner, device number and security.capability; for
// non-directories also the size and mtime, and when neither mtime has nanoseconds (an
// unpacked tar's do not) the content or link target.
bool unchanged_from_image(const std::string &upper_path, const std::string &image_path);

} // namespace berth::sandbox
