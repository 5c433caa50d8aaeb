#include "sbom/apk_installed.hpp"

#include "sbom/purl.hpp"

namespace berth::sbom {

std::vector<Package> parse_apk_installed(std::string_view text, const std::string &path,
                                         const Distro &distro, Warnings &warnings) {
  std::vector<Package> out;
  Package p;
  std::size_t line_no = 0, start = 0, warned = 0;
  bool any = false;
  auto warn = [&](const std::string &msg) {
    if (warned++ < kMaxWarningsPerFile) warnings.push_back(msg);
  };
  auto flush = [&] {
    if (!any) return;
    auto where = path + ":" + std::to_string(start);
    if (!plausible_token(p.name) || !plausible_token(p.version)) {
      warn(where + ": package without a usable P: and V:, skipped");
    } else {
      if (!plausible_token(p.arch)) p.arch.clear();
      if (!plausible_token(p.source) || p.source == p.name) p.source.clear();
      p.ecosystem = "apk";
      p.found_in = path;
      std::string ns = distro.id.empty() ? "alpine" : distro.id;
      std::string distro_q = distro.version_id.empty() ? "" : ns + "-" + distro.version_id;
      p.purl = make_purl("apk", ns, p.name, p.version,
                         {{"arch", p.arch}, {"distro", distro_q}, {"upstream", p.source}});
      out.push_back(std::move(p));
    }
    p = Package{};
    any = false;
  };
  while (!text.empty()) {
    auto nl = text.find('\n');
    auto line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {
      flush();
      continue;
    }
    if (line.size() < 2 || line[1] != ':') {
      warn(path + ":" + std::to_string(line_no) + ": not a K:value line, skipped");
      continue;
    }
    if (!any) start = line_no;
    any = true;
    auto value = std::string(line.substr(2));
    switch (line[0]) {
    case 'P': p.name = value; break;
    case 'V': p.version = value; break;
    case 'A': p.arch = value; break;
    case 'o': p.source = value; break;
    case 'L': p.license = value; break;
    case 'm': p.supplier = value; break;
    default: break; // file lists, checksums, dependencies: not needed for the package
    }
  }
  flush();
  count_unlisted(warnings, path, warned);
  return out;
}

} // namespace berth::sbom
