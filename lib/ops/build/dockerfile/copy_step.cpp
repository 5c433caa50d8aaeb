#include "ops/build/dockerfile/copy_step.hpp"

#include "core/file.hpp"
#include "core/uri.hpp"
#include "http/client.hpp"
#include "image/digester.hpp"
#include "layer/compression.hpp"
#include "layer/extract.hpp"
#include "layer/file_tree.hpp"
#include "layer/tar_reader.hpp"
#include "sandbox/user.hpp"

#include <berth/digest.hpp>
#include <berth/error.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <dirent.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <functional>
#include <iomanip>
#include <map>
#include <memory>
#include <sstream>
#include <unordered_set>

namespace berth::ops {
namespace {

using dockerfile::clean_path;

constexpr int kMaxSymlinkHops = 255; // as containerd's fs.RootPath
constexpr std::size_t kMaxUserFile = 4u << 20;

std::vector<std::string> split_path(std::string_view p) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= p.size()) {
    auto slash = p.find('/', pos);
    if (slash == std::string_view::npos) slash = p.size();
    if (slash > pos) out.emplace_back(p.substr(pos, slash - pos));
    pos = slash + 1;
  }
  return out;
}

std::string join_rel(const std::string &a, const std::string &b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  return a + "/" + b;
}

std::string parent_rel(const std::string &rel) {
  auto slash = rel.rfind('/');
  return slash == std::string::npos ? std::string() : rel.substr(0, slash);
}

std::string base_name(const std::string &p) {
  std::string c = clean_path(p);
  auto slash = c.rfind('/');
  return slash == std::string::npos ? c : c.substr(slash + 1);
}

// A path relative to a root, "" for the root itself: "/a/../b/" -> "b", "../x" -> "x".
std::string root_rel(std::string_view p) {
  std::string c = clean_path("/" + std::string(p));
  return c == "/" ? std::string() : c.substr(1);
}

std::optional<struct stat> lstat_opt(const std::string &path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) return st;
  if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
  core::throw_errno(errno, "lstat " + path);
}

bool is_whiteout(const struct stat &st) {
  return S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
}

bool opaque_dir(const std::string &path) {
  for (const char *name : {"trusted.overlay.opaque", "user.overlay.opaque"}) {
    char v[2] = {};
    if (::lgetxattr(path.c_str(), name, v, sizeof v) == 1 && v[0] == 'y') return true;
  }
  return false;
}

std::string read_link(const std::string &path) {
  std::string buf(4096, '\0');
  auto n = ::readlink(path.c_str(), buf.data(), buf.size());
  if (n < 0) core::throw_errno(errno, "readlink " + path);
  buf.resize(static_cast<std::size_t>(n));
  return buf;
}

// An entry as one of the trees shows it: its lstat data and the host path holding it.
struct Node {
  struct stat st {};
  std::string host;
};
using Lookup = std::function<std::optional<Node>(const std::string &rel)>;

// containerd's fs.RootPath over any tree: `rel` with every symlink met resolved with
// the root as "/" and ".." clamped at the root (a missing component ends nothing: the
// rest is appended as is). With follow_last false the last component is not followed.
std::string resolve_in_root(const std::string &rel, const Lookup &lookup, bool follow_last) {
  std::vector<std::string> todo = split_path(rel);
  std::reverse(todo.begin(), todo.end()); // a stack: back() is the next component
  std::vector<std::string> done;
  int hops = 0;
  while (!todo.empty()) {
    std::string c = std::move(todo.back());
    todo.pop_back();
    if (c == ".") continue;
    if (c == "..") {
      if (!done.empty()) done.pop_back();
      continue;
    }
    std::string cand;
    for (const auto &d : done)
      cand = join_rel(cand, d);
    cand = join_rel(cand, c);
    if (todo.empty() && !follow_last) {
      done.push_back(std::move(c));
      break;
    }
    auto n = lookup(cand);
    if (!n || !S_ISLNK(n->st.st_mode)) {
      done.push_back(std::move(c));
      continue;
    }
    if (++hops > kMaxSymlinkHops)
      throw Error(Errc::invalid_argument, "too many levels of symbolic links resolving /" + rel);
    std::string target = read_link(n->host);
    if (!target.empty() && target[0] == '/') done.clear();
    auto parts = split_path(target);
    for (auto it = parts.rbegin(); it != parts.rend(); ++it)
      todo.push_back(*it);
  }
  std::string out;
  for (const auto &d : done)
    out = join_rel(out, d);
  return out;
}

// The source root: a directory whose .dockerignore'd entries do not exist.
class SourceTree {
public:
  explicit SourceTree(const CopySourceRoot &r) : dir_(r.dir), ignore_(r.ignore) {}

