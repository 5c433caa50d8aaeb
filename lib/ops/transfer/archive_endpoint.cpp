// oci-archive and docker-archive sources and destinations.
//
// Sources serve blobs straight from the archive file (layout/oci_archive.hpp says why
// it is indexed rather than extracted). Destinations collect blobs in an OCI layout in
// a staging directory next to the target file (".<name>.berth-tmp-*", so the
// final write stays on one file system) and write the archive when the top manifest
// arrives — every caller (copy, replicate, build, index) stores it last, after every
// blob and child manifest — through a temp file renamed over the target. A copy that
// fails, or is cancelled, before that point leaves the target as it was, and the
// staging directory goes with the destination object.
//
// The archive written holds exactly the image copied: an existing file is replaced
// as a whole (atomically), as skopeo's oci-archive does; skopeo refuses to touch an
// existing docker-archive instead. Further tags (push --tag) rewrite the archive with
// the tag added, since ImageDestination has no separate commit step.
#include "ops/transfer/endpoints.hpp"
#include "ops/transfer/layout_blob_sink.hpp"
#include "ops/transfer/registry_access.hpp"
#include "ops/transfer/resolve.hpp"

#include <berth/digest.hpp>
#include <berth/error.hpp>
#include <berth/layout.hpp>

#include "core/file.hpp"
#include "layout/docker_archive.hpp"
#include "layout/oci_archive.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <mutex>
#include <sys/stat.h>

namespace berth::ops {
namespace {

using ReadAt = std::function<std::size_t(std::uint64_t, char *, std::size_t)>;

class AtReader final : public registry::Reader {
public:
  AtReader(ReadAt read_at, std::uint64_t offset) : read_at_(std::move(read_at)), pos_(offset) {}
  std::size_t read(char *buf, std::size_t len) override {
    auto n = read_at_(pos_, buf, len);
    pos_ += n;
    return n;
  }

private:
  ReadAt read_at_;
  std::uint64_t pos_;
};

class AtBlobSource final : public registry::BlobSource {
public:
  explicit AtBlobSource(ReadAt read_at) : read_at_(std::move(read_at)) {}
  std::unique_ptr<registry::Reader> open(std::uint64_t offset) override {
    return std::make_unique<AtReader>(read_at_, offset);
  }

private:
  ReadAt read_at_;
};

layout::BlobSinkFn with_progress(const http::BodySink &sink,
                                 const registry::ByteProgress &progress) {
  return [&sink, &progress](const char *p, std::size_t n) {
    sink(p, n);
    if (progress && progress(n)) throw Error(Errc::cancelled, "cancelled");
  };
}

class OciArchiveSource final : public ImageSource {
public:
  explicit OciArchiveSource(const Location &loc)
      : loc_(loc),
        archive_(std::make_shared<layout::OciArchive>(layout::OciArchive::open(loc.path))) {}

  registry::FetchedManifest manifest(const std::string &ref) override {
    image::Descriptor d;
    if (ref.empty() || !image::Digest::valid(ref)) {
      const auto &tag = ref.empty() ? loc_.tag : ref;
      auto found = archive_->find(tag);
      if (!found) {
        std::string tags;
        for (const auto &t : archive_->tags())
          tags += (tags.empty() ? "" : ", ") + t;
        throw Error(Errc::not_found,
                    (tag.empty() ? std::string("no image") : "no image tagged '" + tag + "'") +
                        " in oci-archive '" + loc_.path +
                        "' (tags: " + (tags.empty() ? std::string("none") : tags) + ")");
      }
      d = *found;
    } else {
      d.digest = ref;
      d.size = -1; // asked by digest alone: the size is not known
    }
    return stored_manifest(archive_->read_blob(d.digest), d);
  }
  void blob(const image::Descriptor &d, const http::BodySink &sink,
            const registry::ByteProgress &progress) override {
    archive_->read_blob(d.digest, with_progress(sink, progress), d.size);
  }
  std::unique_ptr<registry::BlobSource> blob_source(const image::Descriptor &d) override {
    if (!archive_->has_blob(d.digest))
      throw Error(Errc::not_found,
                  "blob " + d.digest + " is missing from oci-archive '" + loc_.path + "'");
    return std::make_unique<AtBlobSource>(
        [a = archive_, digest = d.digest](std::uint64_t pos, char *buf, std::size_t len) {
          return a->read_blob_at(digest, pos, buf, len);
        });
  }

