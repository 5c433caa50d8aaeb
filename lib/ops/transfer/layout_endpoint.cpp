// OCI image-layout sources and destinations.
#include "ops/transfer/endpoints.hpp"
#include "ops/transfer/layout_blob_sink.hpp"
#include "ops/transfer/registry_access.hpp"
#include "ops/transfer/resolve.hpp"

#include <berth/digest.hpp>
#include <berth/error.hpp>
#include <berth/layout.hpp>

#include "core/file.hpp"

#include <fcntl.h>
#include <map>
#include <optional>
#include <unistd.h>

namespace berth::ops {
namespace {

class FileReader final : public registry::Reader {
public:
  FileReader(const std::string &path, std::uint64_t offset)
      : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
    if (fd_.get() < 0) throw Error(Errc::io, "cannot open " + path);
    if (::lseek(fd_.get(), static_cast<off_t>(offset), SEEK_SET) < 0)
      throw Error(Errc::io, "cannot seek " + path);
  }
  std::size_t read(char *buf, std::size_t len) override {
    for (;;) {
      auto n = ::read(fd_.get(), buf, len);
      if (n >= 0) return static_cast<std::size_t>(n);
      if (errno != EINTR) throw Error(Errc::io, "read failed");
    }
  }

private:
  core::UniqueFd fd_;
};

class LayoutSource final : public ImageSource {
public:
  explicit LayoutSource(const Location &loc)
      : loc_(loc), layout_(layout::OciLayout::open(loc.path)) {}

  registry::FetchedManifest manifest(const std::string &ref) override {
    image::Descriptor d;
    if (ref.empty() || !image::Digest::valid(ref)) {
      auto found = layout_.find(ref.empty() ? loc_.tag : ref);
      if (!found)
        throw Error(Errc::not_found,
                    "no image tagged '" + (ref.empty() ? loc_.tag : ref) + "' in " + loc_.path);
      d = *found;
    } else {
      d.digest = ref;
      d.size = -1; // asked by digest alone: the size is not known
    }
    return stored_manifest(layout_.read_blob(d.digest), d);
  }
  void blob(const image::Descriptor &d, const http::BodySink &sink,
            const registry::ByteProgress &progress) override {
    layout_.read_blob(
        d.digest,
        [&](const char *p, std::size_t n) {
          sink(p, n);
          if (progress && progress(n)) throw Error(Errc::cancelled, "cancelled");
        },
        d.size);
  }
  std::unique_ptr<registry::BlobSource> blob_source(const image::Descriptor &d) override {
    struct Source final : registry::BlobSource {
      std::string path;
      explicit Source(std::string p) : path(std::move(p)) {}
      std::unique_ptr<registry::Reader> open(std::uint64_t offset) override {
        return std::make_unique<FileReader>(path, offset);
      }
    };
    if (!layout_.has_blob(d.digest))
      throw Error(Errc::not_found, "blob " + d.digest + " is missing from " + loc_.path);
    return std::make_unique<Source>(layout_.blob_path(d.digest));
  }

  // A layout has no referrers API: oras and berth keep referrers as untagged
  // entries of index.json, found by reading each entry's subject. Read once per
  // source: a copy asks for the referrers of every manifest it writes.
  std::vector<image::Descriptor> referrers(const std::string &digest,
                                           std::string &warning) override {
    (void)warning;
    if (!by_subject_) {
      by_subject_.emplace();
      for (const auto &d : layout_.index().manifests) {
        std::optional<image::Descriptor> subject;
        if (image::media::is_index(d.media_type))
          subject = image::parse_index(layout_.read_blob(d.digest), d.media_type).subject;
        else if (image::media::is_manifest(d.media_type))
          subject = image::parse_manifest(layout_.read_blob(d.digest), d.media_type).subject;
        if (subject) (*by_subject_)[subject->digest].push_back(d);
      }
    }
    auto it = by_subject_->find(digest);
    return it == by_subject_->end() ? std::vector<image::Descriptor>{} : it->second;
  }
  // cosign's tags are index.json entries named so (berth sign oci:DIR writes them).
  std::optional<registry::FetchedManifest> tagged_manifest(const std::string &tag) override {
    if (tag.empty() || !layout_.find(tag)) return std::nullopt;
    return manifest(tag);
  }

private:
  Location loc_;
  layout::OciLayout layout_;
  std::optional<std::map<std::string, std::vector<image::Descriptor>>> by_subject_;
};

class LayoutDestination final : public ImageDestination {
public:
  explicit LayoutDestination(const Location &loc)
      : loc_(loc), layout_(layout::OciLayout::create(loc.path)) {}

