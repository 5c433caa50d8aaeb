#include "sandbox/child.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utility>

namespace berth::sandbox::detail {
namespace {

// The 32-bit id system calls: on 32-bit ABIs the plain ones take 16-bit ids.
#ifdef SYS_setresuid32
constexpr long kSetgroups = SYS_setgroups32, kSetresgid = SYS_setresgid32,
               kSetresuid = SYS_setresuid32;
#else
constexpr long kSetgroups = SYS_setgroups, kSetresgid = SYS_setresgid, kSetresuid = SYS_setresuid;
#endif

void report(const ChildPlan &plan, Report::Kind kind, std::int32_t a, std::int32_t b) noexcept {
  Report r;
  r.kind = kind;
  r.a = a;
  r.b = b;
  // One write of 12 bytes to a pipe is atomic; if it fails the parent still sees the
  // child die without a status and reports that.
  while (::write(plan.report_fd, &r, sizeof r) < 0 && errno == EINTR) {
  }
}

[[noreturn]] void fail(const ChildPlan &plan, Step step, int err) noexcept {
  report(plan, Report::error, static_cast<std::int32_t>(step), err);
  ::_exit(126);
}

// "/proc/self/fd/<fd>" into buf: mounting on a descriptor's path is how a mount point
// resolved safely inside the image (never through a symlink out of it) is used.
const char *fd_path(char (&buf)[40], int fd) noexcept {
  char digits[16];
  int n = 0;
  unsigned v = static_cast<unsigned>(fd);
  do {
    digits[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  std::memcpy(buf, "/proc/self/fd/", 14);
  int at = 14;
  while (n > 0)
    buf[at++] = digits[--n];
  buf[at] = '\0';
  return buf;
}

// openat2 with RESOLVE_IN_ROOT: symlinks (absolute ones and "..") resolve as they would
// inside the image, never to the host's file system.
int open_in_root(int rootfd, const char *rel, int flags) noexcept {
  open_how how{};
  how.flags = static_cast<std::uint64_t>(flags | O_CLOEXEC);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  long r;
  do {
    r = ::syscall(SYS_openat2, rootfd, rel, &how, sizeof how);
  } while (r < 0 && errno == EINTR);
  return static_cast<int>(r);
}

// The target's O_PATH descriptor, creating what is missing below real directories; -1
// when it cannot be had without writing through a symlink (the mount is then skipped).
int ensure_target(ChildPlan &plan, int rootfd, int index) noexcept {
  Target &t = plan.targets[static_cast<std::size_t>(index)];
  char *p = t.rel.data();
  const std::size_t n = t.rel.size();
  int cur = rootfd;
  bool via_symlink = false;
  std::size_t start = 0;
  while (start < n) {
    std::size_t end = start;
    while (end < n && p[end] != '/')
      ++end;
    const bool last = end == n;
    const char saved = p[end];
    p[end] = '\0';
    const char *name = p + start;
    int fd = ::openat(cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && !via_symlink) {
      int rc = (last && !t.dir) ? ::openat(cur, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644)
                                : ::mkdirat(cur, name, 0755);
      if (rc < 0) fail(plan, Step::mount_target, errno);
      if (last && !t.dir) ::close(rc);
      report(plan, Report::stub, index, static_cast<std::int32_t>(end));
      fd = ::openat(cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    }
    struct stat st {};
    if (fd >= 0 && ::fstat(fd, &st) == 0 && S_ISLNK(st.st_mode)) {
      ::close(fd);
      fd = open_in_root(rootfd, p, O_PATH); // the prefix, resolved inside the image
      via_symlink = true;
      if (fd >= 0 && ::fstat(fd, &st) != 0) st.st_mode = 0;
    }
    p[end] = saved;
    if (cur != rootfd) ::close(cur);
    if (fd < 0) return -1;
    if (!last && !S_ISDIR(st.st_mode)) {
      ::close(fd);
      return -1;
    }
    cur = fd;
    start = end + 1;
  }
  return cur == rootfd ? -1 : cur;
}

// The flags of the mount holding `path` that a user namespace locks (a read-only
// remount must keep them or the kernel refuses it).
unsigned long locked_flags(const char *path) noexcept {
  struct statvfs sv {};
  if (::statvfs(path, &sv) != 0) return 0;
  unsigned long f = 0;
  if (sv.f_flag & ST_NOSUID) f |= MS_NOSUID;
  if (sv.f_flag & ST_NODEV) f |= MS_NODEV;
  if (sv.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
  return f;
}

// Binds `source` (host path or fd path) on the target, read-only if asked: a bind
// mount cannot be made read-only in one step, and the remount must go through the new
// mount, which the target's own descriptor (the covered file) does not reach.
int bind_on(ChildPlan &plan, int rootfd, const Bind &b) noexcept {
  const int index = b.target;
  const char *source = b.source.c_str();
  const bool ro = b.read_only;
  int fd = ensure_target(plan, rootfd, index);
  if (fd < 0) {
    errno = ENOENT;
    return b.required ? -1 : 0; // not reachable without leaving the image
  }
  char buf[40];
  if (b.tmpfs) {
    int trc =
        ::mount("tmpfs", fd_path(buf, fd), "tmpfs", MS_NOSUID | MS_NODEV, b.tmpfs_options.c_str());
    ::close(fd);
    return trc;
  }
  int rc = ::mount(source, fd_path(buf, fd), nullptr, MS_BIND | MS_REC, nullptr);
  ::close(fd);
  if (rc != 0) return -1;
  if (!ro) return 0;
  fd = open_in_root(rootfd, plan.targets[static_cast<std::size_t>(index)].rel.c_str(), O_PATH);
  if (fd < 0) return -1;
  rc = ::mount(nullptr, fd_path(buf, fd), nullptr,
               MS_BIND | MS_REMOUNT | MS_RDONLY | locked_flags(source), nullptr);
  ::close(fd);
  return rc;
}

// A file of the mounted /proc made read-only or hidden, as runc does, so a root
// sandbox cannot reach the host kernel through it. Missing entries are fine.
void harden_proc(int procfd) noexcept {
  static const char *const kReadOnly[] = {"sys", "sysrq-trigger", "irq", "bus", "fs"};
  static const char *const kMasked[] = {"kcore", "keys", "timer_list", "sched_debug"};
  char buf[40];
  for (const char *name : kReadOnly) {
    int fd = ::openat(procfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) continue;
    if (::mount(fd_path(buf, fd), fd_path(buf, fd), nullptr, MS_BIND | MS_REC, nullptr) == 0) {
      ::close(fd);
      fd = ::openat(procfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
      if (fd >= 0)
        ::mount(nullptr, fd_path(buf, fd), nullptr,
                MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr);
    }
    if (fd >= 0) ::close(fd);
  }
  for (const char *name : kMasked) {
    int fd = ::openat(procfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) continue;
    ::mount("/dev/null", fd_path(buf, fd), nullptr, MS_BIND, nullptr);
    ::close(fd);
  }
}

void setup_proc(ChildPlan &plan, int rootfd) noexcept {
  int fd = ensure_target(plan, rootfd, kTargetProc);
  if (fd < 0) fail(plan, Step::proc, ENOTDIR);
  char buf[40];
  if (::mount("proc", fd_path(buf, fd), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0)
    fail(plan, Step::proc, errno);
  ::close(fd);
  int procfd = open_in_root(rootfd, "proc", O_PATH | O_DIRECTORY);
  if (procfd < 0) fail(plan, Step::proc, errno);
  harden_proc(procfd);
  ::close(procfd);
}

// A tmpfs /dev with the host's harmless devices bound in (never a disk), devpts for
// terminals, /dev/shm and the usual symlinks.
void setup_dev(ChildPlan &plan, int rootfd) noexcept {
  int fd = ensure_target(plan, rootfd, kTargetDev);
  if (fd < 0) fail(plan, Step::dev, ENOTDIR);
  char buf[40];
  if (::mount("tmpfs", fd_path(buf, fd), "tmpfs", MS_NOSUID | MS_STRICTATIME,
              "mode=755,size=65536k") != 0)
    fail(plan, Step::dev, errno);
  ::close(fd);
  int dev = open_in_root(rootfd, "dev", O_RDONLY | O_DIRECTORY);
  if (dev < 0) fail(plan, Step::dev, errno);
  static const char *const kDevices[] = {"null", "zero", "full", "random", "urandom", "tty"};
  char src[32];
  for (const char *name : kDevices) {
    int f = ::openat(dev, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0666);
    if (f < 0) fail(plan, Step::dev, errno);
    ::close(f);
    f = ::openat(dev, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    std::memcpy(src, "/dev/", 5);
    std::strcpy(src + 5, name);
    if (f < 0 || ::mount(src, fd_path(buf, f), nullptr, MS_BIND, nullptr) != 0)
      fail(plan, Step::dev, errno);
    ::close(f);
  }
  if (::mkdirat(dev, "pts", 0755) == 0) {
    int f = ::openat(dev, "pts", O_PATH | O_NOFOLLOW | O_CLOEXEC);
    // Not fatal: some kernels refuse a devpts instance in a user namespace, and a build
    // step rarely needs a terminal.
    if (f >= 0 && ::mount("devpts", fd_path(buf, f), "devpts", MS_NOSUID | MS_NOEXEC,
                          "newinstance,ptmxmode=0666,mode=0620") == 0)
      ::symlinkat("pts/ptmx", dev, "ptmx");
    if (f >= 0) ::close(f);
  }
  if (::mkdirat(dev, "shm", 01777) == 0) {
    int f = ::openat(dev, "shm", O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (f < 0 || ::mount("shm", fd_path(buf, f), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                         "mode=1777,size=65536k") != 0)
      fail(plan, Step::dev, errno);
    ::close(f);
  }
  ::symlinkat("/proc/self/fd", dev, "fd");
  ::symlinkat("/proc/self/fd/0", dev, "stdin");
  ::symlinkat("/proc/self/fd/1", dev, "stdout");
  ::symlinkat("/proc/self/fd/2", dev, "stderr");
  ::close(dev);
}

void setup_sys(ChildPlan &plan, int rootfd) noexcept {
  int fd = ensure_target(plan, rootfd, kTargetSys);
  if (fd < 0) return;
  char buf[40];
  // sysfs may only be mounted by the owner of the network namespace: with the host's
  // network in a user namespace the host's /sys is bound instead (read-only needs each
  // submount remounted; what the caller may write there it could write anyway).
  const unsigned long ro = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
  if (::mount("sysfs", fd_path(buf, fd), "sysfs", ro, nullptr) != 0 &&
      ::mount("/sys", fd_path(buf, fd), nullptr, MS_BIND | MS_REC, nullptr) != 0)
    fail(plan, Step::sys, errno);
  ::close(fd);
}

void bring_up_loopback(const ChildPlan &plan) noexcept {
  int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) fail(plan, Step::loopback, errno);
  ifreq ifr{};
  std::strcpy(ifr.ifr_name, "lo");
  if (::ioctl(s, SIOCGIFFLAGS, &ifr) != 0) fail(plan, Step::loopback, errno);
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP | IFF_RUNNING);
  if (::ioctl(s, SIOCSIFFLAGS, &ifr) != 0) fail(plan, Step::loopback, errno);
  ::close(s);
}

// mkdir -p of the working directory, inside the new root (so symlinks stay inside).
void make_cwd(ChildPlan &plan) noexcept {
  char *p = plan.cwd.data();
  for (std::size_t i = 1; i <= plan.cwd.size(); ++i) {
    if (p[i] != '/' && p[i] != '\0') continue;
    const char saved = p[i];
    p[i] = '\0';
    if (::mkdir(p, 0755) != 0 && errno != EEXIST) fail(plan, Step::workdir, errno);
    p[i] = saved;
  }
}

void setup_root(ChildPlan &plan) noexcept {
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    fail(plan, Step::mount_private, errno);
  // nodev: a root RUN may mknod a disk's device into the layer, but never open it.
  if (::mount("overlay", plan.merged.c_str(), "overlay", MS_NODEV, plan.overlay_options.c_str()) !=
      0)
    fail(plan, Step::overlay, errno);
  int rootfd = ::open(plan.merged.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) fail(plan, Step::overlay, errno);
  setup_proc(plan, rootfd);
  setup_dev(plan, rootfd);
  setup_sys(plan, rootfd);
  for (const auto &b : plan.binds)
    if (bind_on(plan, rootfd, b) != 0) fail(plan, Step::bind, errno);
  if (::sethostname(plan.hostname.data(), plan.hostname.size()) != 0)
    fail(plan, Step::hostname, errno);
  if (plan.net_none) bring_up_loopback(plan);
  // pivot_root(".", ".") stacks the old root on the new one; detaching it leaves no
  // path back to the host's file system in this mount namespace.
  if (::fchdir(rootfd) != 0 || ::syscall(SYS_pivot_root, ".", ".") != 0 ||
      ::umount2(".", MNT_DETACH) != 0 || ::chdir("/") != 0)
    fail(plan, Step::pivot_root, errno);
  ::close(rootfd);
  make_cwd(plan);
}

// Docker's default capability set: what a root RUN step may do. CAP_SYS_ADMIN and the
// rest would let it mount, load modules or change the host's clock and network.
bool default_capability(int cap) noexcept {
  switch (cap) {
  case CAP_CHOWN:
  case CAP_DAC_OVERRIDE:
  case CAP_FSETID:
  case CAP_FOWNER:
  case CAP_MKNOD:
  case CAP_NET_RAW:
  case CAP_SETGID:
  case CAP_SETUID:
  case CAP_SETFCAP:
  case CAP_SETPCAP:
  case CAP_NET_BIND_SERVICE:
  case CAP_SYS_CHROOT:
  case CAP_KILL:
  case CAP_AUDIT_WRITE: return true;
  default: return false;
  }
}

// execvpe() would search the caller's PATH; the command's own environment decides.
[[noreturn]] void exec_command(const ChildPlan &plan) noexcept {
  const char *prog = plan.argv[0];
  if (std::strchr(prog, '/') != nullptr) {
    ::execve(prog, plan.argv.data(), plan.envp.data());
    report(plan, Report::exec_error, 0, errno);
    ::_exit(127);
  }
  int err = ENOENT;
  static char full[4096];
  const char *dir = plan.search_path.c_str();
  const std::size_t plen = std::strlen(prog);
  for (;;) {
    const char *end = std::strchr(dir, ':');
    std::size_t dlen = end ? static_cast<std::size_t>(end - dir) : std::strlen(dir);
    if (dlen + plen + 2 < sizeof full) {
      std::memcpy(full, dir, dlen);
      std::size_t at = dlen;
      if (dlen == 0) full[at++] = '.';
      full[at++] = '/';
      std::memcpy(full + at, prog, plen + 1);
      ::execve(full, plan.argv.data(), plan.envp.data());
      if (errno == EACCES)
        err = EACCES;
      else if (errno != ENOENT && errno != ENOTDIR)
        err = errno;
    }
    if (!end) break;
    dir = end + 1;
  }
  report(plan, Report::exec_error, 0, err);
  ::_exit(127);
}

[[noreturn]] void become_command(const ChildPlan &plan) noexcept {
  int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null < 0 || ::dup2(null, 0) < 0 || ::dup2(plan.out_fd, 1) < 0 || ::dup2(plan.out_fd, 2) < 0)
    fail(plan, Step::exec_setup, errno);
  for (int cap = 0; cap <= CAP_LAST_CAP; ++cap)
    if (!default_capability(cap)) ::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
  // The system calls themselves, not glibc's wrappers: in a multithreaded caller those
  // signal every thread of the process to change ids too (setxid), and wait for the
  // threads that were starting or exiting at clone time, which do not exist in this
  // copy: the command would hang before it started.
  if (plan.set_groups && ::syscall(kSetgroups, plan.groups.size(), plan.groups.data()) != 0)
    fail(plan, Step::user, errno);
  if (::syscall(kSetresgid, plan.gid, plan.gid, plan.gid) != 0 ||
      ::syscall(kSetresuid, plan.uid, plan.uid, plan.uid) != 0)
    fail(plan, Step::user, errno);
  // No setuid binary in the image can gain what the step was not given.
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail(plan, Step::exec_setup, errno);
  if (::chdir(plan.cwd.c_str()) != 0) fail(plan, Step::workdir, errno);
  exec_command(plan);
}

// Closes descriptors first..last (inclusive).
void close_fds(unsigned first, unsigned last) noexcept {
  if (first > last) return;
#ifdef SYS_close_range
  if (::syscall(SYS_close_range, first, last, 0) == 0) return;
#endif
  // Before Linux 5.9: one at a time, up to the limit of open descriptors.
  struct rlimit rl {};
  unsigned limit = 65536;
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
    limit = static_cast<unsigned>(rl.rlim_cur);
  for (unsigned fd = first; fd <= last && fd < limit; ++fd)
    ::close(static_cast<int>(fd));
}

// Every descriptor but stdio and the plan's. The caller may be running other sandboxes
// from other threads (a Dockerfile build's stages): the ends of their pipes open when
// this child was cloned would, kept by this PID 1 (which never execs), hold those
// sandboxes' parents waiting for an end of file until this command ended.
void close_other_fds(const ChildPlan &plan) noexcept {
  int keep[] = {plan.sync_fd, plan.report_fd, plan.out_fd};
  for (int i = 0; i < 3; ++i) // sorted by hand: nothing here may allocate
    for (int j = i + 1; j < 3; ++j)
      if (keep[j] < keep[i]) std::swap(keep[i], keep[j]);
  unsigned next = 3;
  for (int fd : keep) {
    if (fd < 0 || static_cast<unsigned>(fd) < next) continue;
    close_fds(next, static_cast<unsigned>(fd) - 1);
    next = static_cast<unsigned>(fd) + 1;
  }
  close_fds(next, ~0U);
}

} // namespace

const char *step_text(Step s) noexcept {
  switch (s) {
  case Step::sync: return "waiting for the id maps";
  case Step::mount_private: return "making mounts private";
  case Step::overlay: return "mounting overlayfs";
  case Step::mount_target: return "creating a mount point";
  case Step::proc: return "mounting /proc";
  case Step::dev: return "setting up /dev";
  case Step::sys: return "mounting /sys";
  case Step::bind: return "bind-mounting into the sandbox";
  case Step::hostname: return "setting the hostname";
  case Step::loopback: return "bringing up lo";
  case Step::pivot_root: return "pivot_root";
  case Step::workdir: return "creating the working directory";
  case Step::user: return "switching to the user";
  case Step::exec_setup: return "preparing the command";
  case Step::fork: return "starting the command";
  }
  return "setting up the sandbox";
}

pid_t raw_clone(unsigned long flags) noexcept {
  return static_cast<pid_t>(::syscall(SYS_clone, flags, nullptr, nullptr, nullptr, nullptr));
}

void child_main(ChildPlan &plan) noexcept {
  // The caller's blocked or ignored signals must not reach the command.
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int sig = 1; sig < NSIG; ++sig)
    if (sig != SIGKILL && sig != SIGSTOP) ::signal(sig, SIG_DFL);
  close_other_fds(plan);
  // Dies with the thread that started it; the kernel then ends the whole pid namespace.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  // The parent's byte says the id maps are written; end of file says it died before
  // PR_SET_PDEATHSIG was in place.
  char byte = 0;
  ssize_t n;
  do {
    n = ::read(plan.sync_fd, &byte, 1);
  } while (n < 0 && errno == EINTR);
  if (n != 1) fail(plan, Step::sync, n < 0 ? errno : EPIPE);
  ::close(plan.sync_fd);

  setup_root(plan);
  pid_t cmd = raw_clone(SIGCHLD);
  if (cmd < 0) fail(plan, Step::fork, errno);
  if (cmd == 0) become_command(plan);
  // PID 1: reap whatever gets orphaned to it until the command ends. Then exit, which
  // kills what the command left running (daemons started by a RUN), as runc does when
  // a container's first process exits; waiting for them could hang a build forever.
  ::close(plan.out_fd);
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(-1, &status, 0);
    if (r == cmd) {
      report(plan, Report::status, status, 0);
      ::_exit(0);
    }
    if (r < 0 && errno != EINTR) fail(plan, Step::fork, errno);
  }
}

} // namespace berth::sandbox::detail