  std::string host(const std::string &rel) const { return rel.empty() ? dir_ : dir_ + "/" + rel; }

  // True when the ignore file hides `rel` (a directory that may hold re-included
  // entries stays visible; its contents are checked one by one).
  bool ignored(const std::string &rel, bool is_dir) const {
    if (!ignore_ || rel.empty() || !ignore_->matches(rel)) return false;
    return !(is_dir && ignore_->may_contain_exceptions(rel));
  }

  // Callers pass paths whose parents were resolved (no symlink among them).
  std::optional<Node> lookup(const std::string &rel) const {
    for (std::string p = rel; !p.empty(); p = parent_rel(p))
      if (ignore_ && ignore_->matches(p) && !ignore_->may_contain_exceptions(p)) return {};
    auto st = lstat_opt(host(rel));
    if (!st || ignored(rel, S_ISDIR(st->st_mode))) return {};
    return Node{*st, host(rel)};
  }

  std::string resolve(const std::string &rel, bool follow_last) const {
    return resolve_in_root(
        rel, [this](const std::string &r) { return lookup(r); }, follow_last);
  }

  // Opens a file of the root for reading one component at a time, never through a
  // symlink: a directory swapped for a link after the checks above fails here instead
  // of reading a file outside the root.
  core::UniqueFd open_file(const std::string &rel) const {
    if (!fds_) fds_ = std::make_unique<layer::DirFds>(dir_);
    auto slash = rel.rfind('/');
    std::string parent = slash == std::string::npos ? std::string() : rel.substr(0, slash);
    std::string name = slash == std::string::npos ? rel : rel.substr(slash + 1);
    int fd = ::openat(fds_->get(parent), name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) core::throw_errno(errno, "open " + host(rel));
    return core::UniqueFd(fd);
  }

private:
  std::string dir_;
  const dockerfile::IgnoreMatcher *ignore_;
  mutable std::unique_ptr<layer::DirFds> fds_;
};

// The image with the step's upper directory on top: overlay's view without a mount.
class MergedView {
public:
  MergedView(const std::vector<std::string> &lowers, std::string upper) : upper_(std::move(upper)) {
    layers_.push_back(upper_);
    layers_.insert(layers_.end(), lowers.begin(), lowers.end());
  }

  // lstat of `rel` in the merged tree (parents must be directories there, not symlinks).
  std::optional<Node> lookup(const std::string &rel) const {
    if (rel.empty()) {
      struct stat st {};
      if (::stat(upper_.c_str(), &st) != 0) core::throw_errno(errno, "stat " + upper_);
      return Node{st, upper_};
    }
    auto parts = split_path(rel);
    for (const auto &layer : layers_) {
      std::string path = layer;
      bool hidden = false, missing = false;
      for (std::size_t i = 0; i < parts.size(); ++i) {
        path += "/" + parts[i];
        auto st = lstat_opt(path);
        if (!st) {
          missing = true;
          break;
        }
        if (is_whiteout(*st)) return {};
        if (i + 1 == parts.size()) return Node{*st, path};
        if (!S_ISDIR(st->st_mode)) return {}; // a non-directory hides what is below
        if (opaque_dir(path)) hidden = true;  // this layer's entries below still count
      }
      if (missing && hidden) return {};
    }
    return {};
  }

  std::string resolve(const std::string &rel, bool follow_last) const {
    return resolve_in_root(
        rel, [this](const std::string &r) { return lookup(r); }, follow_last);
  }

  const std::string &upper() const { return upper_; }
  std::string host(const std::string &rel) const {
    return rel.empty() ? upper_ : upper_ + "/" + rel;
  }

private:
  std::string upper_;
  std::vector<std::string> layers_; // upper first
};

// Go's filepath.Match for "/"-separated names: * and ? never match "/"; [...] classes
// with ranges and ^ negation; \ escapes. Error(invalid_argument) for a bad pattern.
std::optional<bool> match_class(std::string_view p, std::size_t &i, unsigned char c) {
  bool negated = false, matched = false, first = true;
  if (i < p.size() && p[i] == '^') negated = true, ++i;
  auto one = [&](unsigned char &out) {
    if (i < p.size() && p[i] == '\\') ++i;
    if (i >= p.size()) return false;
    out = static_cast<unsigned char>(p[i++]);
    return true;
  };
  while (true) {
    if (i >= p.size()) return std::nullopt;
    if (p[i] == ']' && !first) {
      ++i;
      return matched != negated;
    }
    first = false;
    unsigned char lo = 0, hi = 0;
    if (!one(lo)) return std::nullopt;
    hi = lo;
    if (i + 1 < p.size() && p[i] == '-' && p[i + 1] != ']') {
      ++i;
      if (!one(hi) || hi < lo) return std::nullopt;
    }
    if (lo <= c && c <= hi) matched = true;
  }
}

