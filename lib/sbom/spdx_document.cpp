#include "sbom/spdx_document.hpp"

#include "core/json.hpp"
#include "sbom/purl.hpp"
#include "sbom/utf8.hpp"

#include <algorithm>
#include <tuple>

namespace berth::sbom {

namespace {

// The most warnings listed in the document; the rest are counted.
constexpr std::size_t kMaxWarnings = 100;

void relationship(core::json::StringWriter &w, const std::string &from, const char *type,
                  const std::string &to) {
  w.writer.StartObject();
  w.member("spdxElementId", from);
  w.member("relationshipType", type);
  w.member("relatedSpdxElement", to);
  w.writer.EndObject();
}

void noassertion(core::json::StringWriter &w, const char *key) {
  w.member(key, "NOASSERTION");
}

void purl_ref(core::json::StringWriter &w, const std::string &purl) {
  w.writer.Key("externalRefs");
  w.writer.StartArray();
  w.writer.StartObject();
  w.member("referenceCategory", "PACKAGE-MANAGER");
  w.member("referenceType", "purl");
  w.member("referenceLocator", purl);
  w.writer.EndObject();
  w.writer.EndArray();
}

// SHA1 of the files' SHA1s, sorted and concatenated.
std::string verification_code(const std::vector<SbomFile> &files) {
  std::vector<std::string_view> sums;
  sums.reserve(files.size());
  for (const auto &f : files)
    sums.push_back(f.sums.sha1);
  std::sort(sums.begin(), sums.end());
  FileChecksums c;
  for (auto s : sums)
    c.update(s.data(), s.size());
  return c.finish().sha1;
}

} // namespace

std::string write_spdx_json(SpdxInput in) {
  // Everything that came from the image is bytes; the document must be UTF-8.
  for (auto *text : {&in.name, &in.digest, &in.image_purl, &in.created, &in.tool})
    *text = to_valid_utf8(*text);
  for (auto &f : in.files)
    f.path = to_valid_utf8(f.path);
  for (auto &p : in.packages)
    for (auto *text : {&p.ecosystem, &p.name, &p.version, &p.arch, &p.source, &p.license,
                       &p.supplier, &p.found_in, &p.purl})
      *text = to_valid_utf8(*text);
  for (auto &w : in.warnings)
    w = to_valid_utf8(w);
  auto key = [](const Package &p) {
    return std::tie(p.ecosystem, p.name, p.version, p.found_in, p.purl);
  };
  std::sort(in.packages.begin(), in.packages.end(),
            [&](const Package &a, const Package &b) { return key(a) < key(b); });
  in.packages.erase(
      std::unique(in.packages.begin(), in.packages.end(),
                  [&](const Package &a, const Package &b) { return key(a) == key(b); }),
      in.packages.end());
  std::sort(in.files.begin(), in.files.end(),
            [](const SbomFile &a, const SbomFile &b) { return a.path < b.path; });

  core::json::StringWriter w;
  w.writer.StartObject();
  w.member("spdxVersion", "SPDX-2.3");
  w.member("dataLicense", "CC0-1.0");
  w.member("SPDXID", "SPDXRef-DOCUMENT");
  w.member("name", in.name);
  auto hex = in.digest.substr(in.digest.find(':') + 1);
  w.member("documentNamespace",
           "https://spdx.org/spdxdocs/berth/" + purl_encode(in.name) + "-" + hex);
  w.writer.Key("creationInfo");
  w.writer.StartObject();
  w.member("created", in.created);
  w.writer.Key("creators");
  w.writer.StartArray();
  w.string("Tool: " + in.tool);
  w.writer.EndArray();
  if (!in.warnings.empty()) {
    std::string comment = "berth skipped what it could not read:";
    for (std::size_t i = 0; i < in.warnings.size() && i < kMaxWarnings; ++i)
      comment += "\n" + in.warnings[i];
    if (in.warnings.size() > kMaxWarnings)
      comment += "\n(and " + std::to_string(in.warnings.size() - kMaxWarnings) + " more)";
    w.member("comment", comment);
  }
  w.writer.EndObject();

  const std::string image_id = "SPDXRef-Image";
  w.writer.Key("packages");
  w.writer.StartArray();
  w.writer.StartObject();
  w.member("name", in.name);
  w.member("SPDXID", image_id);
  w.member("versionInfo", in.digest);
  noassertion(w, "downloadLocation");
  // The image's files were read, so it CONTAINS them, which SPDX allows only with
  // filesAnalyzed and the verification code over their SHA1s (spec 7.9).
  w.writer.Key("filesAnalyzed");
  w.writer.Bool(true);
  w.writer.Key("packageVerificationCode");
  w.writer.StartObject();
  w.member("packageVerificationCodeValue", verification_code(in.files));
  w.writer.EndObject();
  noassertion(w, "licenseConcluded");
  noassertion(w, "licenseDeclared");
  noassertion(w, "copyrightText");
  w.member("primaryPackagePurpose", "CONTAINER");
  w.writer.Key("checksums");
  w.writer.StartArray();
  w.writer.StartObject();
  w.member("algorithm", "SHA256");
  w.member("checksumValue", hex);
  w.writer.EndObject();
  w.writer.EndArray();
  if (!in.image_purl.empty()) purl_ref(w, in.image_purl);
  w.writer.EndObject();

  std::vector<std::string> package_ids;
  for (std::size_t i = 0; i < in.packages.size(); ++i) {
    const auto &p = in.packages[i];
    package_ids.push_back("SPDXRef-Package-" + p.ecosystem + "-" + std::to_string(i + 1));
    w.writer.StartObject();
    w.member("name", p.name);
    w.member("SPDXID", package_ids.back());
    if (!p.version.empty()) w.member("versionInfo", p.version);
    noassertion(w, "downloadLocation");
    w.writer.Key("filesAnalyzed");
    w.writer.Bool(false);
    noassertion(w, "licenseConcluded");
    noassertion(w, "licenseDeclared");
    noassertion(w, "copyrightText");
    w.member("sourceInfo", "installed package, from ./" + p.found_in);
    std::string comment;
    if (!p.license.empty()) comment += "license as the package declares it: " + p.license;
    if (p.ecosystem == "golang" && !p.source.empty())
      comment += (comment.empty() ? "" : "; ") + std::string("built with ") + p.source;
    if (!comment.empty()) w.member("comment", comment);
    purl_ref(w, p.purl);
    w.writer.EndObject();
  }
  w.writer.EndArray();

  w.writer.Key("files");
  w.writer.StartArray();
  for (std::size_t i = 0; i < in.files.size(); ++i) {
    const auto &f = in.files[i];
    w.writer.StartObject();
    w.member("fileName", "./" + f.path);
    w.member("SPDXID", "SPDXRef-File-" + std::to_string(i + 1));
    w.writer.Key("checksums");
    w.writer.StartArray();
    for (const auto &[alg, value] : {std::pair{"SHA1", &f.sums.sha1}, {"SHA256", &f.sums.sha256}}) {
      w.writer.StartObject();
      w.member("algorithm", alg);
      w.member("checksumValue", *value);
      w.writer.EndObject();
    }
    w.writer.EndArray();
    noassertion(w, "licenseConcluded");
    noassertion(w, "copyrightText");
    w.writer.EndObject();
  }
  w.writer.EndArray();

  w.writer.Key("relationships");
  w.writer.StartArray();
  relationship(w, "SPDXRef-DOCUMENT", "DESCRIBES", image_id);
  for (const auto &id : package_ids)
    relationship(w, image_id, "CONTAINS", id);
  for (std::size_t i = 0; i < in.files.size(); ++i)
    relationship(w, image_id, "CONTAINS", "SPDXRef-File-" + std::to_string(i + 1));
  w.writer.EndArray();
  w.writer.EndObject();
  return w.str();
}

} // namespace berth::sbom
