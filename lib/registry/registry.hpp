// The OCI distribution client: a Registry (one host: base URL, authentication,
// catalog) and Repositories on it (blobs, uploads, manifests, tags, referrers).
//
// Bytes stream: blob downloads go to a sink, uploads read from a BlobSource that can
// be reopened at any offset, so a dropped connection resumes where the registry
// says it stopped instead of starting over.
#pragma once

#include <berth/manifest.hpp>

#include "http/client.hpp"
#include "registry/auth.hpp"
#include "registry/keychain.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace berth::registry {

struct RegistryOptions {
  bool plain_http = false;                    // force http:// (loopback: unless they speak TLS)
  std::uint64_t chunk_size = 16u << 20;       // UploadSink's PATCH size; ECR needs >= 5 MiB
  std::uint64_t monolithic_limit = 16u << 20; // blobs up to this go up in one PUT
  // push_blob above monolithic_limit: bytes per PATCH. One streamed PATCH per blob by
  // default — every PATCH is a round trip and a flush at the registry — resumed from
  // the registry's offset when a connection drops.
  std::uint64_t patch_size = UINT64_MAX;
  int resume_attempts = 5; // per blob, for dropped uploads/downloads
  // A blob of at least 2 × segment_min bytes downloaded into a file comes as up to
  // `segments` Range GETs at once (registry/segmented_fetch.hpp): over a long round
  // trip or a per-connection cap one connection bounds the largest layer, as it does
  // for S3's own multipart downloads. 1 = one GET per blob.
  std::uint64_t segment_min = 8u << 20;
  int segments = 4;
};

// Something that reads bytes sequentially.
class Reader {
public:
  virtual ~Reader() = default;
  // Up to len bytes; 0 at the end. Throws on failure.
  virtual std::size_t read(char *buf, std::size_t len) = 0;
};

// The content of a blob being uploaded, readable from any offset.
class BlobSource {
public:
  virtual ~BlobSource() = default;
  virtual std::unique_ptr<Reader> open(std::uint64_t offset) = 0;
};

// True for a reply saying the registry credentials expired (ECR's 403 text).
bool expired_token_reply(std::string_view body);

// Called with byte counts as a transfer advances (deltas, may be called from the
// transfer's thread). Return true to cancel.
using ByteProgress = std::function<bool(std::uint64_t delta)>;

class Registry {
public:
  Registry(std::string host, std::shared_ptr<http::Client> http,
           std::shared_ptr<const Keychain> keychain, RegistryOptions options = {});

  const std::string &host() const { return host_; }
  const std::string &base_url() const { return base_url_; }
  const RegistryOptions &options() const { return options_; }
  http::Client &http() { return *http_; }
  Authenticator &auth() { return auth_; }

  // Sends with the Authorization these scopes need; after a 401 it re-authenticates
  // once and repeats (the body, if any, must rewind).
  http::Response send(http::Request req, const std::vector<std::string> &scopes);

  std::vector<std::string> catalog(int page_size = 1000);

private:
  std::string host_, base_url_;
  std::shared_ptr<http::Client> http_;
  RegistryOptions options_;
  Authenticator auth_;
};

struct FetchedManifest {
  std::string raw;
  std::string media_type;
  std::string digest;
};

class Repository {
public:
  Repository(std::shared_ptr<Registry> registry, std::string name);

  const std::string &name() const { return name_; }
  Registry &registry() { return *registry_; }
  std::string url(std::string_view path) const; // base_url + "/v2/" + name + path

  // Blobs.
  std::optional<std::int64_t> blob_size(const std::string &digest); // HEAD; nullopt when absent
  // Streams the blob to sink, verifying size and digest at the end (a mismatch
  // throws Error(digest_mismatch) after the last byte). Interrupted downloads resume
  // with a Range request.
  // verify_digest = false: the sink checks the digest itself (a layout blob writer),
  // so hashing here would be the same work twice; the size is still checked.
  void fetch_blob(const std::string &digest, std::int64_t size, const http::BodySink &sink,
                  const ByteProgress &progress = {}, bool verify_digest = true);
  // Streams from offset without digest verification (the caller verifies).
  void fetch_blob_range(const std::string &digest, std::uint64_t offset,
                        const http::BodySink &sink);
  // One GET with "Range: bytes=first-last" (last inclusive), or of the whole blob
  // without a Range header when last is kWholeBlob. on_reply sees the status and
  // headers before the first byte reaches the sink: 206 for the range, 200 for the
  // whole blob (also when the registry, or its storage, ignored Range).
  static constexpr std::uint64_t kWholeBlob = UINT64_MAX;
  void get_blob_bytes(const std::string &digest, std::uint64_t first, std::uint64_t last,
                      const std::function<void(const http::Response &)> &on_reply,
                      const http::BodySink &sink);

  // Uploads a blob of known digest and size. When mount_from names another
  // repository on the same registry, a cross-repository mount is tried first.
  // Returns true when the blob was mounted rather than uploaded.
  bool push_blob(const std::string &digest, std::uint64_t size, BlobSource &source,
                 const std::string &mount_from = {}, const ByteProgress &progress = {});

  // Manifests. ref is a tag or a digest.
  FetchedManifest get_manifest(const std::string &ref);
  std::optional<image::Descriptor> head_manifest(const std::string &ref);
  // Returns the digest the registry stored. subject_processed, when given, tells
  // whether the registry indexed the manifest's subject itself (an OCI-Subject reply
  // header: it serves the referrers API).
  std::string put_manifest(const std::string &ref, const std::string &raw,
                           const std::string &media_type, bool *subject_processed = nullptr);
  void delete_manifest(const std::string &digest);

  std::vector<std::string> tags(int page_size = 1000);
  // Referrers API, with the "sha256-<hex>" tag-schema fallback. A fallback tag that
  // holds no index (an image someone tagged so) is no referrers; `warning`, when
  // given, then says so.
  image::Index referrers(const std::string &digest, const std::string &artifact_type = {},
                         std::string *warning = nullptr);
  // Adds `referrer` to the fallback tag "<alg>-<hex>" of `subject` (an OCI index,
  // created when missing), for registries without the referrers API. Idempotent.
  void add_to_referrers_tag(const std::string &subject, const image::Descriptor &referrer);

private:
  std::vector<std::string> pull_scope() const;
  std::vector<std::string> push_scope(const std::string &mount_from = {}) const;
  std::string start_upload(const std::string &digest, const std::string &mount_from, bool &mounted);
  // Both return false when the registry lost the upload session (the caller starts
  // a new one) and throw on any other failure.
  bool upload_monolithic(const std::string &location, const std::string &digest, std::uint64_t size,
                         BlobSource &source, const ByteProgress &progress);
  bool upload_chunked(std::string location, const std::string &digest, std::uint64_t size,
                      BlobSource &source, const ByteProgress &progress);
  std::optional<std::uint64_t> upload_offset(const std::string &location);

  std::shared_ptr<Registry> registry_;
  std::string name_;
};

} // namespace berth::registry
