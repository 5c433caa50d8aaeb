// Owners and modes of what a COPY/ADD step creates: --chown resolved against the
// image's /etc/passwd and /etc/group with BuildKit's rules, --chmod parsed.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
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

// Gives `host` (an entry the step made) the owner it has inside the image. As root, a
// plain lchown. Rootless, the caller is root inside: what it makes is already owned by
// 0 there; another owner is queued on the RootlessOwners of the step (an unprivileged
// process cannot chown), or refused (Error(unsupported)) when the step has none.
void set_owner(const std::string &host, Owner owner);

// The owner inside the image of an entry stat(2) saw on the host: the same ids as root;
// rootless, mapped back through the sandbox's id mapping (the caller's own ids are root's
// inside). Error(unsupported) for an id the mapping does not hold.
Owner owner_inside(std::uint32_t uid, std::uint32_t gid);

// A rootless step's owners: set_owner queues them while the step lays out its files in
// the upper directory, and apply() gives them all at once, as root of a user namespace
// that maps the caller's subordinate ids (sandbox/userns_call). Idle as root. One per
// step, on the thread laying it out (set_owner finds it through a thread_local).
class RootlessOwners {
public:
  RootlessOwners();
  ~RootlessOwners();
  RootlessOwners(const RootlessOwners &) = delete;
  RootlessOwners &operator=(const RootlessOwners &) = delete;
  // Error(unsupported) when this machine maps no subordinate ids for the caller.
  void apply();

private:
  friend void set_owner(const std::string &host, Owner owner);
  std::map<std::string, Owner> pending_; // path -> the last owner given
  RootlessOwners *previous_;
};

} // namespace berth::ops::copy_detail
