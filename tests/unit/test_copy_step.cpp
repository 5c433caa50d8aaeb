// lib/ops/build/dockerfile/copy_step: COPY and ADD laid out in an upper directory from
// real files in temp dirs — destinations (into a directory, renamed, through the image's
// symlinks, met by several sources in turn as BuildKit does), directory contents, globs
// (empty ones copy nothing), the source root never escaped (.., absolute paths,
// symlinks), .dockerignore and --exclude, --chown from the image's passwd and group,
// --chmod, heredocs, mtimes, ADD's tar extraction and its refusals.
#include <doctest/doctest.h>

#include "../layer/tar_test_support.hpp"
#include "core/stream.hpp"
#include "dockerfile/ignore.hpp"
#include "http/client.hpp"
#include "layer/compression.hpp"
#include "layer/tar_writer.hpp"
#include "ops/build/dockerfile/copy_step.hpp"
#include "test_util.hpp"

#include <berth/digest.hpp>
#include <berth/error.hpp>

#include <arpa/inet.h>
#include <atomic>
#include <filesystem>
#include <map>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <thread>
#include <unistd.h>

using namespace berth;
using berth::tartest::code_of;
using berth::tartest::message_of;
using berth::test::read_file;
using berth::test::TempDir;
namespace fs = std::filesystem;

namespace {

struct Fixture {
  TempDir tmp;
  std::string ctx, lower, upper;
  Fixture() {
    ctx = tmp.str("ctx");
    lower = tmp.str("lower");
    upper = tmp.str("upper");
    fs::create_directories(ctx);
    fs::create_directories(lower);
    fs::create_directories(upper);
  }
  std::string file(const std::string &rel, const std::string &content, mode_t mode = 0644) {
    auto p = tmp.write("ctx/" + rel, content);
    REQUIRE(::chmod(p.c_str(), mode) == 0);
    return p;
  }
  void run(ops::CopyRequest req, const dockerfile::IgnoreMatcher *ignore = nullptr,
           bool keep_owners = false) {
    ops::CopySourceRoot root{ctx, ignore, keep_owners};
    ops::run_copy_step(root, req, {lower}, upper);
  }
  std::string up(const std::string &rel) const { return upper + "/" + rel; }
};

ops::CopyRequest req(std::vector<std::string> sources, std::string dest) {
  ops::CopyRequest r;
  r.sources = std::move(sources);
  r.dest = std::move(dest);
  return r;
}

struct stat lst(const std::string &p) {
  struct stat st {};
  REQUIRE_MESSAGE(::lstat(p.c_str(), &st) == 0, p);
  return st;
}

bool exists(const std::string &p) {
  struct stat st {};
  return ::lstat(p.c_str(), &st) == 0;
}

void set_mtime(const std::string &p, std::int64_t t) {
  struct timespec ts[2] = {{static_cast<time_t>(t), 0}, {static_cast<time_t>(t), 0}};
  REQUIRE(::utimensat(AT_FDCWD, p.c_str(), ts, AT_SYMLINK_NOFOLLOW) == 0);
}

std::string tar_of(const std::function<void(layer::TarWriter &)> &fill,
                   layer::Compression c = layer::Compression::none) {
  core::StringSink out;
  auto comp = layer::make_compressor(out, c, -1, 1);
  layer::TarWriter tw(*comp);
  fill(tw);
  tw.finish();
  return out.str();
}

// Plain HTTP on 127.0.0.1: one GET per connection, replies by path (404 otherwise).
class FileServer {
public:
  struct Reply {
    std::string body;
    std::string last_modified;
  };
  explicit FileServer(std::map<std::string, Reply> files) : files_(std::move(files)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    REQUIRE(fd_ >= 0);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr *>(&addr), len) == 0);
    REQUIRE(::listen(fd_, 8) == 0);
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr *>(&addr), &len) == 0);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~FileServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  std::string url(const std::string &path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

private:
  void serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      std::string req;
      char buf[4096];
      while (req.find("\r\n\r\n") == std::string::npos) {
        auto n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        req.append(buf, static_cast<std::size_t>(n));
      }
      auto sp1 = req.find(' '), sp2 = req.find(' ', sp1 + 1);
      std::string path = sp1 == std::string::npos ? "" : req.substr(sp1 + 1, sp2 - sp1 - 1);
      auto it = files_.find(path);
      std::string out;
      if (it == files_.end()) {
        out = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      } else {
        out = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(it->second.body.size()) +
              "\r\nConnection: close\r\n";
        if (!it->second.last_modified.empty())
          out += "Last-Modified: " + it->second.last_modified + "\r\n";
        out += "\r\n" + it->second.body;
      }
      for (std::size_t at = 0; at < out.size();) {
        auto n = ::send(c, out.data() + at, out.size() - at, MSG_NOSIGNAL);
        if (n <= 0) break;
        at += static_cast<std::size_t>(n);
      }
      ::close(c);
    }
  }
  std::map<std::string, Reply> files_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

