// berth sbom: one pass over the image's layers, topmost first, so each path's
// visible version is the first one met and whiteouts are known before the layers
// they hide. Only what a package parser needs is kept in memory, and only up to caps
// (ops/sbom_scan.hpp); decompression is held to export's bomb limits.
#include <berth/error.hpp>
#include <berth/sbom.hpp>
#include <berth/version.hpp>

#include "core/time.hpp"
#include "layer/compression.hpp"
#include "layer/expansion_limit.hpp"
#include "layer/tar_reader.hpp"
#include "ops/supply_chain/sbom_scan.hpp"
#include "ops/transfer/endpoints.hpp"
#include "ops/transfer/pipe_reader.hpp"
#include "ops/transfer/resolve.hpp"
#include "sbom/purl.hpp"
#include "sbom/spdx_document.hpp"

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>

namespace berth {

namespace {

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

  // Export's decompression-bomb caps (ExportOptions' defaults), over all layers.
  const ExportOptions caps;
  layer::ExpansionLimit limit(caps.max_total_bytes, caps.max_expansion_ratio);
  ops::SbomScanner scanner;
  for (auto l = manifest.layers.rbegin(); l != manifest.layers.rend(); ++l) {
    ops::PipeReader pipe([&](const http::BodySink &sink) { source->blob(*l, sink, {}); });
    auto decompressor = layer::open_decompressor(
        l->media_type, [&](char *b, std::size_t len) { return pipe.read(b, len); });
    layer::TarReader reader([&](char *b, std::size_t len) {
      auto n = decompressor.read(b, len);
      limit.add(n, decompressor.compressed_bytes_read(), l->digest);
      return n;
    });
    scanner.add_layer(reader);
    limit.end_layer(decompressor.compressed_bytes_read());
  }
  scanner.finish(doc);

  SbomResult r;
  r.digest = raw.digest;
  r.files = doc.files.size();
  r.packages = doc.packages.size();
  r.warnings = doc.warnings;
  r.spdx_json = sbom::write_spdx_json(std::move(doc));
  return r;
}

} // namespace berth
