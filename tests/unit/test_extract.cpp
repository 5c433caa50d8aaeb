// Extractor (lib/layer/extract.*): flattening layers, OCI whiteouts and opaque
// directories, replacement rules, owners and setuid bits, atomic file writes, the size
// and expansion caps, and a hostile corpus — each hostile case asserts the error code
// and that nothing outside the target changed. (tests/drivers/tar_driver.cpp is
// berth's side of tests/layer/test_tar_interop.sh.)
#include <doctest/doctest.h>

#include "../layer/tar_test_support.hpp"

#include "core/stream.hpp"
#include "layer/extract.hpp"
#include "layer/tar_header.hpp"
#include "layer/tar_reader.hpp"
#include "layer/tar_writer.hpp"

#include <cstring>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

using berth::Errc;
using namespace berth::layer;
using namespace berth::tartest;

namespace {

void apply_tar(Extractor &x, const std::string &tar) {
  TarReader r(string_source(tar, 1000));
  x.apply_layer(r);
}

struct stat lstat_of(const std::string &p) {
  struct stat st {};
  REQUIRE_MESSAGE(::lstat(p.c_str(), &st) == 0, p);
  return st;
}

bool exists(const std::string &p) {
  struct stat st {};
  return ::lstat(p.c_str(), &st) == 0;
}

// No ".berth-tmp-*" names left anywhere below `root`.
bool no_temp_files(const std::string &root) {
  for (const auto &e : fs::recursive_directory_iterator(root))
    if (e.path().filename().string().rfind(".berth-tmp-", 0) == 0) return false;
  return true;
}

// A sandbox: <tmp>/target is extracted into; <tmp>/outside holds a secret and must
// never change; /etc/passwd is watched too.
struct Sandbox {
  TempDir t;
  std::string target = t.str("target");
  std::string outside = t.str("outside");
  std::map<std::string, std::string> before;
  std::string passwd;
  Sandbox() {
    write_text(outside + "/secret", "do not touch");
    fs::create_directories(target);
    before = snapshot(t.path, t.path / "target");
    passwd = exists("/etc/passwd") ? read_text("/etc/passwd") : "";
  }
  void check_outside_untouched() {
    CHECK(snapshot(t.path, t.path / "target") == before);
    if (!passwd.empty()) CHECK(read_text("/etc/passwd") == passwd);
    CHECK_FALSE(exists("/etc/berth-pwned"));
    CHECK_FALSE(exists("/berth-pwned"));
    CHECK(no_temp_files(target));
  }
  // Applies `tar` to a fresh extractor over the target; returns the error code.
  Errc extract(const std::string &tar, ExtractOptions opts = {}) {
    return code_of([&] {
      Extractor x(target, opts);
      apply_tar(x, tar);
    });
  }
};

} // namespace

TEST_CASE("extract: a layer made by TarWriter lands as it was") {
  TempDir t;
  write_text(t.str("src/bin/tool"), "#!/bin/sh\necho hi\n");
  ::chmod(t.str("src/bin/tool").c_str(), 0755);
  write_text(t.str("src/etc/conf"), "k=v\n");
  ::chmod(t.str("src/etc/conf").c_str(), 0600);
  REQUIRE(::symlink("../etc/conf", t.str("src/bin/conf").c_str()) == 0);
  REQUIRE(::link(t.str("src/etc/conf").c_str(), t.str("src/etc/conf.hard").c_str()) == 0);
  REQUIRE(::mkfifo(t.str("src/pipe").c_str(), 0600) == 0);
  ::chmod(t.str("src/pipe").c_str(), 0620); // past the umask
  write_text(t.str("src/ro/inside"), "in a read-only dir");
  ::chmod(t.str("src/ro").c_str(), 0555);
  fs::create_directories(t.str("src/empty"));

  berth::core::StringSink sink;
  TarOptions opts;
  opts.fixed_mtime = 1234567890;
  TarWriter w(sink, opts);
  w.add_tree(t.str("src"), "");
  w.finish();

  Extractor x(t.str("out"));
  apply_tar(x, sink.str());
  const std::string o = t.str("out");
  CHECK(read_text(o + "/bin/tool") == "#!/bin/sh\necho hi\n");
  CHECK((lstat_of(o + "/bin/tool").st_mode & 07777) == 0755);
  CHECK((lstat_of(o + "/etc/conf").st_mode & 07777) == 0600);
  CHECK(S_ISLNK(lstat_of(o + "/bin/conf").st_mode));
  CHECK(fs::read_symlink(o + "/bin/conf") == "../etc/conf");
  CHECK(lstat_of(o + "/etc/conf").st_ino == lstat_of(o + "/etc/conf.hard").st_ino);
  CHECK(S_ISFIFO(lstat_of(o + "/pipe").st_mode));
  CHECK((lstat_of(o + "/pipe").st_mode & 07777) == 0620);
  CHECK(read_text(o + "/ro/inside") == "in a read-only dir");
  CHECK((lstat_of(o + "/ro").st_mode & 07777) == 0555);
  CHECK(S_ISDIR(lstat_of(o + "/empty").st_mode));
  for (const auto &p : {"/bin/tool", "/etc/conf", "/bin/conf", "/pipe", "/ro", "/bin", "/empty"})
    CHECK_MESSAGE(lstat_of(o + p).st_mtim.tv_sec == 1234567890, p);
  CHECK(x.bytes_written() == 18 + 4 + 18);
  CHECK(no_temp_files(o));
}