http::ClientOptions loopback_client() {
  http::ClientOptions o;
  o.read_environment = false;
  o.retry.max_attempts = 1;
  return o;
}

} // namespace

TEST_CASE("copy step: a file into a directory, renamed, parents created 0755 as root") {
  Fixture f;
  f.file("a.txt", "A", 0640);
  set_mtime(f.ctx + "/a.txt", 1000000);
  f.run(req({"a.txt"}, "/app/"));
  CHECK(read_file(f.up("app/a.txt")) == "A");
  auto st = lst(f.up("app/a.txt"));
  CHECK((st.st_mode & 07777) == 0640);
  CHECK(st.st_mtime == 1000000);
  CHECK(st.st_uid == 0);
  CHECK((lst(f.up("app")).st_mode & 07777) == 0755);

  Fixture g;
  g.file("a.txt", "A");
  auto r = req({"a.txt"}, "renamed.txt");
  r.workdir = "/srv/work";
  g.run(r);
  CHECK(read_file(g.up("srv/work/renamed.txt")) == "A");
  CHECK_FALSE(exists(g.up("srv/work/a.txt")));
}

TEST_CASE("copy step: a directory source copies its contents with modes, links and mtimes") {
  Fixture f;
  f.file("src/x.sh", "#!/bin/sh\n", 0755);
  f.file("src/sub/y.txt", "Y");
  fs::create_directories(f.ctx + "/src/empty");
  REQUIRE(::chmod((f.ctx + "/src/empty").c_str(), 0710) == 0);
  REQUIRE(::symlink("../x.sh", (f.ctx + "/src/sub/link").c_str()) == 0);
  REQUIRE(::symlink("/etc/shadow", (f.ctx + "/src/abs-link").c_str()) == 0);
  REQUIRE(::link((f.ctx + "/src/x.sh").c_str(), (f.ctx + "/src/hard.sh").c_str()) == 0);
  REQUIRE(::chmod((f.ctx + "/src").c_str(), 0700) == 0);
  set_mtime(f.ctx + "/src/sub", 2000000);
  set_mtime(f.ctx + "/src", 3000000);
  f.run(req({"src"}, "/opt/dst"));
  CHECK_FALSE(exists(f.up("opt/dst/src")));
  CHECK(read_file(f.up("opt/dst/x.sh")) == "#!/bin/sh\n");
  CHECK((lst(f.up("opt/dst/x.sh")).st_mode & 07777) == 0755);
  CHECK(read_file(f.up("opt/dst/sub/y.txt")) == "Y");
  CHECK((lst(f.up("opt/dst/empty")).st_mode & 07777) == 0710);
  CHECK(fs::read_symlink(f.up("opt/dst/sub/link")) == "../x.sh");
  // A symlink inside a copied directory is copied, never followed.
  CHECK(fs::read_symlink(f.up("opt/dst/abs-link")) == "/etc/shadow");
  CHECK(lst(f.up("opt/dst/hard.sh")).st_ino == lst(f.up("opt/dst/x.sh")).st_ino);
  CHECK(lst(f.up("opt/dst/sub")).st_mtime == 2000000);
  // The destination directory is made 0755 (BuildKit's MkdirAll), with the source's mtime.
  CHECK((lst(f.up("opt/dst")).st_mode & 07777) == 0755);
  CHECK(lst(f.up("opt/dst")).st_mtime == 3000000);
}

