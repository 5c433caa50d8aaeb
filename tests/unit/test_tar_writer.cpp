// TarWriter (lib/layer/tar_writer.*): determinism, ordering, mtime clamping, owners,
// hardlinks, special files, long and non-ASCII names, xattrs, the single-entry adders
// and mtime clamping. (tests/drivers/tar_driver.cpp is berth's side of
// tests/layer/test_tar_interop.sh.)
#include <doctest/doctest.h>

#include "../layer/tar_test_support.hpp"

#include "core/stream.hpp"
#include "layer/tar_writer.hpp"

#include <cstdlib>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

using berth::Errc;
using berth::core::StringSink;
using namespace berth::layer;
using namespace berth::tartest;

namespace {

void set_mtime(const std::string &path, std::int64_t t) {
  struct timespec ts[2] = {{static_cast<time_t>(t), 0}, {static_cast<time_t>(t), 0}};
  REQUIRE(::utimensat(AT_FDCWD, path.c_str(), ts, AT_SYMLINK_NOFOLLOW) == 0);
}

// A small tree with every kind of file TarWriter handles.
void make_tree(const std::string &root) {
  write_text(root + "/b.txt", "bee\n");
  write_text(root + "/a/one.txt", "one\n");
  write_text(root + "/a/two.bin", std::string(1000, '\x7f'));
  write_text(root + "/a.b", "dot\n");
  write_text(root + "/empty", "");
  fs::create_directories(root + "/emptydir");
  REQUIRE(::symlink("a/one.txt", (root + "/link").c_str()) == 0);
  REQUIRE(::link((root + "/a/one.txt").c_str(), (root + "/z-hard").c_str()) == 0);
  REQUIRE(::mkfifo((root + "/fifo").c_str(), 0640) == 0);
  write_text(root + "/suid", "#!/bin/sh\n");
  ::chmod((root + "/suid").c_str(), 04755);
  fs::create_directories(root + "/sticky");
  ::chmod((root + "/sticky").c_str(), 01777);
  for (const auto &p : {"/b.txt", "/a/one.txt", "/a/two.bin", "/a.b", "/empty", "/suid", "/link",
                        "/fifo", "/a", "/emptydir", "/sticky", ""})
    set_mtime(root + p, 1600000000);
}

std::string tar_of(const std::string &dir, const std::string &dest, TarOptions opts = {}) {
  StringSink sink;
  TarWriter w(sink, opts);
  w.add_tree(dir, dest);
  w.finish();
  return sink.str();
}

std::vector<std::string> paths_of(const std::vector<ReadEntry> &v) {
  std::vector<std::string> out;
  for (const auto &e : v)
    out.push_back(e.entry.path);
  return out;
}

} // namespace

TEST_CASE("tar writer: same tree twice gives identical bytes, sorted bytewise") {
  TempDir t;
  make_tree(t.str("src"));
  std::string first = tar_of(t.str("src"), "");
  CHECK(first == tar_of(t.str("src"), ""));
  CHECK(first.size() % 512 == 0);
  CHECK(first.substr(first.size() - 1024) == std::string(1024, '\0'));

  auto entries = read_all(first);
  std::vector<std::string> expect = {"a",     "a.b",    "a/one.txt", "a/two.bin",
                                     "b.txt", "empty",  "emptydir",  "fifo",
                                     "link",  "sticky", "suid",      "z-hard"};
  // The root itself has no entry; a.b sorts before a/ ('.' < '/').
  CHECK(paths_of(entries) == expect);
}

