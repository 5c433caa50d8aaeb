#include "ops/build/dockerfile/registry_cache.hpp"

#include <berth/digest.hpp>
#include <berth/error.hpp>

#include "core/json.hpp"
#include "core/split.hpp"
#include "ops/transfer/copy_engine.hpp"

#include <set>

namespace berth::ops {

CacheSpec parse_cache_spec(const std::string &text, bool to) {
  const std::string flag = to ? "--cache-to" : "--cache-from";
  CacheSpec spec;
  std::string type, ref, unknown;
  if (text.find('=') == std::string::npos) {
    type = "registry", ref = text; // a bare REPO[:TAG]
  } else {
    for (const auto &part : core::split(text, ',')) {
      const auto field = core::trim(part);
      if (field.empty()) continue;
      const auto eq = field.find('=');
      if (eq == std::string::npos)
        throw Error(Errc::invalid_argument, flag + ": \"" + field + "\" is not KEY=VALUE");
      const auto k = field.substr(0, eq), v = field.substr(eq + 1);
      if (k == "type") {
        type = v;
      } else if (k == "ref") {
        ref = v;
      } else if (k == "mode") { // on --cache-from too: one spec can serve both flags
        if (v != "min" && v != "max")
          throw Error(Errc::invalid_argument, flag + ": mode is min or max, not " + v);
        spec.max = v == "max";
      } else if (k == "ignore-error") {
        if (v != "true" && v != "false")
          throw Error(Errc::invalid_argument, flag + ": ignore-error is true or false");
        spec.ignore_error = v == "true";
      } else if (k == "image-manifest" || k == "oci-mediatypes" || k == "compression") {
        // buildx options for what berth always does (an OCI image manifest) or decides
        // per build: accepted so that a buildx line works unchanged.
      } else if (unknown.empty()) {
        unknown = k; // refused once the type is known: another type's keys are no error
      }
    }
  }
  if (type.empty()) type = "registry";
  if (type != "registry")
    throw Error(Errc::unsupported,
                flag + ": type=" + type +
                    " is not supported; berth keeps build caches in a registry "
                    "(type=registry,ref=REPO[:TAG]) and locally under --cache-dir");
  if (!unknown.empty())
    throw Error(Errc::invalid_argument, flag + ": unknown option \"" + unknown + "\"");
  if (ref.empty()) throw Error(Errc::invalid_argument, flag + " needs ref=REPO[:TAG]");
  auto r = image::Reference::parse(ref);
  if (!r.digest.empty())
    throw Error(Errc::invalid_argument, flag + ": the cache ref takes a tag, not a digest");
  if (r.tag.empty()) r = r.with_tag(std::string(kDefaultCacheTag));
  spec.ref = r.str();
  return spec;
}

namespace {

Location cache_location(const std::string &ref) {
  Location loc;
  loc.kind = Location::Kind::registry;
  loc.ref = image::Reference::parse(ref);
  return loc;
}

// The steps a cache image lists; Error(protocol) when it is not one berth reads.
std::map<std::string, BuiltLayer> read_steps(ImageSource &src, const std::string &ref) {
  auto fetched = src.manifest("");
  auto m = image::parse_manifest(fetched.raw, fetched.media_type);
  if (m.config.media_type != kBuildCacheConfigType)
    throw Error(Errc::protocol,
                ref + " is not a berth build cache (its config is " +
                    (m.config.media_type.empty() ? std::string("untyped") : m.config.media_type) +
                    ")");
  if (m.config.size > (16 << 20)) throw Error(Errc::too_large, ref + ": cache config over 16 MiB");
  std::string raw;
  src.blob(m.config, [&](const char *d, std::size_t n) { raw.append(d, n); }, {});
  const std::string what = "the build cache " + ref;
  auto doc = core::json::parse(raw, what.c_str());
  const auto *steps = core::json::find(doc, "steps");
  if (core::json::get_string(doc, "berthCache") != "v1" || !steps || !steps->IsObject())
    throw Error(Errc::protocol, ref + ": not a v1 build cache config");
  std::map<std::string, BuiltLayer> out;
  for (auto it = steps->MemberBegin(); it != steps->MemberEnd(); ++it) {
    const auto *layer = core::json::find(it->value, "layer");
    if (!layer || !layer->IsUint() || layer->GetUint() >= m.layers.size())
      throw Error(Errc::protocol, ref + ": a step names a layer the manifest does not have");
    const auto &d = m.layers[layer->GetUint()];
    BuiltLayer b;
    b.digest = d.digest;
    b.media_type = d.media_type;
    b.size = static_cast<std::uint64_t>(d.size);
    b.diff_id = core::json::get_string(it->value, "diffID");
    (void)image::Digest::parse(b.diff_id); // Error(invalid_argument) when it is none
    b.from_cache = true;
    out.emplace(it->name.GetString(), std::move(b));
  }
  return out;
}

} // namespace

RegistryCacheImport::RegistryCacheImport(const CacheSpec &spec, const RegistryAccess &access,
                                         const Warn &warn)
    : ref_(spec.ref) {
  try {
    source_ = open_source(cache_location(spec.ref), access);
    steps_ = read_steps(*source_, spec.ref);
  } catch (const Error &e) {
    steps_.clear();
    if (e.code() == Errc::not_found)
      warn("no build cache at " + spec.ref + " yet");
    else
      warn("build cache " + spec.ref + " not used: " + e.what());
  }
}

std::optional<CacheHit> RegistryCacheImport::find(const std::string &key) {
  auto it = steps_.find(key);
  if (it == steps_.end()) return std::nullopt;
  const auto &layer = it->second;
  std::lock_guard lock(mutex_);
  auto [p, fresh] = present_.emplace(layer.digest, false);
  if (fresh) {
    image::Descriptor d;
    d.digest = layer.digest;
    d.media_type = layer.media_type;
    d.size = static_cast<std::int64_t>(layer.size);
    try {
      p->second = source_->has_blob(d);
    } catch (const Error &) {
      p->second = false; // unreachable now: a miss, the step runs
    }
  }
  if (!p->second) return std::nullopt; // expired by a lifecycle policy: a miss
  return CacheHit{layer, source_.get()};
}

CacheExportResult export_registry_cache(const CacheSpec &spec, const RegistryAccess &access,
                                        const std::vector<CacheEntry> &entries, int jobs,
                                        ProgressReporter &reporter, const PushedImage &pushed) {
  CacheExportResult result;
  if (entries.empty()) return result; // a build of no steps: nothing worth a cache
  const auto where = cache_location(spec.ref);
  const auto dst_host = where.ref.registry_host();
  auto dst = open_destination(where, access);
  // Layers in the order the steps came, each once; blobs grouped by where they are.
  std::vector<image::Descriptor> layers;
  std::map<std::string, std::size_t> index_of;
  std::map<ImageSource *, std::vector<image::Descriptor>> by_source;
  core::json::StringWriter w;
  w.writer.StartObject();
  w.member("berthCache", "v1");
  w.writer.Key("steps");
  w.writer.StartObject();
  std::set<std::string> keys;
  for (const auto &e : entries) {
    if (!keys.insert(e.key).second) continue;
    auto [it, fresh] = index_of.emplace(e.layer.digest, layers.size());
    if (fresh) {
      image::Descriptor d;
      d.media_type = e.layer.media_type;
      d.digest = e.layer.digest;
      d.size = static_cast<std::int64_t>(e.layer.size);
      layers.push_back(d);
      const bool there = pushed.source && pushed.digests.count(d.digest) &&
                         pushed.source->registry_host() == dst_host;
      by_source[there ? pushed.source : e.source].push_back(d);
    }
    w.writer.Key(e.key.c_str());
    w.writer.StartObject();
    w.writer.Key("layer");
    w.writer.Uint(static_cast<unsigned>(it->second));
    w.member("diffID", e.layer.diff_id);
    w.writer.EndObject();
    ++result.steps;
  }
  w.writer.EndObject();
  w.writer.EndObject();
  const std::string config = w.str();
  image::Manifest fields;
  fields.media_type = image::media::oci_manifest;
  fields.config.media_type = kBuildCacheConfigType;
  fields.config.digest = image::digest_of(config);
  fields.config.size = static_cast<std::int64_t>(config.size());
  fields.layers = layers;
  auto manifest = image::Manifest::make(std::move(fields));
  result.digest = image::digest_of(manifest.raw);
  // The same steps as the cache there: one HEAD, nothing moved.
  if (dst->tag_points_to(result.digest)) {
    result.unchanged = true;
    return result;
  }
  for (auto &[src, blobs] : by_source) {
    auto c = copy_blobs(*src, *dst, blobs, jobs, reporter);
    result.blobs.copied += c.copied;
    result.blobs.skipped += c.skipped;
    result.blobs.mounted += c.mounted;
    result.blobs.bytes += c.bytes;
  }
  dst->put_blob_bytes(config);
  dst->put_manifest(manifest.raw, manifest.media_type, true);
  return result;
}

} // namespace berth::ops