TEST_CASE("extract: whiteouts remove what earlier layers wrote") {
  TempDir t;
  Extractor x(t.str("root"));
  apply_tar(x, archive({mdir("a"), mfile("a/x", "x"), mfile("a/y", "y"), mdir("b"), mdir("b/deep"),
                        mfile("b/deep/z", "z"), mfile("c", "c"), msymlink("s", "/nowhere")}));
  apply_tar(x, archive({mfile("a/.wh.x", ""), mfile(".wh.b", ""), mfile(".wh.missing", ""),
                        mfile("nodir/.wh.q", ""), mfile(".wh.s", ""), mfile("c", "new c"),
                        mfile(".wh.c", "")}));
  const std::string r = t.str("root");
  CHECK_FALSE(exists(r + "/a/x"));
  CHECK(read_text(r + "/a/y") == "y");
  CHECK_FALSE(exists(r + "/b"));
  CHECK_FALSE(exists(r + "/s"));
  CHECK_FALSE(exists(r + "/.wh.missing"));
  CHECK_FALSE(exists(r + "/nodir")); // a whiteout creates nothing
  // A whiteout only hides lower layers: this layer's own "c" stays.
  CHECK(read_text(r + "/c") == "new c");
  CHECK_FALSE(exists(r + "/a/.wh.x"));
}

TEST_CASE("extract: an opaque whiteout empties the directory of lower layers only") {
  TempDir t;
  Extractor x(t.str("root"));
  apply_tar(x, archive({mdir("d"), mfile("d/old", "1"), mdir("d/sub"), mfile("d/sub/old2", "2"),
                        mdir("d/keep"), mfile("d/keep/lower", "3"), mfile("other", "o")}));
  // "d/-early" sorts before ".wh..wh..opq" and belongs to the same layer: it stays, as
  // does d/keep/new, while d/keep's lower content goes.
  apply_tar(x, archive({mdir("d"), mfile("d/-early", "e"), mfile("d/.wh..wh..opq", ""),
                        mdir("d/keep"), mfile("d/keep/new", "n"), mfile("d/new", "n")}));
  const std::string r = t.str("root");
  std::set<std::string> names;
  for (const auto &e : fs::directory_iterator(r + "/d"))
    names.insert(e.path().filename().string());
  CHECK(names == std::set<std::string>{"-early", "keep", "new"});
  std::set<std::string> keep;
  for (const auto &e : fs::directory_iterator(r + "/d/keep"))
    keep.insert(e.path().filename().string());
  CHECK(keep == std::set<std::string>{"new"});
  CHECK(read_text(r + "/other") == "o");

  // The root itself can be opaque.
  apply_tar(x, archive({mfile(".wh..wh..opq", ""), mfile("fresh", "f")}));
  std::set<std::string> top;
  for (const auto &e : fs::directory_iterator(r))
    top.insert(e.path().filename().string());
  CHECK(top == std::set<std::string>{"fresh"});
}

