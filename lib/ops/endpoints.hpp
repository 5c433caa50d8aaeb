// The two ends of a copy. A source yields manifests and blob streams; a destination
// stores them. Registry and OCI-layout implementations share these interfaces so
// copy logic is written once.
#pragma once

#include <berth/copy.hpp>
#include <berth/manifest.hpp>

#include "ops/location.hpp"
#include "registry/registry.hpp"

#include <memory>
#include <string>

namespace berth::ops {

class ImageSource {
public:
  virtual ~ImageSource() = default;
  // ref "" = the location's own tag or digest.
  virtual registry::FetchedManifest manifest(const std::string &ref) = 0;
  // Streams a blob, verified against its descriptor.
  virtual void blob(const image::Descriptor &d, const http::BodySink &sink,
                    const registry::ByteProgress &progress) = 0;
  // The blob as a source that can be reopened at an offset (uploads resume).
  virtual std::unique_ptr<registry::BlobSource> blob_source(const image::Descriptor &d) = 0;
  // For registry sources: the registry host and repository (mounts); else "".
  virtual std::string registry_host() const { return {}; }
  virtual std::string repository() const { return {}; }
};

class ImageDestination {
public:
  virtual ~ImageDestination() = default;
  virtual bool has_blob(const image::Descriptor &d) = 0;
  // Stores a blob read from src; returns true when it was mounted (no bytes moved).
  virtual bool put_blob(const image::Descriptor &d, ImageSource &src,
                        const registry::ByteProgress &progress) = 0;
  // Stores a manifest: under the location's tag when tagged, else by digest only.
  virtual void put_manifest(const std::string &raw, const std::string &media_type, bool tagged) = 0;
  // Whether the tag already points at this digest (re-runs skip the PUT).
  virtual bool tag_points_to(const std::string &digest) = 0;
};

std::unique_ptr<ImageSource> open_source(const Location &loc, const RegistryAccess &access);
std::unique_ptr<ImageDestination> open_destination(const Location &loc,
                                                   const RegistryAccess &access);

} // namespace berth::ops
