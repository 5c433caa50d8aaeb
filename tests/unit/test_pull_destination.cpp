// berth::pull_destination: where `berth pull REF DST` (and berth_pull, Python's pull,
// Go's Pull) writes, DST read as crane and the CLI read it; and pull_image's refusal
// of a local source before anything is read.
#include <doctest/doctest.h>

#include <berth/copy.hpp>
#include <berth/error.hpp>

#include <filesystem>
#include <string>
#include <unistd.h>

using berth::Errc;
using berth::Error;
using berth::pull_destination;

namespace {

Errc code_of(const std::string &dst) {
  try {
    pull_destination(dst);
  } catch (const Error &e) {
    return e.code();
  }
  return Errc::ok;
}

} // namespace

TEST_CASE("pull_destination: transports are taken as written") {
  for (const char *d : {"oci:out", "oci:./out:v1", "oci-archive:out.tar", "oci-archive:x:v1",
                        "docker-archive:out.tar", "docker-archive:x.tar:app:v1",
                        "docker://registry.example/app:v1"})
    CHECK(pull_destination(d) == d);
}

TEST_CASE("pull_destination: plain paths as crane reads them") {
  CHECK(pull_destination("out.tar") == "docker-archive:out.tar");
  CHECK(pull_destination("/tmp/nowhere/out.tar") == "docker-archive:/tmp/nowhere/out.tar");
  CHECK(pull_destination("./outdir") == "oci:./outdir");
  CHECK(pull_destination("./outdir:v1") == "oci:./outdir:v1");
  CHECK(pull_destination("../up") == "oci:../up");
  CHECK(pull_destination("/abs/dir") == "oci:/abs/dir");
  CHECK(pull_destination(".") == "oci:.");
  // "~" is not expanded (a shell does it): refused, not written under "./~".
  CHECK_THROWS_WITH_AS(pull_destination("~/images"), doctest::Contains("$HOME/images"),
                       berth::Error);
}

TEST_CASE("pull_destination: an existing directory is a layout, even named *.tar") {
  auto dir =
      std::filesystem::temp_directory_path() / ("berth-pull-dst-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "odd.tar");
  auto cwd = std::filesystem::current_path();
  std::filesystem::current_path(dir);
  CHECK(pull_destination("odd.tar") == "oci:odd.tar");
  std::filesystem::create_directories(dir / "layout");
  CHECK(pull_destination("layout") == "oci:layout");
  std::filesystem::current_path(cwd);
  std::filesystem::remove_all(dir);
}

TEST_CASE("pull_destination: registry references stay registries") {
  CHECK(pull_destination("registry.example/app:v1") == "registry.example/app:v1");
  CHECK(pull_destination("localhost:5000/app") == "localhost:5000/app");
  CHECK(pull_destination("localhost/app") == "localhost/app");
  CHECK(pull_destination("127.0.0.1:5000/a/b@sha256:" + std::string(64, 'a')) ==
        "127.0.0.1:5000/a/b@sha256:" + std::string(64, 'a'));
}

TEST_CASE("pull_destination: a bare word is refused, naming the local forms") {
  CHECK(code_of("outdir") == Errc::invalid_argument);
  CHECK(code_of("library/app") == Errc::invalid_argument); // a Docker Hub name
  CHECK(code_of("") == Errc::invalid_argument);
  try {
    pull_destination("outdir");
  } catch (const Error &e) {
    const std::string m = e.what();
    CHECK(m.find("oci:outdir (a directory)") != std::string::npos);
    CHECK(m.find("docker-archive:outdir.tar") != std::string::npos);
    CHECK(m.find("oci-archive:outdir.tar") != std::string::npos);
  }
}

TEST_CASE("pull_image: a local source is copy's, refused before anything is read") {
  for (const char *src : {"oci:/nonexistent/layout:v1", "oci-archive:/nonexistent.tar",
                          "docker-archive:/nonexistent.tar"}) {
    try {
      berth::pull_image(src, "oci:/nonexistent/out");
      FAIL("pull_image accepted ", src);
    } catch (const Error &e) {
      CHECK(e.code() == Errc::invalid_argument);
      CHECK(std::string(e.what()).find("pull reads from a registry") != std::string::npos);
    }
  }
}
