// Helpers shared by the tar unit tests (tests/unit/test_tar_*.cpp, test_extract.cpp):
// temporary directories, in-memory tar sources, hand-made hostile members and a
// snapshot of a directory tree for "nothing changed outside the target" checks.
#pragma once

#include <berth/error.hpp>

#include "layer/tar_header.hpp"
#include "layer/tar_reader.hpp"
#include "test_util.hpp"

#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>
#include <vector>

namespace berth::tartest {

namespace fs = std::filesystem;
using test::TempDir;

template <typename F> Errc code_of(F &&f) {
  try {
    f();
  } catch (const Error &e) {
    return e.code();
  }
  return Errc::ok;
}

template <typename F> std::string message_of(F &&f) {
  try {
    f();
  } catch (const Error &e) {
    return e.what();
  }
  return {};
}

inline void write_text(const std::string &path, const std::string &data) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
  if (!out) throw std::runtime_error("cannot write " + path);
}

inline std::string read_text(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs a shell command; returns its exit status.
inline int sh(const std::string &cmd) {
  int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

inline std::string shell_quote(const std::string &s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

inline bool have_gnu_tar() {
  return sh("tar --version 2>/dev/null | grep -q 'GNU tar'") == 0;
}

// A read function over an in-memory archive, handing out at most `chunk` bytes a call
// (to exercise short reads).
inline std::function<std::size_t(char *, std::size_t)> string_source(std::string data,
                                                                     std::size_t chunk = 0) {
  auto buf = std::make_shared<std::string>(std::move(data));
  auto pos = std::make_shared<std::size_t>(0);
  return [buf, pos, chunk](char *out, std::size_t len) -> std::size_t {
    std::size_t n = std::min(len, buf->size() - *pos);
    if (chunk) n = std::min(n, chunk);
    std::copy_n(buf->data() + *pos, n, out);
    *pos += n;
    return n;
  };
}

inline std::string read_entry_data(layer::TarReader &r) {
  std::string out;
  char buf[7000]; // odd size on purpose
  for (;;) {
    std::size_t n = r.read_data(buf, sizeof buf);
    if (n == 0) break;
    out.append(buf, n);
  }
  return out;
}

struct ReadEntry {
  layer::TarEntry entry;
  std::string data;
};

inline std::vector<ReadEntry> read_all(std::string archive, std::size_t chunk = 0) {
  layer::TarReader r(string_source(std::move(archive), chunk));
  std::vector<ReadEntry> out;
  while (auto e = r.next()) {
    ReadEntry re{*e, read_entry_data(r)};
    out.push_back(std::move(re));
  }
  return out;
}

inline const ReadEntry *find_entry(const std::vector<ReadEntry> &v, const std::string &path) {
  for (const auto &e : v)
    if (e.entry.path == path) return &e;
  return nullptr;
}

// Hand-made archive members, with no validation at all: the hostile corpus.
struct Member {
  char typeflag = layer::tarfmt::kTypeFile;
  std::string path;
  std::string link;
  std::string data;
  std::uint32_t mode = 0644;
  std::int64_t mtime = 1000;
};

inline std::string member(const Member &m) {
  layer::tarfmt::HeaderSpec h;
  h.typeflag = m.typeflag;
  h.path = m.path;
  h.link = m.link;
  h.mode = m.mode;
  h.size = m.data.size();
  h.mtime = m.mtime;
  std::string out = layer::tarfmt::encode_header(h);
  out += m.data;
  out.append(layer::tarfmt::padding_for(m.data.size()), '\0');
  return out;
}

inline std::string archive(const std::vector<Member> &members) {
  std::string out;
  for (const auto &m : members)
    out += member(m);
  out.append(1024, '\0');
  return out;
}

inline Member mfile(std::string path, std::string data, std::uint32_t mode = 0644) {
  Member m;
  m.path = std::move(path);
  m.data = std::move(data);
  m.mode = mode;
  return m;
}
inline Member mdir(std::string path, std::uint32_t mode = 0755) {
  Member m;
  m.typeflag = layer::tarfmt::kTypeDir;
  m.path = std::move(path);
  m.mode = mode;
  return m;
}
inline Member msymlink(std::string path, std::string target) {
  Member m;
  m.typeflag = layer::tarfmt::kTypeSymlink;
  m.path = std::move(path);
  m.link = std::move(target);
  m.mode = 0777;
  return m;
}
inline Member mhardlink(std::string path, std::string target) {
  Member m;
  m.typeflag = layer::tarfmt::kTypeHardlink;
  m.path = std::move(path);
  m.link = std::move(target);
  return m;
}

// Every path below `root` (not following symlinks) with its type, mode and content or
// link target: equal snapshots mean nothing was created, changed or removed.
inline std::map<std::string, std::string> snapshot(const fs::path &root,
                                                   const fs::path &skip = {}) {
  std::map<std::string, std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    const fs::path &p = it->path();
    if (!skip.empty() && p == skip) {
      it.disable_recursion_pending();
      continue;
    }
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0) continue;
    std::string desc = std::to_string(st.st_mode) + ":";
    if (S_ISLNK(st.st_mode))
      desc += fs::read_symlink(p).string();
    else if (S_ISREG(st.st_mode))
      desc += read_text(p.string());
    out[fs::relative(p, root).string()] = desc;
  }
  return out;
}

} // namespace berth::tartest
