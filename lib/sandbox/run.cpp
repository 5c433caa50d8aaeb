#include "sandbox/run.hpp"

#include "core/file.hpp"
#include "sandbox/child.hpp"
#include "sandbox/user.hpp"

#include <berth/cancel.hpp>
#include <berth/error.hpp>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <poll.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <system_error>
#include <unistd.h>

namespace berth::sandbox {
namespace {

using Clock = std::chrono::steady_clock;
using detail::ChildPlan;
using detail::Report;

// BuildKit's default PATH for a RUN whose environment has none.
constexpr std::size_t kMaxIdentityFile = 4 << 20;

using core::make_pipe;
using core::Pipe;

// Owns the sandbox's init until reaped: any way out of run() kills it, and with it the
// whole pid namespace.
class Init {
public:
  explicit Init(pid_t pid) noexcept : pid_(pid) {}
  ~Init() { kill_and_reap(); }
  Init(const Init &) = delete;
  Init &operator=(const Init &) = delete;
  pid_t pid() const noexcept { return pid_; }
  void kill_and_reap() noexcept {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    reap();
  }
  void reap() noexcept {
    int status = 0;
    while (::waitpid(pid_, &status, __WALL) == -1 && errno == EINTR) {
    }
    pid_ = -1;
  }

private:
  pid_t pid_;
};

std::string absolute(const std::string &p, const char *what) {
  if (p.empty()) throw Error(Errc::invalid_argument, std::string("RunSpec: ") + what + " is empty");
  return std::filesystem::absolute(p).lexically_normal().string();
}

// overlayfs options are a comma-separated list and lowerdir a colon-separated one; a
// path holding either (or the escape character) cannot be passed without escaping that
// kernels before 6.5 do not understand.
std::string overlay_path(const std::string &p) {
  if (p.find_first_of(":,\\") != std::string::npos)
    throw Error(Errc::invalid_argument,
                "'" + p + "' cannot be an overlay directory: it holds ':', ',' or '\\'");
  return p;
}

std::string inside_path(const std::string &p, const char *what) {
  if (p.empty() || p[0] != '/')
    throw Error(Errc::invalid_argument,
                std::string("RunSpec: ") + what + " '" + p + "' is not an absolute path");
  auto norm = std::filesystem::path(p).lexically_normal().string();
  while (norm.size() > 1 && norm.back() == '/')
    norm.pop_back();
  return norm;
}

bool mapped(const std::vector<IdRange> &ranges, std::uint32_t id) {
  for (const auto &r : ranges)
    if (id >= r.inside && id - r.inside < r.count) return true;
  return false;
}

struct Prepared {
  ChildPlan plan;
  std::vector<std::string> argv, env; // what plan.argv/envp point into
  IdMapping ids;
  bool rootless = false;
  unsigned long clone_flags = 0;
};

std::string overlay_options(const RunSpec &spec, const std::string &work, bool rootless) {
  std::string lower;
  for (const auto &l : spec.lower_dirs)
    lower.append(lower.empty() ? "" : ":").append(overlay_path(absolute(l, "a lower dir")));
  if (lower.empty()) lower = work + "/empty"; // FROM scratch: overlay needs one lower
  std::string o = "lowerdir=" + lower +
                  ",upperdir=" + overlay_path(absolute(spec.upper_dir, "upper_dir")) +
                  ",workdir=" + overlay_path(work + "/work");
  // The diff reads plain whiteouts and opaque markers only: no redirects or metacopy
  // (a renamed lower directory is then copied up whole, as BuildKit's differ expects).
  // In a user namespace the markers go to user.* xattrs, where those features are off.
  o += rootless ? ",userxattr" : ",index=off,metacopy=off,redirect_dir=off";
  if (o.size() >= 4000)
    throw Error(Errc::unsupported,
                "the overlay mount options for " + std::to_string(spec.lower_dirs.size()) +
                    " layers exceed the kernel's page-sized limit; flatten the base first");
  return o;
}

void plan_user(const RunSpec &spec, Prepared &p) {
  std::string passwd, group;
  if (!spec.user.empty()) {
    passwd = read_from_lowers(spec.lower_dirs, "etc/passwd", kMaxIdentityFile);
    group = read_from_lowers(spec.lower_dirs, "etc/group", kMaxIdentityFile);
  }
  auto u = resolve_user(spec.user, passwd, group);
  if (p.rootless) {
    bool ok = mapped(p.ids.uids, u.uid) && mapped(p.ids.gids, u.gid);
    for (auto g : u.groups)
      ok = ok && mapped(p.ids.gids, g);
    if (!ok)
      throw Error(Errc::unsupported,
                  "USER '" + spec.user +
                      "' needs ids this rootless sandbox cannot map: give the "
                      "user subordinate ids in /etc/subuid and /etc/subgid and install newuidmap");
  }
  p.plan.uid = u.uid;
  p.plan.gid = u.gid;
  p.plan.groups.assign(u.groups.begin(), u.groups.end());
  // BuildKit's executor always lists the primary group among the supplementary ones
  // (executor/oci/user.go ensureAdditionalGids), so `id` shows it as a group too.
  if (std::find(p.plan.groups.begin(), p.plan.groups.end(), u.gid) == p.plan.groups.end())
    p.plan.groups.push_back(u.gid);
  // setgroups(2) is denied in a user namespace whose gid map was written without
  // newgidmap; the command then keeps no supplementary groups at all.
  p.plan.set_groups = !p.rootless || p.ids.use_helpers;
}

// The kernel file systems' targets come first in ChildPlan::targets.
constexpr int kKernelMountTargets = 3;

void plan_mounts(const RunSpec &spec, ChildPlan &plan) {
  plan.targets = {{"proc", true}, {"dev", true}, {"sys", true}};
  auto add_bind = [&](const std::string &source, const std::string &target, bool ro,
                      bool required) {
    struct stat st {};
    if (::stat(source.c_str(), &st) != 0) core::throw_errno(errno, "cannot bind '" + source + "'");
    plan.targets.push_back({inside_path(target, "mount target").substr(1), S_ISDIR(st.st_mode)});
    detail::Bind b;
    b.source = source;
    b.target = static_cast<int>(plan.targets.size() - 1);
    b.read_only = ro;
    b.required = required;
    plan.binds.push_back(std::move(b));
  };
  if (spec.network == Network::host) {
    // The host's resolver settings, read-only: a step that needs the network resolves
    // names as the host does, and nothing it writes there reaches the layer or the host.
    for (const char *f : {"/etc/resolv.conf", "/etc/hosts"})
      if (::access(f, R_OK) == 0) add_bind(f, f, true, false);
  }
  for (const auto &m : spec.mounts) {
    if (inside_path(m.target, "mount target") == "/")
      throw Error(Errc::invalid_argument, "RunSpec: a mount cannot cover the root");
    if (m.tmpfs) {
      plan.targets.push_back({inside_path(m.target, "mount target").substr(1), true});
      detail::Bind b;
      b.target = static_cast<int>(plan.targets.size() - 1);
      b.read_only = false;
      b.tmpfs = true;
      b.tmpfs_options = "mode=1777";
      if (m.tmpfs_size) b.tmpfs_options += ",size=" + std::to_string(m.tmpfs_size);
      plan.binds.push_back(std::move(b));
      continue;
    }
    add_bind(absolute(m.source, "mount source"), m.target, m.read_only, true);
  }
}

Prepared prepare(const RunSpec &spec) {
  if (spec.argv.empty() || spec.argv[0].empty())
    throw Error(Errc::invalid_argument, "RunSpec: empty argv");
  Prepared p;
  p.rootless = ::geteuid() != 0;
  if (p.rootless) p.ids = rootless_mapping();
  const std::string work = absolute(spec.work_dir, "work_dir");
  core::make_dirs(absolute(spec.upper_dir, "upper_dir"));
  core::make_dirs(work + "/work");
  core::make_dirs(work + "/merged");
  if (spec.lower_dirs.empty()) core::make_dirs(work + "/empty");

  auto &plan = p.plan;
  plan.merged = work + "/merged";
  plan.overlay_options = overlay_options(spec, work, p.rootless);
  plan.hostname = spec.hostname;
  plan.net_none = spec.network == Network::none;
  plan.user_ns = p.rootless;
  // Not normalized: made component by component inside the new root, as runc's mkdir -p
  // makes it (/a/./b/../c makes /a/b on the way); ".." cannot climb above that root.
  plan.cwd = spec.cwd.empty() ? "/" : spec.cwd;
  inside_path(plan.cwd, "cwd"); // absolute, or Error(invalid_argument)
  plan_user(spec, p);
  plan_mounts(spec, plan);

  p.argv = spec.argv;
  p.env = spec.env;
  plan.search_path = kDefaultPath;
  bool has_path = false;
  for (const auto &e : p.env)
    if (e.rfind("PATH=", 0) == 0) {
      plan.search_path = e.substr(5);
      has_path = true;
    }
  if (!has_path) p.env.push_back(std::string("PATH=") + kDefaultPath);
  for (auto &a : p.argv)
    plan.argv.push_back(a.data());
  plan.argv.push_back(nullptr);
  for (auto &e : p.env)
    plan.envp.push_back(e.data());
  plan.envp.push_back(nullptr);

  p.clone_flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | SIGCHLD;
  if (plan.net_none) p.clone_flags |= CLONE_NEWNET;
  if (p.rootless) p.clone_flags |= CLONE_NEWUSER;
  return p;
}

// The output as it streams: every byte to the callback, the last `cap` kept.
class OutputTail {
public:
  OutputTail(const RunSpec &spec) : spec_(spec) {}
  void add(const char *data, std::size_t n) {
    if (spec_.output) spec_.output(std::string_view(data, n));
    if (spec_.tail_bytes == 0) return;
    tail_.append(data, n);
    if (tail_.size() > 2 * spec_.tail_bytes) tail_.erase(0, tail_.size() - spec_.tail_bytes);
  }
  std::string take() {
    if (tail_.size() > spec_.tail_bytes) tail_.erase(0, tail_.size() - spec_.tail_bytes);
    return std::move(tail_);
  }

private:
  const RunSpec &spec_;
  std::string tail_;
};

struct Outcome {
  std::vector<Report> reports;
  bool timed_out = false, cancelled = false;
};

// Reads output and reports until the sandbox closes both pipes (its init exited), the
// deadline passes or the caller cancels.
Outcome pump(const RunSpec &spec, core::UniqueFd &out, core::UniqueFd &rep, OutputTail &tail) {
  Outcome o;
  const auto deadline =
      spec.timeout.count() > 0 ? Clock::now() + spec.timeout : Clock::time_point::max();
  std::vector<char> buf(64 * 1024);
  std::string partial; // report bytes not yet a whole message
  while (out || rep) {
    if (Clock::now() >= deadline) {
      o.timed_out = true;
      return o;
    }
    if ((spec.cancelled && spec.cancelled()) || cancel_requested()) {
      o.cancelled = true;
      return o;
    }
    pollfd fds[2];
    nfds_t n = 0;
    if (out) fds[n++] = {out.get(), POLLIN, 0};
    if (rep) fds[n++] = {rep.get(), POLLIN, 0};
    int r = ::poll(fds, n, 100);
    if (r < 0 && errno != EINTR) core::throw_errno(errno, "poll");
    for (nfds_t i = 0; r > 0 && i < n; ++i) {
      if (fds[i].revents == 0) continue;
      auto &fd = fds[i].fd == out.get() ? out : rep;
      ssize_t got = ::read(fd.get(), buf.data(), buf.size());
      if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (got <= 0) {
        fd.reset();
        continue;
      }
      if (&fd == &out) {
        tail.add(buf.data(), static_cast<std::size_t>(got));
        continue;
      }
      partial.append(buf.data(), static_cast<std::size_t>(got));
      while (partial.size() >= sizeof(Report)) {
        Report rp;
        std::memcpy(&rp, partial.data(), sizeof rp);
        o.reports.push_back(rp);
        partial.erase(0, sizeof rp);
      }
    }
  }
  return o;
}

// True when the upper dir's `path` (the copy-up of `rel`) has the mode and owner the
// topmost lower dir holding `rel` gives it.
bool same_as_image(const std::string &path, const std::string &rel,
                   const std::vector<std::string> &lowers) {
  struct stat up {};
  if (::lstat(path.c_str(), &up) != 0) return false;
  for (const auto &l : lowers) {
    struct stat st {};
    if (::lstat((l + "/" + rel).c_str(), &st) != 0) continue;
    return (st.st_mode & 07777) == (up.st_mode & 07777) && st.st_uid == up.st_uid &&
           st.st_gid == up.st_gid;
  }
  return true; // not in the image: made for the stub alone
}

// Removes the mount points the sandbox created in the image, newest first, so they
// never reach the layer: each only if it is still what was created (an empty file or
// directory). A directory the creation copied up is removed too when it came up only
// for that (absent from the upper dir before, empty, not opaque, and with the mode and
// owner it has in the image: a step's chmod or chown of it is a change to keep).
void remove_stubs(const std::string &upper, const ChildPlan &plan,
                  const std::vector<Report> &reports, const std::vector<std::string> &pre_existing,
                  const std::vector<std::string> &lowers, bool keep_kernel_dirs) {
  const int first = keep_kernel_dirs ? kKernelMountTargets : 0;
  std::vector<std::string> created;
  for (const auto &r : reports)
    if (r.kind == Report::stub && r.a >= first &&
        static_cast<std::size_t>(r.a) < plan.targets.size())
      created.push_back(
          plan.targets[static_cast<std::size_t>(r.a)].rel.substr(0, static_cast<std::size_t>(r.b)));
  std::vector<std::string> parents;
  for (auto it = created.rbegin(); it != created.rend(); ++it) {
    std::string path = upper + "/" + *it;
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) continue;
    if (S_ISREG(st.st_mode) && st.st_size == 0)
      ::unlink(path.c_str());
    else if (S_ISDIR(st.st_mode))
      ::rmdir(path.c_str()); // fails (kept) unless empty
    auto slash = it->rfind('/');
    if (slash != std::string::npos) parents.push_back(it->substr(0, slash));
  }
  for (const auto &rel : parents) {
    if (std::find(pre_existing.begin(), pre_existing.end(), rel) != pre_existing.end()) continue;
    if (std::find(created.begin(), created.end(), rel) != created.end()) continue;
    std::string path = upper + "/" + rel;
    char v[2];
    bool opaque = ::lgetxattr(path.c_str(), "trusted.overlay.opaque", v, sizeof v) > 0 ||
                  ::lgetxattr(path.c_str(), "user.overlay.opaque", v, sizeof v) > 0;
    if (!opaque && same_as_image(path, rel, lowers)) ::rmdir(path.c_str());
  }
}

// Parents of the file mount targets that already exist in the upper directory: those
// are the step's (or an earlier run's), never removed.
std::vector<std::string> existing_parents(const std::string &upper, const ChildPlan &plan) {
  std::vector<std::string> out;
  for (const auto &t : plan.targets) {
    auto slash = t.rel.rfind('/');
    if (slash == std::string::npos) continue;
    std::string rel = t.rel.substr(0, slash);
    if (::access((upper + "/" + rel).c_str(), F_OK) == 0) out.push_back(rel);
  }
  return out;
}

[[noreturn]] void throw_child_error(const Report &r, const RunSpec &spec) {
  const auto step = static_cast<detail::Step>(r.a);
  const std::string why = std::error_code(r.b, std::generic_category()).message();
  if (r.kind == Report::exec_error) {
    Errc code = r.b == ENOENT ? Errc::not_found : r.b == EACCES ? Errc::denied : Errc::io;
    throw Error(code, "cannot run '" + spec.argv[0] + "' in the sandbox: " +
                          (r.b == ENOENT ? "executable file not found in $PATH" : why));
  }
  std::string msg = std::string("sandbox setup failed ") + detail::step_text(step) + ": " + why;
  if (step == detail::Step::overlay)
    throw Error(Errc::unsupported,
                msg + " (the kernel refused the overlay mount; berth needs "
                      "overlayfs, in a user namespace when not root: Linux 5.11+)");
  if (r.b == EPERM || r.b == EACCES) throw Error(Errc::unsupported, msg);
  throw Error(Errc::io, msg);
}

} // namespace