  std::optional<registry::FetchedManifest> tagged_manifest(const std::string &tag) override {
    if (tag.empty() || !archive_->find(tag)) return std::nullopt;
    return manifest(tag);
  }

private:
  Location loc_;
  std::shared_ptr<const layout::OciArchive> archive_;
};

class DockerArchiveSource final : public ImageSource {
public:
  explicit DockerArchiveSource(const Location &loc) : loc_(loc) {
    auto archive = layout::DockerArchive::open(loc.path);
    auto i = loc.image_index >= 0
                 ? static_cast<std::size_t>(loc.image_index)
                 : archive.select(loc.ref.repository.empty() ? std::string() : loc.ref.str());
    image_ = std::make_shared<layout::DockerArchiveImage>(archive.image(i));
  }

  registry::FetchedManifest manifest(const std::string &ref) override {
    if (!ref.empty() && ref != image_->digest())
      throw Error(Errc::not_found, "docker-archive '" + loc_.path + "' has no manifest '" + ref +
                                       "'; its image is " + image_->digest());
    registry::FetchedManifest m;
    m.raw = image_->manifest();
    m.digest = image_->digest();
    m.media_type = std::string(image::media::docker_manifest);
    return m;
  }
  void blob(const image::Descriptor &d, const http::BodySink &sink,
            const registry::ByteProgress &progress) override {
    image_->read_blob(d.digest, with_progress(sink, progress), d.size);
  }
  std::unique_ptr<registry::BlobSource> blob_source(const image::Descriptor &d) override {
    if (!image_->has_blob(d.digest))
      throw Error(Errc::not_found,
                  "blob " + d.digest + " is missing from docker-archive '" + loc_.path + "'");
    return std::make_unique<AtBlobSource>(
        [img = image_, digest = d.digest](std::uint64_t pos, char *buf, std::size_t len) {
          return img->read_blob_at(digest, pos, buf, len);
        });
  }

private:
  Location loc_;
  std::shared_ptr<const layout::DockerArchiveImage> image_;
};

std::string checked_target(const Location &loc) {
  auto slash = loc.path.find_last_of('/');
  auto base = slash == std::string::npos ? loc.path : loc.path.substr(slash + 1);
  const char *transport =
      loc.kind == Location::Kind::oci_archive ? "oci-archive" : "docker-archive";
  if (base.empty() || base == "." || base == "..")
    throw Error(Errc::invalid_argument, std::string(transport) + ":" + loc.path +
                                            " names a directory, not an archive file");
  struct stat st {};
  if (::stat(loc.path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    throw Error(Errc::invalid_argument, std::string(transport) + " destination '" + loc.path +
                                            "' is a directory; an archive is a file" +
                                            (loc.kind == Location::Kind::oci_archive
                                                 ? " (oci:DIR writes a layout directory)"
                                                 : ""));
  if (loc.kind == Location::Kind::oci_archive && !loc.tag.empty() &&
      !layout::valid_ref_name(loc.tag))
    throw Error(Errc::invalid_argument,
                "invalid tag '" + loc.tag + "' for oci-archive:" + loc.path);
  return loc.path;
}

class ArchiveDestination final : public ImageDestination {
public:
  explicit ArchiveDestination(const Location &loc)
      : loc_(loc), target_(checked_target(loc)), staging_(target_),
        layout_(layout::OciLayout::create(staging_.path() + "/layout")) {}

  bool has_blob(const image::Descriptor &d) override {
    return layout_.has_blob(d.digest) &&
           layout_.blob_size(d.digest) == static_cast<std::uint64_t>(d.size);
  }
  bool put_blob(const image::Descriptor &d, ImageSource &src,
                const registry::ByteProgress &progress) override {
    auto writer = layout_.write_blob(d.digest, d.size);
    src.blob(
        d, [&](const char *p, std::size_t n) { writer.write(p, n); }, progress);
    writer.commit();
    return false;
  }
  std::unique_ptr<BlobSink> open_blob_sink() override {
    return layout_blob_sink(layout_, "layer digest changed while it was stored");
  }
  void put_blob_bytes(const std::string &data) override {
    (void)layout_.write_blob(std::string_view(data));
  }

  void put_manifest(const std::string &raw, const std::string &media_type, bool tagged) override {
    std::lock_guard lock(mutex_);
    if (docker() && (!tagged || image::media::is_index(media_type)))
      throw Error(Errc::unsupported,
                  "docker-archive:" + loc_.path +
                      " holds single images, not a multi-platform index: choose one image "
                      "(copy --platform OS/ARCH)");
    auto digest = layout_.write_blob(std::string_view(raw));
    if (!tagged) return; // an index child, stored by digest
    if (docker()) {
      docker_manifest_ = image::parse_manifest(raw, media_type);
      docker_digest_ = digest;
      docker_tags_.clear();
      if (!loc_.ref.repository.empty()) docker_tags_.push_back(layout::docker_repo_tag(loc_.ref));
    } else {
      layout_.add_manifest(descriptor(raw, media_type, digest), loc_.tag);
    }
    write_archive();
  }

  bool tag_points_to(const std::string &digest) override {
    (void)digest;
    return false; // the archive is written anew by every copy
  }

  // Archives hold the image alone (what docker load, podman load and skopeo read
  // without a tag): no cosign digest tags, as OCI referrers get no index.json entry.
  bool keeps_digest_tags() const override { return false; }

  std::string tag_digest(const std::string &tag) override {
    std::lock_guard lock(mutex_);
    if (!docker()) {
      auto d = layout_.find(tag);
      return d ? d->digest : std::string();
    }
    auto wanted = layout::docker_repo_tag(extra_ref(tag));
    return std::find(docker_tags_.begin(), docker_tags_.end(), wanted) != docker_tags_.end()
               ? docker_digest_
               : std::string();
  }
  void put_manifest_as(const std::string &raw, const std::string &media_type,
                       const std::string &tag) override {
    std::lock_guard lock(mutex_);
    auto digest = layout_.write_blob(std::string_view(raw));
    if (docker()) {
      if (digest != docker_digest_)
        throw Error(Errc::unsupported,
                    "docker-archive:" + loc_.path + " can only add tags to the image it holds");
      docker_tags_.push_back(layout::docker_repo_tag(extra_ref(tag)));
    } else {
      layout_.add_manifest(descriptor(raw, media_type, digest), tag);
    }
    write_archive();
  }

private:
  bool docker() const { return loc_.kind == Location::Kind::docker_archive; }

  static image::Descriptor descriptor(const std::string &raw, const std::string &media_type,
                                      const std::string &digest) {
    image::Descriptor d;
    d.media_type = media_type;
    d.digest = digest;
    d.size = static_cast<std::int64_t>(raw.size());
    return d;
  }

  // A further tag is a tag of the destination's repository.
  image::Reference extra_ref(const std::string &tag) const {
    if (loc_.ref.repository.empty())
      throw Error(Errc::invalid_argument, "more tags for docker-archive:" + loc_.path +
                                              " need a repository: docker-archive:FILE:NAME[:TAG]");
    return loc_.ref.with_tag(tag);
  }

  void write_archive() {
    if (docker())
      layout::write_docker_archive(layout_, {{docker_manifest_, docker_tags_}}, target_);
    else
      layout::write_oci_archive(layout_, target_);
  }

  Location loc_;
  std::string target_;
  core::StagingDir staging_;
  layout::OciLayout layout_;
  std::mutex mutex_;
  // docker-archive: the image and its RepoTags.
  image::Manifest docker_manifest_;
  std::string docker_digest_;
  std::vector<std::string> docker_tags_;
};

} // namespace

std::unique_ptr<ImageSource> open_archive_source(const Location &loc) {
  if (loc.kind == Location::Kind::oci_archive) return std::make_unique<OciArchiveSource>(loc);
  return std::make_unique<DockerArchiveSource>(loc);
}

std::unique_ptr<ImageDestination> open_archive_destination(const Location &loc) {
  if (loc.kind == Location::Kind::docker_archive && loc.image_index >= 0)
    throw Error(Errc::invalid_argument,
                "docker-archive:FILE:@N selects a source image; a destination takes a REF");
  return std::make_unique<ArchiveDestination>(loc);
}

} // namespace berth::ops