TEST_CASE("extract: later layers replace files, directories and symlinks") {
  Sandbox s;
  Extractor x(s.target);
  apply_tar(x, archive({mfile("f2d", "file"), mdir("d2f"), mfile("d2f/inner", "i"),
                        msymlink("l2f", s.outside + "/secret"), mfile("plain", "v1"),
                        mhardlink("hl", "plain")}));
  apply_tar(x, archive({mdir("f2d"), mfile("f2d/now", "dir"), mfile("d2f", "now a file"),
                        mfile("l2f", "replaced the link, not its target"), mfile("hl", "v2")}));
  CHECK(S_ISDIR(lstat_of(s.target + "/f2d").st_mode));
  CHECK(read_text(s.target + "/d2f") == "now a file");
  CHECK(S_ISREG(lstat_of(s.target + "/l2f").st_mode));
  CHECK(read_text(s.target + "/l2f") == "replaced the link, not its target");
  // Writing "hl" replaced the link instead of writing through to "plain".
  CHECK(read_text(s.target + "/plain") == "v1");
  CHECK(read_text(s.target + "/hl") == "v2");
  s.check_outside_untouched();
}

TEST_CASE("extract: owners, setuid bits and capabilities only with preserve_owner") {
  Member suid = mfile("suid", "x", 06755);
  Member dirg = mdir("sgid", 02775);
  std::string tar;
  {
    berth::layer::tarfmt::HeaderSpec h;
    h.path = "owned";
    h.uid = 1234;
    h.gid = 5678;
    h.mode = 04750;
    h.size = 1;
    const std::string cap("\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00"
                          "\x00\x00\x00\x00\x00\x00\x00\x00",
                          20);
    h.extra_pax.emplace_back("SCHILY.xattr.security.capability", cap);
    tar = member(suid) + member(dirg) + berth::layer::tarfmt::encode_header(h) + "o" +
          std::string(511, '\0') + std::string(1024, '\0');
  }
  TempDir t;
  {
    Extractor x(t.str("plain"));
    apply_tar(x, tar);
    CHECK((lstat_of(t.str("plain/suid")).st_mode & 07777) == 0755);
    CHECK((lstat_of(t.str("plain/sgid")).st_mode & 07777) == 0775);
    CHECK((lstat_of(t.str("plain/owned")).st_mode & 07777) == 0750);
    CHECK(lstat_of(t.str("plain/owned")).st_uid == ::geteuid());
    char buf[64];
    CHECK(::getxattr(t.str("plain/owned").c_str(), "security.capability", buf, sizeof buf) < 0);
  }
  if (::geteuid() == 0) {
    ExtractOptions o;
    o.preserve_owner = true;
    Extractor x(t.str("kept"), o);
    apply_tar(x, tar);
    CHECK((lstat_of(t.str("kept/suid")).st_mode & 07777) == 06755);
    CHECK((lstat_of(t.str("kept/sgid")).st_mode & 07777) == 02775);
    auto st = lstat_of(t.str("kept/owned"));
    CHECK((st.st_mode & 07777) == 04750); // chown did not eat the setuid bit
    CHECK(st.st_uid == 1234);
    CHECK(st.st_gid == 5678);
    char buf[64];
    auto n = ::getxattr(t.str("kept/owned").c_str(), "security.capability", buf, sizeof buf);
    if (n >= 0) CHECK(n == 20);
  }
}

TEST_CASE("extract: device nodes only when asked, and never more than 0600") {
  berth::layer::tarfmt::HeaderSpec h;
  h.typeflag = berth::layer::tarfmt::kTypeBlock;
  h.path = "dev/sda";
  h.mode = 0666; // a world-writable disk device, as a hostile image would carry
  h.devmajor = 8;
  h.devminor = 0;
  std::string tar = berth::layer::tarfmt::encode_header(h) + std::string(1024, '\0');
  TempDir t;
  {
    Extractor x(t.str("default"));
    apply_tar(x, tar);
    CHECK_FALSE(exists(t.str("default/dev/sda"))); // skipped, no error
  }
  ExtractOptions o;
  o.devices = true;
  Extractor x(t.str("asked"), o);
  apply_tar(x, tar);
  if (::geteuid() == 0) {
    auto st = lstat_of(t.str("asked/dev/sda"));
    CHECK(S_ISBLK(st.st_mode));
    CHECK((st.st_mode & 07777) == 0600);
    CHECK(major(st.st_rdev) == 8);
    CHECK(minor(st.st_rdev) == 0);
  } else {
    CHECK_FALSE(exists(t.str("asked/dev/sda"))); // only root can make devices
  }
}