bool glob_match_at(std::string_view pat, std::size_t p, std::string_view name, std::size_t n) {
  const auto bad = [&] {
    return Error(Errc::invalid_argument, "syntax error in pattern " + std::string(pat));
  };
  while (p < pat.size()) {
    char c = pat[p];
    if (c == '*') {
      while (p < pat.size() && pat[p] == '*')
        ++p;
      for (std::size_t k = n;; ++k) {
        if (glob_match_at(pat, p, name, k)) return true;
        if (k >= name.size() || name[k] == '/') return false;
      }
    }
    if (n >= name.size()) return false;
    if (c == '?' || c == '[') {
      if (name[n] == '/') return false;
      if (c == '[') {
        std::size_t i = p + 1;
        auto m = match_class(pat, i, static_cast<unsigned char>(name[n]));
        if (!m) throw bad();
        if (!*m) return false;
        p = i, ++n;
        continue;
      }
      ++p, ++n;
      continue;
    }
    if (c == '\\') {
      if (++p >= pat.size()) throw bad();
      c = pat[p];
    }
    if (c != name[n]) return false;
    ++p, ++n;
  }
  return n == name.size();
}

bool glob_match(std::string_view pat, std::string_view name) {
  return glob_match_at(pat, 0, name, 0);
}

bool has_wildcards(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
      continue;
    }
    if (s[i] == '*' || s[i] == '?' || s[i] == '[') return true;
  }
  return false;
}

struct Owner {
  std::uint32_t uid = 0, gid = 0;
};

// COPY --chown as BuildKit reads it (solver/llbsolver/ops/user_linux.go readUser).
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

struct Chmod {
  mode_t mode = 0;
};

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

bool is_url(const std::string &s) {
  return s.rfind("http://", 0) == 0 || s.rfind("https://", 0) == 0;
}

// A source to copy: the root-relative path as matched (its base name names the copy)
// and as followed (what is read), or a heredoc.
struct Item {
  std::string matched, followed;
  const dockerfile::SourceContent *content = nullptr;
  std::string url; // ADD's http(s) source; `matched` is then the file name
};

// The file name BuildKit gives a URL source: the last segment of the decoded path.
std::string url_file_name(const std::string &url) {
  std::string path;
  try {
    core::uri_decode_append(path, core::parse_url(url).path);
  } catch (const Error &) {
    return "__unnamed__";
  }
  std::string b = base_name(path.empty() ? "/" : path);
  return b.empty() || b == "." || b == "/" || b == ".." ? "__unnamed__" : b;
}

// An IMF-fixdate Last-Modified ("Sun, 06 Nov 1994 08:49:37 GMT").
std::optional<std::int64_t> http_date(const std::string &v) {
  std::tm tm{};
  std::istringstream in{v};
  in >> std::get_time(&tm, "%a, %d %b %Y %H:%M:%S GMT");
  if (in.fail()) return std::nullopt;
  return static_cast<std::int64_t>(::timegm(&tm));
}

class Step {
public:
  Step(const CopySourceRoot &root, const CopyRequest &req, const std::vector<std::string> &lowers,
       const std::string &upper)
      : src_(root), req_(req), keep_owners_(root.keep_owners), view_(lowers, upper) {
    if (!req.chown.empty()) chown_ = resolve_chown(req.chown, lowers);
    chmod_ = parse_chmod(req.chmod);
    if (!req.excludes.empty()) excludes_.emplace(req.excludes);
    if (!req.checksum.empty()) {
      try {
        checksum_ = image::Digest::parse(req.checksum);
      } catch (const Error &e) {
        throw Error(Errc::invalid_argument, std::string("--checksum: ") + e.what());
      }
    }
  }

  void run();

private:
  std::vector<Item> expand_sources() const;
  void glob(const std::string &src, std::vector<Item> &out) const;
  void ensure_dirs(const std::string &rel);
  void copy_item(const Item &item, const std::string &dest_real);
  void copy_tree(const std::string &src_rel, const std::string &dest_rel);
  bool try_unpack(const std::string &src_rel, const std::string &dest_real);
  void download(const Item &item, const std::string &target);
  void prepare_file_target(const std::string &rel);
  void make_dir_in_upper(const std::string &rel, mode_t mode, Owner owner);
  void apply_info(const std::string &rel, mode_t src_mode, Owner src_owner, std::int64_t mtime,
                  bool is_link, bool is_dir);
  std::string verb() const { return req_.add ? "ADD" : "COPY"; }
  Owner owner_for(Owner src) const {
    if (chown_) return *chown_;
    return keep_owners_ ? src : Owner{};
  }
  void set_mtime(const std::string &rel, std::int64_t sec, bool dir);
  void dir_mtime(const std::string &rel, std::int64_t sec) { dir_mtimes_[rel] = sec; }

