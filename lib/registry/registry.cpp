#include "registry/registry.hpp"

#include "core/crypto.hpp"
#include "core/json.hpp"
#include "http/client.hpp"
#include "image/digester.hpp"
#include "registry/errors.hpp"

#include <berth/digest.hpp>
#include <berth/error.hpp>
#include <berth/manifest.hpp>
#include <berth/reference.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <functional>
#include <set>

namespace berth::registry {
namespace {

bool is_loopback_host(const std::string &host) {
  try {
    return image::Reference::parse(host + "/x").is_loopback();
  } catch (const Error &) {
    return false;
  }
}

// Loopback registries are mostly plain HTTP (docker and crane treat them as
// insecure), but one that serves TLS gets TLS, verified like any other: plain
// requests to it only earn a "400 Client sent an HTTP request to an HTTPS server".
std::string base_url_for(const std::string &host, http::Client &http,
                         const RegistryOptions &options) {
  bool plain = options.plain_http || (is_loopback_host(host) && !http.speaks_tls(host));
  return (plain ? "http://" : "https://") + host;
}

// A Docker-Content-Digest header names the bytes received or stored: it is checked in
// its own algorithm. A header that is not a digest berth verifies is ignored (the
// bytes were already checked against the digest the caller asked for).
void check_content_digest(const http::Response &resp, std::string_view raw,
                          const std::string &what) {
  auto dcd = resp.header("Docker-Content-Digest");
  if (!dcd || !image::Digest::valid(*dcd)) return;
  auto got = image::digest_of(raw, image::Digest::parse(*dcd).algorithm());
  if (got != *dcd)
    throw Error(Errc::digest_mismatch,
                what + " has digest " + got + " but the registry says " + *dcd);
}

std::string with_query(const std::string &url, const std::string &param) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + param;
}

// "<url>; rel=\"next\"" -> url.
std::optional<std::string> next_link(const http::Response &resp) {
  auto link = resp.header("Link");
  if (!link) return std::nullopt;
  auto open = link->find('<'), close = link->find('>');
  if (open == std::string::npos || close == std::string::npos || close < open) return std::nullopt;
  if (link->find("next", close) == std::string::npos) return std::nullopt;
  return link->substr(open + 1, close - open - 1);
}

// Link pagination of tag lists and catalogs. A registry whose "next" page leads back
// to one already read, or that never stops, would keep a client listing forever:
// a page seen before is an error, and so is a list longer than kMaxPages pages.
constexpr std::size_t kMaxPages = 10000;

class Pages {
public:
  Pages(std::string first, std::string what) : url_(std::move(first)), what_(std::move(what)) {
    seen_.insert(url_);
  }
  const std::string &url() const { return url_; }
  // Moves to the page the reply's Link names; false when there is none.
  bool next(const http::Response &resp) {
    auto link = next_link(resp);
    if (!link) return false;
    auto next = http::resolve_url(url_, *link);
    if (!seen_.insert(next).second) {
      // The registry's own text: printable ASCII only, and not all of it.
      std::string shown = next.substr(0, 200);
      for (auto &c : shown)
        if (c < 0x20 || c > 0x7e) c = '?';
      throw Error(Errc::protocol, what_ + ": the registry's Link pagination loops back to " +
                                      shown + " (page " + std::to_string(seen_.size() + 1) + ")");
    }
    if (seen_.size() > kMaxPages)
      throw Error(Errc::too_large,
                  what_ + ": more than " + std::to_string(kMaxPages) + " pages of Link pagination");
    url_ = std::move(next);
    return true;
  }

private:
  std::string url_, what_;
  std::set<std::string> seen_;
};

// Drops the referrers whose artifactType is not `artifact_type` (what a registry
// without OCI-Filters-Applied, or the fallback tag, left in).
void keep_artifact_type(image::Index &idx, const std::string &artifact_type) {
  auto &ms = idx.manifests;
  ms.erase(
      std::remove_if(ms.begin(), ms.end(),
                     [&](const image::Descriptor &d) { return d.artifact_type != artifact_type; }),
      ms.end());
}

// The strings of the array `key` in every page of a Link-paginated JSON list (the
// catalog, a tag list), from `first` on; `what` names the list in errors, `reply` the
// document, and `send` sends one page's GET with the scope the list needs.
std::vector<std::string> list_pages(std::string first, const std::string &what, const char *key,
                                    const char *reply,
                                    const std::function<http::Response(http::Request)> &send) {
  std::vector<std::string> out;
  Pages pages(std::move(first), what);
  while (true) {
    http::Request req;
    req.url = pages.url();
    auto resp = send(std::move(req));
    if (!resp.ok()) throw registry_error(resp, "GET " + what);
    auto doc = core::json::parse(resp.body, reply);
    if (const auto *items = core::json::find(doc, key); items && items->IsArray())
      for (const auto &item : items->GetArray())
        if (item.IsString()) out.emplace_back(item.GetString());
    if (!pages.next(resp)) break;
  }
  return out;
}

// A request body that is one slice [offset, offset+len) of a BlobSource; rewinding
// reopens the source at the slice start.
class SliceBody final : public http::BodySource {
public:
  SliceBody(BlobSource &src, std::uint64_t offset, std::uint64_t len, const ByteProgress &progress)
      : src_(src), offset_(offset), len_(len), progress_(progress) {}
  std::optional<std::uint64_t> size() const override { return len_; }
  std::size_t read(char *buf, std::size_t len) override {
    if (!reader_) reader_ = src_.open(offset_);
    std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(len, len_ - pos_));
    std::size_t got = 0;
    while (got < want) {
      std::size_t n = reader_->read(buf + got, want - got);
      if (n == 0)
        throw Error(Errc::io,
                    "blob source ended early at byte " + std::to_string(offset_ + pos_ + got));
      got += n;
    }
    pos_ += got;
    if (progress_ && got && progress_(got)) throw Error(Errc::cancelled, "cancelled");
    return got;
  }
  bool rewind() override {
    if (pos_ == 0 && !reader_) return true;
    reader_.reset();
    pos_ = 0;
    return true;
  }
  std::uint64_t sent() const { return pos_; }

private:
  BlobSource &src_;
  std::uint64_t offset_, len_, pos_ = 0;
  const ByteProgress &progress_;
  std::unique_ptr<Reader> reader_;
};

} // namespace