TEST_CASE("extract: expansion ratio cap") {
  Sandbox s;
  const std::string tar = archive({mfile("zeros", std::string(24 << 20, '\0'))});
  ExtractOptions o;
  o.max_expansion_ratio = 100;
  {
    Extractor x(s.target, o);
    x.note_compressed_bytes(4096); // 24 MiB from 4 KiB: 6144x
    CHECK(code_of([&] { apply_tar(x, tar); }) == Errc::too_large);
    CHECK_FALSE(exists(s.target + "/zeros"));
  }
  {
    // The first layer, counted while it streams (it used to be counted only after
    // the layer, so every first layer past the grace failed).
    Extractor x(s.target, o);
    std::uint64_t read = 0;
    TarReader r([&, src = string_source(tar, 1 << 16)](char *buf, std::size_t len) mutable {
      auto n = src(buf, len);
      read += n / 50; // as if compressed 50:1
      return n;
    });
    x.apply_layer(r, [&] { return read; });
    CHECK(fs::file_size(s.target + "/zeros") == 24u << 20);
  }
  {
    Extractor x(s.target, o);
    std::uint64_t read = 0;
    TarReader r([&, src = string_source(tar, 1 << 16)](char *buf, std::size_t len) mutable {
      auto n = src(buf, len);
      read += n / 1000; // a bomb: 1000:1
      return n;
    });
    CHECK(code_of([&] { x.apply_layer(r, [&] { return read; }); }) == Errc::too_large);
  }
  {
    Extractor x(s.target, o);
    x.note_compressed_bytes(1 << 20); // 24x: fine
    apply_tar(x, tar);
    CHECK(fs::file_size(s.target + "/zeros") == 24u << 20);
  }
  s.check_outside_untouched();
}

