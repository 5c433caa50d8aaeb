#include "layout/docker_archive.hpp"

#include <berth/digest.hpp>
#include <berth/error.hpp>

#include "core/json.hpp"
#include "core/quoted.hpp"
#include "image/digester.hpp"
#include "layer/compression.hpp"

#include <cstring>
#include <set>

namespace berth::layout {
namespace {

constexpr std::size_t kMaxManifestJson = 16u << 20;

std::string str_of(const core::json::Value &v) {
  return {v.GetString(), v.GetStringLength()};
}

// The members' names, as written in manifest.json, must be strings.
std::vector<DockerArchive::Item> parse_manifest_json(const std::string &raw,
                                                     const std::string &what) {
  auto where = "manifest.json of " + what;
  core::json::Document doc;
  try {
    doc = core::json::parse(raw, "manifest.json");
  } catch (const Error &e) {
    throw Error(Errc::protocol, where + ": " + e.what());
  }
  if (!doc.IsArray()) throw Error(Errc::protocol, where + " is not a JSON array");
  std::vector<DockerArchive::Item> items;
  for (const auto &v : doc.GetArray()) {
    const auto n = std::to_string(items.size());
    if (!v.IsObject()) throw Error(Errc::protocol, where + ": entry " + n + " is not an object");
    DockerArchive::Item item;
    auto config = v.FindMember("Config");
    if (config == v.MemberEnd() || !config->value.IsString() ||
        config->value.GetStringLength() == 0)
      throw Error(Errc::protocol, where + ": entry " + n + " has no Config string");
    item.config = str_of(config->value);
    if (auto tags = v.FindMember("RepoTags"); tags != v.MemberEnd() && !tags->value.IsNull()) {
      if (!tags->value.IsArray())
        throw Error(Errc::protocol, where + ": RepoTags of entry " + n + " is not an array");
      for (const auto &t : tags->value.GetArray()) {
        if (!t.IsString())
          throw Error(Errc::protocol, where + ": RepoTags of entry " + n + " holds a non-string");
        item.repo_tags.push_back(str_of(t));
      }
    }
    auto layers = v.FindMember("Layers");
    if (layers == v.MemberEnd() || !layers->value.IsArray())
      throw Error(Errc::protocol, where + ": entry " + n + " has no Layers array");
    for (const auto &l : layers->value.GetArray()) {
      if (!l.IsString() || l.GetStringLength() == 0)
        throw Error(Errc::protocol, where + ": Layers of entry " + n + " holds a non-string");
      item.layers.push_back(str_of(l));
    }
    items.push_back(std::move(item));
  }
  if (items.empty()) throw Error(Errc::protocol, where + " lists no image");
  return items;
}

// The config's rootfs.diff_ids; empty when absent or malformed (they are only a hint:
// whatever they say is verified when the layer is read).
std::vector<std::string> diff_ids_of(const core::json::Document &config) {
  std::vector<std::string> out;
  auto rootfs = config.FindMember("rootfs");
  if (rootfs == config.MemberEnd() || !rootfs->value.IsObject()) return out;
  auto ids = rootfs->value.FindMember("diff_ids");
  if (ids == rootfs->value.MemberEnd() || !ids->value.IsArray()) return out;
  for (const auto &id : ids->value.GetArray()) {
    if (!id.IsString() || !image::Digest::valid(str_of(id))) return {};
    out.push_back(str_of(id));
  }
  return out;
}

enum class LayerKind { tar, gzip, zstd, bzip2, xz };

LayerKind sniff_layer(const TarArchive &archive, const TarArchive::Member &m) {
  unsigned char b[6] = {};
  std::size_t got = 0;
  while (got < sizeof b) {
    auto n = archive.read_at(m, got, reinterpret_cast<char *>(b) + got, sizeof b - got);
    if (n == 0) break;
    got += n;
  }
  if (got >= 2 && b[0] == 0x1f && b[1] == 0x8b) return LayerKind::gzip;
  if (got >= 4 && b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f && b[3] == 0xfd)
    return LayerKind::zstd;
  if (got >= 3 && b[0] == 'B' && b[1] == 'Z' && b[2] == 'h') return LayerKind::bzip2;
  if (got >= 6 && std::memcmp(b,
                              "\xfd"
                              "7zXZ\0",
                              6) == 0)
    return LayerKind::xz;
  return LayerKind::tar;
}

// "blobs/sha256/<hex>" -> "sha256:<hex>" (Docker 25+ and OCI layouts name blobs by
// digest); "" for any other name.
std::string digest_from_name(const std::string &name) {
  if (name.rfind("blobs/", 0) != 0) return {};
  auto rest = name.substr(6);
  auto slash = rest.find('/');
  if (slash == std::string::npos) return {};
  auto candidate = rest.substr(0, slash) + ":" + rest.substr(slash + 1);
  return image::Digest::valid(candidate) ? candidate : std::string();
}

// The digest of a compressed layer member, computed in the same pass that checks it
// against the config's diff_id (when there is one): a compressed layer's digest comes
// from its bytes, so only this check ties it to the image.
std::string hash_compressed_layer(const TarArchive &archive, const TarArchive::Member &m,
                                  layer::Compression c, const std::string &diff_id) {
  image::Digester compressed("sha256");
  std::vector<char> buf(256u << 10);
  std::uint64_t pos = 0;
  auto pull = [&](char *p, std::size_t len) {
    auto n = archive.read_at(m, pos, p, len);
    compressed.update(p, n);
    pos += n;
    return n;
  };
  if (!diff_id.empty()) {
    const auto what = "layer " + core::single_quoted(m.name) + " of " + archive.describe();
    image::Digester uncompressed(image::Digest::parse(diff_id).algorithm());
    try {
      layer::Decompressor dec(c, pull);
      while (auto n = dec.read(buf.data(), buf.size()))
        uncompressed.update(buf.data(), n);
    } catch (const Error &e) {
      if (e.code() != Errc::protocol) throw;
      throw Error(Errc::protocol, what + " is corrupt: " + e.what());
    }
    if (auto got = uncompressed.finish(); got != diff_id)
      throw Error(Errc::digest_mismatch,
                  what + " is corrupt or not the layer its config names: " + "it decompresses to " +
                      got + ", the diff_id is " + diff_id);
  }
  while (pull(buf.data(), buf.size()) > 0) {
  }
  return compressed.finish();
}

std::string normalized_ref(const std::string &s) {
  auto r = image::Reference::parse(s);
  if (r.tag.empty() && r.digest.empty()) r.tag = "latest";
  return r.str();
}

std::string blob_hex(const std::string &digest) {
  return image::Digest::parse(digest).hex();
}

} // namespace

// --- DockerArchiveImage ---------------------------------------------------------

const TarArchive::Member &DockerArchiveImage::member(const std::string &digest) const {
  auto it = blobs_.find(digest);
  if (it == blobs_.end())
    throw Error(Errc::not_found,
                "blob " + digest + " is not part of the image in " + archive_.describe());
  return it->second;
}

void DockerArchiveImage::read_blob(const std::string &digest, const BlobSinkFn &sink,
                                   std::int64_t expected_size) const {
  archive_.read_verified(member(digest), digest, sink, expected_size);
}

std::size_t DockerArchiveImage::read_blob_at(const std::string &digest, std::uint64_t pos,
                                             char *buf, std::size_t len) const {
  return archive_.read_at(member(digest), pos, buf, len);
}

// --- DockerArchive ----------------------------------------------------------------

DockerArchive DockerArchive::open(const std::string &path) {
  auto archive = TarArchive::open(path, "docker-archive");
  auto m = archive.find("manifest.json");
  if (!m) {
    std::string hint =
        archive.find("oci-layout") ? " (it is an OCI layout: read it as oci-archive:" + path + ")"
        : archive.find("repositories") ? " (only the legacy 'repositories' file of Docker before "
                                         "1.10 is there, which berth does not read)"
                                       : std::string();
    throw Error(Errc::protocol, archive.describe() + " has no manifest.json" + hint);
  }
  auto items = parse_manifest_json(archive.read_all(*m, kMaxManifestJson), archive.describe());
  return DockerArchive(std::move(archive), std::move(items));
}

std::size_t DockerArchive::select(const std::string &ref) const {
  auto list = [&] {
    std::string out;
    for (const auto &item : items_)
      for (const auto &t : item.repo_tags)
        out += (out.empty() ? "" : ", ") + t;
    return out.empty() ? std::string("none") : out;
  };
  if (ref.empty()) {
    if (items_.size() == 1) return 0;
    throw Error(Errc::invalid_argument,
                archive_.describe() + " holds " + std::to_string(items_.size()) +
                    " images; name one as docker-archive:FILE:REF or docker-archive:FILE:@N "
                    "(tags: " +
                    list() + ")");
  }
  const auto wanted = normalized_ref(ref);
  for (std::size_t i = 0; i < items_.size(); ++i)
    for (const auto &t : items_[i].repo_tags) {
      std::string have;
      try {
        have = normalized_ref(t);
      } catch (const Error &) {
        continue; // a tag berth cannot parse cannot be the one asked for
      }
      if (have == wanted) return i;
    }
  throw Error(Errc::not_found, "no image tagged '" + ref + "' in " + archive_.describe() +
                                   " (tags: " + list() + ")");
}

DockerArchiveImage DockerArchive::image(std::size_t i) const {
  const auto what = archive_.describe();
  if (i >= items_.size())
    throw Error(Errc::not_found, what + " has no image @" + std::to_string(i) + " (it holds " +
                                     std::to_string(items_.size()) + ")");
  const auto &item = items_[i];
  auto locate = [&](const std::string &name, const char *role) {
    auto m = archive_.find(name);
    if (!m)
      throw Error(Errc::protocol, "manifest.json of " + what + " names " + role + " " +
                                      core::single_quoted(name) +
                                      ", which the archive does not hold" + " (as a regular file)");
    return *m;
  };

  DockerArchiveImage img(archive_);
  img.repo_tags_ = item.repo_tags;

  // The config: its digest is that of its bytes, whatever its name says.
  auto config_member = locate(item.config, "config");
  auto config_raw = archive_.read_all(config_member, kMaxDockerConfig);
  core::json::Document config;
  try {
    config = core::json::parse(config_raw, "config");
  } catch (const Error &e) {
    throw Error(Errc::protocol,
                "config " + core::single_quoted(item.config) + " of " + what + ": " + e.what());
  }
  if (!config.IsObject())
    throw Error(Errc::protocol, "config " + core::single_quoted(item.config) + " of " + what +
                                    " is not a JSON object");
  image::Descriptor config_desc;
  config_desc.media_type = std::string(image::media::docker_config);
  config_desc.digest = image::digest_of(config_raw);
  config_desc.size = static_cast<std::int64_t>(config_raw.size());
  img.blobs_[config_desc.digest] = config_member;

  const auto diff_ids = diff_ids_of(config);
  const bool diff_ids_fit = diff_ids.size() == item.layers.size();
  std::map<std::uint64_t, std::string> hashed; // member offset -> digest (repeated layers)
  std::vector<image::Descriptor> layers;
  for (std::size_t l = 0; l < item.layers.size(); ++l) {
    auto m = locate(item.layers[l], "layer");
    auto kind = sniff_layer(archive_, m);
    if (kind == LayerKind::bzip2 || kind == LayerKind::xz)
      throw Error(Errc::unsupported, "layer " + core::single_quoted(item.layers[l]) + " of " +
                                         what + " is " + (kind == LayerKind::xz ? "xz" : "bzip2") +
                                         "-compressed, which no image media type describes");
    auto compression = kind == LayerKind::gzip   ? layer::Compression::gzip
                       : kind == LayerKind::zstd ? layer::Compression::zstd
                                                 : layer::Compression::none;
    image::Descriptor d;
    d.media_type = layer::layer_media_type(compression, true);
    d.size = static_cast<std::int64_t>(m.size);
    d.digest = digest_from_name(m.name);
    if (d.digest.empty() && compression == layer::Compression::none && diff_ids_fit)
      d.digest = diff_ids[l];
    if (d.digest.empty()) {
      auto &cached = hashed[m.offset];
      if (cached.empty())
        cached = compression == layer::Compression::none
                     ? archive_.sha256_of(m)
                     : hash_compressed_layer(archive_, m, compression,
                                             diff_ids_fit ? diff_ids[l] : std::string());
      d.digest = cached;
    }
    auto [it, fresh] = img.blobs_.emplace(d.digest, m);
    if (!fresh && it->second.size != m.size)
      throw Error(Errc::protocol, what + " names two different members for blob " + d.digest +
                                      " (" + core::single_quoted(it->second.name) + " and " +
                                      core::single_quoted(m.name) + ")");
    layers.push_back(std::move(d));
  }

  // Docker's own field order: schemaVersion, mediaType, config, layers; each
  // descriptor mediaType, size, digest.
  core::json::StringWriter w;
  auto put_desc = [&](const image::Descriptor &d) {
    w.writer.StartObject();
    w.writer.Key("mediaType");
    w.writer.String(d.media_type.data(), static_cast<rapidjson::SizeType>(d.media_type.size()));
    w.writer.Key("size");
    w.writer.Int64(d.size);
    w.writer.Key("digest");
    w.writer.String(d.digest.data(), static_cast<rapidjson::SizeType>(d.digest.size()));
    w.writer.EndObject();
  };
  w.writer.StartObject();
  w.writer.Key("schemaVersion");
  w.writer.Int(2);
  w.writer.Key("mediaType");
  w.writer.String(image::media::docker_manifest.data(),
                  static_cast<rapidjson::SizeType>(image::media::docker_manifest.size()));
  w.writer.Key("config");
  put_desc(config_desc);
  w.writer.Key("layers");
  w.writer.StartArray();
  for (const auto &d : layers)
    put_desc(d);
  w.writer.EndArray();
  w.writer.EndObject();
  img.manifest_ = w.str();
  img.digest_ = image::digest_of(img.manifest_);
  img.parsed_ = image::parse_manifest(img.manifest_);
  return img;
}

// --- writing ----------------------------------------------------------------------

std::string docker_repo_tag(const image::Reference &ref) {
  std::string name = ref.context();
  if (ref.registry == "docker.io") {
    name = ref.repository;
    if (name.rfind("library/", 0) == 0 && name.find('/', 8) == std::string::npos)
      name = name.substr(8);
  }
  return name + ":" + (ref.tag.empty() ? std::string("latest") : ref.tag);
}

void write_docker_archive(const OciLayout &blobs, const std::vector<DockerArchiveEntry> &images,
                          const std::string &archive_path) {
  if (images.empty())
    throw Error(Errc::invalid_argument, "a docker-archive needs at least one image");
  std::vector<ArchiveMember> members;
  std::set<std::string> added;
  auto add_blob = [&](const image::Descriptor &d, const std::string &name, const char *role) {
    if (!added.insert(name).second) return;
    if (!blobs.has_blob(d.digest))
      throw Error(Errc::not_found,
                  std::string(role) + " " + d.digest + " is not at hand for docker-archive " +
                      core::single_quoted(archive_path) +
                      (d.urls.empty() ? std::string() : " (a foreign layer: it stays at its URL)"));
    members.push_back({ArchiveMember::Kind::file, name, blobs.blob_path(d.digest)});
  };

  core::json::StringWriter w;
  auto put = [&](const std::string &s) {
    w.writer.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  };
  w.writer.StartArray();
  for (const auto &img : images) {
    const auto config_name = blob_hex(img.manifest.config.digest) + ".json";
    add_blob(img.manifest.config, config_name, "config");
    w.writer.StartObject();
    w.writer.Key("Config");
    put(config_name);
    w.writer.Key("RepoTags");
    w.writer.StartArray();
    for (const auto &t : img.repo_tags)
      put(t);
    w.writer.EndArray();
    w.writer.Key("Layers");
    w.writer.StartArray();
    for (const auto &l : img.manifest.layers) {
      const auto layer_name = blob_hex(l.digest) + ".tar";
      add_blob(l, layer_name, "layer");
      put(layer_name);
    }
    w.writer.EndArray();
    w.writer.EndObject();
  }
  w.writer.EndArray();
  members.push_back({ArchiveMember::Kind::bytes, "manifest.json", w.str()});
  write_archive_atomic(std::move(members), archive_path);
}

} // namespace berth::layout
