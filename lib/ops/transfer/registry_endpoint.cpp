// Registry sources and destinations.
#include "ops/transfer/endpoints.hpp"
#include "ops/transfer/pipe_reader.hpp"
#include "ops/transfer/registry_access.hpp"
#include "ops/transfer/verified_blob_source.hpp"
#include "registry/upload_sink.hpp"

#include <berth/digest.hpp>
#include <berth/error.hpp>

#include <optional>

namespace berth::ops {
namespace {

class RegistrySource final : public ImageSource {
public:
  RegistrySource(const Location &loc, const RegistryAccess &access)
      : loc_(loc), repo_(connect(loc.ref.registry_host(), access), loc.ref.repository) {}

  registry::FetchedManifest manifest(const std::string &ref) override {
    if (!ref.empty()) return repo_.get_manifest(ref);
    // The top manifest is read once per source: a mirror check (ops/mirror.hpp) reads
    // it before the copy does, and a tag could move in between.
    if (!top_) top_ = repo_.get_manifest(loc_.ref.identifier());
    return *top_;
  }
  void blob(const image::Descriptor &d, const http::BodySink &sink,
            const registry::ByteProgress &progress) override {
    repo_.fetch_blob(d.digest, d.size, sink, progress);
  }
  void blob_to_verifying_sink(const image::Descriptor &d, const http::BodySink &sink,
                              const registry::ByteProgress &progress) override {
    repo_.fetch_blob(d.digest, d.size, sink, progress, false);
  }
  bool blob_to_segment_sink(const image::Descriptor &d, registry::SegmentSink &sink,
                            const registry::ByteProgress &progress) override {
    if (d.size <= 0) return false;
    auto size = static_cast<std::uint64_t>(d.size);
    if (registry::max_segments(size, repo_.registry().options()) < 2) return false;
    registry::fetch_blob_segments(repo_, d.digest, size, sink, progress);
    return true;
  }
  std::unique_ptr<registry::BlobSource> blob_source(const image::Descriptor &d) override {
    // Each open streams the blob from the offset through a bounded pipe; the
    // destination wraps it in verified() (ops/verified_blob_source.hpp).
    struct Source final : registry::BlobSource {
      registry::Repository &repo;
      std::string digest;
      Source(registry::Repository &r, std::string dg) : repo(r), digest(std::move(dg)) {}
      std::unique_ptr<registry::Reader> open(std::uint64_t offset) override {
        // The reader may outlive this BlobSource (a caller that opens and drops it in
        // one expression): its thread holds the repository (owned by the image
        // source) and its own copy of the digest, never `this`.
        return std::make_unique<PipeReader>(
            [&repository = repo, dg = digest, offset](const http::BodySink &sink) {
              repository.fetch_blob_range(dg, offset, sink);
            });
      }
    };
    return std::make_unique<Source>(repo_, d.digest);
  }
  bool has_blob(const image::Descriptor &d) override {
    return repo_.blob_size(d.digest).has_value();
  }
  std::string registry_host() const override { return loc_.ref.registry_host(); }
  std::string repository() const override { return loc_.ref.repository; }
  std::vector<image::Descriptor> referrers(const std::string &digest,
                                           std::string &warning) override {
    return repo_.referrers(digest, {}, &warning).manifests;
  }
  std::optional<registry::FetchedManifest> tagged_manifest(const std::string &tag) override {
    if (!repo_.head_manifest(tag)) return std::nullopt;
    return repo_.get_manifest(tag);
  }

private:
  Location loc_;
  registry::Repository repo_;
  std::optional<registry::FetchedManifest> top_;
};

class RegistryDestination final : public ImageDestination {
public:
  RegistryDestination(const Location &loc, const RegistryAccess &access)
      : loc_(loc), repo_(connect(loc.ref.registry_host(), access), loc.ref.repository) {}

  bool has_blob(const image::Descriptor &d) override {
    return repo_.blob_size(d.digest).has_value();
  }

  bool put_blob(const image::Descriptor &d, ImageSource &src,
                const registry::ByteProgress &progress) override {
    std::string mount_from;
    if (src.registry_host() == loc_.ref.registry_host() && src.repository() != loc_.ref.repository)
      mount_from = src.repository();
    // Verified in the stream: the upload never completes with bytes that do not match
    // the descriptor, whether or not this registry checks the digest at the PUT.
    auto source =
        src.blob_sources_verified() ? src.blob_source(d) : verified(src.blob_source(d), d);
    return repo_.push_blob(d.digest, static_cast<std::uint64_t>(d.size), *source, mount_from,
                           progress);
  }

  void put_manifest(const std::string &raw, const std::string &media_type, bool tagged) override {
    std::string ref = tagged ? loc_.ref.identifier() : image::digest_of(raw);
    if (tagged && !loc_.ref.digest.empty()) ref = image::digest_of(raw);
    repo_.put_manifest(ref, raw, media_type);
  }

  void put_referrer(const registry::FetchedManifest &m, const std::string &subject,
                    const image::Descriptor &d) override {
    bool indexed = false;
    repo_.put_manifest(m.digest, m.raw, m.media_type, &indexed);
    // A registry without the referrers API (distribution 2.8) does not answer
    // OCI-Subject: clients find referrers through the tag scheme, kept up here.
    if (!indexed) repo_.add_to_referrers_tag(subject, d);
  }

  std::string tag_digest(const std::string &tag) override {
    auto d = repo_.head_manifest(tag);
    return d ? d->digest : std::string();
  }
  void put_manifest_as(const std::string &raw, const std::string &media_type,
                       const std::string &tag) override {
    repo_.put_manifest(tag, raw, media_type);
  }

  std::unique_ptr<BlobSink> open_blob_sink() override {
    struct Sink final : BlobSink {
      registry::UploadSink upload;
      explicit Sink(registry::Repository &r) : upload(r) {}
      void write(const char *d, std::size_t n) override { upload.write(d, n); }
      void finish() override { upload.finish(); }
      void commit(const std::string &digest) override { upload.commit(digest); }
    };
    return std::make_unique<Sink>(repo_);
  }

  void put_blob_bytes(const std::string &data) override {
    auto digest = image::digest_of(data);
    if (repo_.blob_size(digest)) return;
    struct Source final : registry::BlobSource {
      std::string_view data;
      explicit Source(std::string_view d) : data(d) {}
      std::unique_ptr<registry::Reader> open(std::uint64_t offset) override {
        struct R final : registry::Reader {
          std::string_view rest;
          explicit R(std::string_view r) : rest(r) {}
          std::size_t read(char *buf, std::size_t len) override {
            std::size_t n = std::min(len, rest.size());
            std::copy_n(rest.data(), n, buf);
            rest.remove_prefix(n);
            return n;
          }
        };
        return std::make_unique<R>(data.substr(static_cast<std::size_t>(offset)));
      }
    };
    Source src(data);
    repo_.push_blob(digest, data.size(), src);
  }

  bool tag_points_to(const std::string &digest) override {
    if (!loc_.ref.digest.empty()) return false;
    auto d = repo_.head_manifest(loc_.ref.identifier());
    return d && d->digest == digest;
  }

private:
  Location loc_;
  registry::Repository repo_;
};

} // namespace

std::unique_ptr<ImageSource> open_registry_source(const Location &loc,
                                                  const RegistryAccess &access) {
  return std::make_unique<RegistrySource>(loc, access);
}
std::unique_ptr<ImageDestination> open_registry_destination(const Location &loc,
                                                            const RegistryAccess &access) {
  return std::make_unique<RegistryDestination>(loc, access);
}

} // namespace berth::ops