TEST_CASE("extract: hostile corpus") {
  SUBCASE("traversal ../x") {
    Sandbox s;
    CHECK(s.extract(archive({mfile("../outside/pwned", "x")})) == Errc::unsafe);
    CHECK(s.extract(archive({mfile("a/../../outside/pwned", "x")})) == Errc::unsafe);
    CHECK(s.extract(archive({mfile("./../pwned", "x")})) == Errc::unsafe);
    s.check_outside_untouched();
  }
  SUBCASE("absolute paths") {
    Sandbox s;
    CHECK(s.extract(archive({mfile("/etc/berth-pwned", "x")})) == Errc::unsafe);
    CHECK(s.extract(archive({mfile(s.outside + "/pwned", "x")})) == Errc::unsafe);
    auto msg = message_of([&] {
      Extractor x(s.target);
      apply_tar(x, archive({mfile("/etc/berth-pwned", "x")}));
    });
    CHECK(msg.find("'/etc/berth-pwned'") != std::string::npos);
    s.check_outside_untouched();
  }
  SUBCASE("symlink escape: a -> / then a/etc/passwd") {
    Sandbox s;
    CHECK(s.extract(archive({msymlink("a", "/"),
                             mfile("a/etc/passwd", "root::0:0::/:/bin/sh\n")})) == Errc::unsafe);
    CHECK(s.extract(archive({msymlink("b", s.outside), mfile("b/pwned", "x")})) == Errc::unsafe);
    CHECK(s.extract(archive({msymlink("c", s.outside), mfile("c/secret", "overwritten")})) ==
          Errc::unsafe);
    // The same through a directory entry, a symlink or a fifo under the link.
    CHECK(s.extract(archive({msymlink("d", s.outside), mdir("d/newdir")})) == Errc::unsafe);
    CHECK(s.extract(archive({msymlink("e", s.outside), msymlink("e/ln", "/")})) == Errc::unsafe);
    s.check_outside_untouched();
  }
  SUBCASE("symlink escape across layers") {
    Sandbox s;
    Extractor x(s.target);
    apply_tar(x, archive({msymlink("etc", s.outside)}));
    CHECK(code_of([&] { apply_tar(x, archive({mfile("etc/pwned", "x")})); }) == Errc::unsafe);
    CHECK(code_of([&] { apply_tar(x, archive({mfile("etc/.wh.secret", "")})); }) == Errc::unsafe);
    CHECK(code_of([&] { apply_tar(x, archive({mfile("etc/.wh..wh..opq", "")})); }) == Errc::unsafe);
    s.check_outside_untouched();
  }
  SUBCASE("symlink to a .. chain") {
    Sandbox s;
    CHECK(s.extract(archive({msymlink("up", ".."), mfile("up/pwned", "x")})) == Errc::unsafe);
    CHECK(s.extract(archive({mdir("d"), msymlink("d/up", "../../.."), msymlink("d/up/up2", ".."),
                             mfile("d/up/up2/berth-pwned", "x")})) == Errc::unsafe);
    CHECK(s.extract(archive({msymlink("l1", "."), msymlink("l1/l2", ".."),
                             mfile("l1/l2/outside/pwned", "x")})) == Errc::unsafe);
    s.check_outside_untouched();
  }
  SUBCASE("symlink already in the target") {
    Sandbox s;
    REQUIRE(::symlink(s.outside.c_str(), (s.target + "/pre").c_str()) == 0);
    s.before = snapshot(s.t.path, s.t.path / "target");
    CHECK(s.extract(archive({mfile("pre/pwned", "x")})) == Errc::unsafe);
    s.check_outside_untouched();
  }
  SUBCASE("hardlinks out of the target") {
    Sandbox s;
    CHECK(s.extract(archive({mhardlink("pw", "/etc/passwd")})) == Errc::unsafe);
    CHECK(s.extract(archive({mhardlink("pw", "../outside/secret")})) == Errc::unsafe);
    CHECK(s.extract(archive({msymlink("o", s.outside), mhardlink("pw", "o/secret")})) ==
          Errc::unsafe);
    CHECK(s.extract(archive({mhardlink("pw", "does/not/exist")})) == Errc::unsafe);
    CHECK(s.extract(archive({mdir("d"), mhardlink("pw", "d")})) == Errc::unsafe);
    CHECK_FALSE(exists(s.target + "/pw"));
    // A hardlink to a symlink links the symlink itself: nothing is followed.
    CHECK(s.extract(archive({msymlink("sl", "/etc/passwd"), mhardlink("pw", "sl")})) == Errc::ok);
    CHECK(S_ISLNK(lstat_of(s.target + "/pw").st_mode));
    s.check_outside_untouched();
  }
  SUBCASE("malformed names") {
    Sandbox s;
    Member nul = mfile("ok", "x");
    std::string tar = archive({nul});
    // A pax path with an embedded NUL.
    Member x;
    x.typeflag = berth::layer::tarfmt::kTypePaxLocal;
    x.path = "PaxHeaders/ok";
    x.data = berth::layer::tarfmt::pax_record("path", std::string("ok\0/../../pwned", 15));
    CHECK(s.extract(member(x) + tar) == Errc::unsafe);
    CHECK(s.extract(archive({mfile(".wh..", "")})) == Errc::unsafe);
    CHECK(s.extract(archive({mfile("a/" + std::string(5000, 'x'), "")})) == Errc::unsafe);
    s.check_outside_untouched();
  }
  SUBCASE("truncated header") {
    Sandbox s;
    std::string tar = archive({mfile("a", "a"), mfile("b", "b")});
    CHECK(s.extract(tar.substr(0, 1024 + 200)) == Errc::protocol);
    CHECK(read_text(s.target + "/a") == "a");
    CHECK_FALSE(exists(s.target + "/b"));
    s.check_outside_untouched();
  }
  SUBCASE("corrupt checksum") {
    Sandbox s;
    std::string tar = archive({mfile("a", "a")});
    tar[10] = 'X';
    CHECK(s.extract(tar) == Errc::protocol);
    s.check_outside_untouched();
  }
}
