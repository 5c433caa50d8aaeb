// TarReader (lib/layer/tar_reader.*): archives made by GNU tar in its gnu, pax, ustar
// and v7 formats (long names, base-256 ids and negative mtimes included), pax global
// headers, short reads, partial data reads, and truncated or corrupt input.
#include <doctest/doctest.h>

#include "../layer/tar_test_support.hpp"

#include "layer/tar_header.hpp"
#include "layer/tar_reader.hpp"

#include <cstring>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

using berth::Errc;
using namespace berth::layer;
using namespace berth::tartest;

namespace {

std::string strip_dot(std::string p) {
  if (p.rfind("./", 0) == 0) p.erase(0, 2);
  return p;
}

void set_mtime(const std::string &path, std::int64_t t) {
  struct timespec ts[2] = {{static_cast<time_t>(t), 0}, {static_cast<time_t>(t), 0}};
  REQUIRE(::utimensat(AT_FDCWD, path.c_str(), ts, AT_SYMLINK_NOFOLLOW) == 0);
}

// The common tree every format can hold.
void make_tree(const std::string &root, bool long_names) {
  write_text(root + "/file.txt", "hello, tar\n");
  write_text(root + "/dir/nested.bin", std::string(1500, 'n'));
  write_text(root + "/empty", "");
  fs::create_directories(root + "/emptydir");
  REQUIRE(::symlink("file.txt", (root + "/link").c_str()) == 0);
  REQUIRE(::link((root + "/file.txt").c_str(), (root + "/hard").c_str()) == 0);
  REQUIRE(::mkfifo((root + "/fifo").c_str(), 0600) == 0);
  write_text(root + "/suid", "x");
  ::chmod((root + "/suid").c_str(), 04755);
  // 150 bytes: needs the ustar prefix field.
  write_text(root + "/" + std::string(70, 'p') + "/" + std::string(70, 'q') + ".txt", "split");
  if (long_names) {
    write_text(root + "/" + std::string(120, 'a') + "/" + std::string(150, 'b') + "/leaf", "long");
    REQUIRE(::symlink(std::string(150, 't').c_str(), (root + "/longlink").c_str()) == 0);
    write_text(root + "/na\xc3\xafve-\xe2\x98\x83", "snowman");
  }
  for (const auto &e : fs::recursive_directory_iterator(root))
    set_mtime(e.path().string(), 1600000000);
  set_mtime(root, 1600000000);
}

void check_common(const std::vector<ReadEntry> &raw, bool long_names, const std::string &fmt) {
  INFO("format " << fmt);
  std::vector<ReadEntry> e;
  for (auto r : raw) {
    r.entry.path = strip_dot(r.entry.path);
    r.entry.link = strip_dot(r.entry.link);
    if (r.entry.path != "." && !r.entry.path.empty()) e.push_back(std::move(r));
  }
  auto get = [&](const std::string &p) -> const ReadEntry & {
    auto f = find_entry(e, p);
    REQUIRE_MESSAGE(f != nullptr, "missing " << p);
    return *f;
  };
  // GNU tar stores the hardlinked pair in readdir order: either may be the link.
  const ReadEntry &file = get("file.txt"), &hard = get("hard");
  const ReadEntry &data = file.entry.type == TarEntry::Type::file ? file : hard;
  const ReadEntry &link = file.entry.type == TarEntry::Type::file ? hard : file;
  CHECK(data.data == "hello, tar\n");
  CHECK(data.entry.size == 11);
  CHECK(link.entry.type == TarEntry::Type::hardlink);
  CHECK(link.entry.link == data.entry.path);
  CHECK(link.entry.size == 0);

  CHECK(get("dir").entry.type == TarEntry::Type::dir);
  CHECK(get("dir/nested.bin").data == std::string(1500, 'n'));
  CHECK(get("empty").entry.size == 0);
  CHECK(get("emptydir").entry.type == TarEntry::Type::dir);
  CHECK(get("link").entry.type == TarEntry::Type::symlink);
  CHECK(get("link").entry.link == "file.txt");
  CHECK(get("fifo").entry.type == TarEntry::Type::fifo);
  CHECK(get("fifo").entry.mode == 0600);
  CHECK(get("suid").entry.mode == 04755);
  CHECK(get(std::string(70, 'p') + "/" + std::string(70, 'q') + ".txt").data == "split");
  for (const auto &r : e) {
    CHECK(r.entry.mtime == 1600000000);
    CHECK(r.entry.uid == ::geteuid());
  }
  if (long_names) {
    CHECK(get(std::string(120, 'a') + "/" + std::string(150, 'b') + "/leaf").data == "long");
    CHECK(get("longlink").entry.link == std::string(150, 't'));
    CHECK(get("na\xc3\xafve-\xe2\x98\x83").data == "snowman");
  }
}

// The tar made by `tar <args> -cf - -C dir .`.
std::string gnu_tar(const TempDir &t, const std::string &args, const std::string &dir) {
  std::string out = t.str("gnu.tar");
  REQUIRE(sh("tar " + args + " -cf " + shell_quote(out) + " -C " + shell_quote(dir) + " . 2>" +
             t.str("tar.err")) == 0);
  return read_text(out);
}

// A raw header block with its checksum recomputed after `edit`.
template <typename F> std::string edited(std::string bytes, std::size_t block_at, F edit) {
  edit(bytes.data() + block_at);
  tarfmt::put_checksum(bytes.data() + block_at);
  return bytes;
}

} // namespace