TEST_CASE("copy step: each source meets the destination as the sources before left it") {
  // BuildKit makes one copy action per source and checks no count: with a destination
  // that is neither "/"-ended nor a directory, files replace one another there.
  Fixture f;
  f.file("a", "A");
  f.file("b", "B");
  f.run(req({"a", "b"}, "/out"));
  CHECK(S_ISREG(lst(f.up("out")).st_mode));
  CHECK(read_file(f.up("out")) == "B");
  // The same for the files one glob matches (in lexical order) and for heredocs.
  Fixture m;
  m.file("lib/x.jar", "X");
  m.file("lib/y.jar", "Y");
  m.run(req({"lib/*.jar"}, "/app.jar"));
  CHECK(read_file(m.up("app.jar")) == "Y");
  auto hd = req({"lib/x.jar"}, "/conf");
  hd.contents = {{"one", "1", true}, {"two", "2", true}};
  m.run(hd); // heredocs come after the sources
  CHECK(read_file(m.up("conf")) == "2");
  // A file then a directory: the directory cannot replace the file (fsutil's
  // copyDirectoryOnly).
  Fixture d;
  d.file("a", "A");
  d.file("dir/f", "F");
  CHECK(message_of([&] {
          d.run(req({"a", "dir"}, "/out"));
        }).find("cannot copy to non-directory: /out") != std::string::npos);
  CHECK(code_of([&] { d.run(req({"a", "dir"}, "/out2")); }) == Errc::invalid_argument);
  // A directory then a file: the directory's contents make the destination, the file
  // goes inside it.
  Fixture e;
  e.file("a", "A");
  e.file("dir/f", "F");
  e.run(req({"dir", "a"}, "/out"));
  CHECK(read_file(e.up("out/f")) == "F");
  CHECK(read_file(e.up("out/a")) == "A");

  // A destination ending in "/" is a directory, whatever the count.
  f.run(req({"a", "b"}, "/out2/"));
  CHECK(read_file(f.up("out2/a")) == "A");
  CHECK(read_file(f.up("out2/b")) == "B");
  // "/out" is a file now: it cannot be made a directory.
  CHECK(code_of([&] { f.run(req({"a", "b"}, "/out/")); }) == Errc::invalid_argument);

  // An existing directory of the image needs no "/"; it is copied up with its metadata.
  Fixture g;
  g.file("a", "A");
  g.file("b", "B");
  fs::create_directories(g.lower + "/srv");
  REQUIRE(::chmod((g.lower + "/srv").c_str(), 0711) == 0);
  REQUIRE(::chown((g.lower + "/srv").c_str(), 7, 8) == 0);
  g.run(req({"a", "b"}, "/srv"));
  CHECK(read_file(g.up("srv/a")) == "A");
  CHECK((lst(g.up("srv")).st_mode & 07777) == 0711);
  CHECK(lst(g.up("srv")).st_uid == 7);

  // A glob matching one file names the destination (COPY target/*.jar app.jar).
  Fixture h;
  h.file("target/app-1.0.jar", "JAR");
  h.run(req({"target/*.jar"}, "/app.jar"));
  CHECK(read_file(h.up("app.jar")) == "JAR");
}

TEST_CASE("copy step: a destination through the image's symlink, or hidden by a whiteout") {
  Fixture f;
  f.file("a", "A");
  fs::create_directories(f.lower + "/srv/app");
  REQUIRE(::symlink("/srv/app", (f.lower + "/app").c_str()) == 0);
  f.run(req({"a"}, "/app"));
  CHECK(read_file(f.up("srv/app/a")) == "A");
  CHECK_FALSE(exists(f.up("app")));

  // A directory deleted by a whiteout in a higher layer is no directory: a renames.
  Fixture g;
  g.file("a", "A");
  std::string top = g.tmp.str("top");
  fs::create_directories(top);
  fs::create_directories(g.lower + "/data");
  REQUIRE(::mknod((top + "/data").c_str(), S_IFCHR | 0, ::makedev(0, 0)) == 0);
  ops::run_copy_step({g.ctx}, req({"a"}, "/data"), {top, g.lower}, g.upper);
  CHECK(read_file(g.up("data")) == "A");
}

