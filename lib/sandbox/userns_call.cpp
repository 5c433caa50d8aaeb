#include "sandbox/userns_call.hpp"

#include "core/file.hpp"

#include <berth/error.hpp>

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace berth::sandbox {
namespace {

using core::Pipe;

struct Channels {
  Pipe ready, mapped, err;
  Pipe input;  // a socket pair: a child that stops reading fails send(), raises no SIGPIPE
  Pipe output; // a pipe
};

// The child: joins a new user namespace, waits for its ids to be mapped, runs the work
// and writes any error's text to `err`. It only leaves through _exit (glibc makes malloc
// safe after fork, also in a threaded parent).
[[noreturn]] void child(const ChildWork &work, Channels &c) {
  c.ready.read.reset();
  c.mapped.write.reset();
  c.err.read.reset();
  c.input.write.reset();
  c.output.read.reset();
  ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  char byte = 1;
  if (::unshare(CLONE_NEWUSER) != 0 || ::write(c.ready.write.get(), &byte, 1) != 1 ||
      ::read(c.mapped.read.get(), &byte, 1) != 1)
    ::_exit(2);
  try {
    work(c.input.read.get(), c.output.write.get());
    ::_exit(0);
  } catch (const std::exception &e) {
    std::string msg = e.what();
    (void)::write(c.err.write.get(), msg.data(), msg.size());
    ::_exit(1);
  }
}

// Kills and reaps the child on any way out before it was waited for.
struct Reaper {
  pid_t pid;
  int status = 0;
  void wait() {
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    pid = -1;
  }
  ~Reaper() {
    if (pid <= 0) return;
    ::kill(pid, SIGKILL);
    wait();
  }
};

void feed_child(const Feed &feed, core::UniqueFd &to) {
  bool open = true;
  feed([&](const char *p, std::size_t n) {
    while (open && n > 0) {
      auto w = ::send(to.get(), p, n, MSG_NOSIGNAL);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) {
        open = false; // the child stopped reading: its error says why
        break;
      }
      p += w;
      n -= static_cast<std::size_t>(w);
    }
    return open;
  });
  to.reset();
}

} // namespace

void run_in_userns(const IdMapping &ids, const ChildWork &work, const Feed &feed,
                   const Drain &drain, const std::string &what) {
  if (feed && drain) throw Error(Errc::invalid_argument, "run_in_userns: input and output at once");
  Channels c{core::make_pipe(), core::make_pipe(), core::make_pipe(), {}, core::make_pipe()};
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
    core::throw_errno(errno, "cannot create a socket pair");
  c.input = {core::UniqueFd(sv[0]), core::UniqueFd(sv[1])};
  pid_t pid = ::fork();
  if (pid < 0) core::throw_errno(errno, "cannot fork for " + what);
  if (pid == 0) child(work, c);
  Reaper reaper{pid};
  c.ready.write.reset();
  c.mapped.read.reset();
  c.err.write.reset();
  c.input.read.reset();
  c.output.write.reset();
  char byte = 0;
  if (core::read_some(c.ready.read.get(), &byte, 1, what) != 1)
    throw Error(Errc::unsupported, "cannot create a user namespace for " + what);
  write_mapping(pid, ids);
  core::write_all(c.mapped.write.get(), &byte, 1, what);
  c.mapped.write.reset();
  if (feed) feed_child(feed, c.input.write);
  c.input.write.reset();
  std::vector<char> buf(256 * 1024);
  while (auto n = core::read_some(c.output.read.get(), buf.data(), buf.size(), what))
    if (drain) drain(buf.data(), n);
  std::string msg(4096, '\0');
  msg.resize(core::read_some(c.err.read.get(), msg.data(), msg.size(), what));
  reaper.wait();
  if (!WIFEXITED(reaper.status) || WEXITSTATUS(reaper.status) != 0)
    throw Error(Errc::io, what + ": " + (msg.empty() ? std::string("the child failed") : msg));
}

std::string call_in_userns(const IdMapping &ids, const std::function<std::string()> &fn,
                           const std::string &what) {
  std::string out;
  run_in_userns(
      ids,
      [&](int, int to) {
        const std::string r = fn();
        core::write_all(to, r.data(), r.size(), "the result pipe");
      },
      {}, [&](const char *p, std::size_t n) { out.append(p, n); }, what);
  return out;
}

std::string as_root_inside(const std::function<std::string()> &fn, const std::string &what) {
  if (::geteuid() == 0) return fn();
  return call_in_userns(rootless_mapping(), fn, what);
}

} // namespace berth::sandbox
