// RUN --mount, as BuildKit's Dockerfile frontend has them: what each mount becomes in
// the sandbox, and what of it goes into the step's cache key.
//
// - bind: a path of the context (its .dockerignore applied), a stage or an image;
//   read-only unless rw, whose writes are thrown away with the step. Its content is in
//   the key (the context's by digest, a stage's or image's by its own key).
// - cache: a directory kept between builds under the state dir, by id (default: the
//   target), made with mode/uid/gid; sharing=shared (default) binds it as it is, locked
//   waits for other users, private takes a fresh directory while another user has it.
//   Its content is never in a layer nor in the key.
// - tmpfs: an empty tmpfs (size=).
// - secret: the value of a --secret (a file or an environment variable) as a read-only
//   file (default /run/secrets/<id>, mode 0400) and/or an environment variable (env=);
//   never in a layer, the history, the key or a log. A missing one fails the step when
//   required, else the mount is left out.
// - ssh: refused by name.
#pragma once

#include "sandbox/run.hpp"

#include "core/file.hpp"
#include "dockerfile/run_mount.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace berth::dockerfile {
class IgnoreMatcher;
}

namespace berth::ops {

// One --secret: "id=ID[,src=FILE|,env=VAR]" (buildx's form; with neither, the
// environment variable named ID). Error(invalid_argument) for anything else.
struct BuildSecret {
  std::string id;
  std::optional<std::string> file, env;
};
BuildSecret parse_secret(const std::string &spec);

// A stage's or image's root file system for bind mounts, and the key that stands for
// its content.
struct MountRoot {
  std::string dir, key;
};

struct MountSources {
  std::string context;                               // the build context
  const dockerfile::IgnoreMatcher *ignore = nullptr; // its .dockerignore
  // from= (a stage name or index, or an image) -> its root file system.
  std::function<MountRoot(const std::string &from)> root_of;
  std::string cache_dir; // where cache mounts live ("<state>/mounts")
  const std::vector<BuildSecret> *secrets = nullptr;
  // Told each secret's value as it is read, before the RUN that sees it runs (the CLI
  // masks it in GitHub Actions); may be empty.
  std::function<void(const std::string &)> on_secret;
  std::string where; // "Dockerfile:12" for errors
};

struct PreparedMounts {
  std::vector<sandbox::BindMount> mounts;
  std::vector<std::string> env;      // secret env= values, KEY=VALUE
  std::string key_text;              // for the step's cache key: no secret value, no cache content
  std::vector<core::UniqueFd> locks; // flock(2)s of sharing=locked caches, held for the step
};

// Makes what the mounts need in `scratch` (the step's own directory, removed with it).
PreparedMounts prepare_mounts(const std::vector<dockerfile::Mount> &mounts, const MountSources &src,
                              const std::string &scratch);

} // namespace berth::ops
