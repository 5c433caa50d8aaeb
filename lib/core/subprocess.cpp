#include "core/subprocess.hpp"

#include <berth/cancel.hpp>
#include <berth/error.hpp>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <csignal>
#include <optional>
#include <system_error>
#include <thread>
#include <utility>

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

namespace berth::core {
namespace {

using Clock = std::chrono::steady_clock;

// std::error_code's message is thread-safe, unlike strerror().
std::string errno_text(int err) {
  return std::error_code(err, std::generic_category()).message();
}

[[noreturn]] void throw_errno(const std::string &what, int err) {
  throw Error(err == ENOMEM ? Errc::no_memory : Errc::io, what + ": " + errno_text(err));
}

class UniqueFd {
public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd &&o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  UniqueFd &operator=(UniqueFd &&o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  UniqueFd(const UniqueFd &) = delete;
  UniqueFd &operator=(const UniqueFd &) = delete;

  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  void reset() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

private:
  int fd_ = -1;
};

struct Pipe {
  UniqueFd read, write;
};

Pipe make_pipe() {
  int fds[2];
  // O_CLOEXEC: a program another thread spawns meanwhile must not inherit our ends;
  // a stray copy of a write end would keep our reader from ever seeing EOF.
  if (::pipe2(fds, O_CLOEXEC) != 0) throw_errno("cannot create a pipe", errno);
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

class FileActions {
public:
  FileActions() {
    if (int rc = posix_spawn_file_actions_init(&fa_); rc != 0)
      throw_errno("posix_spawn_file_actions_init", rc);
  }
  ~FileActions() { posix_spawn_file_actions_destroy(&fa_); }
  FileActions(const FileActions &) = delete;
  FileActions &operator=(const FileActions &) = delete;

  void dup2(int fd, int target) {
    if (int rc = posix_spawn_file_actions_adddup2(&fa_, fd, target); rc != 0)
      throw_errno("posix_spawn_file_actions_adddup2", rc);
  }
  const posix_spawn_file_actions_t *get() const noexcept { return &fa_; }

private:
  posix_spawn_file_actions_t fa_;
};

// The program starts with the caller's original signal mask (not the one with SIGPIPE
// blocked that run_process holds meanwhile) and SIGPIPE at its default action even
// when the caller ignores it, so shell pipelines inside a helper behave normally.
// It leads a process group of its own, so that what it starts can be killed with it.
class SpawnAttr {
public:
  explicit SpawnAttr(const sigset_t &mask) {
    if (int rc = posix_spawnattr_init(&attr_); rc != 0) throw_errno("posix_spawnattr_init", rc);
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    int rc = posix_spawnattr_setsigmask(&attr_, &mask);
    if (rc == 0) rc = posix_spawnattr_setsigdefault(&attr_, &defaults);
    if (rc == 0) rc = posix_spawnattr_setpgroup(&attr_, 0);
    if (rc == 0)
      rc = posix_spawnattr_setflags(&attr_, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
                                                POSIX_SPAWN_SETPGROUP);
    if (rc != 0) {
      posix_spawnattr_destroy(&attr_);
      throw_errno("posix_spawnattr", rc);
    }
  }
  ~SpawnAttr() { posix_spawnattr_destroy(&attr_); }
  SpawnAttr(const SpawnAttr &) = delete;
  SpawnAttr &operator=(const SpawnAttr &) = delete;

  const posix_spawnattr_t *get() const noexcept { return &attr_; }

private:
  posix_spawnattr_t attr_;
};

// Writing to a pipe whose reader has exited raises SIGPIPE, which by default ends the
// whole process. Blocked for this thread, it becomes EPIPE instead; a SIGPIPE our own
// write left pending is consumed before the old mask comes back, so it is never
// delivered later. Process-wide alternatives (ignoring SIGPIPE) would be global state.
class SigpipeGuard {
public:
  SigpipeGuard() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigemptyset(&pending);
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~SigpipeGuard() {
    if (raised_ && !was_pending_) {
      const timespec zero{};
      while (sigtimedwait(&pipe_, nullptr, &zero) == -1 && errno == EINTR) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeGuard(const SigpipeGuard &) = delete;
  SigpipeGuard &operator=(const SigpipeGuard &) = delete;

  void note_epipe() noexcept { raised_ = true; }
  const sigset_t &old_mask() const noexcept { return old_; }

private:
  sigset_t pipe_{};
  sigset_t old_{};
  bool was_pending_ = false;
  bool raised_ = false;
};

// Owns a spawned pid until it is reaped, so no exit path (exception included) leaves
// a zombie or a runaway program behind: killing it kills its process group, i.e. the
// processes it started too (a hung helper's own children would outlive it otherwise).
class Child {
public:
  explicit Child(pid_t pid) noexcept : pid_(pid) {}
  ~Child() {
    if (pid_ > 0) kill_and_reap();
  }
  Child(const Child &) = delete;
  Child &operator=(const Child &) = delete;

  void kill_and_reap() noexcept {
    if (pid_ <= 0) return;
    // The group outlives its leader until its last member is gone, and its id is not
    // reused meanwhile: killing it after the leader has exited is still safe.
    ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) == -1 && errno == EINTR) {
    }
    pid_ = -1;
  }

  // The raw wait status once the program has exited, nullopt if it is still running
  // at `deadline`. Polls with a short backoff: the pipes are closed by now, so the
  // program is almost always already gone.
  std::optional<int> wait_until(Clock::time_point deadline) {
    auto pause = std::chrono::milliseconds(1);
    for (;;) {
      int status = 0;
      pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        pid_ = -1;
        return status;
      }
      if (r < 0 && errno != EINTR) {
        int err = errno;
        pid_ = -1;
        // ECHILD: the caller set SIGCHLD to SIG_IGN, so the kernel reaped it for us
        // and its exit status is lost; guessing "success" would be a lie.
        throw_errno("cannot get the exit status of a child process", err);
      }
      auto now = Clock::now();
      if (now >= deadline) return std::nullopt;
      std::this_thread::sleep_for(std::min<Clock::duration>(pause, deadline - now));
      pause = std::min(pause * 2, std::chrono::milliseconds(50));
    }
  }

private:
  pid_t pid_;
};

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

[[noreturn]] void throw_spawn_error(const std::string &prog, int err) {
  if (err == ENOENT)
    throw Error(Errc::not_found,
                "cannot run '" + prog + "': " +
                    (prog.find('/') == std::string::npos ? "not found on PATH" : "no such file"));
  if (err == EACCES) throw Error(Errc::denied, "cannot run '" + prog + "': permission denied");
  throw_errno("cannot run '" + prog + "'", err);
}

[[noreturn]] void throw_timeout(const std::string &prog, std::chrono::milliseconds timeout) {
  throw Error(Errc::timeout, "'" + prog + "' did not finish within " +
                                 std::to_string(timeout.count()) + " ms and was killed");
}

int poll_timeout_ms(Clock::duration left) {
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  return static_cast<int>(std::clamp<decltype(ms)>(ms, 0, INT_MAX));
}

// Appends what `fd` has to `sink`; closes `fd` at end of file.
void drain(UniqueFd &fd, std::string &sink, char *buf, std::size_t size) {
  ssize_t n = ::read(fd.get(), buf, size);
  if (n > 0) {
    sink.append(buf, static_cast<std::size_t>(n));
  } else if (n == 0) {
    fd.reset();
  } else if (errno != EINTR && errno != EAGAIN) {
    throw_errno("cannot read from a child process", errno);
  }
}

} // namespace

ProcessResult run_process(const std::vector<std::string> &argv, std::string_view input,
                          std::chrono::milliseconds timeout) {
  if (argv.empty() || argv.front().empty())
    throw Error(Errc::invalid_argument, "run_process: empty command");
  const auto deadline = Clock::now() + timeout;
  const std::string &prog = argv.front();

  std::vector<char *> cargv;
  cargv.reserve(argv.size() + 1);
  for (const auto &a : argv)
    cargv.push_back(const_cast<char *>(a.c_str()));
  cargv.push_back(nullptr);

  Pipe in = make_pipe();
  Pipe out = make_pipe();
  Pipe err = make_pipe();
  FileActions actions;
  actions.dup2(in.read.get(), STDIN_FILENO);
  actions.dup2(out.write.get(), STDOUT_FILENO);
  actions.dup2(err.write.get(), STDERR_FILENO);

  SigpipeGuard sigpipe;
  SpawnAttr attr(sigpipe.old_mask());
  pid_t pid = -1;
  if (int rc = posix_spawnp(&pid, prog.c_str(), actions.get(), attr.get(), cargv.data(), environ);
      rc != 0)
    throw_spawn_error(prog, rc);
  Child child(pid);

  // Our copies of the child's ends must go: while we hold them, out/err never reach
  // end of file and the child never sees the end of its input.
  in.read.reset();
  out.write.reset();
  err.write.reset();

  // Non-blocking, because POLLOUT only promises room for some bytes: a blocking write
  // of a larger chunk would stall while the child waits for us to read its output.
  if (!input.empty()) {
    int flags = ::fcntl(in.write.get(), F_GETFL);
    if (flags < 0 || ::fcntl(in.write.get(), F_SETFL, flags | O_NONBLOCK) < 0)
      throw_errno("cannot configure a pipe", errno);
  } else {
    in.write.reset();
  }

  ProcessResult result;
  std::size_t written = 0;
  std::vector<char> buf(64 * 1024);
  while (in.write || out.read || err.read) {
    auto now = Clock::now();
    if (now >= deadline) {
      child.kill_and_reap();
      throw_timeout(prog, timeout);
    }
    if (cancel_requested()) { // a credential helper waiting for a login prompt
      child.kill_and_reap();
      throw_if_cancelled();
    }
    pollfd fds[3];
    nfds_t n = 0;
    auto watch = [&](const UniqueFd &fd, short events) {
      if (!fd) return -1;
      fds[n] = pollfd{fd.get(), events, 0};
      return static_cast<int>(n++);
    };
    const int in_at = watch(in.write, POLLOUT);
    const int out_at = watch(out.read, POLLIN);
    const int err_at = watch(err.read, POLLIN);
    // Woken at least every 200 ms to see a cancel.
    int ready = ::poll(fds, n, std::min(200, poll_timeout_ms(deadline - now)));
    if (ready < 0) {
      if (errno == EINTR) continue;
      throw_errno("poll", errno);
    }
    if (ready == 0) continue; // the deadline check above decides

    if (in_at >= 0 && fds[in_at].revents != 0) {
      std::size_t chunk = std::min(input.size() - written, buf.size());
      ssize_t w = ::write(in.write.get(), input.data() + written, chunk);
      if (w > 0) {
        written += static_cast<std::size_t>(w);
        if (written == input.size()) in.write.reset();
      } else if (w < 0 && errno == EPIPE) {
        // The program exited or closed stdin without reading everything; what it
        // printed still matters, and its exit code tells whether that was a failure.
        sigpipe.note_epipe();
        in.write.reset();
      } else if (w < 0 && errno != EINTR && errno != EAGAIN) {
        throw_errno("cannot write to a child process", errno);
      }
    }
    if (out_at >= 0 && fds[out_at].revents != 0)
      drain(out.read, result.out, buf.data(), buf.size());
    if (err_at >= 0 && fds[err_at].revents != 0)
      drain(err.read, result.err, buf.data(), buf.size());
  }

  auto status = child.wait_until(deadline);
  if (!status) {
    child.kill_and_reap();
    throw_timeout(prog, timeout);
  }
  result.exit_code = exit_code_of(*status);
  return result;
}

} // namespace berth::core