TEST_CASE("copy step: globs, empty globs and missing sources") {
  Fixture f;
  f.file("src/a.go", "a");
  f.file("src/b.go", "b");
  f.file("src/c.txt", "c");
  f.file("src/sub/d.go", "d");
  f.file("x1", "1");
  f.file("y1", "y");
  f.run(req({"src/*.go", "[x]?", "nomatch*"}, "/out/"));
  CHECK(read_file(f.up("out/a.go")) == "a");
  CHECK(read_file(f.up("out/b.go")) == "b");
  CHECK(read_file(f.up("out/x1")) == "1");
  CHECK_FALSE(exists(f.up("out/c.txt")));
  CHECK_FALSE(exists(f.up("out/d.go"))); // * does not cross "/"
  CHECK_FALSE(exists(f.up("out/y1")));

  // A directory matched by a glob copies its contents.
  Fixture d;
  d.file("dir1/f1", "1");
  d.file("dir2/f2", "2");
  d.run(req({"dir*"}, "/m/"));
  CHECK(read_file(d.up("m/f1")) == "1");
  CHECK(read_file(d.up("m/f2")) == "2");

  // Globs that all match nothing copy nothing, not even the destination (BuildKit's
  // AllowEmptyWildcard): the step's layer is empty.
  Fixture g;
  g.file("a", "A");
  g.run(req({"*.none"}, "/out/"));
  g.run(req({"*.none", "[q]*"}, "/deep/out"));
  CHECK(fs::is_empty(g.upper));
  CHECK(code_of([&] { g.run(req({"missing"}, "/out/")); }) == Errc::not_found);
  CHECK(code_of([&] { g.run(req({"a", "missing"}, "/out/")); }) == Errc::not_found);
  CHECK(code_of([&] { g.run(req({"[z-a]"}, "/out/")); }) == Errc::invalid_argument);
  // The part before the first wildcard must exist (BuildKit walks it), even beside a match.
  CHECK(code_of([&] { g.run(req({"a", "nodir/*.go"}, "/out/")); }) == Errc::not_found);
  CHECK_FALSE(exists(g.up("out")));
  g.run(req({"a", "a/*.go"}, "/out/")); // a file there matches nothing
  CHECK(read_file(g.up("out/a")) == "A");
}

TEST_CASE("copy step: sources never leave the root") {
  Fixture f;
  f.tmp.write("outside.txt", "SECRET");
  f.file("inside.txt", "IN");
  // ".." and absolute paths are clamped to the root: the root's file or nothing.
  CHECK(code_of([&] { f.run(req({"../outside.txt"}, "/o/")); }) == Errc::not_found);
  CHECK(code_of([&] { f.run(req({"/../outside.txt"}, "/o/")); }) == Errc::not_found);
  CHECK(code_of([&] { f.run(req({f.tmp.str("outside.txt")}, "/o/")); }) == Errc::not_found);
  f.run(req({"../../inside.txt"}, "/o/"));
  CHECK(read_file(f.up("o/inside.txt")) == "IN");

  // Symlinks are followed with the root as "/": out-of-root targets resolve inside it.
  REQUIRE(::symlink("../outside.txt", (f.ctx + "/rel-escape").c_str()) == 0);
  REQUIRE(::symlink(f.tmp.str("outside.txt").c_str(), (f.ctx + "/abs-escape").c_str()) == 0);
  REQUIRE(::symlink(f.tmp.str().c_str(), (f.ctx + "/dir-escape").c_str()) == 0);
  CHECK(code_of([&] { f.run(req({"rel-escape"}, "/e/")); }) == Errc::not_found);
  CHECK(code_of([&] { f.run(req({"abs-escape"}, "/e/")); }) == Errc::not_found);
  CHECK(code_of([&] { f.run(req({"dir-escape/outside.txt"}, "/e/")); }) == Errc::not_found);
  CHECK(code_of([&] { f.run(req({"*-escape"}, "/e/")); }) == Errc::not_found);
  CHECK_FALSE(exists(f.up("e")));

  // ... and when the root holds what the link names, that is what is copied.
  f.file(f.tmp.str("outside.txt").substr(1), "ROOT'S");
  f.run(req({"abs-escape"}, "/e/"));
  CHECK(read_file(f.up("e/abs-escape")) == "ROOT'S");

  // A symlink to a directory of the root as a source: its contents.
  Fixture g;
  g.file("real/f", "F");
  REQUIRE(::symlink("real", (g.ctx + "/linkdir").c_str()) == 0);
  g.run(req({"linkdir"}, "/d/"));
  CHECK(read_file(g.up("d/f")) == "F");
  // A symlink to a file: the file's content under the link's name.
  REQUIRE(::symlink("real/f", (g.ctx + "/flink").c_str()) == 0);
  g.run(req({"flink"}, "/l/"));
  CHECK(read_file(g.up("l/flink")) == "F");
  CHECK(S_ISREG(lst(g.up("l/flink")).st_mode));
}

