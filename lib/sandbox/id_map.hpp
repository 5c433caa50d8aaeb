// User-namespace id mappings: what a rootless sandbox maps (the caller's id to 0, and
// its /etc/subuid and /etc/subgid ranges above it), how they are written for a child,
// and how an id seen on the host is turned back into the id inside.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace berth::sandbox {

// One line of /proc/PID/uid_map: ids [inside, inside+count) are [outside, outside+count)
// on the host.
struct IdRange {
  std::uint32_t inside = 0;
  std::uint32_t outside = 0;
  std::uint32_t count = 0;
};

struct IdMapping {
  std::vector<IdRange> uids, gids;
  // newuidmap/newgidmap write the maps (they are setuid and check /etc/subuid); without
  // them only the caller's own id can be mapped, by writing /proc/PID/*_map directly,
  // which also requires "deny" in /proc/PID/setgroups.
  bool use_helpers = false;
  bool empty() const noexcept { return uids.empty(); }
};

// The ranges of `user` (a name) or `uid` in a subordinate-id file (/etc/subuid format:
// "name-or-id:start:count" per line). A missing file is no ranges.
std::vector<IdRange> read_subordinate_ranges(const std::string &file, const std::string &user,
                                             std::uint32_t id);

// The mapping a rootless sandbox uses for the calling user: 0 -> the caller's uid/gid,
// 1.. -> its subordinate ranges when newuidmap and newgidmap are installed and both files
// give it ranges; otherwise the single id (files owned by other ids then cannot exist
// inside, and USER switches to another id fail).
IdMapping rootless_mapping();

// Writes `m` for the process `pid` (in a new user namespace, not yet using it).
// Error(denied) naming the helper or file that refused.
void write_mapping(pid_t pid, const IdMapping &m);

// The id inside for `outside` under `ranges`; nullopt when it is not mapped.
std::optional<std::uint32_t> to_inside(const std::vector<IdRange> &ranges, std::uint32_t outside);

} // namespace berth::sandbox
