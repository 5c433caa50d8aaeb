#include "ops/build/dockerfile/copy_owners.hpp"

#include "core/file.hpp"
#include "sandbox/id_map.hpp"
#include "sandbox/user.hpp"
#include "sandbox/userns_call.hpp"

#include <berth/error.hpp>

#include <algorithm>
#include <cerrno>
#include <sys/stat.h>
#include <unistd.h>

namespace berth::ops::copy_detail {

constexpr std::size_t kMaxUserFile = 4u << 20;

namespace {

thread_local RootlessOwners *active_owners = nullptr;

const sandbox::IdMapping &mapping() {
  static const sandbox::IdMapping m = sandbox::rootless_mapping();
  return m;
}

std::string refusal(Owner owner) {
  return "a rootless build cannot give files to uid " + std::to_string(owner.uid) + ":" +
         std::to_string(owner.gid) +
         " here: give the user subordinate ids in /etc/subuid and /etc/subgid and install "
         "newuidmap, or build as root";
}

} // namespace

void set_owner(const std::string &host, Owner owner) {
  if (::geteuid() != 0) {
    // The last owner given wins (a directory made with its source's owner may get the
    // step's next); root's is the caller's own, which needs no chown.
    if (active_owners) {
      active_owners->pending_[host] = owner;
      return;
    }
    if (owner.uid == 0 && owner.gid == 0) return;
    throw Error(Errc::unsupported, refusal(owner));
  }
  if (::lchown(host.c_str(), owner.uid, owner.gid) != 0) core::throw_errno(errno, "chown " + host);
}

Owner owner_inside(std::uint32_t uid, std::uint32_t gid) {
  if (::geteuid() == 0) return {uid, gid};
  auto u = sandbox::to_inside(mapping().uids, uid);
  auto g = sandbox::to_inside(mapping().gids, gid);
  if (!u || !g)
    throw Error(Errc::unsupported, "an entry owned by " + std::to_string(uid) + ":" +
                                       std::to_string(gid) +
                                       " on the host has no owner inside this rootless build");
  return {*u, *g};
}

RootlessOwners::RootlessOwners() : previous_(active_owners) {
  active_owners = this;
}

RootlessOwners::~RootlessOwners() {
  active_owners = previous_;
}

void RootlessOwners::apply() {
  std::vector<std::pair<std::string, Owner>> todo;
  for (const auto &[path, owner] : pending_)
    if (owner.uid != 0 || owner.gid != 0) todo.emplace_back(path, owner);
  pending_.clear();
  if (todo.empty()) return;
  const auto &ids = mapping();
  if (!ids.use_helpers) throw Error(Errc::unsupported, refusal(todo.front().second));
  sandbox::call_in_userns(
      ids,
      [&todo]() -> std::string {
        for (const auto &[path, owner] : todo) {
          struct stat st {};
          if (::lstat(path.c_str(), &st) != 0) core::throw_errno(errno, "lstat " + path);
          if (::lchown(path.c_str(), owner.uid, owner.gid) != 0)
            core::throw_errno(errno, "chown " + path);
          // chown(2) clears the set-user-ID and set-group-ID bits of a file: set them again.
          if (!S_ISLNK(st.st_mode) && !S_ISDIR(st.st_mode) && (st.st_mode & 06000) != 0 &&
              ::chmod(path.c_str(), st.st_mode & 07777) != 0)
            core::throw_errno(errno, "chmod " + path);
        }
        return {};
      },
      "giving a rootless step's files their owners");
}

Owner resolve_chown(const std::string &spec, const std::vector<std::string> &lowers) {
  auto colon = spec.find(':');
  std::string user = spec.substr(0, colon);
  std::string group = colon == std::string::npos ? std::string() : spec.substr(colon + 1);
  if (user.empty() || (colon != std::string::npos && group.empty()))
    throw Error(Errc::invalid_argument, "--chown=" + spec + " is not user[:group]");
  auto numeric = [](const std::string &s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  Owner o;
  if (numeric(user)) {
    // A number alone means uid:uid, not the passwd entry's group (BuildKit's ByID).
    auto u = sandbox::resolve_user(user, "", "");
    o.uid = o.gid = u.uid;
  } else {
    auto passwd = sandbox::read_from_lowers(lowers, "etc/passwd", kMaxUserFile);
    auto u = sandbox::resolve_user(user, passwd, "");
    o.uid = u.uid, o.gid = u.gid;
  }
  if (!group.empty()) {
    auto groups = numeric(group) ? std::string()
                                 : sandbox::read_from_lowers(lowers, "etc/group", kMaxUserFile);
    o.gid = sandbox::resolve_user("0:" + group, "", groups).gid;
  }
  return o;
}

} // namespace berth::ops::copy_detail
