// lib/sandbox/overlay_diff: a hand-made overlay upper directory (whiteouts as 0/0
// character devices, opaque directories by xattr) as layer entries, and the layer
// applied by berth's own Extractor over the base giving the tree overlay showed.
// lib/sandbox/user: USER resolution against passwd/group text.
#include "doctest/doctest.h"

#include "core/crypto.hpp"
#include "core/stream.hpp"
#include "layer/extract.hpp"
#include "layer/tar_reader.hpp"
#include "sandbox/layer_store.hpp"
#include "sandbox/overlay_diff.hpp"
#include "sandbox/user.hpp"
#include "test_util.hpp"

#include <berth/error.hpp>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

using namespace berth;

namespace {

std::map<std::string, layer::TarEntry> entries_of(const std::string &tar,
                                                  std::vector<std::string> *order = nullptr) {
  std::size_t at = 0;
  layer::TarReader r([&](char *buf, std::size_t len) {
    std::size_t n = std::min(len, tar.size() - at);
    std::memcpy(buf, tar.data() + at, n);
    at += n;
    return n;
  });
  std::map<std::string, layer::TarEntry> out;
  while (auto e = r.next()) {
    if (order) order->push_back(e->path);
    out[e->path] = *e;
  }
  return out;
}

void whiteout(const std::string &path) {
  REQUIRE(::mknod(path.c_str(), S_IFCHR | 0, ::makedev(0, 0)) == 0);
}

void set_opaque(const std::string &dir, const char *name) {
  REQUIRE(::setxattr(dir.c_str(), name, "y", 1, 0) == 0);
}

std::string diff_tar(const std::string &upper, sandbox::OverlayDiffOptions o = {}) {
  core::StringSink sink;
  layer::TarOptions t;
  t.keep_owner = true;
  t.mtime_clamp = o.mtime_clamp;
  layer::TarWriter tw(sink, t);
  sandbox::write_overlay_diff(upper, tw, o);
  tw.finish();
  return sink.str();
}

} // namespace

TEST_CASE("overlay diff: whiteouts, opaque directories and plain changes as layer entries") {
  if (::geteuid() != 0) {
    MESSAGE("skipped: mknod of a whiteout and trusted.* xattrs need root");
    return;
  }
  test::TempDir d;
  d.write("upper/etc/new.conf", "n=1\n");
  ::chmod(d.str("upper/etc/new.conf").c_str(), 0640);
  REQUIRE(::chown(d.str("upper/etc/new.conf").c_str(), 1000, 2000) == 0);
  whiteout(d.str("upper/etc/gone"));
  std::filesystem::create_directories(d / "upper/var/cache");
  d.write("upper/var/cache/fresh", "f");
  set_opaque(d.str("upper/var/cache"), "trusted.overlay.opaque");
  std::filesystem::create_directories(d / "upper/half");
  REQUIRE(::setxattr(d.str("upper/half").c_str(), "trusted.overlay.opaque", "x", 1, 0) == 0);
  std::filesystem::create_symlink("/etc/new.conf", d / "upper/link");
  std::filesystem::create_hard_link(d / "upper/etc/new.conf", d / "upper/hard");

  std::vector<std::string> order;
  auto e = entries_of(diff_tar(d.str("upper")), &order);
  CHECK(e.count("etc/gone") == 0);
  REQUIRE(e.count("etc/.wh.gone") == 1);
  CHECK(e["etc/.wh.gone"].type == layer::TarEntry::Type::file);
  CHECK(e["etc/.wh.gone"].size == 0);
  REQUIRE(e.count("var/cache/.wh..wh..opq") == 1);
  CHECK(e.count("half/.wh..wh..opq") == 0); // "x" hides nothing
  CHECK(e["etc/new.conf"].mode == 0640);
  CHECK(e["etc/new.conf"].uid == 1000);
  CHECK(e["etc/new.conf"].gid == 2000);
  CHECK(e["link"].type == layer::TarEntry::Type::symlink);
  CHECK(e["link"].link == "/etc/new.conf");
  // The second name of the inode is a hardlink to the first in walk order.
  CHECK((e["hard"].type == layer::TarEntry::Type::hardlink) !=
        (e["etc/new.conf"].type == layer::TarEntry::Type::hardlink));
  auto opq = std::find(order.begin(), order.end(), "var/cache/.wh..wh..opq");
  REQUIRE(opq != order.begin());
  CHECK(*(opq - 1) == "var/cache");

  // Deterministic: the same upper dir gives the same bytes.
  CHECK(diff_tar(d.str("upper")) == diff_tar(d.str("upper")));

  // Applied over the base by berth's extractor, the layer gives what overlay showed.
  d.write("root/etc/gone", "old");
  d.write("root/etc/kept", "k");
  d.write("root/var/cache/stale", "s");
  std::string tar = diff_tar(d.str("upper"));
  std::size_t at = 0;
  layer::TarReader r([&](char *buf, std::size_t len) {
    std::size_t n = std::min(len, tar.size() - at);
    std::memcpy(buf, tar.data() + at, n);
    at += n;
    return n;
  });
  layer::Extractor x(d.str("root"));
  x.apply_layer(r);
  CHECK(!std::filesystem::exists(d / "root/etc/gone"));
  CHECK(std::filesystem::exists(d / "root/etc/kept"));
  CHECK(!std::filesystem::exists(d / "root/var/cache/stale"));
  CHECK(test::read_file(d / "root/var/cache/fresh") == "f");
  CHECK(test::read_file(d / "root/etc/new.conf") == "n=1\n");
}

