// berth build: base image + new layers + config changes -> any destination.
#include <berth/build.hpp>
#include <berth/digest.hpp>
#include <berth/error.hpp>
#include <berth/layout.hpp>
#include <berth/provenance.hpp>
#include <berth/sbom.hpp>
#include <berth/sign.hpp>

#include "core/crypto.hpp"
#include "core/json.hpp"
#include "core/time.hpp"
#include "image/descriptor_json.hpp"
#include "layer/compression.hpp"
#include "layer/file_tree.hpp"
#include "layer/layer_pipeline.hpp"
#include "layer/tar_writer.hpp"
#include "ops/build/image_draft.hpp"
#include "ops/build/layer_cache.hpp"
#include "ops/transfer/copy_engine.hpp"
#include "ops/transfer/endpoints.hpp"
#include "ops/transfer/format.hpp"
#include "ops/transfer/mirror.hpp"
#include "ops/transfer/progress_reporter.hpp"
#include "ops/transfer/registry_access.hpp"
#include "ops/transfer/resolve.hpp"

#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <unistd.h>

namespace berth {
namespace {

using ops::member_object;
using ops::set_string;
using ops::string_array;

using core::json::Document;
using core::json::Value;

struct LayerInput {
  std::string source; // directory or tar file
  std::string dest;   // for directories: path inside the image, "" = root
  bool is_tar = false;
};

LayerInput parse_layer(const std::string &spec) {
  LayerInput in;
  auto colon = spec.rfind(':');
  in.source = spec;
  if (colon != std::string::npos && colon + 1 < spec.size() && spec[colon + 1] == '/') {
    in.source = spec.substr(0, colon);
    in.dest = spec.substr(colon + 1);
  }
  auto info = layer::stat_path(in.source, true); // Error(not_found) names the path
  bool dir = (info.mode & 0170000) == 0040000;
  bool reg = (info.mode & 0170000) == 0100000;
  if (!dir && !reg)
    throw Error(Errc::invalid_argument,
                "layer source '" + in.source + "' is neither a directory nor a tar file");
  in.is_tar = reg;
  if (in.is_tar && !in.dest.empty())
    throw Error(Errc::invalid_argument, "a tar layer takes no :/dest ('" + spec + "')");
  while (in.dest.size() > 1 && in.dest.back() == '/')
    in.dest.pop_back();
  if (!in.dest.empty() && in.dest.front() == '/') in.dest.erase(0, 1);
  return in;
}

// Streams a tar file (possibly gzip or zstd compressed) into the pipeline.
void feed_tar_file(const std::string &path, core::ByteSink &out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(Errc::io, "cannot open " + path);
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  unsigned char magic[4] = {0, 0, 0, 0};
  auto got = ::pread(fd, magic, sizeof magic, 0);
  layer::Compression c = layer::Compression::none;
  if (got >= 2 && magic[0] == 0x1f && magic[1] == 0x8b) c = layer::Compression::gzip;
  if (got >= 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd)
    c = layer::Compression::zstd;
  layer::Decompressor d(c, [fd](char *buf, std::size_t len) -> std::size_t {
    for (;;) {
      auto n = ::read(fd, buf, len);
      if (n >= 0) return static_cast<std::size_t>(n);
      if (errno != EINTR) throw Error(Errc::io, "read failed");
    }
  });
  std::vector<char> buf(1 << 20);
  while (std::size_t n = d.read(buf.data(), buf.size()))
    out.write(buf.data(), n);
  out.finish();
}

// The base: its config and layers (copied to dst) into the draft, what it is named
// by into the result. Scratch is an empty config.
std::unique_ptr<ops::ImageSource> resolve_base(const BuildOptions &o, const ops::Location &out_loc,
                                               ops::ImageDestination &dst,
                                               ops::ProgressReporter &reporter,
                                               ops::ImageDraft &draft, BuildResult &result) {
  if (o.from == "scratch") {
    draft.config.SetObject();
    return nullptr;
  }
  auto from_loc = ops::Location::parse(o.from);
  auto opened =
      ops::open_source_with_mirrors(from_loc, o.from_access, ops::parse_mirrors(o.mirrors));
  auto base = std::move(opened.source);
  if (from_loc.kind == ops::Location::Kind::registry) {
    // What the image is based on, as OCI's annotations name it: the reference the
    // user gave (not the mirror's) and the digest it resolved to.
    result.base_name = from_loc.ref.str();
    result.base_digest = base->manifest("").digest;
    result.base_mirror = opened.mirror;
  }
  registry::FetchedManifest chosen;
  image::Manifest m;
  try {
    m = ops::resolve_image(*base, o.platform, &chosen);
  } catch (const Error &e) {
    if (e.code() != Errc::not_found) throw;
    throw Error(Errc::not_found, "base image " + o.from + ": " + e.what());
  }
  result.base_manifest_digest = chosen.digest;
  // The new image has the base's media types, but a docker-archive base going into
  // an OCI layout or archive makes an OCI image, as a copy would (ops/format.hpp).
  if (auto to = ops::target_family(ImageFormat::automatic, from_loc, out_loc))
    m = image::convert_manifest(m, *to);
  draft.docker_types = m.media_type == image::media::docker_manifest;
  std::string cfg;
  base->blob(m.config, [&](const char *d, std::size_t n) { cfg.append(d, n); }, {});
  draft.config = core::json::parse(cfg, "base image config");
  if (!draft.config.IsObject())
    throw Error(Errc::protocol, "base image config is not a JSON object");
  draft.layers = m.layers;
  ops::copy_blobs(*base, dst, draft.layers, o.jobs, reporter);
  return base;
}

// The option's platform, or for scratch the default one.
void set_platform(const BuildOptions &o, Document &config) {
  if (o.platform.empty() && o.from != "scratch") return;
  auto &a = config.GetAllocator();
  auto p = image::Platform::parse(o.platform.empty() ? image::kDefaultPlatform : o.platform);
  set_string(config, "os", p.os, a);
  set_string(config, "architecture", p.architecture, a);
  if (p.variant.empty())
    config.RemoveMember("variant");
  else
    set_string(config, "variant", p.variant, a);
}

// Each --layer as a new layer (from the cache when its inputs did not change), with
// its diff_id and history entry in the config.
void add_layers(const BuildOptions &o, const std::vector<LayerInput> &inputs,
                const ops::BuildClock &clock, ops::ImageDestination &dst,
                ops::ProgressReporter &reporter, ops::ImageDraft &draft, BuildResult &result) {
  auto &config = draft.config;
  auto &a = config.GetAllocator();
  auto compression = layer::parse_compression(o.compression);
  ops::LayerCache cache(o.cache_dir, o.cache_key);
  ops::ensure_rootfs_and_history(config);
  layer::TarOptions tar_opts;
  tar_opts.mtime_clamp = clock.epoch;
  for (const auto &in : inputs) {
    std::string fingerprint =
        cache.enabled() ? ops::LayerCache::fingerprint(in.source, in.dest, in.is_tar, o.cache_key,
                                                       compression, o.level, clock.epoch)
                        : std::string();
    BuiltLayer built;
    std::uint64_t reported = 0; // of the layer's bytes, as it was built
    if (auto hit = cache.lookup(fingerprint)) {
      built = *hit;
      built.from_cache = true;
    } else {
      // The layer's size is known only once it is compressed: until then the
      // progress reports its bytes against an unknown total.
      auto make = [&](ops::ImageDestination::BlobSink &sink) {
        ops::ProgressReporter::Unsized item(reporter);
        reporter.item(Progress::Event::blob_started, std::string(), 0, 0, 0);
        ops::ProgressSink counted(sink, reporter);
        layer::LayerPipeline pipe(counted, compression, o.level, o.threads, draft.docker_types);
        if (in.is_tar) {
          feed_tar_file(in.source, pipe.input());
        } else {
          layer::TarWriter tw(pipe.input(), tar_opts);
          tw.add_tree(in.source, in.dest);
          tw.finish();
        }
        auto r = pipe.finish();
        sink.commit(r.digest);
        counted.flush();
        reported = counted.bytes();
        item.end(r.size);
        return BuiltLayer{r.digest, r.diff_id, r.media_type, r.size, false};
      };
      built = cache.enabled() ? cache.build(fingerprint, make) : [&] {
        auto sink = dst.open_blob_sink();
        return make(*sink);
      }();
    }
    image::Descriptor d;
    d.media_type = built.media_type;
    d.digest = built.digest;
    d.size = static_cast<std::int64_t>(built.size);
    if (cache.enabled()) {
      // The layer lives in the cache; the destination gets it like a base layer
      // (a HEAD when it already has it).
      auto src = cache.source();
      ops::copy_blobs(*src, dst, {d}, 1, reporter);
    } else {
      reporter.item(Progress::Event::blob_done, d.digest, built.size, built.size,
                    built.size > reported ? built.size - reported : 0);
    }
    draft.layers.push_back(d);
    config["rootfs"]["diff_ids"].PushBack(Value(built.diff_id.c_str(), a), a);
    // Only what is in the image: a local path or berth's version here would make the
    // digest depend on the machine or the tool, not on the inputs.
    std::string by =
        in.is_tar ? "berth build: tar layer " + std::filesystem::path(in.source).filename().string()
                  : "berth build: COPY . /" + in.dest;
    ops::add_history(config, clock.created_text(), by, false);
    result.layers.push_back(built);
  }
}

// Entrypoint, cmd, env, workdir, user, labels, exposed ports and the created time.
void edit_config(const BuildOptions &o, const ops::BuildClock &clock, Document &config) {
  auto &a = config.GetAllocator();
  auto &c = member_object(config, "config", a);
  if (o.entrypoint) {
    c.RemoveMember("Entrypoint");
    c.AddMember("Entrypoint", string_array(*o.entrypoint, a), a);
  }
  if (o.cmd) {
    c.RemoveMember("Cmd");
    c.AddMember("Cmd", string_array(*o.cmd, a), a);
  }
  if (!o.env.empty()) {
    std::vector<std::string> env;
    if (c.HasMember("Env") && c["Env"].IsArray())
      for (const auto &e : c["Env"].GetArray())
        if (e.IsString()) env.emplace_back(e.GetString());
    for (const auto &kv : o.env) {
      auto eq = kv.find('=');
      if (eq == std::string::npos || eq == 0)
        throw Error(Errc::invalid_argument, "env must be KEY=VALUE, got '" + kv + "'");
      auto key = kv.substr(0, eq + 1);
      auto it = std::find_if(env.begin(), env.end(),
                             [&](const std::string &e) { return e.rfind(key, 0) == 0; });
      if (it != env.end())
        *it = kv;
      else
        env.push_back(kv);
    }
    c.RemoveMember("Env");
    c.AddMember("Env", string_array(env, a), a);
  }
  if (!o.workdir.empty()) set_string(c, "WorkingDir", o.workdir, a);
  if (!o.user.empty()) set_string(c, "User", o.user, a);
  if (!o.labels.empty()) {
    auto &labels = member_object(c, "Labels", a);
    for (const auto &[k, v] : o.labels)
      set_string(labels, k.c_str(), v, a);
  }
  if (!o.expose.empty()) {
    auto &ports = member_object(c, "ExposedPorts", a);
    for (auto p : o.expose) {
      if (p.find('/') == std::string::npos) p += "/tcp";
      ports.RemoveMember(p.c_str());
      ports.AddMember(Value(p.c_str(), a), Value(rapidjson::kObjectType), a);
    }
  }
  set_string(config, "created", clock.created_text(), a);
}

} // namespace

BuildResult build_image(const BuildOptions &o) {
  if (o.output.empty())
    throw Error(Errc::invalid_argument,
                "build needs an output (--output oci:DIR[:TAG] or docker://REF)");
  (void)layer::parse_compression(o.compression); // a typo fails before anything moves
  const auto clock = ops::BuildClock::make(o.created);
  std::vector<LayerInput> inputs;
  for (const auto &l : o.layers)
    inputs.push_back(parse_layer(l));
  const auto started = std::chrono::system_clock::now();
  const auto start = std::chrono::steady_clock::now();

  auto out_loc = ops::Location::parse(o.output);
  ops::check_attestable(o.output, o.attach_sbom, o.attach_provenance);
  auto dst = ops::open_destination(out_loc, o.output_access);
  ops::ProgressReporter reporter(o.progress);
  BuildResult result;
  ops::ImageDraft draft;
  auto base = resolve_base(o, out_loc, *dst, reporter, draft, result);
  set_platform(o, draft.config);
  add_layers(o, inputs, clock, *dst, reporter, draft, result);
  edit_config(o, clock, draft.config);
  ops::StoreRequest store;
  store.annotations = o.annotations;
  store.base_name = result.base_name;
  store.base_digest = result.base_digest;
  store.extra_tags = o.extra_tags;
  ops::store_image(store, clock, draft, *dst, reporter, result);
  auto att = ops::attest_request(o, o.platform, started);
  att.parameters = {{"from", o.from},
                    {"output", o.output},
                    {"platform", o.platform},
                    {"compression", o.compression}};
  for (std::size_t i = 0; i < o.layers.size(); ++i)
    att.parameters.emplace_back("layer" + std::to_string(i + 1), o.layers[i]);
  att.base_ref = o.from;
  att.base_digest = result.base_manifest_digest;
  ops::attest_built_image(att, result);
  result.duration = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  return result;
}

std::string to_json(const BuildResult &r) {
  core::json::StringWriter out;
  auto &w = out.writer;
  w.StartObject();
  out.member("digest", r.digest);
  out.member("mediaType", r.media_type);
  out.member("config", r.config_digest);
  w.Key("layers");
  w.StartArray();
  for (const auto &l : r.layers) {
    w.StartObject();
    out.member("digest", l.digest);
    out.member("diffID", l.diff_id);
    w.Key("size");
    w.Uint64(l.size);
    w.Key("cached");
    w.Bool(l.from_cache);
    w.EndObject();
  }
  w.EndArray();
  if (!r.base_digest.empty()) {
    out.member("baseName", r.base_name);
    out.member("baseDigest", r.base_digest);
    if (!r.base_mirror.empty()) out.member("baseMirror", r.base_mirror);
  }
  w.Key("attestations");
  w.StartArray();
  for (const auto &a : r.attestations) {
    w.StartObject();
    out.member("predicateType", a.predicate_type);
    w.Key("signed");
    w.Bool(a.is_signed);
    out.member("location", a.location);
    out.member("digest", a.digest);
    w.EndObject();
  }
  w.EndArray();
  w.Key("seconds");
  w.Double(std::chrono::duration<double>(r.duration).count());
  w.EndObject();
  return out.str();
}

} // namespace berth
