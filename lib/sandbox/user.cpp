#include "sandbox/user.hpp"

#include "core/file.hpp"

#include <berth/error.hpp>

#include <charconv>
#include <optional>
#include <sstream>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

namespace berth::sandbox {
namespace {

std::optional<std::uint32_t> number(std::string_view s) {
  std::uint32_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::vector<std::string> split(const std::string &line, char sep) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(line);
  while (std::getline(in, cur, sep))
    out.push_back(cur);
  if (!line.empty() && line.back() == sep) out.emplace_back();
  return out;
}

// The lines of a passwd or group file split at ':', comments and short lines dropped.
std::vector<std::vector<std::string>> records(const std::string &text, std::size_t min_fields) {
  std::vector<std::vector<std::string>> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto f = split(line, ':');
    if (f.size() >= min_fields) out.push_back(std::move(f));
  }
  return out;
}

bool opaque_dir(const std::string &path) {
  for (const char *name : {"trusted.overlay.opaque", "user.overlay.opaque"}) {
    char v[2] = {};
    if (::lgetxattr(path.c_str(), name, v, sizeof v) == 1 && v[0] == 'y') return true;
  }
  return false;
}

} // namespace

ResolvedUser resolve_user(const std::string &spec, const std::string &passwd,
                          const std::string &group) {
  ResolvedUser u;
  if (spec.empty()) return u;
  auto colon = spec.find(':');
  std::string user_arg = spec.substr(0, colon);
  std::string group_arg = colon == std::string::npos ? std::string() : spec.substr(colon + 1);
  if (user_arg.empty() || (colon != std::string::npos && group_arg.empty()))
    throw Error(Errc::invalid_argument, "USER '" + spec + "' is not user[:group]");

  std::string matched_name;
  auto uid_num = number(user_arg);
  bool found = false;
  for (const auto &r : records(passwd, 7)) {
    auto id = number(r[2]);
    if (!id) continue;
    if ((uid_num && *id == *uid_num) || (!uid_num && r[0] == user_arg)) {
      u.uid = *id;
      u.gid = number(r[3]).value_or(0);
      u.home = r[5].empty() ? "/" : r[5];
      matched_name = r[0];
      found = true;
      break;
    }
  }
  if (!found) {
    if (!uid_num)
      throw Error(Errc::not_found,
                  "unable to find user " + user_arg + ": no matching entries in passwd file");
    u.uid = *uid_num;
  }

  auto groups = records(group, 3);
  if (!group_arg.empty()) {
    auto gid_num = number(group_arg);
    bool gfound = false;
    for (const auto &r : groups) {
      auto id = number(r[2]);
      if (id && ((gid_num && *id == *gid_num) || (!gid_num && r[0] == group_arg))) {
        u.gid = *id;
        gfound = true;
        break;
      }
    }
    if (!gfound) {
      if (!gid_num)
        throw Error(Errc::not_found,
                    "unable to find group " + group_arg + ": no matching entries in group file");
      u.gid = *gid_num;
    }
    return u; // an explicit group means no supplementary groups (libcontainer's rule)
  }
  if (matched_name.empty()) return u;
  for (const auto &r : groups) {
    auto id = number(r[2]);
    if (!id || r.size() < 4) continue;
    for (const auto &member : split(r[3], ','))
      if (member == matched_name) {
        u.groups.push_back(*id);
        break;
      }
  }
  return u;
}

std::string read_from_lowers(const std::vector<std::string> &lowers, const std::string &rel,
                             std::size_t max) {
  for (const auto &lower : lowers) {
    // Walk down: an opaque directory or a whiteout on the way hides every layer below.
    std::string path = lower;
    bool hidden = false;
    std::size_t pos = 0;
    while (pos <= rel.size()) {
      auto slash = rel.find('/', pos);
      if (slash == std::string::npos) slash = rel.size();
      path.append("/").append(rel, pos, slash - pos);
      pos = slash + 1;
      struct stat st {};
      if (::lstat(path.c_str(), &st) != 0) break; // not in this layer: look below
      if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
        hidden = true;
        break;
      }
      if (slash == rel.size()) {
        if (!S_ISREG(st.st_mode)) return {};
        return core::read_small_file(path, max);
      }
      if (!S_ISDIR(st.st_mode)) {
        hidden = true; // a file where the path needs a directory
        break;
      }
      if (opaque_dir(path)) {
        // What this layer has below it still counts; only lower layers are hidden.
        std::string full = lower + "/" + rel;
        struct stat fst {};
        if (::lstat(full.c_str(), &fst) == 0 && S_ISREG(fst.st_mode))
          return core::read_small_file(full, max);
        hidden = true;
        break;
      }
    }
    if (hidden) return {};
  }
  return {};
}

} // namespace berth::sandbox