TEST_CASE("copy step: .dockerignore'd files are invisible; --exclude leaves files out") {
  Fixture f;
  f.file("app/main.go", "main");
  f.file("app/secret.env", "S");
  f.file("app/logs/a.log", "L");
  f.file("app/logs/keep.log", "K");
  f.file("only.env", "E");
  f.file("data.env", "D");
  REQUIRE(::symlink("only.env", (f.ctx + "/to-ignored").c_str()) == 0);
  dockerfile::IgnoreMatcher ignore({"*.env", "**/*.env", "app/logs", "!app/logs/keep.log"});
  f.run(req({"app"}, "/a/"), &ignore);
  CHECK(read_file(f.up("a/main.go")) == "main");
  CHECK_FALSE(exists(f.up("a/secret.env")));
  CHECK_FALSE(exists(f.up("a/logs/a.log")));
  CHECK(read_file(f.up("a/logs/keep.log")) == "K");
  CHECK(code_of([&] { f.run(req({"only.env"}, "/b/"), &ignore); }) == Errc::not_found);
  f.run(req({"*.env"}, "/b/"), &ignore); // matches nothing: copies nothing
  CHECK_FALSE(exists(f.up("b")));
  CHECK(code_of([&] { f.run(req({"to-ignored"}, "/b/"), &ignore); }) == Errc::not_found);
  // A stage's root has no ignore file.
  f.run(req({"only.env"}, "/c/"));
  CHECK(read_file(f.up("c/only.env")) == "E");

  Fixture g;
  g.file("dir/a.txt", "a");
  g.file("dir/b.png", "b");
  g.file("dir/sub/c.png", "c");
  g.file("hom1.txt", "1");
  g.file("hom2.md", "2");
  auto r = req({"dir", "hom*"}, "/x/");
  r.excludes = {"*.png", "sub", "*.txt"};
  g.run(r);
  CHECK_FALSE(exists(g.up("x/a.txt")));
  CHECK_FALSE(exists(g.up("x/b.png")));
  CHECK_FALSE(exists(g.up("x/sub")));
  CHECK_FALSE(exists(g.up("x/hom1.txt")));
  CHECK(read_file(g.up("x/hom2.md")) == "2");
}

