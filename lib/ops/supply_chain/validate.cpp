// berth validate: read every manifest and blob an image reaches and verify each,
// reporting every failure instead of stopping at the first.
#include <berth/error.hpp>
#include <berth/inspect.hpp>

#include "core/json.hpp"
#include "ops/transfer/endpoints.hpp"
#include "ops/transfer/parallel.hpp"

#include <atomic>
#include <map>
#include <mutex>

namespace berth {
namespace {

// Failures that describe the image. Anything else (authentication, network,
// throttling, cancellation, bugs) says nothing about it and ends the run.
bool about_the_image(Errc c) {
  switch (c) {
  case Errc::digest_mismatch:
  case Errc::not_found:
  case Errc::protocol:
  case Errc::too_large:
  case Errc::invalid_argument:
  case Errc::unsupported:
  case Errc::io: return true;
  default: return false;
  }
}

// Index nesting deeper than this is refused (content addressing rules out cycles;
// this bounds a hostile registry's chain of indexes).
constexpr int kMaxDepth = 8;

struct Blob {
  image::Descriptor descriptor;
  std::string kind;
};

class Validator {
public:
  Validator(ops::ImageSource &src, ValidationReport &report) : src_(src), r_(report) {}

  void walk(const registry::FetchedManifest &m, int depth) {
    ++r_.manifests;
    const bool index = image::media::is_index(m.media_type);
    if (index) {
      if (depth >= kMaxDepth) {
        fail(m.digest, "index", Errc::unsupported, "indexes nested too deep");
        return;
      }
      image::Index idx;
      if (!attempt(m.digest, "index", [&] { idx = image::parse_index(m.raw, m.media_type); }))
        return;
      for (const auto &d : idx.manifests) {
        registry::FetchedManifest child;
        auto kind = image::media::is_index(d.media_type) ? "index" : "manifest";
        if (attempt(d.digest, kind, [&] { child = src_.child_manifest(d); }))
          walk(child, depth + 1);
      }
      return;
    }
    image::Manifest parsed;
    if (!attempt(m.digest, "manifest",
                 [&] { parsed = image::parse_manifest(m.raw, m.media_type); }))
      return;
    add_blob(parsed.config, "config");
    for (const auto &l : parsed.layers) {
      if (!l.urls.empty()) {
        ++r_.skipped; // a foreign layer lives at its URLs, not in this source
        continue;
      }
      add_blob(l, "layer");
    }
  }

  void check_blobs(int jobs) {
    std::vector<std::optional<ValidationFailure>> failed(blobs_.size());
    std::atomic<std::uint64_t> bytes{0};
    ops::parallel_for(blobs_.size(), jobs, [&](std::size_t i) {
      const auto &b = blobs_[i];
      try {
        src_.blob(b.descriptor, [&](const char *, std::size_t n) { bytes += n; }, {});
      } catch (const Error &e) {
        if (!about_the_image(e.code())) throw;
        failed[i] = ValidationFailure{b.descriptor.digest, b.kind, e.what(), e.code()};
      }
    });
    r_.blobs += static_cast<int>(blobs_.size());
    r_.bytes += bytes;
    for (auto &f : failed) // in the order the manifests name them
      if (f) r_.failures.push_back(std::move(*f));
  }

  template <typename Fn> bool attempt(const std::string &digest, const char *kind, Fn &&fn) {
    try {
      fn();
      return true;
    } catch (const Error &e) {
      if (!about_the_image(e.code())) throw;
      fail(digest, kind, e.code(), e.what());
      return false;
    }
  }

  void fail(const std::string &digest, const char *kind, Errc code, const std::string &message) {
    r_.failures.push_back({digest, kind, message, code});
  }

private:
  // Blobs shared by several images (a common base) are read once.
  void add_blob(const image::Descriptor &d, const char *kind) {
    auto key = d.digest + "/" + std::to_string(d.size);
    if (!seen_.emplace(key, true).second) return;
    blobs_.push_back({d, kind});
  }

  ops::ImageSource &src_;
  ValidationReport &r_;
  std::vector<Blob> blobs_;
  std::map<std::string, bool> seen_;
};

} // namespace

ValidationReport validate_image(const std::string &ref, const InspectOptions &o) {
  if (o.jobs < 1 || o.jobs > 64) throw Error(Errc::invalid_argument, "jobs must be 1..64");
  auto loc = ops::Location::parse(ref);
  auto src = ops::open_source(loc, o.access);
  ValidationReport r;
  r.reference = ref;
  Validator v(*src, r);
  registry::FetchedManifest top;
  try {
    top = src->manifest("");
  } catch (const Error &e) {
    // A top manifest that arrived but does not match its digest, or is no manifest,
    // is a finding; one that cannot be found or read is an error.
    if (e.code() != Errc::digest_mismatch && e.code() != Errc::protocol &&
        e.code() != Errc::too_large)
      throw;
    r.digest = loc.kind == ops::Location::Kind::registry ? loc.ref.digest : std::string();
    v.fail(r.digest, "manifest", e.code(), e.what());
    return r;
  }
  r.digest = top.digest;
  r.media_type = top.media_type;
  v.walk(top, 0);
  v.check_blobs(o.jobs);
  return r;
}

std::string to_json(const ValidationReport &r) {
  core::json::StringWriter out;
  auto &w = out.writer;
  w.StartObject();
  out.member("reference", r.reference);
  out.member("digest", r.digest);
  out.member("mediaType", r.media_type);
  w.Key("ok");
  w.Bool(r.ok());
  w.Key("manifests");
  w.Int(r.manifests);
  w.Key("blobs");
  w.Int(r.blobs);
  w.Key("skipped");
  w.Int(r.skipped);
  w.Key("bytes");
  w.Uint64(r.bytes);
  w.Key("failures");
  w.StartArray();
  for (const auto &f : r.failures) {
    w.StartObject();
    out.member("digest", f.digest);
    out.member("kind", f.kind);
    out.member("message", f.message);
    w.Key("code");
    w.Int(static_cast<int>(f.code));
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return out.str();
}

} // namespace berth