TEST_CASE("overlay diff: user.overlay.opaque counts only with userxattr; ids map back; clamp") {
  test::TempDir d;
  std::filesystem::create_directories(d / "upper/dir");
  d.write("upper/dir/f", "x");
  set_opaque(d.str("upper/dir"), "user.overlay.opaque");
  CHECK(entries_of(diff_tar(d.str("upper"))).count("dir/.wh..wh..opq") == 0);
  sandbox::OverlayDiffOptions o;
  o.userxattr = true;
  o.mtime_clamp = 100;
  const auto me = static_cast<std::uint32_t>(::geteuid());
  const auto my_gid = static_cast<std::uint32_t>(::getegid());
  o.ids.uids = {{0, me, 1}};
  o.ids.gids = {{0, my_gid, 1}};
  auto e = entries_of(diff_tar(d.str("upper"), o));
  CHECK(e.count("dir/.wh..wh..opq") == 1);
  CHECK(e["dir/f"].uid == 0);
  CHECK(e["dir/f"].mtime == 100);
  CHECK(e["dir/.wh..wh..opq"].mtime == 100);
  // A file of an id the namespace did not map cannot be given an owner inside.
  o.ids.uids = {{0, me + 1, 1}};
  CHECK_THROWS_AS(diff_tar(d.str("upper"), o), Error);
}

TEST_CASE("USER resolution follows BuildKit's rules") {
  const std::string passwd = "root:x:0:0:root:/root:/bin/sh\n"
                             "# comment\n"
                             "app:x:1000:1000:app:/home/app:/bin/sh\n";
  const std::string group = "root:x:0:\napp:x:1000:\nextra:x:2000:app,svc\nother:x:3000:svc\n";
  auto root = sandbox::resolve_user("", passwd, group);
  CHECK(root.uid == 0);
  CHECK(root.groups.empty());
  auto app = sandbox::resolve_user("app", passwd, group);
  CHECK(app.uid == 1000);
  CHECK(app.gid == 1000);
  CHECK(app.home == "/home/app");
  CHECK(app.groups == std::vector<std::uint32_t>{2000});
  auto by_id = sandbox::resolve_user("1000", passwd, group);
  CHECK(by_id.gid == 1000);
  CHECK(by_id.groups == std::vector<std::uint32_t>{2000});
  auto unknown_id = sandbox::resolve_user("4242", passwd, group);
  CHECK(unknown_id.uid == 4242);
  CHECK(unknown_id.gid == 0);
  auto explicit_group = sandbox::resolve_user("app:other", passwd, group);
  CHECK(explicit_group.gid == 3000);
  CHECK(explicit_group.groups.empty());
  CHECK(sandbox::resolve_user("app:77", passwd, group).gid == 77);
  CHECK_THROWS_AS(sandbox::resolve_user("nobody", passwd, group), Error);
  CHECK_THROWS_AS(sandbox::resolve_user("app:nogroup", passwd, group), Error);
  CHECK_THROWS_AS(sandbox::resolve_user("app:", passwd, group), Error);
  CHECK(sandbox::resolve_user("7:8", "", "").gid == 8);
}

