// The sandbox's side of run(): what the cloned child does between clone() and execve().
// The caller may be multithreaded, so the child must not allocate, lock or touch stdio
// (another thread may have held the malloc lock at clone time); everything it needs is
// computed by the parent into a ChildPlan first, and the child makes system calls only.
#pragma once

#include <cstdint>
#include <string>
#include <sys/types.h>
#include <vector>

namespace berth::sandbox::detail {

// What failed in the child, for the parent's error message.
enum class Step : std::int32_t {
  sync,
  mount_private,
  overlay,
  mount_target,
  proc,
  dev,
  sys,
  bind,
  hostname,
  loopback,
  pivot_root,
  workdir,
  user,
  exec_setup,
  fork,
};
const char *step_text(Step s) noexcept;

// Messages on the report pipe, each written whole (< PIPE_BUF, so never interleaved).
struct Report {
  enum Kind : std::int32_t { stub = 1, error = 2, exec_error = 3, status = 4 };
  std::int32_t kind = 0;
  std::int32_t a = 0; // stub: target index; error: Step; status: wait status
  std::int32_t b = 0; // stub: length of the created prefix of the target; errors: errno
};

// A mount point inside the image, relative to its root ("etc/resolv.conf"). Missing
// components are created (directories, or an empty file for a file target) only below
// real directories; each creation is reported so the parent can remove it from the
// upper directory afterwards.
struct Target {
  std::string rel;
  bool dir = true;
};
inline constexpr int kTargetProc = 0, kTargetDev = 1, kTargetSys = 2;

struct Bind {
  std::string source; // host path
  int target = 0;     // index into ChildPlan::targets
  bool read_only = true;
  // The caller's mounts must happen; the resolver files are skipped where the image's
  // path to them leads nowhere inside it (a dangling symlink).
  bool required = true;
  // A tmpfs mounted with these options ("size=N,mode=1777") instead of the bind, made
  // by the parent: the child does not allocate.
  bool tmpfs = false;
  std::string tmpfs_options;
};

struct ChildPlan {
  int sync_fd = -1;   // read: one byte once the parent wrote the id maps
  int report_fd = -1; // write: Report messages
  int out_fd = -1;    // write: the command's stdout and stderr
  bool user_ns = false;
  bool net_none = false;
  bool set_groups = true; // false where setgroups(2) is denied (single-id user namespace)
  std::string merged;     // the overlay mount point (host path)
  std::string overlay_options;
  std::string hostname;
  std::string cwd;         // absolute, inside
  std::string search_path; // PATH for finding argv[0]
  std::vector<Target> targets;
  std::vector<Bind> binds;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
  std::vector<char *> argv, envp; // NULL-terminated, pointing into the parent's strings
};

// Never returns: execs nothing itself but becomes the sandbox's init, which forks the
// command, reports its wait status and exits (taking every other process with it).
[[noreturn]] void child_main(ChildPlan &plan) noexcept;

// fork(2) as a raw system call, with namespace flags: glibc's fork() would run atfork
// handlers and take malloc's locks, which a multithreaded caller's child cannot.
pid_t raw_clone(unsigned long flags) noexcept;

} // namespace berth::sandbox::detail