TEST_CASE("copy step: --chown by name from the image's passwd and group, and by number") {
  Fixture f;
  f.tmp.write("lower/etc/passwd",
              "root:x:0:0:root:/root:/bin/sh\napp:x:1001:1002::/home/app:/bin/sh\n");
  f.tmp.write("lower/etc/group", "root:x:0:\nappgrp:x:1002:\nstaff:x:50:app\n");
  f.file("d/f", "F");
  auto r = req({"d"}, "/new/parent/");
  r.chown = "app";
  f.run(r);
  CHECK(lst(f.up("new/parent/f")).st_uid == 1001);
  CHECK(lst(f.up("new/parent/f")).st_gid == 1002);
  // Created parents belong to the --chown user too (fsutil's MkdirAll chowns them).
  CHECK(lst(f.up("new")).st_uid == 1001);
  CHECK(lst(f.up("new/parent")).st_gid == 1002);

  r = req({"d/f"}, "/g");
  r.chown = "app:staff";
  f.run(r);
  CHECK(lst(f.up("g")).st_uid == 1001);
  CHECK(lst(f.up("g")).st_gid == 50);

  // A number alone is uid and gid, whatever passwd says (BuildKit's ByID).
  r = req({"d/f"}, "/n");
  r.chown = "1001";
  f.run(r);
  CHECK(lst(f.up("n")).st_uid == 1001);
  CHECK(lst(f.up("n")).st_gid == 1001);

  // Unknown names fail, on purpose unlike BuildKit (which silently uses 0): a typo
  // would otherwise leave the files owned by root.
  r.chown = "nobody-here";
  CHECK(code_of([&] { f.run(r); }) == Errc::not_found);
  r.chown = "app:nogroup";
  CHECK(code_of([&] { f.run(r); }) == Errc::not_found);
}

TEST_CASE("copy step: owners without --chown: 0:0 from the context, kept from a stage") {
  Fixture f;
  auto p = f.file("f", "F");
  REQUIRE(::chown(p.c_str(), 1234, 5678) == 0);
  f.run(req({"f"}, "/ctx"));
  CHECK(lst(f.up("ctx")).st_uid == 0);
  CHECK(lst(f.up("ctx")).st_gid == 0);
  f.run(req({"f"}, "/stage"), nullptr, true);
  CHECK(lst(f.up("stage")).st_uid == 1234);
  CHECK(lst(f.up("stage")).st_gid == 5678);
}

TEST_CASE("copy step: --chmod on files, directories and created parents; bad modes") {
  Fixture f;
  f.file("d/f", "F", 0600);
  fs::create_directories(f.ctx + "/d/sub");
  auto r = req({"d"}, "/p/q/");
  r.chmod = "0750";
  f.run(r);
  CHECK((lst(f.up("p/q/f")).st_mode & 07777) == 0750);
  CHECK((lst(f.up("p/q/sub")).st_mode & 07777) == 0750);
  CHECK((lst(f.up("p")).st_mode & 07777) == 0750);
  r = req({"d/f"}, "/s");
  r.chmod = "4755";
  f.run(r);
  CHECK((lst(f.up("s")).st_mode & 07777) == 04755);
  r.chmod = "u+x,go-r"; // symbolic: applied to the source's own 0644
  f.run(r);
  CHECK((lst(f.up("s")).st_mode & 07777) == 0700);
  r.chmod = "888";
  CHECK(message_of([&] { f.run(r); }).find("invalid chmod parameter") != std::string::npos);
  r.chmod = "17777";
  CHECK(code_of([&] { f.run(r); }) == Errc::invalid_argument);
}

TEST_CASE("copy step: heredoc contents and a fixed mtime") {
  Fixture f;
  f.file("a", "A");
  set_mtime(f.ctx + "/a", 5);
  auto r = req({"a"}, "/etc/app/");
  r.contents = {{"conf.ini", "k=v\n", true}};
  r.mtime = 1700000000;
  f.run(r);
  CHECK(read_file(f.up("etc/app/conf.ini")) == "k=v\n");
  CHECK((lst(f.up("etc/app/conf.ini")).st_mode & 07777) == 0644);
  CHECK(lst(f.up("etc/app/conf.ini")).st_mtime == 1700000000);
  CHECK(lst(f.up("etc/app/a")).st_mtime == 1700000000);
  CHECK(lst(f.up("etc/app")).st_mtime == 1700000000);

  Fixture g;
  auto h = req({}, "/run.sh");
  h.contents = {{"script", "echo hi\n", true}};
  h.chmod = "755";
  g.run(h);
  CHECK(read_file(g.up("run.sh")) == "echo hi\n");
  CHECK((lst(g.up("run.sh")).st_mode & 07777) == 0755);
}

