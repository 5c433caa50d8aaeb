#include "sbom/dpkg_status.hpp"

#include "sbom/control_fields.hpp"
#include "sbom/purl.hpp"

namespace berth::sbom {

namespace {

std::string unquote(std::string_view v) {
  while (!v.empty() && (v.back() == '\r' || v.back() == ' '))
    v.remove_suffix(1);
  if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front())
    v = v.substr(1, v.size() - 2);
  return std::string(v);
}

} // namespace

Distro parse_os_release(std::string_view text) {
  Distro d;
  while (!text.empty()) {
    auto nl = text.find('\n');
    auto line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    auto eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    auto key = line.substr(0, eq);
    if (key == "ID") d.id = unquote(line.substr(eq + 1));
    if (key == "VERSION_ID") d.version_id = unquote(line.substr(eq + 1));
  }
  if (!plausible_token(d.id)) d.id.clear();
  if (!plausible_token(d.version_id)) d.version_id.clear();
  return d;
}

std::vector<Package> parse_dpkg_status(std::string_view text, const std::string &path,
                                       const Distro &distro, Warnings &warnings) {
  std::vector<Package> out;
  std::size_t warned = 0; // stanzas skipped: capped like parse_stanzas' own warnings
  parse_stanzas(text, path, warnings, [&](const Stanza &s) {
    // "install ok installed"; "deinstall ok config-files" and half-installed states
    // leave files behind but no installed package.
    auto status = s.get("Status");
    if (!status.empty() && status.size() >= 10 &&
        status.compare(status.size() - 10, 10, " installed") != 0)
      return;
    if (!status.empty() && status.size() < 10) return;
    Package p;
    p.ecosystem = "deb";
    p.name = s.get("Package");
    p.version = s.get("Version");
    p.arch = s.get("Architecture");
    if (!plausible_token(p.name) || !plausible_token(p.version)) {
      if (warned++ < kMaxWarningsPerFile)
        warnings.push_back(path + ":" + std::to_string(s.line) +
                           ": stanza without a usable Package and Version, skipped");
      return;
    }
    if (!plausible_token(p.arch)) p.arch.clear();
    auto source = s.get("Source");
    source = source.substr(0, source.find(' ')); // "glibc (2.36-9)" names a version too
    if (plausible_token(source) && source != p.name) p.source = source;
    p.supplier = s.get("Maintainer");
    p.found_in = path;
    std::string ns = distro.id.empty() ? "debian" : distro.id;
    std::string distro_q =
        distro.id.empty() ? ""
                          : distro.id + (distro.version_id.empty() ? "" : "-" + distro.version_id);
    p.purl = make_purl("deb", ns, p.name, p.version,
                       {{"arch", p.arch}, {"distro", distro_q}, {"upstream", p.source}});
    out.push_back(std::move(p));
  });
  count_unlisted(warnings, path, warned);
  return out;
}

} // namespace berth::sbom
