// Running one command in a throw-away container without a daemon or an OCI runtime:
// the RUN step of a Dockerfile build. berth makes the namespaces and mounts itself
// (docs/ARCHITECTURE.md says why): the image's layers are overlay lower directories,
// what the command changes lands in the upper directory (overlay_diff.hpp makes the
// layer of it), and nothing of the host is visible but what the spec binds in.
//
// Linux only. As root the sandbox gets new mount, pid, ipc and uts namespaces (and a
// network namespace with only lo for Network::none); as any other user a user namespace
// too, where the caller is root (see id_map.hpp for which ids exist there).
#pragma once

#include "sandbox/id_map.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::sandbox {

enum class Network { host, none };

// BuildKit's PATH (util/system.DefaultPathEnv for Linux): a command's when its
// environment has none, and a Dockerfile stage's config when its image has none.
inline constexpr const char *kDefaultPath =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// A host path bound into the sandbox (future RUN --mount=type=bind/cache/secret).
struct BindMount {
  std::string source; // host path, file or directory (unused for a tmpfs)
  std::string target; // absolute path inside
  bool read_only = true;
  // A fresh tmpfs on the target instead of a bind (RUN --mount=type=tmpfs); size in
  // bytes, 0 for the kernel's default (half the memory).
  bool tmpfs = false;
  std::uint64_t tmpfs_size = 0;
};

struct RunSpec {
  // The image's root file system as overlay layers, topmost first, in overlay's on-disk
  // format (whiteouts as 0/0 character devices). Empty: FROM scratch.
  std::vector<std::string> lower_dirs;
  // Receives the changes; must be on the same file system as work_dir. work_dir is
  // berth's scratch space for this run (overlay's work directory and the mount point
  // go inside it); both are created when missing.
  std::string upper_dir, work_dir;

  std::vector<std::string> argv;
  // The command's environment, exactly: nothing is inherited from the caller. PATH, if
  // absent, is BuildKit's default (it is also where argv[0] is looked up).
  std::vector<std::string> env;
  std::string cwd = "/"; // created (as root, 0755) when missing, as WORKDIR is
  std::string user;      // "" (root), "name", "uid", "name:group", "uid:gid"
  std::string hostname = "berth";
  Network network = Network::host;
  std::vector<BindMount> mounts;
  // Keep the /proc, /dev and /sys directories made as mount points in an image that
  // lacks them (root-owned, 0755): BuildKit's runc executor leaves them in the layer,
  // and a Dockerfile build follows it. Other mount points never stay.
  bool keep_kernel_mount_dirs = false;

  // Every byte of stdout and stderr (one stream, in the order written), as it comes.
  std::function<void(std::string_view)> output;
  std::size_t tail_bytes = 64 * 1024;   // how much of the output RunResult keeps
  std::chrono::milliseconds timeout{0}; // 0: none. Expiry kills everything: Error(timeout)
  // Polled about every 100 ms; returning true kills everything: Error(cancelled).
  std::function<bool()> cancelled;
};

struct RunResult {
  int exit_code = 0; // the command's exit status; 128 + signal when a signal ended it
  int signal = 0;    // the signal that ended it, else 0
  std::string tail;  // the last tail_bytes of the output
  bool rootless = false;
  // The ids the user namespace mapped (empty as root): an overlay diff of the upper
  // directory needs them to write the ids inside into the layer.
  IdMapping ids;
  bool userxattr = false; // overlay kept its markers in user.* xattrs
};

// Runs spec.argv to completion. The command's failure is not an error (exit_code says
// it); these are: Error(invalid_argument) for a bad spec (relative paths, a lower dir
// path overlay options cannot carry), Error(not_found) for an unknown USER or a command
// that is not found, Error(unsupported) when overlayfs or a namespace cannot be made
// here (the message names which and why), Error(timeout), Error(cancelled). Whatever
// happens, no process of the sandbox outlives the call, and mount points the sandbox
// had to create in the image (a missing /etc/hosts, /proc, /dev) are removed from the
// upper directory again, so they never reach the layer (but see keep_kernel_mount_dirs).
RunResult run(const RunSpec &spec);

} // namespace berth::sandbox
