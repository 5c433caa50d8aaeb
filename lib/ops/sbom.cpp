// berth sbom: one pass over the image's layers, topmost first, so each path's
// visible version is the first one met and whiteouts are known before the layers
// they hide. Only what a package parser needs is kept in memory, and only up to caps.
#include <berth/error.hpp>
#include <berth/sbom.hpp>
#include <berth/version.hpp>

#include "core/time.hpp"
#include "layer/compression.hpp"
#include "layer/tar_reader.hpp"
#include "ops/endpoints.hpp"
#include "ops/pipe_reader.hpp"
#include "ops/resolve.hpp"
#include "sbom/apk_installed.hpp"
#include "sbom/dpkg_status.hpp"
#include "sbom/file_checksums.hpp"
#include "sbom/go_buildinfo.hpp"
#include "sbom/layer_view.hpp"
#include "sbom/purl.hpp"
#include "sbom/python_metadata.hpp"
#include "sbom/spdx_document.hpp"

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <unordered_map>

namespace berth {

namespace {

// Package databases are read whole (parsed after the layers, once the distribution
// is known); beyond these sizes they are skipped with a warning.
constexpr std::size_t kMaxDatabase = 64u << 20;
constexpr std::size_t kMaxMetadata = 1u << 20;
constexpr std::size_t kMaxOsRelease = 64u << 10;

enum class Kind { none, dpkg, apk, python, os_release };

Kind kind_of(const std::string &path) {
  if (path == "var/lib/dpkg/status") return Kind::dpkg;
  if (path.rfind("var/lib/dpkg/status.d/", 0) == 0) {
    // status.d holds "NAME" stanzas and "NAME.md5sums" lists; only the former.
    auto ends = [&](std::string_view s) {
      return path.size() > s.size() && path.compare(path.size() - s.size(), s.size(), s) == 0;
    };
    return ends(".md5sums") ? Kind::none : Kind::dpkg;
  }
  if (path == "lib/apk/db/installed") return Kind::apk;
  if (path == "etc/os-release" || path == "usr/lib/os-release") return Kind::os_release;
  if (sbom::is_python_metadata_path(path)) return Kind::python;
  return Kind::none;
}

std::size_t cap_of(Kind k) {
  switch (k) {
  case Kind::dpkg:
  case Kind::apk: return kMaxDatabase;
  case Kind::python: return kMaxMetadata;
  case Kind::os_release: return kMaxOsRelease;
  case Kind::none: return 0;
  }
  return 0;
}

struct Collected {
  Kind kind;
  std::string path, text;
};

std::string created_now(const std::string &given) {
  if (!given.empty()) {
    // SPDX wants exactly YYYY-MM-DDThh:mm:ssZ: other RFC 3339 forms are normalised.
    try {
      return core::format_iso8601(
          std::chrono::time_point_cast<std::chrono::seconds>(core::parse_iso8601(given)));
    } catch (const Error &) {
      throw Error(Errc::invalid_argument,
                  "created must be an RFC 3339 time such as 2026-01-02T03:04:05Z, not '" + given +
                      "'");
    }
  }
  if (const char *v = std::getenv("SOURCE_DATE_EPOCH"); v && *v) {
    char *end = nullptr;
    errno = 0;
    long long s = std::strtoll(v, &end, 10);
    if (*end || errno || s < 0)
      throw Error(Errc::config, "SOURCE_DATE_EPOCH must be a number of seconds");
    return core::format_iso8601(std::chrono::system_clock::time_point(std::chrono::seconds(s)));
  }
  return core::format_iso8601(
      std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now()));
}

std::string image_purl(const ops::Location &loc, const std::string &digest) {
  std::string repo_url, name;
  if (loc.kind == ops::Location::Kind::registry) {
    repo_url = loc.ref.registry_host() + "/" + loc.ref.repository;
    name = loc.ref.repository.substr(loc.ref.repository.rfind('/') + 1);
  } else {
    auto p = loc.path;
    while (p.size() > 1 && p.back() == '/')
      p.pop_back();
    name = p.substr(p.rfind('/') + 1);
  }
  if (name.empty()) return {};
  // pkg:oci names are lower case (the purl spec's oci type).
  for (auto &c : name)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return sbom::make_purl("oci", "", name, digest, {{"repository_url", repo_url}});
}

} // namespace

