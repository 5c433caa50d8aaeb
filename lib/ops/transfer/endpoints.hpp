// The two ends of a copy. A source yields manifests and blob streams; a destination
// stores them. Registry and OCI-layout implementations share these interfaces so
// copy logic is written once.
#pragma once

#include <berth/copy.hpp>
#include <berth/error.hpp>
#include <berth/manifest.hpp>

#include "core/stream.hpp"
#include "ops/transfer/location.hpp"
#include "registry/registry.hpp"
#include "registry/segmented_fetch.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace berth::ops {

// Error(digest_mismatch) when the descriptor's size (if known) is not the manifest's.
void check_manifest_size(const registry::FetchedManifest &m, const image::Descriptor &d);

// A manifest read from local storage (a layout, an archive) as the descriptor `d`
// found it: its media type detected from `raw`, its size checked against d's.
registry::FetchedManifest stored_manifest(std::string raw, const image::Descriptor &d);

class ImageSource {
public:
  virtual ~ImageSource() = default;
  // ref "" = the location's own tag or digest.
  virtual registry::FetchedManifest manifest(const std::string &ref) = 0;
  // The manifest a descriptor names (an index's child): its digest is verified by
  // manifest(), its size here — a descriptor that lies about either is refused.
  registry::FetchedManifest child_manifest(const image::Descriptor &d);
  // Streams a blob, verified against its descriptor.
  virtual void blob(const image::Descriptor &d, const http::BodySink &sink,
                    const registry::ByteProgress &progress) = 0;
  // For a sink that checks the digest itself (a layout BlobWriter): a source that
  // would hash the stream may leave that to the sink. Sources that verify for free
  // (or must, to read) keep the default.
  virtual void blob_to_verifying_sink(const image::Descriptor &d, const http::BodySink &sink,
                                      const registry::ByteProgress &progress) {
    blob(d, sink, progress);
  }
  // For a sink that takes bytes at any offset and checks the digest itself (a
  // layout BlobWriter): a source that can read ranges over several connections
  // (a registry) fetches a large blob that way and returns true. false: nothing
  // was read; stream with blob_to_verifying_sink.
  virtual bool blob_to_segment_sink(const image::Descriptor &d, registry::SegmentSink &sink,
                                    const registry::ByteProgress &progress) {
    (void)d, (void)sink, (void)progress;
    return false;
  }
  // The blob as a source that can be reopened at an offset (uploads resume). Its
  // bytes are not checked: a destination wraps it in ops::verified() unless
  // blob_sources_verified().
  virtual std::unique_ptr<registry::BlobSource> blob_source(const image::Descriptor &d) = 0;
  // Whether the blob is there, where the source can ask cheaply (a registry's HEAD);
  // true where it cannot: a missing blob is then found when read.
  virtual bool has_blob(const image::Descriptor &d) {
    (void)d;
    return true;
  }
  // True for a source whose blob_source() checks size and digest itself.
  virtual bool blob_sources_verified() const { return false; }
  // For registry sources: the registry host and repository (mounts); else "".
  virtual std::string registry_host() const { return {}; }
  virtual std::string repository() const { return {}; }
  // Manifests whose subject is `digest` (signatures, SBOMs, attestations), as
  // descriptors; none where the source keeps none. `warning` is set when what the
  // source holds was not understood and taken as none (a registry's fallback tag
  // that is not an index).
  virtual std::vector<image::Descriptor> referrers(const std::string &digest,
                                                   std::string &warning) {
    (void)digest, (void)warning;
    return {};
  }
  // The manifest under a tag (cosign's "sha256-<hex>.sig"), or nullopt when there is
  // no such tag; none where the source keeps no further tags.
  virtual std::optional<registry::FetchedManifest> tagged_manifest(const std::string &tag) {
    (void)tag;
    return std::nullopt;
  }
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
  // Stores a referrer (a manifest whose subject is `subject`, already stored) by
  // digest so that referrers(subject) lists it: registries without the referrers API
  // get the "<alg>-<hex>" tag index too. `d` describes the referrer.
  virtual void put_referrer(const registry::FetchedManifest &m, const std::string &subject,
                            const image::Descriptor &d) {
    (void)subject, (void)d;
    put_manifest(m.raw, m.media_type, false);
  }

  // cosign's "<alg>-<hex>.sig" (".att", ".sbom") tags: whether this destination keeps
  // them (a docker-archive holds one image and no other tags), and storing one —
  // its blobs already stored — where it does; tag_digest() tells what is there.
  virtual bool keeps_digest_tags() const { return true; }
  virtual void put_digest_tag(const registry::FetchedManifest &m, const std::string &tag) {
    put_manifest_as(m.raw, m.media_type, tag);
  }

  // Further tags for a manifest already stored (push --tag): each a manifest PUT.
  // The digest the tag points at now, or "" when it does not exist.
  virtual std::string tag_digest(const std::string &tag) { (void)tag, unsupported("extra tags"); }
  virtual void put_manifest_as(const std::string &raw, const std::string &media_type,
                               const std::string &tag) {
    (void)raw, (void)media_type, (void)tag, unsupported("extra tags");
  }

  // A blob whose digest is known only once written (a layer being built).
  class BlobSink : public core::ByteSink {
  public:
    virtual void commit(const std::string &digest) = 0;
  };
  virtual std::unique_ptr<BlobSink> open_blob_sink() { unsupported("building"); }
  // A small blob held in memory (an image config).
  virtual void put_blob_bytes(const std::string &data) { (void)data, unsupported("building"); }

private:
  [[noreturn]] static void unsupported(const std::string &what) {
    throw Error(Errc::unsupported, "this destination does not support " + what);
  }
};

std::unique_ptr<ImageSource> open_source(const Location &loc, const RegistryAccess &access);
std::unique_ptr<ImageDestination> open_destination(const Location &loc,
                                                   const RegistryAccess &access);

} // namespace berth::ops