// ---------------------------------------------------------------------------------
// Registry

Registry::Registry(std::string host, std::shared_ptr<http::Client> http,
                   std::shared_ptr<const Keychain> keychain, RegistryOptions options)
    : host_(std::move(host)),
      base_url_(base_url_for(host_, *http, options)), // before http is moved into http_
      http_(std::move(http)), options_(options),
      auth_(host_, base_url_, *http_, std::move(keychain)) {
  if (options_.chunk_size == 0)
    throw Error(Errc::invalid_argument, "upload chunk size must be > 0");
}

bool expired_token_reply(std::string_view body) {
  std::string lower(body.substr(0, 1024));
  for (auto &c : lower)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower.find("token has expired") != std::string::npos ||
         lower.find("token expired") != std::string::npos;
}

http::Response Registry::send(http::Request req, const std::vector<std::string> &scopes) {
  auto with_auth = [&](http::Request r) {
    auto authz = auth_.authorization(scopes, r.body != nullptr);
    http::erase_header(r.headers, "Authorization");
    if (!authz.empty()) r.headers.push_back({"Authorization", authz});
    return r;
  };
  // Sent bare because the registry has not said yet what it wants: its 401 names the
  // challenge, and answering it is the first round of authentication, not the one
  // retry below (that one is for credentials refused or expired, as ECR's are).
  const bool learning = !auth_.challenge_known();
  auto resp = http_->send(with_auth(req));
  if (learning && resp.status == 401 && auth_.learn_challenge(resp) &&
      (!req.body || req.body->rewind()))
    resp = http_->send(with_auth(req));
  // ECR answers an expired registry token with 403 and a plain-text body, not 401.
  // A HEAD reply has no body to say so: a bodiless 403 to HEAD gets the same single
  // refresh (a registry that really denies it denies the retry too).
  bool expired = resp.status == 403 &&
                 (expired_token_reply(resp.body) || (req.method == "HEAD" && resp.body.empty()));
  if (resp.status != 401 && !expired) return resp;
  auth_.unauthorized(resp, scopes);
  if (req.body && !req.body->rewind()) return resp;
  std::string what = req.method + " " + req.url.substr(0, req.url.find('?'));
  resp = http_->send(with_auth(std::move(req)));
  // Fresh credentials were refused too: no caller can do better than report it, with
  // whose credentials they were (a bare "HTTP 401" from a HEAD tells nothing).
  if (resp.status == 401) throw auth_.rejected(resp, what);
  return resp;
}

