#include "ops/build/dockerfile/run_mounts.hpp"

#include "core/crypto.hpp"
#include "core/split.hpp"
#include "ops/build/dockerfile/copy_step.hpp"
#include "ops/build/dockerfile/copy_trees.hpp"
#include "ops/build/dockerfile/step_cache.hpp"
#include "sandbox/userns_call.hpp"

#include <berth/error.hpp>

#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace berth::ops {
namespace df = dockerfile;
namespace {

constexpr std::size_t kMaxSecret = 500 * 1024; // BuildKit's limit on a secret's size

// Owner and mode of a directory or file the step makes for a mount, as root inside:
// rootless, in the user namespace that maps the ids.
void set_owner_mode(const std::string &path, std::uint32_t uid, std::uint32_t gid, mode_t mode) {
  sandbox::as_root_inside(
      [&]() -> std::string {
        if (::lchown(path.c_str(), uid, gid) != 0) core::throw_errno(errno, "chown " + path);
        if (::chmod(path.c_str(), mode) != 0) core::throw_errno(errno, "chmod " + path);
        return {};
      },
      "giving a mount its owner");
}

std::string flag_text(const df::Mount &m) {
  std::string t = "type=" + m.type + " target=" + m.target;
  if (!m.from.empty()) t += " from=" + m.from;
  if (!m.source.empty()) t += " source=" + m.source;
  t += m.read_only ? " ro" : " rw";
  if (m.mode) t += " mode=" + std::to_string(*m.mode);
  if (m.uid) t += " uid=" + std::to_string(*m.uid);
  if (m.gid) t += " gid=" + std::to_string(*m.gid);
  return t;
}

// A bind's source, laid out where the sandbox can bind it: a context path through the
// COPY machinery (.dockerignore applied, never outside the context), a stage's or image's
// path resolved inside its root; copied when rw, so the step's writes go nowhere.
std::string bind_source(const df::Mount &m, const MountSources &src, const std::string &scratch,
                        std::size_t n, std::string &key) {
  const std::string source = m.source.empty() ? "/" : m.source;
  const std::string out = scratch + "/bind-" + std::to_string(n);
  CopySourceRoot root;
  if (m.from.empty()) {
    root.dir = src.context;
    root.ignore = src.ignore;
  } else {
    auto r = src.root_of(m.from);
    root.dir = r.dir;
    root.keep_owners = true;
    key += " from-key=" + r.key;
    if (m.read_only) {
      copy_detail::SourceTree tree(root);
      const std::string rel = tree.resolve(copy_detail::root_rel(source), true);
      if (!tree.lookup(rel))
        throw Error(Errc::not_found,
                    src.where + ": RUN --mount source \"" + source + "\" is not in " + m.from);
      return tree.host(rel);
    }
  }
  // COPY SOURCE /bind/ (a directory's contents), or the file itself as /bind/f.
  core::make_dirs(out);
  CopyRequest req;
  req.sources = {source};
  copy_detail::SourceTree tree(root);
  auto node = tree.lookup(tree.resolve(copy_detail::root_rel(source), true));
  if (!node)
    throw Error(Errc::not_found, src.where + ": RUN --mount source \"" + source + "\" not found");
  const bool dir = S_ISDIR(node->st.st_mode);
  req.dest = dir ? "/" : "/f";
  run_copy_step(root, req, {}, out);
  const std::string laid = dir ? out : out + "/f";
  if (m.from.empty()) key += " content=" + StepCache::tree_text(out);
  return laid;
}

std::string cache_dir_for(const df::Mount &m, const MountSources &src, PreparedMounts &p,
                          const std::string &scratch, std::size_t n) {
  if (!m.from.empty())
    throw Error(Errc::unsupported, src.where + ": RUN --mount=type=cache with from= is not "
                                               "supported yet");
  const std::string id = m.cache_id.empty() ? m.target : m.cache_id;
  const std::string dir = src.cache_dir + "/cache/" + core::sha256_hex(id);
  core::make_dirs(src.cache_dir + "/cache");
  const std::string sharing = m.sharing.empty() ? "shared" : m.sharing;
  if (sharing != "shared") {
    core::UniqueFd lock(::open((dir + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!lock) core::throw_errno(errno, "cannot open the lock of cache mount " + id);
    const int op = sharing == "locked" ? LOCK_EX : LOCK_EX | LOCK_NB;
    int rc;
    while ((rc = ::flock(lock.get(), op)) != 0 && errno == EINTR) {
    }
    if (rc != 0) {
      if (errno != EWOULDBLOCK) core::throw_errno(errno, "cannot lock cache mount " + id);
      // private, and another step has it: a fresh directory of this step's own.
      const std::string own = scratch + "/cache-" + std::to_string(n);
      ::mkdir(own.c_str(), 0700);
      set_owner_mode(own, static_cast<std::uint32_t>(m.uid.value_or(0)),
                     static_cast<std::uint32_t>(m.gid.value_or(0)),
                     static_cast<mode_t>(m.mode.value_or(0755)));
      return own;
    }
    p.locks.push_back(std::move(lock));
  }
  if (::mkdir(dir.c_str(), 0700) == 0)
    set_owner_mode(dir, static_cast<std::uint32_t>(m.uid.value_or(0)),
                   static_cast<std::uint32_t>(m.gid.value_or(0)),
                   static_cast<mode_t>(m.mode.value_or(0755)));
  else if (errno != EEXIST)
    core::throw_errno(errno, "cannot make cache mount " + id);
  return dir;
}

const BuildSecret *find_secret(const MountSources &src, const std::string &id) {
  if (!src.secrets) return nullptr;
  for (const auto &s : *src.secrets)
    if (s.id == id) return &s;
  return nullptr;
}

// The secret's value; nullopt when the build was given no such secret (or its variable
// is unset).
std::optional<std::string> secret_value(const BuildSecret &s) {
  if (s.file) return core::read_small_file(*s.file, kMaxSecret);
  const char *v = std::getenv(s.env ? s.env->c_str() : s.id.c_str());
  if (!v) return std::nullopt;
  return std::string(v);
}

} // namespace

BuildSecret parse_secret(const std::string &spec) {
  BuildSecret s;
  for (const auto &field : core::split(spec)) {
    auto eq = field.find('=');
    const std::string k = field.substr(0, eq),
                      v = eq == std::string::npos ? "" : field.substr(eq + 1);
    if (eq == std::string::npos || v.empty())
      throw Error(Errc::invalid_argument,
                  "--secret " + spec + ": \"" + field + "\" is not KEY=VALUE (id=, src=, env=)");
    if (k == "id")
      s.id = v;
    else if (k == "src" || k == "source")
      s.file = v;
    else if (k == "env")
      s.env = v;
    else if (k != "type")
      throw Error(Errc::invalid_argument, "--secret " + spec + ": unknown key \"" + k + "\"");
  }
  if (s.id.empty()) throw Error(Errc::invalid_argument, "--secret " + spec + ": no id=");
  if (s.file && s.env)
    throw Error(Errc::invalid_argument, "--secret " + spec + ": src= and env= both given");
  return s;
}

PreparedMounts prepare_mounts(const std::vector<df::Mount> &mounts, const MountSources &src,
                              const std::string &scratch) {
  PreparedMounts p;
  for (std::size_t n = 0; n < mounts.size(); ++n) {
    const auto &m = mounts[n];
    std::string key = flag_text(m);
    sandbox::BindMount b;
    b.target = m.target;
    b.read_only = m.read_only;
    if (m.type == "bind") {
      b.source = bind_source(m, src, scratch, n, key); // rw: a copy, thrown away after
    } else if (m.type == "cache") {
      b.source = cache_dir_for(m, src, p, scratch, n);
      key += " id=" + (m.cache_id.empty() ? m.target : m.cache_id) + " sharing=" + m.sharing;
    } else if (m.type == "tmpfs") {
      b.tmpfs = true;
      b.read_only = false;
      b.tmpfs_size = static_cast<std::uint64_t>(std::max<std::int64_t>(0, m.size_limit));
      key += " size=" + std::to_string(m.size_limit);
    } else if (m.type == "secret") {
      // BuildKit: the id defaults to the target's base name, the target to
      // /run/secrets/<id>.
      const std::string id = !m.cache_id.empty() ? m.cache_id : copy_detail::base_name(m.target);
      key += " id=" + id + (m.required ? " required" : "") + (m.env ? " env=" + *m.env : "");
      const BuildSecret *s = find_secret(src, id);
      auto value = s ? secret_value(*s) : std::nullopt;
      if (!value) {
        if (m.required)
          throw Error(Errc::invalid_argument,
                      src.where + ": the secret \"" + id +
                          "\" is required but not given (--secret id=" + id + ",src=FILE)");
        p.key_text += key + "\n";
        continue;
      }
      if (src.on_secret) src.on_secret(*value);
      if (m.env) p.env.push_back(*m.env + "=" + *value);
      if (m.env && m.target.empty()) { // env= alone: no file
        p.key_text += key + "\n";
        continue;
      }
      if (b.target.empty()) b.target = "/run/secrets/" + id;
      core::make_dirs(scratch + "/secrets");
      const std::string file = scratch + "/secrets/" + std::to_string(n);
      core::write_file_atomic(file, *value, 0400);
      set_owner_mode(file, static_cast<std::uint32_t>(m.uid.value_or(0)),
                     static_cast<std::uint32_t>(m.gid.value_or(0)),
                     static_cast<mode_t>(m.mode.value_or(0400)));
      b.source = file;
      b.read_only = true;
    } else {
      throw Error(Errc::unsupported,
                  src.where + ": RUN --mount=type=" + m.type + " is not supported");
    }
    p.key_text += key + "\n";
    p.mounts.push_back(std::move(b));
  }
  return p;
}

} // namespace berth::ops