  SourceTree src_;
  const CopyRequest &req_;
  bool keep_owners_;
  MergedView view_;
  std::optional<Owner> chown_;
  std::optional<Chmod> chmod_;
  std::optional<image::Digest> checksum_;
  std::optional<dockerfile::IgnoreMatcher> excludes_;
  std::map<std::string, std::int64_t> dir_mtimes_; // applied last; the latest word wins
};

void Step::glob(const std::string &src, std::vector<Item> &out) const {
  // fsutil's splitWildcards: the components before the first one with a wildcard are
  // resolved (symlinks followed), the rest is matched below them.
  auto parts = split_path(clean_path("/" + src));
  std::string fixed, pattern;
  std::size_t depth = 0;
  bool found = false;
  for (const auto &p : parts) {
    if (!found && has_wildcards(p)) found = true;
    if (found)
      pattern = join_rel(pattern, p), ++depth;
    else
      fixed = join_rel(fixed, p);
  }
  std::string base = src_.resolve(fixed, true);
  auto base_node = src_.lookup(base);
  // BuildKit walks the fixed part: a missing one fails the step, even beside other
  // sources that match (a file there just matches nothing).
  if (!base_node)
    throw Error(Errc::not_found, verb() + " source \"" + src + "\": \"/" + base + "\" not found");
  if (!S_ISDIR(base_node->st.st_mode)) return;
  // Breadth by depth: only entries `depth` components down can match, as * never
  // matches "/". A matched directory is not descended (filepath.SkipDir).
  std::vector<std::string> level{""};
  for (std::size_t d = 1; d <= depth; ++d) {
    std::vector<std::string> next;
    for (const auto &dir : level) {
      std::string host = src_.host(join_rel(base, dir));
      std::unique_ptr<DIR, int (*)(DIR *)> dp(::opendir(host.c_str()), ::closedir);
      if (!dp) continue;
      std::vector<std::string> names;
      while (auto *e = ::readdir(dp.get())) {
        std::string n = e->d_name;
        if (n != "." && n != "..") names.push_back(n);
      }
      std::sort(names.begin(), names.end());
      for (const auto &n : names) {
        std::string rel = join_rel(dir, n);
        std::string full = join_rel(base, rel);
        auto node = src_.lookup(full);
        if (!node) continue;
        if (d == depth) {
          // --exclude also drops matches (as BuildKit documents: COPY --exclude=*.txt hom*).
          if (glob_match(pattern, rel) && !(excludes_ && excludes_->matches(full))) {
            // A match is followed within the root; a link to nothing is a missing source.
            std::string followed = src_.resolve(full, true);
            if (!src_.lookup(followed))
              throw Error(Errc::not_found, verb() + " source \"/" + full + "\" (matched by \"" +
                                               src + "\"): it resolves to \"/" + followed +
                                               "\", which is not found");
            out.push_back({full, std::move(followed), nullptr, {}});
          }
        } else if (S_ISDIR(node->st.st_mode)) {
          next.push_back(rel);
        }
      }
    }
    level = std::move(next);
  }
}

std::vector<Item> Step::expand_sources() const {
  std::vector<Item> items;
  bool any_literal = !req_.contents.empty();
  std::vector<std::string> empty_globs;
  for (const auto &s : req_.sources) {
    if (is_url(s)) {
      if (!req_.http)
        throw Error(Errc::unsupported, "ADD " + s +
                                           ": URL sources need an HTTP client, which this "
                                           "build has none of");
      any_literal = true;
      items.push_back({url_file_name(s), {}, nullptr, s});
      continue;
    }
    if (!req_.checksum.empty())
      throw Error(Errc::invalid_argument, "checksum requires HTTP(S) or Git sources");
    if (has_wildcards(s)) {
      auto before = items.size();
      glob(s, items);
      if (items.size() == before) empty_globs.push_back(s);
      continue;
    }
    any_literal = true;
    std::string rel = root_rel(s);
    std::string followed = src_.resolve(rel, true);
    if (!src_.lookup(followed))
      throw Error(Errc::not_found, verb() + " source \"/" + rel + "\": not found" +
                                       (rel != followed ? " (it resolves to \"/" + followed + "\")"
                                                        : std::string()));
    items.push_back({rel, followed, nullptr, {}});
  }
  if (items.empty() && !any_literal && !empty_globs.empty()) {
    std::string list;
    for (const auto &g : empty_globs)
      list += (list.empty() ? "\"" : ", \"") + g + "\"";
    throw Error(Errc::not_found, "no source files were specified: " + list + " matched nothing");
  }
  for (const auto &c : req_.contents)
    items.push_back({c.path, c.path, &c, {}});
  return items;
}