std::vector<std::string> Registry::catalog(int page_size) {
  return list_pages(base_url_ + "/v2/_catalog?n=" + std::to_string(page_size),
                    "catalog of " + host_, "repositories", "catalog reply", [&](http::Request req) {
                      return send(std::move(req), {"registry:catalog:*"});
                    });
}

// ---------------------------------------------------------------------------------
// Repository

Repository::Repository(std::shared_ptr<Registry> registry, std::string name)
    : registry_(std::move(registry)), name_(std::move(name)) {}

std::string Repository::url(std::string_view path) const {
  return registry_->base_url() + "/v2/" + name_ + std::string(path);
}

std::vector<std::string> Repository::pull_scope() const {
  return {"repository:" + name_ + ":pull"};
}

std::vector<std::string> Repository::push_scope(const std::string &mount_from) const {
  std::vector<std::string> s = {"repository:" + name_ + ":pull,push"};
  if (!mount_from.empty() && mount_from != name_) s.push_back("repository:" + mount_from + ":pull");
  return s;
}

std::optional<std::int64_t> Repository::blob_size(const std::string &digest) {
  http::Request req;
  req.method = "HEAD";
  req.url = url("/blobs/" + digest);
  auto resp = registry_->send(req, pull_scope());
  if (resp.status == 404) return std::nullopt;
  if (!resp.ok()) throw registry_error(resp, "HEAD blob " + name_ + "@" + digest);
  return static_cast<std::int64_t>(resp.content_length());
}

void Repository::fetch_blob_range(const std::string &digest, std::uint64_t offset,
                                  const http::BodySink &sink) {
  http::Request req;
  req.url = url("/blobs/" + digest);
  if (offset > 0) req.headers.push_back({"Range", "bytes=" + std::to_string(offset) + "-"});
  // A registry (or the storage it redirects to) may ignore Range and send it all.
  std::uint64_t skip = 0;
  req.on_response = [&](const http::Response &r) {
    skip = offset > 0 && r.status == 200 ? offset : 0;
  };
  req.sink = [&](const char *d, std::size_t n) {
    if (skip > 0) {
      auto k = static_cast<std::size_t>(std::min<std::uint64_t>(skip, n));
      d += k;
      n -= k;
      skip -= k;
    }
    if (n > 0) sink(d, n);
  };
  auto resp = registry_->send(req, pull_scope());
  if (!resp.ok())
    throw registry_error(resp, "GET blob " + registry_->host() + "/" + name_ + "@" + digest);
}

void Repository::get_blob_bytes(const std::string &digest, std::uint64_t first, std::uint64_t last,
                                const std::function<void(const http::Response &)> &on_reply,
                                const http::BodySink &sink) {
  http::Request req;
  req.url = url("/blobs/" + digest);
  if (last != kWholeBlob)
    req.headers.push_back({"Range", "bytes=" + std::to_string(first) + "-" + std::to_string(last)});
  req.on_response = on_reply;
  req.sink = sink;
  auto resp = registry_->send(req, pull_scope());
  if (!resp.ok())
    throw registry_error(resp, "GET blob " + registry_->host() + "/" + name_ + "@" + digest +
                                   (last == kWholeBlob ? std::string()
                                                       : " bytes " + std::to_string(first) + "-" +
                                                             std::to_string(last)));
}

void Repository::fetch_blob(const std::string &digest, std::int64_t size,
                            const http::BodySink &sink, const ByteProgress &progress,
                            bool verify_digest) {
  auto expected = image::Digest::parse(digest);
  // Every accepted algorithm is verified: a sha512 descriptor gets a sha512 check.
  image::Digester hash(expected.algorithm());
  std::uint64_t received = 0;
  auto counting = [&](const char *d, std::size_t n) {
    if (size >= 0 && received + n > static_cast<std::uint64_t>(size))
      throw Error(Errc::digest_mismatch, "blob " + digest +
                                             " is larger than its descriptor says (" +
                                             std::to_string(size) + " bytes)");
    if (verify_digest) hash.update(d, n);
    sink(d, n);
    received += n;
    if (progress && progress(n)) throw Error(Errc::cancelled, "cancelled");
  };
  for (int attempt = 1;; ++attempt) {
    try {
      fetch_blob_range(digest, received, counting);
      break;
    } catch (const Error &e) {
      bool transient = e.code() == Errc::network || e.code() == Errc::timeout;
      if (!transient || attempt >= registry_->options().resume_attempts) throw;
    }
  }
  if (size >= 0 && received != static_cast<std::uint64_t>(size))
    throw Error(Errc::digest_mismatch, "blob " + digest + " has " + std::to_string(received) +
                                           " bytes, its descriptor says " + std::to_string(size));
  if (verify_digest) {
    auto got = hash.finish();
    if (got != digest)
      throw Error(Errc::digest_mismatch,
                  "blob " + name_ + "@" + digest + " arrived with digest " + got);
  }
}