TEST_CASE("USER files are read through overlay lower dirs, top first") {
  test::TempDir d;
  d.write("top/etc/passwd", "top\n");
  d.write("mid/etc/group", "mid-group\n");
  d.write("low/etc/group", "low-group\n");
  d.write("low/etc/shadow", "x");
  std::vector<std::string> lowers{d.str("top"), d.str("mid"), d.str("low")};
  CHECK(sandbox::read_from_lowers(lowers, "etc/passwd", 100) == "top\n");
  CHECK(sandbox::read_from_lowers(lowers, "etc/group", 100) == "mid-group\n");
  if (::geteuid() == 0) {
    whiteout(d.str("mid/etc/shadow"));
    CHECK(sandbox::read_from_lowers(lowers, "etc/shadow", 100).empty());
  }
  set_opaque(d.str("mid/etc"), "user.overlay.opaque");
  d.write("low/etc/hosts", "low");
  CHECK(sandbox::read_from_lowers(lowers, "etc/hosts", 100).empty());
}

TEST_CASE("layer store: whiteouts kept in overlay's form, verified, reused") {
  test::TempDir d;
  core::StringSink sink;
  layer::TarWriter tw(sink);
  tw.add_bytes("etc/kept", "k");
  tw.add_bytes("etc/.wh.gone", "", 0);
  tw.add_directory("var/cache");
  tw.add_bytes("var/cache/.wh..wh..opq", "", 0);
  tw.add_bytes("var/cache/new", "n");
  tw.finish();
  const std::string tar = sink.str();
  core::Sha256 h;
  h.update(tar);
  const std::string diff_id = "sha256:" + h.finish_hex();
  auto reader = [&](std::size_t &at) {
    return [&](char *buf, std::size_t len) {
      std::size_t n = std::min(len, tar.size() - at);
      std::memcpy(buf, tar.data() + at, n);
      at += n;
      return n;
    };
  };
  sandbox::LayerStore store(d.str("store"), /*userxattr=*/true);
  CHECK(!store.find(diff_id));
  std::size_t at = 0;
  auto dir = store.ensure(diff_id, reader(at));
  CHECK(dir == d.str("store") + "/sha256/" + diff_id.substr(7));
  struct stat st {};
  REQUIRE(::lstat((dir + "/etc/gone").c_str(), &st) == 0);
  CHECK(S_ISCHR(st.st_mode));
  CHECK(st.st_rdev == ::makedev(0, 0));
  char v[2] = {};
  CHECK(::getxattr((dir + "/var/cache").c_str(), "user.overlay.opaque", v, sizeof v) == 1);
  CHECK(v[0] == 'y');
  CHECK(test::read_file(dir + "/var/cache/new") == "n");
  CHECK(!std::filesystem::exists(dir + "/var/cache/.wh..wh..opq"));
  // A second ensure() finds it without reading anything.
  std::size_t none = tar.size();
  CHECK(store.ensure(diff_id, reader(none)) == dir);
  // Bytes that are not the layer named: an error, and nothing under that name.
  const std::string other = "sha256:" + std::string(64, 'a');
  at = 0;
  CHECK_THROWS_AS(store.ensure(other, reader(at)), Error);
  CHECK(!store.find(other));
  CHECK_THROWS_AS(store.find("sha256:../../etc"), Error);
}