SbomResult generate_sbom(const std::string &ref, const SbomOptions &o) {
  auto loc = ops::Location::parse(ref);
  auto source = ops::open_source(loc, o.access);
  registry::FetchedManifest raw;
  auto manifest = ops::resolve_image(*source, o.platform, &raw);

  sbom::SpdxInput doc;
  doc.name = ref;
  doc.digest = raw.digest;
  doc.image_purl = image_purl(loc, raw.digest);
  doc.created = created_now(o.created);
  doc.tool = std::string("berth-") + BERTH_VERSION_STRING_VALUE;

  sbom::LayerView view;
  sbom::FileChecksums sums;
  std::vector<Collected> collected;
  std::vector<sbom::Package> go_packages;
  std::vector<char> buf(256u << 10);

  for (auto l = manifest.layers.rbegin(); l != manifest.layers.rend(); ++l) {
    view.begin_layer();
    ops::PipeReader pipe([&](const http::BodySink &sink) { source->blob(*l, sink, {}); });
    auto decompressor = layer::open_decompressor(
        l->media_type, [&](char *b, std::size_t len) { return pipe.read(b, len); });
    layer::TarReader reader([&](char *b, std::size_t len) { return decompressor.read(b, len); });
    // Hard links name a path of this layer written before them (tar order).
    std::unordered_map<std::string, sbom::Checksums> layer_files;
    while (auto e = reader.next()) {
      bool is_dir = e->type == layer::TarEntry::Type::dir;
      if (view.classify(e->path, is_dir) != sbom::LayerView::Verdict::visible) continue;
      auto path = sbom::normalize_layer_path(e->path);
      if (e->type == layer::TarEntry::Type::hardlink) {
        auto it = layer_files.find(sbom::normalize_layer_path(e->link));
        if (it != layer_files.end()) doc.files.push_back({path, it->second});
        continue;
      }
      if (e->type != layer::TarEntry::Type::file) continue;
      auto kind = kind_of(path);
      auto cap = cap_of(kind);
      std::optional<Collected> keep;
      if (kind != Kind::none) {
        if (e->size <= cap)
          keep = Collected{kind, path, {}};
        else
          doc.warnings.push_back("./" + path + ": " + std::to_string(e->size) +
                                 " bytes, more than berth reads of such a file; skipped");
      }
      // Executables are ELF files: only those are scanned for Go build info. The
      // magic may arrive split over reads, so the first bytes wait until there are 4.
      std::optional<sbom::GoBuildInfoScanner> go;
      std::string head;
      bool decided = false;
      while (auto n = reader.read_data(buf.data(), buf.size())) {
        sums.update(buf.data(), n);
        if (keep) keep->text.append(buf.data(), n);
        if (decided) {
          if (go) go->update(buf.data(), n);
          continue;
        }
        head.append(buf.data(), n);
        if (head.size() < 4) continue;
        decided = true;
        if (head.compare(0, 4,
                         "\x7f"
                         "ELF") == 0) {
          go.emplace();
          go->update(head.data(), head.size());
        }
        head.clear();
      }
      auto checksums = sums.finish();
      layer_files[path] = checksums;
      doc.files.push_back({path, std::move(checksums)});
      if (keep) collected.push_back(std::move(*keep));
      if (go) {
        auto info = go->finish();
        if (info) {
          auto pkgs = sbom::go_packages(*info, path);
          go_packages.insert(go_packages.end(), pkgs.begin(), pkgs.end());
        } else if (!go->problem().empty()) {
          doc.warnings.push_back("./" + path + ": " + go->problem());
        }
      }
    }
  }

  // os-release first: it names the distribution the databases' purls belong to.
  sbom::Distro distro;
  for (const auto &c : collected)
    if (c.kind == Kind::os_release && (distro.id.empty() || c.path == "etc/os-release"))
      distro = sbom::parse_os_release(c.text);
  for (const auto &c : collected) {
    std::vector<sbom::Package> found;
    switch (c.kind) {
    case Kind::dpkg: found = sbom::parse_dpkg_status(c.text, c.path, distro, doc.warnings); break;
    case Kind::apk: found = sbom::parse_apk_installed(c.text, c.path, distro, doc.warnings); break;
    case Kind::python:
      if (auto p = sbom::parse_python_metadata(c.text, c.path, doc.warnings)) found.push_back(*p);
      break;
    default: break;
    }
    doc.packages.insert(doc.packages.end(), found.begin(), found.end());
  }
  doc.packages.insert(doc.packages.end(), go_packages.begin(), go_packages.end());

  SbomResult r;
  r.digest = raw.digest;
  r.files = doc.files.size();
  r.packages = doc.packages.size();
  r.warnings = doc.warnings;
  r.spdx_json = sbom::write_spdx_json(std::move(doc));
  return r;
}

} // namespace berth