void Step::set_mtime(const std::string &rel, std::int64_t sec, bool dir) {
  if (dir) {
    dir_mtime(rel, sec);
    return;
  }
  struct timespec ts[2] = {{static_cast<time_t>(sec), 0}, {static_cast<time_t>(sec), 0}};
  if (::utimensat(AT_FDCWD, view_.host(rel).c_str(), ts, AT_SYMLINK_NOFOLLOW) != 0)
    core::throw_errno(errno, "utimes " + view_.host(rel));
}

void Step::make_dir_in_upper(const std::string &rel, mode_t mode, Owner owner) {
  std::string host = view_.host(rel);
  if (::mkdir(host.c_str(), 0700) != 0) core::throw_errno(errno, "mkdir " + host);
  if (::lchown(host.c_str(), owner.uid, owner.gid) != 0) core::throw_errno(errno, "chown " + host);
  if (::chmod(host.c_str(), mode & 07777) != 0) core::throw_errno(errno, "chmod " + host);
}

// fsutil's MkdirAll over the merged view: directories of the image are copied up with
// their metadata, missing ones are created with 0755 (or the --chmod mode), the
// --chown owner (else root) and the step's mtime.
void Step::ensure_dirs(const std::string &rel) {
  std::string cur;
  for (const auto &c : split_path(rel)) {
    cur = join_rel(cur, c);
    auto in_upper = lstat_opt(view_.host(cur));
    if (in_upper) {
      if (!S_ISDIR(in_upper->st_mode))
        throw Error(Errc::invalid_argument, "mkdir /" + cur + ": not a directory");
      continue;
    }
    auto n = view_.lookup(cur);
    if (n) {
      if (!S_ISDIR(n->st.st_mode))
        throw Error(Errc::invalid_argument, "mkdir /" + cur + ": not a directory");
      make_dir_in_upper(cur, n->st.st_mode, Owner{n->st.st_uid, n->st.st_gid});
      dir_mtime(cur, n->st.st_mtim.tv_sec);
      continue;
    }
    make_dir_in_upper(cur, chmod_ ? chmod_->mode : 0755, chown_.value_or(Owner{}));
    if (req_.mtime) dir_mtime(cur, *req_.mtime);
  }
}

// fsutil's copyFileInfo: owner (--chown, kept or root), mode (--chmod or the source's;
// never on symlinks), mtime (the step's or the source's).
void Step::apply_info(const std::string &rel, mode_t src_mode, Owner src_owner, std::int64_t mtime,
                      bool is_link, bool is_dir) {
  std::string host = view_.host(rel);
  Owner o = owner_for(src_owner);
  if (::lchown(host.c_str(), o.uid, o.gid) != 0) core::throw_errno(errno, "chown " + host);
  if (!is_link) {
    mode_t m = chmod_ ? chmod_->mode : (src_mode & 07777);
    if (::chmod(host.c_str(), m) != 0) core::throw_errno(errno, "chmod " + host);
  }
  set_mtime(rel, req_.mtime.value_or(mtime), is_dir);
}

// ensureEmptyFileTarget: a file may replace a file or a symlink, never a directory.
void Step::prepare_file_target(const std::string &rel) {
  auto n = view_.lookup(rel);
  if (!n) return;
  if (S_ISDIR(n->st.st_mode))
    throw Error(Errc::invalid_argument, "cannot replace to directory /" + rel + " with file");
  if (lstat_opt(view_.host(rel)) && ::unlink(view_.host(rel).c_str()) != 0)
    core::throw_errno(errno, "remove " + view_.host(rel));
}