RunResult run(const RunSpec &spec) {
  Prepared p = prepare(spec);
  const std::string upper = absolute(spec.upper_dir, "upper_dir");
  auto pre_existing = existing_parents(upper, p.plan);
  Pipe sync = make_pipe(), rep = make_pipe(), out = make_pipe();
  p.plan.sync_fd = sync.read.get();
  p.plan.report_fd = rep.write.get();
  p.plan.out_fd = out.write.get();

  pid_t pid = detail::raw_clone(p.clone_flags);
  if (pid < 0) {
    int err = errno;
    if (err == EPERM || err == EINVAL || err == ENOSPC || err == EUSERS)
      throw Error(Errc::unsupported,
                  "cannot create the sandbox's namespaces: " +
                      std::error_code(err, std::generic_category()).message() +
                      (p.rootless ? " (are unprivileged user namespaces enabled?)" : ""));
    core::throw_errno(err, "cannot start the sandbox");
  }
  if (pid == 0) detail::child_main(p.plan);

  Init init(pid);
  sync.read.reset();
  rep.write.reset();
  out.write.reset();
  RunResult result;
  result.rootless = p.rootless;
  result.userxattr = p.rootless;
  result.ids = p.ids;
  OutputTail tail(spec);
  Outcome o;
  try {
    if (p.rootless) write_mapping(pid, p.ids);
    char go = 1;
    core::write_all(sync.write.get(), &go, 1, "the sandbox's sync pipe");
    sync.write.reset();
    o = pump(spec, out.read, rep.read, tail);
  } catch (...) {
    init.kill_and_reap();
    remove_stubs(upper, p.plan, o.reports, pre_existing, spec.lower_dirs,
                 spec.keep_kernel_mount_dirs);
    throw;
  }
  if (o.timed_out || o.cancelled)
    init.kill_and_reap();
  else
    init.reap();
  // Every mount is gone with the namespace now: the upper directory is plain files.
  remove_stubs(upper, p.plan, o.reports, pre_existing, spec.lower_dirs,
               spec.keep_kernel_mount_dirs);
  if (o.timed_out)
    throw Error(Errc::timeout, "'" + spec.argv[0] + "' did not finish within " +
                                   std::to_string(spec.timeout.count()) + " ms and was killed");
  if (o.cancelled) {
    throw_if_cancelled();
    throw Error(Errc::cancelled, "the RUN step was cancelled");
  }
  for (const auto &r : o.reports)
    if (r.kind == Report::error || r.kind == Report::exec_error) throw_child_error(r, spec);
  auto status = std::find_if(o.reports.begin(), o.reports.end(),
                             [](const Report &r) { return r.kind == Report::status; });
  if (status == o.reports.end())
    throw Error(Errc::io, "the sandbox ended without reporting the command's status");
  if (WIFSIGNALED(status->a)) {
    result.signal = WTERMSIG(status->a);
    result.exit_code = 128 + result.signal;
  } else {
    result.exit_code = WEXITSTATUS(status->a);
  }
  result.tail = tail.take();
  return result;
}

} // namespace berth::sandbox