std::string Repository::start_upload(const std::string &digest, const std::string &mount_from,
                                     bool &mounted) {
  http::Request req;
  req.method = "POST";
  req.url = url("/blobs/uploads/");
  if (!mount_from.empty() && mount_from != name_)
    req.url += "?mount=" + digest + "&from=" + mount_from;
  req.idempotent = true; // an abandoned upload session is harmless
  auto resp = registry_->send(req, push_scope(mount_from));
  mounted = resp.status == 201;
  if (mounted) return {};
  if (resp.status != 202) throw registry_error(resp, "POST blob upload " + name_);
  auto location = resp.header("Location");
  if (!location)
    throw Error(Errc::protocol, "registry started an upload for " + name_ + " without a Location");
  return http::resolve_url(resp.url, *location);
}

std::optional<std::uint64_t> Repository::upload_offset(const std::string &location) {
  http::Request req;
  req.url = location;
  auto resp = registry_->send(req, push_scope());
  if (resp.status != 204 && !resp.ok()) return std::nullopt;
  auto range = resp.header("Range");
  if (!range) return 0;
  // "0-<last byte received>". distribution also answers "0-0" for an empty session
  // (it clamps the end at 0), so "0-0" reads as nothing received: were it one byte,
  // the next PATCH gets 416 and the upload starts over in a new session.
  auto dash = range->find('-');
  if (dash == std::string::npos) return std::nullopt;
  std::uint64_t last = 0;
  auto text = range->substr(dash + 1);
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), last);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return last == 0 ? 0 : last + 1;
}

bool Repository::upload_monolithic(const std::string &location, const std::string &digest,
                                   std::uint64_t size, BlobSource &source,
                                   const ByteProgress &progress) {
  SliceBody body(source, 0, size, progress);
  http::Request req;
  req.method = "PUT";
  req.url = with_query(location, "digest=" + digest);
  req.body = &body;
  req.headers.push_back({"Content-Type", "application/octet-stream"});
  auto resp = registry_->send(req, push_scope());
  // 404 on the session URL (BLOB_UPLOAD_UNKNOWN/INVALID): the session is gone, as
  // after a PUT cut off mid-body that the transport then repeated.
  if (resp.status == 404) return false;
  if (resp.status != 201 && !resp.ok())
    throw registry_error(resp, "PUT blob " + name_ + "@" + digest);
  return true;
}

bool Repository::upload_chunked(std::string location, const std::string &digest, std::uint64_t size,
                                BlobSource &source, const ByteProgress &progress) {
  const auto chunk = registry_->options().patch_size;
  std::uint64_t offset = 0;
  int failures = 0;
  while (offset < size) {
    std::uint64_t len = std::min(chunk, size - offset);
    SliceBody body(source, offset, len, progress);
    http::Request req;
    req.method = "PATCH";
    req.url = location;
    req.body = &body;
    req.idempotent = false;
    req.headers.push_back({"Content-Type", "application/octet-stream"});
    req.headers.push_back(
        {"Content-Range", std::to_string(offset) + "-" + std::to_string(offset + len - 1)});
    http::Response resp;
    bool dropped = false;
    try {
      resp = registry_->send(req, push_scope());
      dropped = resp.status >= 500 || resp.status == 408 || resp.status == 429;
    } catch (const Error &e) {
      if (e.code() != Errc::network && e.code() != Errc::timeout) throw;
      dropped = true;
    }
    if (dropped) {
      // Ask the registry how much arrived and go on from there; the part in flight
      // is re-sent from that offset, never the whole blob.
      if (++failures >= registry_->options().resume_attempts)
        throw Error(Errc::network, "upload of " + digest + " to " + name_ +
                                       " kept failing at byte " + std::to_string(offset));
      auto reported = upload_offset(location);
      // distribution 2.8 cancels a session whose stored bytes no longer match its
      // state, which is what a PATCH cut off mid-body leaves behind.
      if (!reported || *reported > size) return false;
      offset = *reported;
      continue;
    }
    // 404: the session is gone; 416: it holds other bytes than we think.
    if (resp.status == 404 || resp.status == 416) return false;
    // ECR answers 201 where distribution answers 202.
    if (resp.status != 202 && resp.status != 201 && resp.status != 204)
      throw registry_error(resp, "PATCH blob upload " + name_ + "@" + digest);
    if (auto loc = resp.header("Location")) location = http::resolve_url(resp.url, *loc);
    offset += len;
  }
  http::Request fin;
  fin.method = "PUT";
  fin.url = with_query(location, "digest=" + digest);
  fin.headers.push_back({"Content-Type", "application/octet-stream"});
  http::StringSource empty("");
  fin.body = &empty;
  auto resp = registry_->send(fin, push_scope());
  if (resp.status == 404) return false;
  if (resp.status != 201 && !resp.ok())
    throw registry_error(resp, "PUT (finish) blob " + name_ + "@" + digest);
  return true;
}