  bool has_blob(const image::Descriptor &d) override {
    return layout_.has_blob(d.digest) &&
           layout_.blob_size(d.digest) == static_cast<std::uint64_t>(d.size);
  }
  bool put_blob(const image::Descriptor &d, ImageSource &src,
                const registry::ByteProgress &progress) override {
    // The writer checks size and digest at commit, so the source need not hash too.
    auto writer = layout_.write_blob(d.digest, d.size);
    struct Segments final : registry::SegmentSink {
      layout::OciLayout::BlobWriter &w;
      explicit Segments(layout::OciLayout::BlobWriter &writer) : w(writer) {}
      void write_at(std::uint64_t at, const char *p, std::size_t n) override {
        w.write_at(at, p, n);
      }
      void absorb(std::uint64_t end) override { w.absorb(end); }
    } segments(writer);
    if (!src.blob_to_segment_sink(d, segments, progress))
      src.blob_to_verifying_sink(
          d, [&](const char *p, std::size_t n) { writer.write(p, n); }, progress);
    writer.commit();
    return false;
  }
  void put_manifest(const std::string &raw, const std::string &media_type, bool tagged) override {
    auto digest = layout_.write_blob(std::string_view(raw));
    if (!tagged) return;
    image::Descriptor d;
    d.media_type = media_type;
    d.digest = digest;
    d.size = static_cast<std::int64_t>(raw.size());
    layout_.add_manifest(d, loc_.tag);
  }
  void put_referrer(const registry::FetchedManifest &m, const std::string &subject,
                    const image::Descriptor &d) override {
    (void)subject;
    if (layout_.write_blob(std::string_view(m.raw)) != d.digest)
      throw Error(Errc::unsupported, "referrer " + d.digest + ": layouts store sha256 manifests");
    layout_.add_manifest(d, ""); // untagged: listed, found by its subject
  }

  std::string tag_digest(const std::string &tag) override {
    auto d = layout_.find(tag);
    return d ? d->digest : std::string();
  }
  void put_manifest_as(const std::string &raw, const std::string &media_type,
                       const std::string &tag) override {
    image::Descriptor d;
    d.media_type = media_type;
    d.digest = layout_.write_blob(std::string_view(raw));
    d.size = static_cast<std::int64_t>(raw.size());
    layout_.add_manifest(d, tag);
  }

  std::unique_ptr<BlobSink> open_blob_sink() override {
    return layout_blob_sink(layout_, "layer digest changed while it was stored");
  }

  void put_blob_bytes(const std::string &data) override {
    (void)layout_.write_blob(std::string_view(data));
  }

  bool tag_points_to(const std::string &digest) override {
    if (loc_.tag.empty()) return false;
    auto d = layout_.find(loc_.tag);
    return d && d->digest == digest;
  }

private:
  Location loc_;
  layout::OciLayout layout_;
};

} // namespace

std::unique_ptr<ImageSource> open_layout_source(const Location &loc) {
  return std::make_unique<LayoutSource>(loc);
}
std::unique_ptr<ImageDestination> open_layout_destination(const Location &loc) {
  return std::make_unique<LayoutDestination>(loc);
}

} // namespace berth::ops