TEST_CASE("tar reader: GNU tar archives in gnu, pax and ustar formats") {
  if (!have_gnu_tar()) {
    MESSAGE("GNU tar not found; skipped");
    return;
  }
  TempDir t;
  make_tree(t.str("long"), true);
  make_tree(t.str("short"), false);
  for (const std::string fmt : {"gnu", "pax", "posix", "oldgnu"}) {
    std::string tar = gnu_tar(t, "--format=" + fmt, t.str("long"));
    check_common(read_all(tar), true, fmt);
    check_common(read_all(tar, 1), true, fmt + " (1-byte reads)");
  }
  check_common(read_all(gnu_tar(t, "--format=ustar", t.str("short"))), false, "ustar");
}

TEST_CASE("tar reader: GNU tar v7 archives (no magic, directories by trailing slash)") {
  if (!have_gnu_tar()) return;
  TempDir t;
  write_text(t.str("src/d/f"), "v7");
  auto e = read_all(gnu_tar(t, "--format=v7", t.str("src")));
  auto d = find_entry(e, "./d");
  REQUIRE(d != nullptr);
  CHECK(d->entry.type == TarEntry::Type::dir);
  CHECK(find_entry(e, "./d/f")->data == "v7");
}

TEST_CASE("tar reader: base-256 and pax ids, negative mtimes") {
  if (!have_gnu_tar()) return;
  TempDir t;
  write_text(t.str("src/old"), "1960");
  set_mtime(t.str("src/old"), -315619200);
  for (const std::string fmt : {"gnu", "pax"}) {
    auto e = read_all(
        gnu_tar(t, "--format=" + fmt + " --owner=big:4000000 --group=big:4000001", t.str("src")));
    auto old = find_entry(e, "./old");
    REQUIRE(old != nullptr);
    CHECK(old->entry.uid == 4000000);
    CHECK(old->entry.gid == 4000001);
    CHECK(old->entry.mtime == -315619200);
    CHECK(old->data == "1960");
  }
}

TEST_CASE("tar reader: pax global headers apply until overridden") {
  auto g = [](const std::string &records) {
    Member m;
    m.typeflag = tarfmt::kTypePaxGlobal;
    m.path = "pax_global_header";
    m.data = records;
    return member(m);
  };
  auto x = [](const std::string &records) {
    Member m;
    m.typeflag = tarfmt::kTypePaxLocal;
    m.path = "PaxHeaders/x";
    m.data = records;
    return member(m);
  };
  std::string tar = g(tarfmt::pax_record("mtime", "777.25") + tarfmt::pax_record("uid", "9")) +
                    member(mfile("a", "A")) + x(tarfmt::pax_record("uid", "")) +
                    member(mfile("b", "B")) + x(tarfmt::pax_record("mtime", "-5.5")) +
                    member(mfile("c", "C")) + g(tarfmt::pax_record("mtime", "")) +
                    member(mfile("d", "D")) + std::string(1024, '\0');
  auto e = read_all(tar);
  REQUIRE(e.size() == 4);
  CHECK(e[0].entry.mtime == 777);
  CHECK(e[0].entry.uid == 9);
  CHECK(e[1].entry.uid == 0); // an empty local value removes the global one
  CHECK(e[1].entry.mtime == 777);
  CHECK(e[2].entry.mtime == -6); // rounded down
  CHECK(e[2].entry.uid == 9);
  CHECK(e[3].entry.mtime == 1000); // back to the header's value
  CHECK(e[3].data == "D");
}

TEST_CASE("tar reader: GNU long name and link records") {
  auto gnu_long = [](char type, const std::string &value) {
    Member m;
    m.typeflag = type;
    m.path = "././@LongLink";
    m.data = value + std::string(1, '\0');
    return member(m);
  };
  const std::string name = std::string(300, 'n') + "/";
  std::string tar = gnu_long('L', name) + gnu_long('K', std::string(200, 'k')) +
                    member(msymlink("short", "short-target")) + std::string(1024, '\0');
  auto e = read_all(tar);
  REQUIRE(e.size() == 1);
  CHECK(e[0].entry.path == name); // a symlink keeps what it was given
  CHECK(e[0].entry.link == std::string(200, 'k'));
}