bool Repository::push_blob(const std::string &digest, std::uint64_t size, BlobSource &source,
                           const std::string &mount_from, const ByteProgress &progress) {
  image::Digest::parse(digest);
  // A lost session is not the end of the push: a connection cut mid-body leaves
  // distribution with a session it refuses to continue, and a fresh one succeeds.
  const int sessions = registry_->options().resume_attempts;
  for (int attempt = 1; attempt <= sessions; ++attempt) {
    bool mounted = false;
    auto location = start_upload(digest, attempt == 1 ? mount_from : std::string(), mounted);
    if (mounted) return true;
    bool done = size <= registry_->options().monolithic_limit
                    ? upload_monolithic(location, digest, size, source, progress)
                    : upload_chunked(location, digest, size, source, progress);
    if (done) return false;
  }
  throw Error(Errc::network, "upload of " + digest + " to " + name_ + " lost its session " +
                                 std::to_string(sessions) + " times");
}

FetchedManifest Repository::get_manifest(const std::string &ref) {
  http::Request req;
  req.url = url("/manifests/" + ref);
  req.headers.push_back({"Accept", image::media::manifest_accept()});
  std::string raw;
  req.sink = [&](const char *d, std::size_t n) {
    if (raw.size() + n > image::kMaxManifestSize)
      throw Error(Errc::too_large, "manifest " + name_ + ":" + ref + " is larger than 4 MiB");
    raw.append(d, n);
  };
  // The transport does not repeat a request whose body already reached the sink; a
  // manifest is small and held here, so a connection cut mid-body just starts over.
  http::Response resp;
  for (int attempt = 1;; ++attempt) {
    raw.clear();
    try {
      resp = registry_->send(req, pull_scope());
      break;
    } catch (const Error &e) {
      // Without any byte received the transport has already retried on its own.
      bool cut = (e.code() == Errc::network || e.code() == Errc::timeout) && !raw.empty();
      if (!cut || attempt >= registry_->options().resume_attempts) throw;
    }
  }
  if (!resp.ok())
    throw registry_error(resp, "GET manifest " + registry_->host() + "/" + name_ + ":" + ref);
  FetchedManifest m;
  // Asked by digest, the manifest is checked in that digest's algorithm (sha256 or
  // sha512) and keeps that digest as its name.
  if (image::Digest::valid(ref)) {
    m.digest = image::digest_of(raw, image::Digest::parse(ref).algorithm());
    if (m.digest != ref)
      throw Error(Errc::digest_mismatch,
                  "manifest " + name_ + "@" + ref + " arrived with digest " + m.digest);
  } else {
    m.digest = image::digest_of(raw);
  }
  check_content_digest(resp, raw, "manifest " + name_ + ":" + ref);
  m.media_type = image::detect_media_type(raw, resp.header("Content-Type").value_or(""));
  m.raw = std::move(raw);
  return m;
}

std::optional<image::Descriptor> Repository::head_manifest(const std::string &ref) {
  http::Request req;
  req.method = "HEAD";
  req.url = url("/manifests/" + ref);
  req.headers.push_back({"Accept", image::media::manifest_accept()});
  auto resp = registry_->send(req, pull_scope());
  if (resp.status == 404) return std::nullopt;
  if (!resp.ok()) throw registry_error(resp, "HEAD manifest " + name_ + ":" + ref);
  image::Descriptor d;
  d.media_type = resp.header("Content-Type").value_or("");
  d.digest = resp.header("Docker-Content-Digest").value_or("");
  d.size = static_cast<std::int64_t>(resp.content_length());
  if (d.digest.empty() && image::Digest::valid(ref)) d.digest = ref;
  if (d.digest.empty()) {
    // Some registries omit the digest on HEAD; a GET tells it.
    auto m = get_manifest(ref);
    d.digest = m.digest;
    d.media_type = m.media_type;
    d.size = static_cast<std::int64_t>(m.raw.size());
  }
  return d;
}