TEST_CASE("copy step: --parents keeps each source's path, or its path below a /./") {
  Fixture f;
  f.file("src/app/lib/a.txt", "A");
  f.file("src/app/b.txt", "B");
  f.file("x/x.txt", "X");
  ::chmod((f.ctx + "/src/app").c_str(), 0700);
  auto r = req({"src/app/lib/a.txt", "x/x.txt", "src/./app/b.txt", "src/*/lib"}, "/d");
  r.parents = true; // the destination is a directory even without a trailing slash
  f.run(r);
  CHECK(read_file(f.up("d/src/app/lib/a.txt")) == "A");
  CHECK(read_file(f.up("d/x/x.txt")) == "X");
  CHECK(read_file(f.up("d/app/b.txt")) == "B");
  CHECK((lst(f.up("d/src/app")).st_mode & 07777) == 0700); // made as the source's
  CHECK((lst(f.up("d/app")).st_mode & 07777) == 0700);
  CHECK(read_file(f.up("d/src/app/lib/a.txt")) == "A"); // the glob's match, once more
  CHECK((lst(f.up("d")).st_mode & 07777) == 0755);
}

TEST_CASE("copy step: a file never replaces a directory") {
  Fixture g;
  g.file("dir", "A");
  g.file("src/dir/x", "X");
  fs::create_directories(g.lower + "/t/dir");
  // "dir" is a file source into /t/: /t/dir is a directory of the image, and BuildKit
  // joins the base name once only, so the file would replace it: refused.
  CHECK(message_of([&] { g.run(req({"dir"}, "/t/")); }) ==
        "cannot replace to directory /t/dir with file");
  // A file of a copied directory over an image directory is refused.
  Fixture h;
  h.file("src/x", "X");
  fs::create_directories(h.lower + "/t/x");
  CHECK(code_of([&] { h.run(req({"src"}, "/t/")); }) == Errc::invalid_argument);
}

TEST_CASE("copy step: ADD extracts local tar archives, copies other files, refuses URLs") {
  Fixture f;
  auto fill = [](layer::TarWriter &tw) {
    tw.add_directory("pkg", 0750);
    tw.add_bytes("pkg/bin/tool", "TOOL", 0755);
    tw.add_bytes("README", "read me", 0644);
  };
  f.tmp.write("ctx/plain.tar", tar_of(fill));
  f.tmp.write("ctx/pkg.tar.gz", tar_of(fill, layer::Compression::gzip));
  f.tmp.write("ctx/pkg.tar.zst", tar_of(fill, layer::Compression::zstd));
  f.file("notes.gz.txt", "not an archive");
  auto r = req({"plain.tar"}, "/opt/plain");
  r.add = true;
  f.run(r);
  CHECK(read_file(f.up("opt/plain/pkg/bin/tool")) == "TOOL");
  CHECK((lst(f.up("opt/plain/pkg")).st_mode & 07777) == 0750);
  CHECK(read_file(f.up("opt/plain/README")) == "read me");
  r = req({"pkg.tar.gz", "pkg.tar.zst", "notes.gz.txt"}, "/opt/z/");
  r.add = true;
  r.chown = "42:43";
  f.run(r);
  CHECK(read_file(f.up("opt/z/pkg/bin/tool")) == "TOOL");
  CHECK(lst(f.up("opt/z/pkg/bin/tool")).st_uid == 42);
  CHECK((lst(f.up("opt/z/pkg/bin/tool")).st_mode & 07777) == 0755);
  CHECK(read_file(f.up("opt/z/notes.gz.txt")) == "not an archive");
  CHECK_FALSE(exists(f.up("opt/z/pkg.tar.gz")));
  // COPY never extracts.
  f.run(req({"plain.tar"}, "/copied/"));
  CHECK(exists(f.up("copied/plain.tar")));
  CHECK_FALSE(exists(f.up("copied/pkg")));

  // The Extractor's safety: an entry climbing out of the destination is refused.
  Fixture g;
  std::string evil =
      tartest::archive({tartest::mfile("ok", "ok"), tartest::mfile("../../escaped", "x")});
  g.tmp.write("ctx/evil.tar", evil);
  auto e = req({"evil.tar"}, "/x/");
  e.add = true;
  CHECK(code_of([&] { g.run(e); }) == Errc::unsafe);
  CHECK_FALSE(exists(g.tmp.str("escaped")));

  auto u = req({"https://example.com/a.tgz"}, "/x/");
  u.add = true;
  CHECK(code_of([&] { g.run(u); }) == Errc::unsupported);
  u.add = false;
  CHECK(code_of([&] { g.run(u); }) == Errc::invalid_argument);
  auto c = req({"evil.tar"}, "/x/");
  c.add = true;
  c.checksum = "sha256:0000000000000000000000000000000000000000000000000000000000000000";
  CHECK(message_of([&] { g.run(c); }) == "checksum requires HTTP(S) or Git sources");
  c.add = false;
  CHECK(message_of([&] { g.run(c); }) == "checksum can't be specified for COPY");

  Fixture b;
  b.tmp.write("ctx/a.tar.bz2", std::string("BZh91AY&SY") + std::string(40, '\0'));
  auto bz = req({"a.tar.bz2"}, "/x/");
  bz.add = true;
  b.run(bz); // corrupt bzip2 is no archive: copied as it is, as BuildKit copies it
  CHECK(read_file(b.up("x/a.tar.bz2")) == std::string("BZh91AY&SY") + std::string(40, '\0'));
}

