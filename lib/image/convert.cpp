#include "image/convert.hpp"

#include <berth/error.hpp>

#include "core/json.hpp"
#include "image/descriptor_json.hpp"

#include <array>
#include <utility>

namespace berth::image {
namespace {

constexpr std::string_view kOciNondistributable =
    "application/vnd.oci.image.layer.nondistributable.v1.tar";
constexpr std::string_view kOciNondistributableGzip =
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
constexpr std::string_view kDockerLayerTar = "application/vnd.docker.image.rootfs.diff.tar";
constexpr std::string_view kDockerLayerZstd = "application/vnd.docker.image.rootfs.diff.tar.zstd";
constexpr std::string_view kDockerForeignTar =
    "application/vnd.docker.image.rootfs.foreign.diff.tar";

struct LayerPair {
  std::string_view docker, oci;
};

// Layer types with an equivalent on the other side.
constexpr std::array<LayerPair, 4> kLayerPairs{{
    {kDockerLayerTar, media::oci_layer},
    {media::docker_layer, media::oci_layer_gzip},
    {kDockerForeignTar, kOciNondistributable},
    {media::docker_foreign_layer, kOciNondistributableGzip},
}};

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string short_digest(const std::string &d) {
  return d.substr(0, 19); // "sha256:" and 12 hex digits
}

[[noreturn]] void refuse(Family to, const std::string &why) {
  throw Error(Errc::unsupported,
              std::string("cannot convert to ") + family_name(to) + " media types: " + why);
}

// Docker schema 2 has no annotations or artifact types on descriptors.
Descriptor for_docker(Descriptor d) {
  d.annotations.clear();
  d.artifact_type.clear();
  return d;
}

// Fields in the image spec's order: schemaVersion, mediaType, artifactType, then the
// body (config + layers, or manifests), subject, annotations.
template <typename Doc, typename Body> std::string serialise(const Doc &doc, Body &&body) {
  core::json::StringWriter out;
  auto &w = out.writer;
  w.StartObject();
  w.Key("schemaVersion");
  w.Int(2);
  w.Key("mediaType");
  w.String(doc.media_type);
  if (!doc.artifact_type.empty()) {
    w.Key("artifactType");
    w.String(doc.artifact_type);
  }
  body(w);
  if (doc.subject) {
    w.Key("subject");
    write_descriptor(w, *doc.subject);
  }
  if (!doc.annotations.empty()) {
    w.Key("annotations");
    w.StartObject();
    for (const auto &[k, v] : doc.annotations) {
      w.Key(k.c_str(), static_cast<rapidjson::SizeType>(k.size()));
      w.String(v);
    }
    w.EndObject();
  }
  w.EndObject();
  return out.str();
}

std::string serialise(const Manifest &m) {
  return serialise(m, [&](auto &w) {
    w.Key("config");
    write_descriptor(w, m.config);
    w.Key("layers");
    w.StartArray();
    for (const auto &l : m.layers)
      write_descriptor(w, l);
    w.EndArray();
  });
}

std::string serialise(const Index &x) {
  return serialise(x, [&](auto &w) {
    w.Key("manifests");
    w.StartArray();
    for (const auto &d : x.manifests)
      write_descriptor(w, d);
    w.EndArray();
  });
}

} // namespace

std::optional<Family> family_of(std::string_view media_type) {
  if (media_type.rfind("application/vnd.oci.", 0) == 0) return Family::oci;
  if (media_type.rfind("application/vnd.docker.", 0) == 0) return Family::docker;
  return std::nullopt;
}

const char *family_name(Family f) noexcept {
  return f == Family::oci ? "OCI" : "Docker";
}

std::string convert_config_type(std::string_view media_type, Family to) {
  if (media_type == media::oci_config || media_type == media::docker_config)
    return std::string(to == Family::oci ? media::oci_config : media::docker_config);
  refuse(to, "the config's type '" + std::string(media_type) +
                 "' is not an image config (an artifact keeps its own format)");
}

std::string convert_layer_type(std::string_view media_type, Family to) {
  for (const auto &p : kLayerPairs)
    if (media_type == p.docker || media_type == p.oci)
      return std::string(to == Family::oci ? p.oci : p.docker);
  if (ends_with(media_type, "+encrypted"))
    refuse(to, "encrypted layers (" + std::string(media_type) + ") exist only in OCI images");
  const bool zstd = ends_with(media_type, "+zstd") || media_type == kDockerLayerZstd;
  if (to == Family::oci) {
    if (media_type == kDockerLayerZstd) return std::string(media::oci_layer_zstd);
    if (zstd && family_of(media_type) == Family::oci) return std::string(media_type);
  } else if (zstd) {
    if (media_type == kDockerLayerZstd) return std::string(media_type);
    refuse(to, "zstd-compressed layers (" + std::string(media_type) +
                   ") have no Docker schema 2 media type; keep the OCI format");
  }
  refuse(to, "no equivalent for the layer type '" + std::string(media_type) + "'");
}

bool needs_conversion(std::string_view media_type, Family to) {
  return family_of(media_type) != to;
}

bool needs_conversion(const Index &index, Family to) {
  if (needs_conversion(index.media_type, to)) return true;
  for (const auto &d : index.manifests)
    if (needs_conversion(d.media_type, to)) return true;
  return false;
}

Manifest convert_manifest(const Manifest &m, Family to) {
  if (!needs_conversion(m.media_type, to)) return m;
  Manifest out;
  out.media_type = std::string(to == Family::oci ? media::oci_manifest : media::docker_manifest);
  if (to == Family::docker) {
    if (!m.artifact_type.empty())
      refuse(to, "the manifest is an artifact (artifactType " + m.artifact_type + ")");
    if (m.subject)
      refuse(to, "the manifest refers to " + short_digest(m.subject->digest) +
                     " as its subject, which Docker schema 2 cannot express");
  } else {
    out.artifact_type = m.artifact_type;
    out.subject = m.subject;
    out.annotations = m.annotations;
  }
  out.config = to == Family::docker ? for_docker(m.config) : m.config;
  out.config.media_type = convert_config_type(m.config.media_type, to);
  for (std::size_t i = 0; i < m.layers.size(); ++i) {
    auto d = to == Family::docker ? for_docker(m.layers[i]) : m.layers[i];
    try {
      d.media_type = convert_layer_type(d.media_type, to);
    } catch (const Error &e) {
      throw Error(e.code(), std::string(e.what()) + " (layer " + std::to_string(i + 1) + ", " +
                                short_digest(d.digest) + ")");
    }
    out.layers.push_back(std::move(d));
  }
  out.raw = serialise(out);
  return out;
}

Index convert_index(const Index &index, Family to, const std::vector<Manifest> &children) {
  if (children.size() != index.manifests.size())
    throw Error(Errc::invalid_argument, "convert_index needs one child manifest per entry");
  if (to == Family::docker) {
    if (!index.artifact_type.empty())
      refuse(to, "the index is an artifact (artifactType " + index.artifact_type + ")");
    if (index.subject)
      refuse(to, "the index refers to " + short_digest(index.subject->digest) +
                     " as its subject, which a Docker manifest list cannot express");
  }
  std::vector<Descriptor> entries;
  for (std::size_t i = 0; i < children.size(); ++i) {
    auto d = to == Family::docker ? for_docker(index.manifests[i]) : index.manifests[i];
    if (to == Family::docker && !d.platform)
      refuse(to, "index entry " + short_digest(d.digest) +
                     " has no platform, which every entry of a Docker manifest list needs");
    d.media_type = children[i].media_type;
    d.digest = digest_of(children[i].raw);
    d.size = static_cast<std::int64_t>(children[i].raw.size());
    entries.push_back(std::move(d));
  }
  Index out;
  out.media_type = std::string(to == Family::oci ? media::oci_index : media::docker_manifest_list);
  out.manifests = std::move(entries);
  if (to == Family::oci) {
    out.artifact_type = index.artifact_type;
    out.subject = index.subject;
    out.annotations = index.annotations;
  }
  out.raw = serialise(out);
  return out;
}

} // namespace berth::image