TEST_CASE("tar reader: partial data reads, skipping and clean endings") {
  std::string tar =
      archive({mfile("one", std::string(2000, '1')), mfile("two", "2"), mdir("three")});
  TarReader r(string_source(tar, 100));
  auto a = r.next();
  REQUIRE(a);
  char buf[10];
  CHECK(r.read_data(buf, sizeof buf) == 10); // then skip the rest
  auto b = r.next();
  REQUIRE(b);
  CHECK(b->path == "two");
  CHECK(read_entry_data(r) == "2");
  CHECK(r.read_data(buf, sizeof buf) == 0);
  auto c = r.next();
  REQUIRE(c);
  CHECK(c->type == TarEntry::Type::dir);
  CHECK_FALSE(r.next());
  CHECK_FALSE(r.next());

  // Trailing bytes after the end marker are drained so the whole source is consumed.
  std::string padded = tar + std::string(8192, '\0');
  TarReader r2(string_source(padded));
  while (r2.next()) {
  }
  CHECK(r2.offset() == padded.size());

  // No end marker at all: the archive simply ends at a header boundary.
  auto e = read_all(tar.substr(0, tar.size() - 1024));
  CHECK(e.size() == 3);
  CHECK(read_all("").empty());
}

TEST_CASE("tar reader: truncated and corrupt input is Error(protocol)") {
  const std::string good = archive({mfile("f", std::string(1000, 'x')), mfile("g", "y")});
  auto read_everything = [](const std::string &bytes) { return [bytes] { read_all(bytes); }; };

  SUBCASE("short header") {
    CHECK(code_of(read_everything(good.substr(0, 300))) == Errc::protocol);
    auto msg = message_of(read_everything(good.substr(0, 300)));
    CHECK(msg.find("truncated header") != std::string::npos);
    CHECK(code_of(read_everything(good.substr(0, 1536 + 100))) == Errc::protocol);
  }
  SUBCASE("short data") {
    CHECK(code_of(read_everything(good.substr(0, 512 + 700))) == Errc::protocol);
    CHECK(message_of(read_everything(good.substr(0, 512 + 700))).find("'f'") != std::string::npos);
    // The data is complete but the input ends inside its block padding.
    CHECK(code_of(read_everything(good.substr(0, 512 + 1000 + 10))) == Errc::protocol);
  }
  SUBCASE("input ending right after the last file's data (umoci 0.4 layers) is complete") {
    // f's data is complete, its padding and everything after it absent: that is how
    // umoci writes layers, and they must be readable.
    CHECK(code_of(read_everything(good.substr(0, 512 + 1000))) == Errc::ok);
  }
  SUBCASE("bad checksum") {
    std::string bad = good;
    bad[0] = 'F';
    CHECK(code_of(read_everything(bad)) == Errc::protocol);
    CHECK(message_of(read_everything(bad)).find("checksum") != std::string::npos);
    std::string garbage(1024, '\x5a');
    CHECK(code_of(read_everything(garbage)) == Errc::protocol);
  }
  SUBCASE("bad octal") {
    auto bad = edited(good, 0, [](char *b) { std::memcpy(b + 124, "0000000019x", 11); });
    CHECK(code_of(read_everything(bad)) == Errc::protocol);
    CHECK(message_of(read_everything(bad)).find("size") != std::string::npos);
    auto bad_mode = edited(good, 0, [](char *b) { std::memcpy(b + 100, "07 55", 5); });
    CHECK(code_of(read_everything(bad_mode)) == Errc::protocol);
    auto bad_sum = good;
    std::memcpy(bad_sum.data() + 148, "zzzzzz", 6);
    CHECK(code_of(read_everything(bad_sum)) == Errc::protocol);
  }
  SUBCASE("bad pax records") {
    Member x;
    x.typeflag = tarfmt::kTypePaxLocal;
    x.path = "PaxHeaders/f";
    x.data = "99 path=f\n";
    CHECK(code_of(read_everything(member(x) + good)) == Errc::protocol);
    x.data = tarfmt::pax_record("size", "12a");
    CHECK(code_of(read_everything(member(x) + good)) == Errc::protocol);
    x.data = tarfmt::pax_record("uid", "4294967296");
    CHECK(code_of(read_everything(member(x) + good)) == Errc::protocol);
    // An extended header right before the end of the archive.
    x.data = tarfmt::pax_record("path", "f");
    CHECK(code_of(read_everything(member(x) + std::string(1024, '\0'))) == Errc::protocol);
  }
  SUBCASE("oversized metadata is refused before it is read") {
    Member x;
    x.typeflag = tarfmt::kTypePaxLocal;
    x.path = "PaxHeaders/f";
    std::string header = member(x);
    header = edited(header, 0, [](char *b) { tarfmt::put_octal(b + 124, 12, 1u << 30); });
    CHECK(code_of(read_everything(header)) == Errc::too_large);
  }
  SUBCASE("negative size") {
    auto neg = edited(good, 0, [](char *b) { tarfmt::put_base256(b + 124, 12, -512); });
    CHECK(code_of(read_everything(neg)) == Errc::protocol);
  }
}