TEST_CASE("copy step: ADD downloads URLs, named after the path, checked against --checksum") {
  std::string tgz =
      tar_of([](layer::TarWriter &tw) { tw.add_bytes("inside", "x"); }, layer::Compression::gzip);
  FileServer server({{"/dl/tool-1.2.tar.gz", {tgz, "Sun, 06 Nov 1994 08:49:37 GMT"}},
                     {"/", {"index", ""}},
                     {"/a%20b.txt", {"spaced", ""}}});
  http::Client client(loopback_client());
  Fixture f;
  auto r = req({server.url("/dl/tool-1.2.tar.gz")}, "/opt/");
  r.add = true;
  r.http = &client;
  r.checksum = image::Digest::sha256_of(tgz).str();
  f.run(r);
  // A remote archive is not extracted: the file, 0600, with Last-Modified as its mtime.
  CHECK(read_file(f.up("opt/tool-1.2.tar.gz")) == tgz);
  CHECK((lst(f.up("opt/tool-1.2.tar.gz")).st_mode & 07777) == 0600);
  CHECK(lst(f.up("opt/tool-1.2.tar.gz")).st_mtime == 784111777);

  r = req({server.url("/"), server.url("/a%20b.txt")}, "/w/");
  r.add = true;
  r.http = &client;
  r.chmod = "644";
  f.run(r);
  CHECK(read_file(f.up("w/__unnamed__")) == "index");
  CHECK(read_file(f.up("w/a b.txt")) == "spaced");
  CHECK((lst(f.up("w/a b.txt")).st_mode & 07777) == 0644);

  r = req({server.url("/dl/tool-1.2.tar.gz")}, "/renamed.tgz");
  r.add = true;
  r.http = &client;
  r.checksum = image::Digest::sha256_of("something else").str();
  CHECK(code_of([&] { f.run(r); }) == Errc::digest_mismatch);
  CHECK_FALSE(exists(f.up("renamed.tgz")));
  r.checksum = "md5:abc";
  CHECK(code_of([&] { f.run(r); }) == Errc::invalid_argument);
  r.checksum.clear();
  f.run(r);
  CHECK(read_file(f.up("renamed.tgz")) == tgz);

  r = req({server.url("/missing")}, "/m/");
  r.add = true;
  r.http = &client;
  CHECK(code_of([&] { f.run(r); }) == Errc::network);
  CHECK_FALSE(exists(f.up("m/missing")));
}
