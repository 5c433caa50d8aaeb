// The build information Go (1.18 and later) embeds in every binary it links: the
// ".go.buildinfo" section, which starts with the magic "\xff Go buildinf:" and holds
// the Go version and the module graph (`go version -m` prints it). Found by scanning
// the file as it streams past, the way debug/buildinfo searches a data segment:
// no section table is needed, so a layer's file is read once and never held whole.
#pragma once

#include "sbom/package.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::sbom {

struct GoModule {
  std::string path, version, sum;
};

struct GoBuildInfo {
  std::string go_version; // "go1.22.1"
  std::string path;       // the main package's import path
  GoModule main;
  std::vector<GoModule> deps; // replacements applied ("=>" lines)
};

enum class GoParse { need_more, invalid, ok };

// Parses the bytes at the magic. need_more when `blob` ends before the strings do;
// invalid for a pre-1.18 (pointer-based) header or garbage; ok fills `out`.
GoParse parse_go_buildinfo(std::string_view blob, GoBuildInfo &out);

// Dependencies kept from one binary's build info (real programs have hundreds); the
// lines beyond are ignored, so a 4 MiB module text of tiny "dep" lines stays small.
constexpr std::size_t kMaxGoDeps = 10000;

// The "path/mod/dep/=>/build" lines runtime/debug.BuildInfo.String() writes.
GoBuildInfo parse_go_modinfo(std::string_view modinfo);

// Feeds a file's bytes in order; finish() says what was found.
class GoBuildInfoScanner {
public:
  // The build info is some KiB; a claimed length beyond this is garbage.
  static constexpr std::size_t kMaxBlob = 4u << 20;

  void update(const char *data, std::size_t len);
  std::optional<GoBuildInfo> finish();
  // Set when a header was found but could not be read (old format, truncated file).
  const std::string &problem() const { return problem_; }

private:
  void scan(std::string_view window, std::uint64_t start, std::size_t from);
  GoParse try_parse(std::string_view blob);

  std::uint64_t offset_ = 0;     // file offset of the next byte fed
  std::uint64_t blob_start_ = 0; // file offset of blob_
  std::string tail_;             // the last bytes of the previous chunk (a magic may straddle)
  bool capturing_ = false, done_ = false;
  std::string blob_; // from the magic on, while capturing
  std::optional<GoBuildInfo> found_;
  std::string problem_;
};

// pkg:golang purls: the main module, each dependency, and "stdlib" at the Go
// version (pkg:golang/stdlib@1.22.1), found_in the binary.
std::vector<Package> go_packages(const GoBuildInfo &info, const std::string &path);

} // namespace berth::sbom