void copy_data(core::UniqueFd in, const std::string &from, const std::string &to) {
  auto out = core::open_fd(to, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
  std::vector<char> buf(1 << 20);
  while (true) {
    auto n = core::read_some(in.get(), buf.data(), buf.size(), from);
    if (n == 0) break;
    core::write_all(out.get(), buf.data(), n, to);
  }
  out.close(to);
}

// Whether an entry of a copied directory is left out by the ignore file or --exclude
// (`rel` is relative to the copied directory, `ctx_rel` to the root); `descend` says
// whether entries below it may still be copied (a "!" exception could re-include them).
bool left_out(const SourceTree &src, const std::optional<dockerfile::IgnoreMatcher> &ex,
              const std::string &ctx_rel, const std::string &rel, bool is_dir, bool &descend) {
  descend = true;
  bool out = false;
  if (src.ignored(ctx_rel, is_dir)) {
    out = true, descend = false;
  } else if (is_dir && src.ignored(ctx_rel, false)) {
    out = true; // the directory itself is ignored; what is below is checked one by one
  }
  if (ex && ex->matches(rel)) {
    out = true;
    if (!is_dir || !ex->has_exceptions()) descend = false;
  }
  return out;
}

// The contents of the source directory src_rel into dest_rel (which exists), every
// entry with its own metadata (fsutil copies them with overwriteTargetMetadata).
void Step::copy_tree(const std::string &src_rel, const std::string &dest_rel) {
  auto entries = layer::walk_tree(src_.host(src_rel));
  std::unordered_set<std::string> skipped, created{""};
  std::map<std::string, const layer::FileInfo *> dirs;
  std::map<std::pair<std::uint64_t, std::uint64_t>, std::string> inodes;
  auto under_skipped = [&](const std::string &rel) {
    for (std::string p = parent_rel(rel); !p.empty(); p = parent_rel(p))
      if (skipped.count(p)) return true;
    return false;
  };
  // createParentDirs: directories left out by a pattern get made when something below
  // them is copied after all.
  auto ensure_parents = [&](const std::string &rel) {
    std::vector<std::string> missing;
    for (std::string p = parent_rel(rel); !created.count(p); p = parent_rel(p))
      missing.push_back(p);
    for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
      const auto *fi = dirs.at(*it);
      std::string d = join_rel(dest_rel, *it);
      auto n = view_.lookup(d);
      if (n && !S_ISDIR(n->st.st_mode))
        throw Error(Errc::invalid_argument, "cannot copy to non-directory: /" + d);
      if (!lstat_opt(view_.host(d))) make_dir_in_upper(d, fi->mode, Owner{fi->uid, fi->gid});
      apply_info(d, fi->mode, Owner{fi->uid, fi->gid}, fi->mtime, false, true);
      created.insert(*it);
    }
  };
  for (const auto &fi : entries) {
    if (fi.rel.empty()) continue;
    if (under_skipped(fi.rel)) continue;
    bool is_dir = S_ISDIR(fi.mode);
    if (is_dir) dirs[fi.rel] = &fi;
    bool descend = true;
    if (left_out(src_, excludes_, join_rel(src_rel, fi.rel), fi.rel, is_dir, descend)) {
      if (!descend) skipped.insert(fi.rel);
      continue;
    }
    ensure_parents(fi.rel);
    std::string d = join_rel(dest_rel, fi.rel);
    std::string host = view_.host(d);
    Owner src_owner{fi.uid, fi.gid};
    if (is_dir) {
      auto n = view_.lookup(d);
      if (n && !S_ISDIR(n->st.st_mode))
        throw Error(Errc::invalid_argument, "cannot copy to non-directory: /" + d);
      if (!lstat_opt(host)) make_dir_in_upper(d, fi.mode, src_owner);
      apply_info(d, fi.mode, src_owner, fi.mtime, false, true);
      created.insert(fi.rel);
      continue;
    }
    prepare_file_target(d);
    std::string from = src_.host(join_rel(src_rel, fi.rel));
    if (S_ISREG(fi.mode)) {
      if (fi.nlink > 1) {
        auto [it, fresh] = inodes.emplace(std::make_pair(fi.dev, fi.ino), d);
        if (!fresh) {
          if (::link(view_.host(it->second).c_str(), host.c_str()) != 0)
            core::throw_errno(errno, "link " + host);
          continue; // the first path's metadata is the inode's
        }
      }
      copy_data(src_.open_file(join_rel(src_rel, fi.rel)), from, host);
    } else if (S_ISLNK(fi.mode)) {
      if (::symlink(fi.link_target.c_str(), host.c_str()) != 0)
        core::throw_errno(errno, "symlink " + host);
    } else if (S_ISFIFO(fi.mode) || S_ISCHR(fi.mode) || S_ISBLK(fi.mode)) {
      if (::mknod(host.c_str(), fi.mode, static_cast<dev_t>(fi.rdev)) != 0)
        core::throw_errno(errno, "mknod " + host);
    } else {
      continue; // sockets
    }
    apply_info(d, fi.mode, src_owner, fi.mtime, S_ISLNK(fi.mode), false);
  }
}