std::string Repository::put_manifest(const std::string &ref, const std::string &raw,
                                     const std::string &media_type, bool *subject_processed) {
  if (raw.size() > image::kMaxManifestSize)
    throw Error(Errc::too_large, "manifest for " + name_ + ":" + ref + " is larger than 4 MiB");
  http::StringSource body(raw);
  http::Request req;
  req.method = "PUT";
  req.url = url("/manifests/" + ref);
  req.body = &body;
  req.headers.push_back({"Content-Type", media_type});
  auto resp = registry_->send(req, push_scope());
  if (resp.status != 201 && !resp.ok())
    throw registry_error(resp, "PUT manifest " + registry_->host() + "/" + name_ + ":" + ref);
  check_content_digest(resp, raw, "stored manifest " + name_ + ":" + ref);
  if (subject_processed) *subject_processed = resp.header("OCI-Subject").has_value();
  return image::digest_of(raw);
}

void Repository::delete_manifest(const std::string &digest) {
  http::Request req;
  req.method = "DELETE";
  req.url = url("/manifests/" + digest);
  auto resp = registry_->send(req, {"repository:" + name_ + ":delete"});
  if (!resp.ok()) throw registry_error(resp, "DELETE manifest " + name_ + "@" + digest);
}

std::vector<std::string> Repository::tags(int page_size) {
  return list_pages(
      url("/tags/list?n=" + std::to_string(page_size)), "tags of " + name_, "tags", "tag list",
      [&](http::Request req) { return registry_->send(std::move(req), pull_scope()); });
}

image::Index Repository::referrers(const std::string &digest, const std::string &artifact_type,
                                   std::string *warning) {
  auto parsed = image::Digest::parse(digest);
  http::Request req;
  req.url = url("/referrers/" + digest);
  if (!artifact_type.empty()) req.url += "?artifactType=" + artifact_type;
  req.headers.push_back({"Accept", std::string(image::media::oci_index)});
  auto resp = registry_->send(req, pull_scope());
  if (resp.ok()) {
    auto idx = image::parse_index(resp.body, image::media::oci_index);
    if (!artifact_type.empty() && !resp.header("OCI-Filters-Applied"))
      keep_artifact_type(idx, artifact_type);
    return idx;
  }
  if (resp.status != 404 && resp.status != 400 && resp.status != 405)
    throw registry_error(resp, "GET referrers of " + name_ + "@" + digest);
  // Fallback tag schema: the referrers index lives at tag "<alg>-<hex>".
  auto tag = parsed.algorithm() + "-" + parsed.hex();
  if (!head_manifest(tag)) return image::Index::make(std::string(image::media::oci_index), {});
  auto m = get_manifest(tag);
  if (!image::media::is_index(m.media_type)) {
    if (warning)
      *warning = "tag " + name_ + ":" + tag + " holds a " + m.media_type +
                 ", not a referrers index: taken as no referrers of " + digest;
    return image::Index::make(std::string(image::media::oci_index), {});
  }
  auto idx = image::parse_index(m.raw, m.media_type);
  if (!artifact_type.empty()) keep_artifact_type(idx, artifact_type);
  return idx;
}

void Repository::add_to_referrers_tag(const std::string &subject,
                                      const image::Descriptor &referrer) {
  auto parsed = image::Digest::parse(subject);
  auto tag = parsed.algorithm() + "-" + parsed.hex();
  std::vector<image::Descriptor> entries;
  std::map<std::string, std::string> annotations;
  if (head_manifest(tag)) {
    auto m = get_manifest(tag);
    auto idx = image::parse_index(m.raw, m.media_type);
    for (const auto &d : idx.manifests)
      if (d.digest == referrer.digest) return; // already listed
    entries = std::move(idx.manifests);
    annotations = std::move(idx.annotations);
  }
  entries.push_back(referrer);
  auto idx = image::Index::make(std::string(image::media::oci_index), std::move(entries),
                                std::move(annotations));
  put_manifest(tag, idx.raw, idx.media_type);
}

} // namespace berth::registry
