#include "ops/supply_chain/sbom_scan.hpp"

#include "sbom/apk_installed.hpp"
#include "sbom/go_buildinfo.hpp"
#include "sbom/python_metadata.hpp"

#include <optional>
#include <unordered_map>

namespace berth::ops {

namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() > suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// A path as warnings show it: hostile ones can be a megabyte long.
std::string shown(std::string_view path) {
  if (path.size() <= 200) return "./" + std::string(path);
  return "./" + std::string(path.substr(0, 120)) + "... (" + std::to_string(path.size()) +
         " bytes)";
}

} // namespace

SbomScanner::SbomScanner(SbomLimits limits) : limits_(limits), buf_(256u << 10) {}

SbomScanner::Kind SbomScanner::kind_of(const std::string &path) const {
  if (path == "var/lib/dpkg/status") return Kind::dpkg;
  // status.d holds "NAME" stanzas and "NAME.md5sums" lists; only the former.
  if (path.rfind("var/lib/dpkg/status.d/", 0) == 0)
    return ends_with(path, ".md5sums") ? Kind::none : Kind::dpkg;
  if (path == "lib/apk/db/installed") return Kind::apk;
  if (path == "etc/os-release" || path == "usr/lib/os-release") return Kind::os_release;
  if (sbom::is_python_metadata_path(path)) return Kind::python;
  return Kind::none;
}

std::size_t SbomScanner::cap_of(Kind kind, const std::string &path) const {
  switch (kind) {
  case Kind::dpkg:
    return path == "var/lib/dpkg/status" ? limits_.max_database : limits_.max_small_file;
  case Kind::apk: return limits_.max_database;
  case Kind::python: return limits_.max_small_file;
  case Kind::os_release: return limits_.max_os_release;
  case Kind::none: return 0;
  }
  return 0;
}

void SbomScanner::warn(std::string warning) {
  // One place is kept for the line that counts the rest.
  if (warnings_.size() + 1 < limits_.max_warnings)
    warnings_.push_back(std::move(warning));
  else
    ++warnings_dropped_;
}

void SbomScanner::warn_all(sbom::Warnings &warnings) {
  for (auto &w : warnings)
    warn(std::move(w));
  warnings.clear();
}

void SbomScanner::add_packages(std::vector<sbom::Package> &pkgs, std::vector<sbom::Package> &into) {
  for (auto &p : pkgs) {
    if (packages_.size() + go_packages_.size() < limits_.max_packages)
      into.push_back(std::move(p));
    else
      ++packages_dropped_;
  }
  pkgs.clear();
}

void SbomScanner::add_layer(layer::TarReader &reader) {
  view_.begin_layer();
  // Hard links name a path of this layer written before them (tar order).
  std::unordered_map<std::string, sbom::Checksums> layer_files;
  while (auto e = reader.next()) {
    if (e->path.size() > limits_.max_path ||
        (e->type == layer::TarEntry::Type::hardlink && e->link.size() > limits_.max_path)) {
      warn(shown(e->path) + ": path or link longer than " + std::to_string(limits_.max_path) +
           " bytes, skipped");
      continue;
    }
    bool is_dir = e->type == layer::TarEntry::Type::dir;
    if (view_.classify(e->path, is_dir) != sbom::LayerView::Verdict::visible) continue;
    auto path = sbom::normalize_layer_path(e->path);
    if (e->type == layer::TarEntry::Type::hardlink) {
      auto it = layer_files.find(sbom::normalize_layer_path(e->link));
      if (it != layer_files.end()) files_.push_back({path, it->second});
      continue;
    }
    if (e->type != layer::TarEntry::Type::file) continue;
    auto kind = kind_of(path);
    bool keep = false;
    if (kind != Kind::none) {
      bool held = kind != Kind::python; // parsed after the last layer
      if (e->size > cap_of(kind, path))
        warn(shown(path) + ": " + std::to_string(e->size) +
             " bytes, more than berth reads of such a file; skipped");
      else if (held && e->size > limits_.max_held - held_bytes_)
        warn(shown(path) + ": " + std::to_string(e->size) + " bytes, past the " +
             std::to_string(limits_.max_held) +
             " bytes of package databases berth holds in all; skipped");
      else
        keep = true;
    }
    std::string text;
    if (keep) text.reserve(e->size);
    // Executables are ELF files: only those are scanned for Go build info. The
    // magic may arrive split over reads, so the first bytes wait until there are 4.
    std::optional<sbom::GoBuildInfoScanner> go;
    std::string head;
    bool decided = false;
    while (auto n = reader.read_data(buf_.data(), buf_.size())) {
      sums_.update(buf_.data(), n);
      if (keep) text.append(buf_.data(), n);
      if (decided) {
        if (go) go->update(buf_.data(), n);
        continue;
      }
      head.append(buf_.data(), n);
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
    auto checksums = sums_.finish();
    layer_files[path] = checksums;
    files_.push_back({path, std::move(checksums)});
    if (keep && kind == Kind::python) {
      // Needs no distribution: parsed now, so only one such file is ever in memory.
      sbom::Warnings w;
      if (auto p = sbom::parse_python_metadata(text, path, w)) {
        std::vector<sbom::Package> found{std::move(*p)};
        add_packages(found, packages_);
      }
      warn_all(w);
    } else if (keep) {
      held_bytes_ += text.size();
      held_.push_back({kind, path, std::move(text)});
    }
    if (go) {
      auto info = go->finish();
      if (info) {
        auto pkgs = sbom::go_packages(*info, path);
        add_packages(pkgs, go_packages_);
      } else if (!go->problem().empty()) {
        warn(shown(path) + ": " + go->problem());
      }
    }
  }
}

void SbomScanner::finish(sbom::SpdxInput &doc) {
  // os-release first: it names the distribution the databases' purls belong to.
  sbom::Distro distro;
  for (const auto &h : held_)
    if (h.kind == Kind::os_release && (distro.id.empty() || h.path == "etc/os-release"))
      distro = sbom::parse_os_release(h.text);
  for (auto &h : held_) {
    std::vector<sbom::Package> found;
    sbom::Warnings w;
    switch (h.kind) {
    case Kind::dpkg: found = sbom::parse_dpkg_status(h.text, h.path, distro, w); break;
    case Kind::apk: found = sbom::parse_apk_installed(h.text, h.path, distro, w); break;
    default: break;
    }
    std::string().swap(h.text);
    add_packages(found, packages_);
    warn_all(w);
  }
  held_.clear();
  held_bytes_ = 0;
  if (packages_dropped_)
    warn(std::to_string(packages_dropped_) + " packages past the " +
         std::to_string(limits_.max_packages) + " berth lists, not listed");
  if (warnings_dropped_)
    warnings_.push_back(std::to_string(warnings_dropped_) +
                        (warnings_dropped_ == 1 ? " more warning" : " more warnings") +
                        " not listed");
  warnings_dropped_ = 0;
  doc.packages.insert(doc.packages.end(), std::make_move_iterator(packages_.begin()),
                      std::make_move_iterator(packages_.end()));
  doc.packages.insert(doc.packages.end(), std::make_move_iterator(go_packages_.begin()),
                      std::make_move_iterator(go_packages_.end()));
  packages_.clear();
  go_packages_.clear();
  doc.files.insert(doc.files.end(), std::make_move_iterator(files_.begin()),
                   std::make_move_iterator(files_.end()));
  files_.clear();
  doc.warnings.insert(doc.warnings.end(), std::make_move_iterator(warnings_.begin()),
                      std::make_move_iterator(warnings_.end()));
  warnings_.clear();
}

} // namespace berth::ops
