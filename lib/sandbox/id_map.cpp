#include "sandbox/id_map.hpp"

#include "core/file.hpp"
#include "core/subprocess.hpp"

#include <berth/error.hpp>

#include <cerrno>
#include <charconv>
#include <fcntl.h>
#include <fstream>
#include <pwd.h>
#include <unistd.h>

namespace berth::sandbox {
namespace {

std::optional<std::uint32_t> parse_u32(std::string_view s) {
  std::uint32_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// The helper found on the usual sbin/bin paths: PATH of a build runner may not list
// /usr/bin for a minimal environment, and the helpers are never anywhere else.
std::string find_helper(const char *name) {
  for (const char *dir : {"/usr/bin/", "/bin/", "/usr/sbin/", "/sbin/", "/usr/local/bin/"}) {
    std::string p = std::string(dir) + name;
    if (::access(p.c_str(), X_OK) == 0) return p;
  }
  return {};
}

std::string user_name(uid_t uid) {
  passwd pw{}, *res = nullptr;
  std::vector<char> buf(16384);
  if (::getpwuid_r(uid, &pw, buf.data(), buf.size(), &res) == 0 && res) return pw.pw_name;
  return {};
}

void write_proc_file(pid_t pid, const char *file, const std::string &text) {
  std::string path = "/proc/" + std::to_string(pid) + "/" + file;
  auto fd = core::open_fd(path, O_WRONLY);
  core::write_all(fd.get(), text.data(), text.size(), "'" + path + "'");
}

void run_helper(const std::string &helper, pid_t pid, const std::vector<IdRange> &ranges) {
  std::vector<std::string> argv{helper, std::to_string(pid)};
  for (const auto &r : ranges) {
    argv.push_back(std::to_string(r.inside));
    argv.push_back(std::to_string(r.outside));
    argv.push_back(std::to_string(r.count));
  }
  auto res = core::run_process(argv, {}, std::chrono::seconds(30));
  if (res.exit_code != 0)
    throw Error(Errc::denied, "'" + helper + "' refused to map ids for the sandbox: " + res.err);
}

} // namespace

std::vector<IdRange> read_subordinate_ranges(const std::string &file, const std::string &user,
                                             std::uint32_t id) {
  std::vector<IdRange> out;
  std::ifstream in(file);
  std::string line;
  const std::string id_text = std::to_string(id);
  while (std::getline(in, line)) {
    auto c1 = line.find(':');
    auto c2 = c1 == std::string::npos ? c1 : line.find(':', c1 + 1);
    if (c2 == std::string::npos) continue;
    std::string who = line.substr(0, c1);
    if (who != id_text && (user.empty() || who != user)) continue;
    auto start = parse_u32(std::string_view(line).substr(c1 + 1, c2 - c1 - 1));
    auto count = parse_u32(std::string_view(line).substr(c2 + 1));
    if (start && count && *count > 0) out.push_back({0, *start, *count});
  }
  return out;
}

IdMapping rootless_mapping() {
  IdMapping m;
  const auto uid = static_cast<std::uint32_t>(::geteuid());
  const auto gid = static_cast<std::uint32_t>(::getegid());
  m.uids.push_back({0, uid, 1});
  m.gids.push_back({0, gid, 1});
  const std::string name = user_name(uid);
  auto subu = read_subordinate_ranges("/etc/subuid", name, uid);
  auto subg = read_subordinate_ranges("/etc/subgid", name, uid);
  if (find_helper("newuidmap").empty() || find_helper("newgidmap").empty() || subu.empty() ||
      subg.empty())
    return m;
  m.use_helpers = true;
  // Inside ids 1.. follow the ranges in file order, as podman and buildah lay them out.
  auto add = [](std::vector<IdRange> &to, const std::vector<IdRange> &ranges) {
    std::uint32_t next = 1;
    for (auto r : ranges) {
      r.inside = next;
      next += r.count;
      to.push_back(r);
    }
  };
  add(m.uids, subu);
  add(m.gids, subg);
  return m;
}

void write_mapping(pid_t pid, const IdMapping &m) {
  if (m.use_helpers) {
    run_helper(find_helper("newuidmap"), pid, m.uids);
    run_helper(find_helper("newgidmap"), pid, m.gids);
    return;
  }
  auto text = [](const std::vector<IdRange> &ranges) {
    std::string s;
    for (const auto &r : ranges)
      s += std::to_string(r.inside) + " " + std::to_string(r.outside) + " " +
           std::to_string(r.count) + "\n";
    return s;
  };
  try {
    write_proc_file(pid, "uid_map", text(m.uids));
    // An unprivileged process may write gid_map only once setgroups is denied (else it
    // could drop a group that denies it access).
    write_proc_file(pid, "setgroups", "deny");
    write_proc_file(pid, "gid_map", text(m.gids));
  } catch (const Error &e) {
    throw Error(Errc::denied, std::string("cannot map ids for the sandbox: ") + e.what());
  }
}

std::optional<std::uint32_t> to_inside(const std::vector<IdRange> &ranges, std::uint32_t outside) {
  for (const auto &r : ranges)
    if (outside >= r.outside && outside - r.outside < r.count)
      return r.inside + (outside - r.outside);
  return std::nullopt;
}

} // namespace berth::sandbox
