// Owners and modes of what a COPY/ADD step creates: --chown resolved against the
// image's /etc/passwd and /etc/group with BuildKit's rules, --chmod parsed.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace berth::ops::copy_detail {

struct Owner {
  std::uint32_t uid = 0, gid = 0;
};

// COPY --chown as BuildKit reads it (solver/llbsolver/ops/user_linux.go readUser), from
// the files of `lowers` (the image's overlay lower directories, topmost first).
Owner resolve_chown(const std::string &spec, const std::vector<std::string> &lowers);

struct Chmod {
  mode_t mode = 0;
};

// Gives `host` (an entry the step made) the owner it has inside the image. As root, a
// plain lchown. Rootless, the caller is root inside: what it makes is already owned by
// 0 there, and other owners cannot be set by an unprivileged process, so they are
// refused (Error(unsupported)) rather than silently written as root's.
void set_owner(const std::string &host, Owner owner);

// An octal --chmod (nullopt for ""); symbolic modes are refused (Error(unsupported)).
std::optional<Chmod> parse_chmod(const std::string &s);

} // namespace berth::ops::copy_detail
