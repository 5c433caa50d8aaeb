// lib/ops/build/dockerfile/chmod_mode: --chmod octal and symbolic, against the table
// fsutil's copy tests use for BuildKit's ModeStr (a 0644 file, a 0755 executable, a 0750
// and a 0700 directory), and the errors BuildKit gives.
#include <doctest/doctest.h>

#include "ops/build/dockerfile/chmod_mode.hpp"

#include <berth/error.hpp>

#include <sys/stat.h>

#include <string>

using berth::ops::copy_detail::Chmod;

namespace {

struct Row {
  const char *mode;
  mode_t file, exec, dir, restricted;
};

// Written from fsutil copy_unix_test.go's cases (what BuildKit's COPY --chmod gives).
const Row kRows[] = {
    {"go-w", 0644, 0755, 0750, 0700},
    {"u+x", 0744, 0755, 0750, 0700},
    {"g-rwx", 0604, 0705, 0700, 0700},
    {"o+r", 0644, 0755, 0754, 0704},
    {"a-x", 0644, 0644, 0640, 0600},
    {"o-rwx,g+x", 0650, 0750, 0750, 0710},
    {"a+X", 0644, 0755, 0751, 0711},
    {"u=rwX,go=rX", 0644, 0755, 0755, 0755},
    {"u=rX,go=r", 0444, 0544, 0544, 0544},
    {"u-x,u+w", 0644, 0655, 0650, 0600},
    {"u+x,o+x", 0745, 0755, 0751, 0701},
    {"g+rw,o+rw", 0666, 0777, 0776, 0766},
    {"a=r", 0444, 0444, 0444, 0444},
    {"u=rwx,g=,o=", 0700, 0700, 0700, 0700},
    {"o-rwx", 0640, 0750, 0750, 0700},
    {"g-r,a+x", 0715, 0715, 0711, 0711},
    {"u+rw,g+r,o-x,o+w", 0646, 0756, 0752, 0742},
};

} // namespace

TEST_CASE("chmod mode: symbolic modes apply to each entry's own mode, as BuildKit's") {
  for (const auto &r : kRows) {
    CAPTURE(std::string(r.mode));
    auto c = Chmod::parse(r.mode);
    REQUIRE(c);
    CHECK(c->for_entry(S_IFREG | 0644) == r.file);
    CHECK(c->for_entry(S_IFREG | 0755) == r.exec);
    CHECK(c->for_entry(S_IFDIR | 0750) == r.dir);
    CHECK(c->for_entry(S_IFDIR | 0700) == r.restricted);
    CHECK(c->for_created_dir() == 0755); // fsutil's MkdirAll default with a ModeStr
  }
}

TEST_CASE("chmod mode: setuid, setgid, sticky, copying a class, and several operators") {
  CHECK(Chmod::parse("u+s")->for_entry(S_IFREG | 0755) == 04755);
  CHECK(Chmod::parse("g+s")->for_entry(S_IFDIR | 0755) == 02755);
  CHECK(Chmod::parse("+t")->for_entry(S_IFDIR | 0777) == 01777);
  CHECK(Chmod::parse("o+t")->for_entry(S_IFDIR | 0777) == 0777);   // others alone: no sticky
  CHECK(Chmod::parse("u=rx")->for_entry(S_IFREG | 04755) == 0555); // = clears setuid
  CHECK(Chmod::parse("a=r")->for_entry(S_IFDIR | 01777) == 01444); // = keeps sticky
  CHECK(Chmod::parse("g=u")->for_entry(S_IFREG | 0704) == 0774);
  CHECK(Chmod::parse("go=u-w")->for_entry(S_IFREG | 0644) == 0644);
  CHECK(Chmod::parse("u+x-w")->for_entry(S_IFREG | 0644) == 0544);
  CHECK(Chmod::parse("u+x,a-X")->for_entry(S_IFREG | 0644) == 0644); // -X takes x away
}

TEST_CASE("chmod mode: octal modes, and the errors") {
  CHECK(Chmod::parse("") == std::nullopt);
  CHECK(Chmod::parse("640")->for_entry(S_IFREG | 0755) == 0640);
  CHECK(Chmod::parse("4755")->for_entry(S_IFREG | 0644) == 04755);
  CHECK(Chmod::parse("750")->for_created_dir() == 0750);
  for (const char *bad : {"89", "17777", "u", "u+q", "x+r", "u+r,", ",u+r", "+r,g", "u+r g"}) {
    CAPTURE(std::string(bad));
    CHECK_THROWS_AS(Chmod::parse(bad), berth::Error);
  }
  try {
    Chmod::parse("888");
    FAIL("888 parsed");
  } catch (const berth::Error &e) {
    CHECK(std::string(e.what()).find("it should be octal string and between 0 and 07777") !=
          std::string::npos);
  }
}
