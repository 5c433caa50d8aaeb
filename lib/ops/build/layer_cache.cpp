#include "ops/build/layer_cache.hpp"

#include <berth/error.hpp>
#include <berth/layout.hpp>
#include <berth/version.hpp>

#include "core/crypto.hpp"
#include "core/file.hpp"
#include "core/json.hpp"
#include "layer/file_tree.hpp"
#include "ops/transfer/layout_blob_sink.hpp"
#include "ops/transfer/registry_access.hpp"

#include <fcntl.h>
#include <filesystem>
#include <unistd.h>

namespace berth::ops {
namespace {

constexpr const char *kIndexFile = "berth-cache.json";

void hash_file(core::Sha256 &h, const std::string &path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(Errc::io, "cannot read " + path);
  core::UniqueFd owner(fd);
  std::vector<char> buf(1 << 20);
  for (;;) {
    auto n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Error(Errc::io, "cannot read " + path);
    if (n == 0) break;
    h.update(buf.data(), static_cast<std::size_t>(n));
  }
}

// The cache index; a missing or unreadable one is an empty cache (rebuilt).
core::json::Document load_index(const std::string &dir) {
  core::json::Document doc;
  try {
    doc = core::json::parse(core::read_small_file(dir + "/" + kIndexFile, 16u << 20),
                            "layer cache index");
  } catch (const Error &) {
    doc.SetObject();
  }
  if (!doc.IsObject()) doc.SetObject();
  return doc;
}

} // namespace

LayerCache::LayerCache(std::string dir, std::string key)
    : dir_(std::move(dir)), key_(std::move(key)) {
  if (key_ != "metadata" && key_ != "content")
    throw Error(Errc::invalid_argument, "cache key must be metadata or content");
  if (enabled()) layout::OciLayout::create(dir_);
}

std::string LayerCache::fingerprint(const std::string &source, const std::string &dest, bool is_tar,
                                    const std::string &key, layer::Compression c, int level,
                                    std::optional<std::int64_t> mtime_clamp) {
  core::Sha256 h;
  std::string head = std::string("berth-layer-v1\n") + BERTH_VERSION_STRING_VALUE + "\n" + dest +
                     "\n" + std::string(layer::compression_name(c)) + "\n" + std::to_string(level) +
                     "\n" + (mtime_clamp ? std::to_string(*mtime_clamp) : "-") + "\n" + key + "\n";
  h.update(head);
  auto add = [&](const layer::FileInfo &f, const std::string &full) {
    std::string line = f.rel + std::string(1, '\0') + std::to_string(f.mode) + " " +
                       std::to_string(f.size) + " " + std::to_string(f.uid) + ":" +
                       std::to_string(f.gid) + " " + f.link_target + "\n";
    if (key == "metadata") line += std::to_string(f.mtime) + "\n";
    h.update(line);
    if (key == "content" && (f.mode & 0170000) == 0100000) hash_file(h, full);
  };
  if (is_tar) {
    auto f = layer::stat_path(source, true);
    add(f, source);
  } else {
    for (const auto &f : layer::walk_tree(source))
      add(f, f.rel.empty() ? source : source + "/" + f.rel);
  }
  return h.finish_hex();
}

std::optional<BuiltLayer> LayerCache::lookup(const std::string &fp) {
  if (!enabled() || fp.empty()) return std::nullopt;
  auto doc = load_index(dir_);
  auto it = doc.FindMember(fp.c_str());
  if (it == doc.MemberEnd() || !it->value.IsObject()) return std::nullopt;
  BuiltLayer b;
  b.digest = core::json::get_string(it->value, "digest");
  b.diff_id = core::json::get_string(it->value, "diffID");
  b.media_type = core::json::get_string(it->value, "mediaType");
  b.size = static_cast<std::uint64_t>(core::json::get_int(it->value, "size", -1));
  try {
    auto layout = layout::OciLayout::open(dir_);
    // Read back in full: a corrupt or truncated blob (a bad cache restore) must
    // not be trusted, and reading is still far cheaper than tar + compress.
    layout.read_blob(
        b.digest, [](const char *, std::size_t) {}, static_cast<std::int64_t>(b.size));
  } catch (const Error &) {
    return std::nullopt;
  }
  return b;
}

BuiltLayer LayerCache::build(const std::string &fp,
                             const std::function<BuiltLayer(ImageDestination::BlobSink &)> &make) {
  auto layout = layout::OciLayout::open(dir_);
  auto sink = layout_blob_sink(layout, "cached layer digest mismatch");
  auto built = make(*sink);
  layout.sync_blobs(); // the blobs it names are on disk before the index
  std::lock_guard lock(index_mutex_);
  auto doc = load_index(dir_);
  auto &a = doc.GetAllocator();
  doc.RemoveMember(fp.c_str());
  rapidjson::Value e(rapidjson::kObjectType);
  e.AddMember("digest", rapidjson::Value(built.digest.c_str(), a), a);
  e.AddMember("diffID", rapidjson::Value(built.diff_id.c_str(), a), a);
  e.AddMember("mediaType", rapidjson::Value(built.media_type.c_str(), a), a);
  e.AddMember("size", rapidjson::Value(static_cast<std::int64_t>(built.size)), a);
  doc.AddMember(rapidjson::Value(fp.c_str(), a), e, a);
  core::json::StringWriter w;
  doc.Accept(w.writer);
  core::write_file_atomic(dir_ + "/" + kIndexFile, w.str());
  return built;
}

std::unique_ptr<ImageSource> LayerCache::source() const {
  Location loc;
  loc.kind = Location::Kind::oci_layout;
  loc.path = dir_;
  return open_layout_source(loc);
}

} // namespace berth::ops
