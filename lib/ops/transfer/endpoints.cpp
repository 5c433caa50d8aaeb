// What every ImageSource shares (ops/transfer/endpoints.hpp).
#include "ops/transfer/endpoints.hpp"

#include <berth/error.hpp>

#include <utility>

namespace berth::ops {

void check_manifest_size(const registry::FetchedManifest &m, const image::Descriptor &d) {
  if (d.size >= 0 && static_cast<std::uint64_t>(d.size) != m.raw.size())
    throw Error(Errc::digest_mismatch, "manifest " + m.digest + " has " +
                                           std::to_string(m.raw.size()) +
                                           " bytes, its descriptor says " + std::to_string(d.size));
}

registry::FetchedManifest stored_manifest(std::string raw, const image::Descriptor &d) {
  registry::FetchedManifest m;
  m.raw = std::move(raw);
  m.digest = d.digest;
  m.media_type = image::detect_media_type(m.raw, d.media_type);
  check_manifest_size(m, d); // index.json's size must be the blob's
  return m;
}

registry::FetchedManifest ImageSource::child_manifest(const image::Descriptor &d) {
  auto m = manifest(d.digest);
  check_manifest_size(m, d);
  return m;
}

} // namespace berth::ops