TEST_CASE("tar writer: entry types, modes and metadata") {
  TempDir t;
  make_tree(t.str("src"));
  auto entries = read_all(tar_of(t.str("src"), ""));
  auto get = [&](const std::string &p) {
    auto e = find_entry(entries, p);
    REQUIRE_MESSAGE(e != nullptr, p);
    return *e;
  };
  CHECK(get("a").entry.type == TarEntry::Type::dir);
  CHECK(get("a/one.txt").data == "one\n");
  CHECK(get("a/two.bin").data == std::string(1000, '\x7f'));
  CHECK(get("a/two.bin").entry.size == 1000);
  CHECK(get("empty").entry.size == 0);
  CHECK(get("link").entry.type == TarEntry::Type::symlink);
  CHECK(get("link").entry.link == "a/one.txt");
  CHECK(get("fifo").entry.type == TarEntry::Type::fifo);
  CHECK(get("fifo").entry.mode == 0640);
  CHECK(get("suid").entry.mode == 04755);
  CHECK(get("sticky").entry.mode == 01777);
  CHECK(get("z-hard").entry.type == TarEntry::Type::hardlink);
  CHECK(get("z-hard").entry.link == "a/one.txt"); // first path in sort order
  CHECK(get("z-hard").entry.size == 0);
  for (const auto &e : entries) {
    CHECK(e.entry.mtime == 1600000000);
    CHECK(e.entry.uid == 0);
    CHECK(e.entry.gid == 0);
  }
}

TEST_CASE("tar writer: the raw header has no owner names and no atime/ctime") {
  TempDir t;
  write_text(t.str("src/f"), "x");
  std::string tar = tar_of(t.str("src"), "");
  CHECK(tar.size() == 512 + 512 + 1024);                 // header, data block, end: no pax header
  CHECK(tar.substr(265, 64) == std::string(64, '\0'));   // uname, gname
  CHECK(tar.substr(345, 155) == std::string(155, '\0')); // prefix (GNU puts atime here)
  CHECK(tar.substr(257, 8) == std::string("ustar\0"
                                          "00",
                                          8));
}

TEST_CASE("tar writer: clamping makes trees with different mtimes identical") {
  TempDir t;
  make_tree(t.str("one"));
  make_tree(t.str("two"));
  set_mtime(t.str("one/a/one.txt"), 1700000001);
  set_mtime(t.str("two/a/one.txt"), 1800000000);
  set_mtime(t.str("one/a"), 1750000000);
  set_mtime(t.str("two/a"), 1760000000);
  TarOptions opts;
  opts.mtime_clamp = 1700000000;
  CHECK(tar_of(t.str("one"), "", opts) == tar_of(t.str("two"), "", opts));
  CHECK(tar_of(t.str("one"), "") != tar_of(t.str("two"), ""));

  // Older mtimes are kept as they are.
  auto e = read_all(tar_of(t.str("one"), "", opts));
  CHECK(find_entry(e, "b.txt")->entry.mtime == 1600000000);
  CHECK(find_entry(e, "a/one.txt")->entry.mtime == 1700000000);

  // fixed_mtime wins over the clamp.
  opts.fixed_mtime = 42;
  for (const auto &r : read_all(tar_of(t.str("one"), "", opts)))
    CHECK(r.entry.mtime == 42);
}

TEST_CASE("tar writer: dest prefix and its parent directories") {
  TempDir t;
  write_text(t.str("src/bin/tool"), "elf");
  ::chmod(t.str("src").c_str(), 0750);
  set_mtime(t.str("src"), 1600000000);
  TarOptions opts;
  opts.mtime_clamp = 1650000000;
  opts.uid = 1000;
  opts.gid = 1001;
  auto entries = read_all(tar_of(t.str("src"), "/usr/local//app/", opts));
  CHECK(paths_of(entries) == std::vector<std::string>{"usr", "usr/local", "usr/local/app",
                                                      "usr/local/app/bin",
                                                      "usr/local/app/bin/tool"});
  CHECK(entries[0].entry.mode == 0755);
  CHECK(entries[0].entry.mtime == 1650000000);
  CHECK(entries[1].entry.mode == 0755);
  CHECK(entries[2].entry.mode == 0750); // the tree root's own metadata
  CHECK(entries[2].entry.mtime == 1600000000);
  for (const auto &e : entries) {
    CHECK(e.entry.uid == 1000);
    CHECK(e.entry.gid == 1001);
  }
  CHECK(code_of([&] { tar_of(t.str("src"), "a/../../b"); }) == Errc::invalid_argument);
  CHECK(code_of([&] { tar_of(t.str("src/bin/tool"), ""); }) == Errc::invalid_argument);
  CHECK(code_of([&] { tar_of(t.str("missing"), ""); }) == Errc::not_found);
}

