// The USER of a RUN step resolved against the image's own /etc/passwd and /etc/group, as
// BuildKit resolves it (runc's libcontainer/user rules): "name" or "uid", optionally
// ":group" or ":gid". A name must exist in the image; a number need not. Without an
// explicit group the primary group is the passwd entry's (0 for an unknown uid) and the
// supplementary groups are those of /etc/group that list the user's name.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace berth::sandbox {

struct ResolvedUser {
  std::uint32_t uid = 0, gid = 0;
  std::vector<std::uint32_t> groups; // supplementary
  std::string home = "/";            // from passwd, for a HOME the caller may set
};

// Resolves `spec` ("" = root) with the contents of passwd and group files (either may be
// empty: an image without them). Error(not_found) for a name that is not there,
// Error(invalid_argument) for a malformed spec.
ResolvedUser resolve_user(const std::string &spec, const std::string &passwd,
                          const std::string &group);

// A file of the image seen through overlay lower directories (top first) without
// mounting them: the first directory holding `rel` wins; a whiteout (character device
// 0/0) or an opaque directory on the way ends the search. "" when no layer has it.
std::string read_from_lowers(const std::vector<std::string> &lowers, const std::string &rel,
                             std::size_t max);

} // namespace berth::sandbox
