#include "ops/build/dockerfile/copy_owners.hpp"

#include "core/file.hpp"
#include "sandbox/user.hpp"

#include <berth/error.hpp>

#include <algorithm>
#include <cerrno>
#include <unistd.h>

namespace berth::ops::copy_detail {

constexpr std::size_t kMaxUserFile = 4u << 20;

void set_owner(const std::string &host, Owner owner) {
  if (::geteuid() != 0) {
    // Kept owners of a rootless stage are the caller's own ids: root's inside too.
    const bool own_uid = owner.uid == 0 || owner.uid == ::geteuid();
    const bool own_gid = owner.gid == 0 || owner.gid == ::getegid();
    if (own_uid && own_gid) return;
    throw Error(Errc::unsupported, "a rootless build cannot give files to uid " +
                                       std::to_string(owner.uid) + ":" + std::to_string(owner.gid) +
                                       " (COPY --chown, or owners kept by COPY --from); "
                                       "build as root");
  }
  if (::lchown(host.c_str(), owner.uid, owner.gid) != 0) core::throw_errno(errno, "chown " + host);
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

std::optional<Chmod> parse_chmod(const std::string &s) {
  if (s.empty()) return std::nullopt;
  const std::string err =
      "invalid chmod parameter: '" + s + "'. it should be octal string and between 0 and 07777";
  bool octal_chars = std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '7'; });
  bool digits = std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!octal_chars) {
    if (digits) throw Error(Errc::invalid_argument, err);
    throw Error(Errc::unsupported, "--chmod=" + s +
                                       ": symbolic modes are not supported yet; use an octal "
                                       "mode such as 755");
  }
  unsigned long v = 0;
  for (char c : s) {
    v = v * 8 + static_cast<unsigned long>(c - '0');
    if (v > 07777) throw Error(Errc::invalid_argument, err);
  }
  return Chmod{static_cast<mode_t>(v)};
}

} // namespace berth::ops::copy_detail