TEST_CASE("tar writer: keep_owner uses the files' own ids") {
  if (::geteuid() != 0) return; // chown needs root
  TempDir t;
  write_text(t.str("src/f"), "x");
  REQUIRE(::chown(t.str("src/f").c_str(), 1234, 5678) == 0);
  REQUIRE(::lchown(t.str("src").c_str(), 3000000, 3000001) == 0); // beyond octal: pax
  TarOptions opts;
  opts.keep_owner = true;
  auto e = read_all(tar_of(t.str("src"), "root", opts));
  CHECK(find_entry(e, "root/f")->entry.uid == 1234);
  CHECK(find_entry(e, "root/f")->entry.gid == 5678);
  CHECK(find_entry(e, "root")->entry.uid == 3000000);
  CHECK(find_entry(e, "root")->entry.gid == 3000001);
  opts.keep_owner = false;
  e = read_all(tar_of(t.str("src"), "root", opts));
  CHECK(find_entry(e, "root/f")->entry.uid == 0);
}

TEST_CASE("tar writer: hardlinks point at the first path in sort order") {
  TempDir t;
  write_text(t.str("src/m/data"), "shared");
  REQUIRE(::link(t.str("src/m/data").c_str(), t.str("src/a-first").c_str()) == 0);
  REQUIRE(::link(t.str("src/m/data").c_str(), t.str("src/z-last").c_str()) == 0);
  write_text(t.str("src/single"), "alone");
  auto e = read_all(tar_of(t.str("src"), "x"));
  CHECK(find_entry(e, "x/a-first")->entry.type == TarEntry::Type::file);
  CHECK(find_entry(e, "x/a-first")->data == "shared");
  CHECK(find_entry(e, "x/m/data")->entry.type == TarEntry::Type::hardlink);
  CHECK(find_entry(e, "x/m/data")->entry.link == "x/a-first");
  CHECK(find_entry(e, "x/z-last")->entry.link == "x/a-first");
  CHECK(find_entry(e, "x/single")->entry.type == TarEntry::Type::file);
}

TEST_CASE("tar writer: long and non-ASCII names round-trip") {
  TempDir t;
  std::string deep_rel;
  for (int i = 0; i < 6; ++i)
    deep_rel += std::string(50, static_cast<char>('a' + i)) + "/"; // 300+ byte paths
  deep_rel += "f";
  write_text(t.str("src/" + deep_rel), "deep");
  const std::string uni = "src/caf\xc3\xa9-\xe6\x97\xa5\xe6\x9c\xac.txt";
  write_text(t.str(uni), "unicode");
  const std::string longlink(180, 'L');
  REQUIRE(::symlink(longlink.c_str(), t.str("src/ll").c_str()) == 0);
  const std::string name255(255, 'n');
  write_text(t.str("src/" + name255), "max");

  auto e = read_all(tar_of(t.str("src"), ""));
  REQUIRE(find_entry(e, deep_rel) != nullptr);
  CHECK(find_entry(e, deep_rel)->data == "deep");
  REQUIRE(find_entry(e, uni.substr(4)) != nullptr);
  CHECK(find_entry(e, uni.substr(4))->data == "unicode");
  CHECK(find_entry(e, "ll")->entry.link == longlink);
  CHECK(find_entry(e, name255)->data == "max");

  if (have_gnu_tar()) {
    write_text(t.str("out.tar"), tar_of(t.str("src"), ""));
    CHECK(sh("tar -tf " + t.str("out.tar") + " > " + t.str("list.txt")) == 0);
    std::string listed = read_text(t.str("list.txt"));
    CHECK(listed.find(deep_rel) != std::string::npos);
    CHECK(listed.find(uni.substr(4)) != std::string::npos);
    CHECK(listed.find(name255) != std::string::npos);
  }
}

