// What `berth sbom` takes from an image's layers, one tar at a time, topmost first:
// the visible files with their checksums, the package databases, Python METADATA and
// Go build info — within limits, since anyone can craft a small layer that expands to
// gigabytes of paths, stanzas, warnings or headers. Held in memory: one entry per
// visible path (each at most max_path bytes), the package databases (up to max_held
// bytes of text in all, parsed once os-release is known), the packages found (at most
// max_packages) and the warnings (at most max_warnings, the last counting the rest).
// A file never needs more than one read buffer; METADATA is parsed as soon as it has
// been read. Every scanner is linear in its input.
#pragma once

#include "layer/tar_reader.hpp"
#include "sbom/dpkg_status.hpp"
#include "sbom/layer_view.hpp"
#include "sbom/spdx_document.hpp"

#include <cstddef>
#include <string>
#include <vector>

namespace berth::ops {

struct SbomLimits {
  // Entries with a longer path (or hardlink target) are skipped with a warning, as
  // export refuses them: no file system could hold them.
  std::size_t max_path = 4096;
  // One package database (var/lib/dpkg/status, lib/apk/db/installed).
  std::size_t max_database = 64u << 20;
  // One METADATA / PKG-INFO file, one var/lib/dpkg/status.d/ file (one package each).
  std::size_t max_small_file = 1u << 20;
  std::size_t max_os_release = 64u << 10;
  // Database and os-release text held until the last layer, in all.
  std::size_t max_held = 64u << 20;
  std::size_t max_packages = 100000;
  // Warnings kept in all, the last of them counting those beyond.
  std::size_t max_warnings = 100;
};

class SbomScanner {
public:
  explicit SbomScanner(SbomLimits limits = {});

  // One layer's entries, topmost layer first.
  void add_layer(layer::TarReader &reader);
  // Parses what was held and moves the files, packages and warnings into `doc`.
  void finish(sbom::SpdxInput &doc);

private:
  enum class Kind { none, dpkg, apk, python, os_release };
  struct Held {
    Kind kind;
    std::string path, text;
  };

  Kind kind_of(const std::string &path) const;
  std::size_t cap_of(Kind kind, const std::string &path) const;
  void warn(std::string warning);
  void warn_all(sbom::Warnings &warnings);
  void add_packages(std::vector<sbom::Package> &pkgs, std::vector<sbom::Package> &into);

  SbomLimits limits_;
  sbom::LayerView view_;
  sbom::FileChecksums sums_;
  std::vector<char> buf_;
  std::vector<sbom::SbomFile> files_;
  std::vector<Held> held_;
  std::size_t held_bytes_ = 0;
  std::vector<sbom::Package> packages_, go_packages_;
  std::size_t packages_dropped_ = 0;
  sbom::Warnings warnings_;
  std::size_t warnings_dropped_ = 0;
};

} // namespace berth::ops