// BuildKit's isArchivePath + unpack: a regular file whose (decompressed) start reads
// as a tar header is extracted into the destination directory.
// BuildKit's HTTP source followed by the copy: the body lands in a temp file beside
// the target, is checked against --checksum, then renamed into place.
void Step::download(const Item &item, const std::string &target) {
  ensure_dirs(parent_rel(target));
  prepare_file_target(target);
  auto tmp = core::TempFile::create(view_.host(parent_rel(target)),
                                    ".add" + std::string(core::kTempMarker));
  image::Digester digester(checksum_ ? checksum_->algorithm() : "sha256");
  http::Request hr;
  hr.url = item.url;
  hr.sink = [&](const char *data, std::size_t len) {
    tmp.write(data, len);
    digester.update(data, len);
  };
  auto resp = req_.http->send(std::move(hr));
  if (!resp.ok())
    throw Error(Errc::network,
                "ADD " + item.url + ": invalid response status " + std::to_string(resp.status))
        .with_http_status(resp.status);
  std::string got = digester.finish();
  if (checksum_ && got != checksum_->str())
    throw Error(Errc::digest_mismatch,
                "ADD " + item.url + ": digest mismatch " + got + ": " + checksum_->str());
  tmp.rename_to(view_.host(target), false);
  std::optional<std::int64_t> modified;
  if (auto lm = resp.header("Last-Modified")) modified = http_date(*lm);
  apply_info(target, 0600, Owner{},
             modified.value_or(static_cast<std::int64_t>(std::time(nullptr))), false, false);
}

bool Step::try_unpack(const std::string &src_rel, const std::string &dest_real) {
  std::string path = src_.host(src_rel);
  auto probe = src_.open_file(src_rel);
  unsigned char magic[6] = {};
  std::size_t got = 0;
  while (got < sizeof magic) {
    auto n = core::read_some(probe.get(), reinterpret_cast<char *>(magic) + got, sizeof magic - got,
                             path);
    if (n == 0) break;
    got += n;
  }
  layer::Compression c = layer::Compression::none;
  if (got >= 2 && magic[0] == 0x1f && magic[1] == 0x8b)
    c = layer::Compression::gzip;
  else if (got >= 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd)
    c = layer::Compression::zstd;
  else if (got >= 3 && magic[0] == 'B' && magic[1] == 'Z' && magic[2] == 'h')
    throw Error(Errc::unsupported,
                "ADD /" + src_rel + ": bzip2-compressed files cannot be unpacked by berth yet");
  else if (got >= 6 && std::memcmp(magic,
                                   "\xfd"
                                   "7zXZ\0",
                                   6) == 0)
    throw Error(Errc::unsupported,
                "ADD /" + src_rel + ": xz-compressed files cannot be unpacked by berth yet");

  auto open_reader = [&](core::UniqueFd &fd, std::unique_ptr<layer::Decompressor> &dec) {
    fd = src_.open_file(src_rel);
    int raw = fd.get();
    dec = std::make_unique<layer::Decompressor>(
        c, [raw, path](char *b, std::size_t n) { return core::read_some(raw, b, n, path); });
    auto *d = dec.get();
    return layer::TarReader([d](char *b, std::size_t n) { return d->read(b, n); });
  };
  // The archive's own paths, for --chown (what was already below the destination and
  // is not in the archive keeps its owner).
  std::unordered_set<std::string> archive_paths;
  {
    core::UniqueFd fd;
    std::unique_ptr<layer::Decompressor> dec;
    auto r = open_reader(fd, dec);
    std::optional<layer::TarEntry> e;
    try {
      e = r.next();
    } catch (const Error &) {
      return false; // not a tar: copied as a file
    }
    if (!e) return false; // an empty archive is no archive (Go's tar says EOF)
    if (chown_)
      for (; e; e = r.next()) {
        std::string p = root_rel(e->path);
        for (; !p.empty() && archive_paths.insert(p).second; p = parent_rel(p)) {
        }
      }
  }
  ensure_dirs(dest_real);
  const std::string target = view_.host(dest_real);
  std::unordered_set<std::string> before;
  if (chown_)
    for (const auto &fi : layer::walk_tree(target))
      before.insert(fi.rel);
  core::UniqueFd fd;
  std::unique_ptr<layer::Decompressor> dec;
  auto r = open_reader(fd, dec);
  layer::ExtractOptions eo;
  eo.preserve_owner = ::geteuid() == 0; // as BuildKit's Untar (as root) keeps owners
  layer::Extractor ex(target, eo);
  ex.apply_layer(r);
  if (chown_) { // ChownOpts: every entry of the archive gets the --chown owner
    for (const auto &fi : layer::walk_tree(target)) {
      if (fi.rel.empty() || (before.count(fi.rel) && !archive_paths.count(fi.rel))) continue;
      std::string h = target + "/" + fi.rel;
      if (::lchown(h.c_str(), chown_->uid, chown_->gid) != 0)
        core::throw_errno(errno, "chown " + h);
      if (!S_ISLNK(fi.mode) && ::chmod(h.c_str(), fi.mode & 07777) != 0) // chown drops setuid
        core::throw_errno(errno, "chmod " + h);
    }
  }
  return true;
}

