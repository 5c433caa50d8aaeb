#include "sbom/python_metadata.hpp"

#include "sbom/control_fields.hpp"
#include "sbom/purl.hpp"

#include <cctype>

namespace berth::sbom {

namespace {

// PEP 508 names: ASCII letters, digits, '.', '-', '_', starting and ending with a
// letter or digit.
bool valid_name(std::string_view s) {
  if (s.empty() || s.size() > 200) return false;
  auto alnum = [](unsigned char c) { return std::isalnum(c) != 0 && c < 0x80; };
  if (!alnum(s.front()) || !alnum(s.back())) return false;
  for (unsigned char c : s)
    if (!alnum(c) && c != '.' && c != '-' && c != '_') return false;
  return true;
}

// PEP 440 versions are ASCII without spaces; local versions add '+'. Anything else
// (control bytes, spaces, huge strings) is not a version we can put in a purl.
bool valid_version(std::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  for (unsigned char c : s)
    if (!(std::isalnum(c) && c < 0x80) && c != '.' && c != '-' && c != '_' && c != '+' && c != '!')
      return false;
  return true;
}

} // namespace

std::string normalize_python_name(std::string_view name) {
  std::string out;
  bool sep = false;
  for (unsigned char c : name) {
    if (c == '-' || c == '_' || c == '.') {
      sep = true;
      continue;
    }
    if (sep && !out.empty()) out += '-';
    sep = false;
    out += static_cast<char>(std::tolower(c));
  }
  return out;
}

std::optional<Package> parse_python_metadata(std::string_view text, const std::string &path,
                                             Warnings &warnings) {
  std::optional<Package> out;
  auto warned_before = warnings.size();
  parse_stanzas(
      text, path, warnings,
      [&](const Stanza &s) {
        Package p;
        p.ecosystem = "pypi";
        p.name = s.get("Name");
        p.version = s.get("Version");
        if (!valid_name(p.name) || !valid_version(p.version)) {
          warnings.push_back(path + ": no valid Name and Version, skipped");
          return;
        }
        p.license = s.get("License-Expression");
        if (p.license.empty()) p.license = s.get("License");
        if (p.license.size() > 200 || p.license.find('\n') != std::string::npos)
          p.license.clear(); // whole license texts are not a declaration worth copying
        p.supplier = s.get("Author");
        p.found_in = path;
        p.purl = make_purl("pypi", "", normalize_python_name(p.name), p.version);
        out = std::move(p);
      },
      /*first_only=*/true);
  if (!out && warnings.size() == warned_before) warnings.push_back(path + ": empty, skipped");
  return out;
}

bool is_python_metadata_path(std::string_view path) {
  // NAME.dist-info/METADATA (wheels, pip), NAME.egg-info/PKG-INFO (setuptools,
  // Debian's python3-* packages): the same core metadata format.
  for (std::string_view suffix :
       {std::string_view(".dist-info/METADATA"), std::string_view(".egg-info/PKG-INFO")}) {
    if (path.size() <= suffix.size() ||
        path.compare(path.size() - suffix.size(), suffix.size(), suffix) != 0)
      continue;
    auto dir = path.substr(0, path.size() - suffix.size());
    auto slash = dir.rfind('/');
    if (!dir.substr(slash == std::string_view::npos ? 0 : slash + 1).empty()) return true;
  }
  return false;
}

} // namespace berth::sbom