TEST_CASE("tar writer: sockets are skipped, devices stored") {
  TempDir t;
  write_text(t.str("src/f"), "x");
  int s = ::socket(AF_UNIX, SOCK_STREAM, 0);
  REQUIRE(s >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::string sp = t.str("src/sock");
  bool bound = sp.size() < sizeof addr.sun_path;
  if (bound) {
    std::copy(sp.begin(), sp.end(), addr.sun_path);
    bound = ::bind(s, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0;
  }
  bool dev = ::mknod(t.str("src/null").c_str(), S_IFCHR | 0666, makedev(1, 3)) == 0;
  auto e = read_all(tar_of(t.str("src"), ""));
  ::close(s);
  if (bound) CHECK(find_entry(e, "sock") == nullptr);
  if (dev) {
    REQUIRE(find_entry(e, "null") != nullptr);
    CHECK(find_entry(e, "null")->entry.type == TarEntry::Type::chardev);
    CHECK(find_entry(e, "null")->entry.devmajor == 1);
    CHECK(find_entry(e, "null")->entry.devminor == 3);
  }
  CHECK(find_entry(e, "f") != nullptr);
}

TEST_CASE("tar writer: security.capability as a SCHILY xattr when asked") {
  TempDir t;
  write_text(t.str("src/ping"), "elf");
  const std::string cap("\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00"
                        "\x00\x00\x00\x00\x00\x00\x00\x00",
                        20); // v2, cap_net_raw permitted
  if (::setxattr(t.str("src/ping").c_str(), "security.capability", cap.data(), cap.size(), 0) !=
      0) {
    MESSAGE("cannot set security.capability here; skipped");
    return;
  }
  TarOptions opts;
  auto plain = read_all(tar_of(t.str("src"), "", opts));
  CHECK(find_entry(plain, "ping")->entry.xattrs.empty());
  opts.xattrs = true;
  auto with = read_all(tar_of(t.str("src"), "", opts));
  CHECK(find_entry(with, "ping")->entry.xattrs.at("security.capability") == cap);
  CHECK(find_entry(with, "ping")->data == "elf");
}

TEST_CASE("tar writer: single entries and argument checks") {
  TempDir t;
  write_text(t.str("file"), "from disk");
  set_mtime(t.str("file"), 1500000000);
  StringSink sink;
  TarOptions opts;
  opts.mtime_clamp = 1400000000;
  TarWriter w(sink, opts);
  w.add_directory("etc", 0700);
  w.add_directory("/etc/"); // already written: skipped
  w.add_bytes("etc/hostname", "box\n");
  w.add_file("/etc/copied", t.str("file"), 04711);
  CHECK(code_of([&] { w.add_bytes("../escape", "x"); }) == Errc::invalid_argument);
  CHECK(code_of([&] { w.add_bytes("", "x"); }) == Errc::invalid_argument);
  CHECK(code_of([&] { w.add_file("x", t.str(), 0644); }) == Errc::invalid_argument);
  w.finish();
  CHECK(code_of([&] { w.add_directory("late"); }) == Errc::invalid_argument);

  auto e = read_all(sink.str());
  CHECK(paths_of(e) == std::vector<std::string>{"etc", "etc/hostname", "etc/copied"});
  CHECK(e[0].entry.mode == 0700);
  CHECK(e[0].entry.mtime == 1400000000);
  CHECK(e[1].data == "box\n");
  CHECK(e[2].data == "from disk");
  CHECK(e[2].entry.mode == 04711);
  CHECK(e[2].entry.mtime == 1400000000);
}

TEST_CASE("tar writer: large trees stream with bounded buffers") {
  // A 3 MiB file crosses the copy buffer several times and is padded correctly.
  TempDir t;
  std::string big(3 * 1024 * 1024 + 17, '\0');
  for (std::size_t i = 0; i < big.size(); ++i)
    big[i] = static_cast<char>(i * 131 % 251);
  write_text(t.str("src/big"), big);
  auto e = read_all(tar_of(t.str("src"), ""), 4093);
  REQUIRE(e.size() == 1);
  CHECK(e[0].data == big);
}