void Step::copy_item(const Item &item, const std::string &dest_real) {
  // prepareTargetDir: into an existing directory, else as the destination.
  auto dest_node = view_.lookup(dest_real);
  bool dest_is_dir = dest_node && S_ISDIR(dest_node->st.st_mode);

  if (item.content) {
    std::string target =
        dest_is_dir ? join_rel(dest_real, base_name(item.content->path)) : dest_real;
    ensure_dirs(parent_rel(target));
    prepare_file_target(target);
    core::write_file_atomic(view_.host(target), item.content->data);
    apply_info(target, 0644, Owner{},
               req_.mtime.value_or(static_cast<std::int64_t>(std::time(nullptr))), false, false);
    return;
  }

  if (!item.url.empty()) {
    download(item, dest_is_dir ? join_rel(dest_real, item.matched) : dest_real);
    return;
  }

  auto node = src_.lookup(item.followed);
  if (!node) throw Error(Errc::not_found, verb() + " source \"/" + item.matched + "\": not found");
  const auto &st = node->st;
  if (req_.add && S_ISREG(st.st_mode) && try_unpack(item.followed, dest_real)) return;

  if (S_ISDIR(st.st_mode)) {
    ensure_dirs(dest_real);
    copy_tree(item.followed, dest_real);
    // The destination keeps its mode and owner; it gets the source directory's mtime.
    dir_mtime(dest_real, req_.mtime.value_or(st.st_mtim.tv_sec));
    return;
  }
  std::string target = dest_is_dir ? join_rel(dest_real, base_name(item.matched)) : dest_real;
  ensure_dirs(parent_rel(target));
  prepare_file_target(target);
  std::string host = view_.host(target);
  Owner src_owner{st.st_uid, st.st_gid};
  if (S_ISREG(st.st_mode))
    copy_data(src_.open_file(item.followed), node->host, host);
  else if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
    if (::mknod(host.c_str(), st.st_mode, st.st_rdev) != 0)
      core::throw_errno(errno, "mknod " + host);
  } else {
    throw Error(Errc::unsupported,
                verb() + " source \"/" + item.matched + "\": not a file or directory");
  }
  apply_info(target, st.st_mode, src_owner, st.st_mtim.tv_sec, false, false);
}

void Step::run() {
  if (!req_.checksum.empty() && !req_.add)
    throw Error(Errc::invalid_argument, "checksum can't be specified for COPY");
  if (!req_.checksum.empty() && req_.sources.size() != 1)
    throw Error(Errc::invalid_argument, "checksum can't be specified for multiple sources");
  if (!req_.add)
    for (const auto &s : req_.sources)
      if (is_url(s)) throw Error(Errc::invalid_argument, "source can't be a URL for COPY");

  // pathRelativeToWorkingDir + cleanPath: a trailing "/" (or "/.", ".", "") marks a
  // directory.
  std::string dest = req_.dest.empty() || req_.dest == "." ? "./" : req_.dest;
  std::string abs =
      dest[0] == '/' ? dest : (req_.workdir.empty() ? "/" : req_.workdir) + "/" + dest;
  bool dir_syntax =
      abs.back() == '/' || (abs.size() >= 2 && abs.compare(abs.size() - 2, 2, "/.") == 0);
  std::string dest_rel = root_rel(abs);

  auto items = expand_sources();
  auto dn = view_.lookup(view_.resolve(dest_rel, true));
  if (items.size() > 1 && !dir_syntax && !(dn && S_ISDIR(dn->st.st_mode)))
    throw Error(Errc::invalid_argument,
                std::string("When using ") + (req_.add ? "ADD" : "COPY") +
                    " with more than one source file, the destination must be a directory "
                    "and end with a /");
  // fsutil's Copy: the destination (with "/") or its parent is made first.
  ensure_dirs(view_.resolve(dir_syntax ? dest_rel : parent_rel(dest_rel), true));
  std::string dest_real = view_.resolve(dest_rel, true);
  for (const auto &item : items)
    copy_item(item, dest_real);

  // Directory mtimes last: writing inside a directory changes its mtime.
  for (const auto &[rel, sec] : dir_mtimes_) {
    struct timespec ts[2] = {{static_cast<time_t>(sec), 0}, {static_cast<time_t>(sec), 0}};
    std::string host = view_.host(rel);
    if (::utimensat(AT_FDCWD, host.c_str(), ts, AT_SYMLINK_NOFOLLOW) != 0)
      core::throw_errno(errno, "utimes " + host);
  }
}

} // namespace

void run_copy_step(const CopySourceRoot &root, const CopyRequest &req,
                   const std::vector<std::string> &image_lowers, const std::string &upper) {
  Step(root, req, image_lowers, upper).run();
}

} // namespace berth::ops
