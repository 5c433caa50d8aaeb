#include <berth/digest.hpp>
#include <berth/error.hpp>
#include <berth/manifest.hpp>

#include "core/crypto.hpp"
#include "core/json.hpp"
#include "image/descriptor_json.hpp"
#include "image/digester.hpp"

namespace berth::image {
namespace {

using core::json::Value;

std::string str_field(const Value &o, const char *name, const char *what, bool required) {
  auto it = o.FindMember(name);
  if (it == o.MemberEnd() || it->value.IsNull()) {
    if (required) throw Error(Errc::protocol, std::string(what) + " has no \"" + name + "\"");
    return {};
  }
  if (!it->value.IsString())
    throw Error(Errc::protocol, std::string(what) + ": \"" + name + "\" is not a string");
  return {it->value.GetString(), it->value.GetStringLength()};
}

std::map<std::string, std::string> annotations_of(const Value &o, const char *what) {
  std::map<std::string, std::string> out;
  auto it = o.FindMember("annotations");
  if (it == o.MemberEnd() || it->value.IsNull()) return out;
  if (!it->value.IsObject())
    throw Error(Errc::protocol, std::string(what) + ": annotations is not an object");
  for (const auto &m : it->value.GetObject()) {
    if (!m.value.IsString())
      throw Error(Errc::protocol, std::string(what) + ": annotation values must be strings");
    out.emplace(m.name.GetString(), m.value.GetString());
  }
  return out;
}

Platform platform_of(const Value &o) {
  if (!o.IsObject()) throw Error(Errc::protocol, "descriptor platform is not an object");
  Platform p;
  p.os = str_field(o, "os", "platform", true);
  p.architecture = str_field(o, "architecture", "platform", true);
  p.variant = str_field(o, "variant", "platform", false);
  p.os_version = str_field(o, "os.version", "platform", false);
  if (auto it = o.FindMember("os.features"); it != o.MemberEnd() && it->value.IsArray())
    for (const auto &f : it->value.GetArray())
      if (f.IsString()) p.os_features.emplace_back(f.GetString());
  return p;
}

Descriptor descriptor_of(const Value &o, const char *what) {
  if (!o.IsObject()) throw Error(Errc::protocol, std::string(what) + " is not an object");
  Descriptor d;
  d.media_type = str_field(o, "mediaType", what, true);
  d.digest = str_field(o, "digest", what, true);
  if (!Digest::valid(d.digest))
    throw Error(Errc::protocol,
                std::string(what) + " has an invalid digest '" + d.digest.substr(0, 100) + "'");
  auto size = o.FindMember("size");
  if (size == o.MemberEnd() || !size->value.IsInt64() || size->value.GetInt64() < 0)
    throw Error(Errc::protocol, std::string(what) + " has no valid \"size\"");
  d.size = size->value.GetInt64();
  if (auto it = o.FindMember("urls"); it != o.MemberEnd() && it->value.IsArray())
    for (const auto &u : it->value.GetArray())
      if (u.IsString()) d.urls.emplace_back(u.GetString());
  d.annotations = annotations_of(o, what);
  if (auto it = o.FindMember("platform"); it != o.MemberEnd() && !it->value.IsNull())
    d.platform = platform_of(it->value);
  d.artifact_type = str_field(o, "artifactType", what, false);
  return d;
}

core::json::Document parse_doc(const std::string &raw, const char *what) {
  if (raw.size() > kMaxManifestSize)
    throw Error(Errc::too_large, std::string(what) + " is larger than 4 MiB (" +
                                     std::to_string(raw.size()) + " bytes)");
  auto doc = core::json::parse(raw, what);
  if (!doc.IsObject()) throw Error(Errc::protocol, std::string(what) + " is not a JSON object");
  return doc;
}

} // namespace

namespace media {

bool is_index(std::string_view m) noexcept {
  return m == oci_index || m == docker_manifest_list;
}
bool is_manifest(std::string_view m) noexcept {
  return m == oci_manifest || m == docker_manifest;
}

const std::string &manifest_accept() {
  static const std::string accept = std::string(oci_manifest) + ", " + std::string(oci_index) +
                                    ", " + std::string(docker_manifest) + ", " +
                                    std::string(docker_manifest_list);
  return accept;
}

} // namespace media

Platform Platform::parse(std::string_view s) {
  Platform p;
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= s.size()) {
    auto end = s.find('/', start);
    if (end == std::string_view::npos) end = s.size();
    parts.emplace_back(s.substr(start, end - start));
    start = end + 1;
  }
  if (parts.size() < 2 || parts.size() > 3 || parts[0].empty() || parts[1].empty() ||
      (parts.size() == 3 && parts[2].empty()))
    throw Error(Errc::invalid_argument,
                "platform must be os/arch[/variant], got '" + std::string(s) + "'");
  p.os = parts[0];
  p.architecture = parts[1];
  if (parts.size() == 3) p.variant = parts[2];
  return p;
}

std::string Platform::str() const {
  std::string out = os + "/" + architecture;
  if (!variant.empty()) out += "/" + variant;
  return out;
}

bool Platform::satisfies(const Platform &wanted) const {
  if (!wanted.os.empty() && wanted.os != os) return false;
  if (!wanted.architecture.empty() && wanted.architecture != architecture) return false;
  if (wanted.variant.empty() || wanted.variant == variant) return true;
  // arm64 images commonly omit their only variant.
  return architecture == "arm64" && wanted.variant == "v8" && variant.empty();
}

std::string Descriptor::to_json() const {
  core::json::StringWriter w;
  write_descriptor(w.writer, *this);
  return w.str();
}

std::string detect_media_type(std::string_view raw, std::string_view hint) {
  auto doc = core::json::parse(std::string(raw), "manifest");
  if (!doc.IsObject()) throw Error(Errc::protocol, "manifest is not a JSON object");
  if (auto it = doc.FindMember("mediaType"); it != doc.MemberEnd() && it->value.IsString())
    return it->value.GetString();
  auto semi = hint.find(';');
  auto h = hint.substr(0, semi);
  if (media::is_index(h) || media::is_manifest(h)) return std::string(h);
  if (doc.HasMember("manifests")) return std::string(media::oci_index);
  if (doc.HasMember("config") && doc.HasMember("layers")) return std::string(media::oci_manifest);
  throw Error(Errc::protocol, "document is neither an image manifest nor an index");
}

Manifest parse_manifest(std::string raw, std::string_view hint) {
  auto doc = parse_doc(raw, "manifest");
  Manifest m;
  m.media_type = detect_media_type(raw, hint);
  if (!media::is_manifest(m.media_type))
    throw Error(Errc::unsupported, "unsupported manifest media type '" + m.media_type + "'");
  if (auto sv = doc.FindMember("schemaVersion");
      sv == doc.MemberEnd() || !sv->value.IsInt() || sv->value.GetInt() != 2)
    throw Error(Errc::unsupported, "manifest schemaVersion must be 2");
  auto config = doc.FindMember("config");
  if (config == doc.MemberEnd()) throw Error(Errc::protocol, "manifest has no config");
  m.config = descriptor_of(config->value, "manifest config");
  auto layers = doc.FindMember("layers");
  if (layers == doc.MemberEnd() || !layers->value.IsArray())
    throw Error(Errc::protocol, "manifest has no layers array");
  for (const auto &l : layers->value.GetArray())
    m.layers.push_back(descriptor_of(l, "manifest layer"));
  if (auto s = doc.FindMember("subject"); s != doc.MemberEnd() && !s->value.IsNull())
    m.subject = descriptor_of(s->value, "manifest subject");
  m.artifact_type = str_field(doc, "artifactType", "manifest", false);
  m.annotations = annotations_of(doc, "manifest");
  m.raw = std::move(raw);
  return m;
}

Index parse_index(std::string raw, std::string_view hint) {
  auto doc = parse_doc(raw, "index");
  Index x;
  x.media_type = detect_media_type(raw, hint);
  if (!media::is_index(x.media_type))
    throw Error(Errc::unsupported, "'" + x.media_type + "' is not an index media type");
  auto ms = doc.FindMember("manifests");
  if (ms == doc.MemberEnd() || !ms->value.IsArray())
    throw Error(Errc::protocol, "index has no manifests array");
  for (const auto &d : ms->value.GetArray())
    x.manifests.push_back(descriptor_of(d, "index entry"));
  if (auto s = doc.FindMember("subject"); s != doc.MemberEnd() && !s->value.IsNull())
    x.subject = descriptor_of(s->value, "index subject");
  x.artifact_type = str_field(doc, "artifactType", "index", false);
  x.annotations = annotations_of(doc, "index");
  x.raw = std::move(raw);
  return x;
}

namespace {

template <typename Writer>
void write_annotations(Writer &w, const std::map<std::string, std::string> &annotations) {
  if (annotations.empty()) return;
  w.Key("annotations");
  w.StartObject();
  for (const auto &[k, v] : annotations) {
    w.Key(k.c_str(), static_cast<rapidjson::SizeType>(k.size()));
    w.String(v);
  }
  w.EndObject();
}

} // namespace

Manifest Manifest::make(Manifest m) {
  core::json::StringWriter w;
  w.writer.StartObject();
  w.writer.Key("schemaVersion");
  w.writer.Int(2);
  w.writer.Key("mediaType");
  w.writer.String(m.media_type);
  if (!m.artifact_type.empty()) {
    w.writer.Key("artifactType");
    w.writer.String(m.artifact_type);
  }
  w.writer.Key("config");
  write_descriptor(w.writer, m.config);
  w.writer.Key("layers");
  w.writer.StartArray();
  for (const auto &d : m.layers)
    write_descriptor(w.writer, d);
  w.writer.EndArray();
  if (m.subject) {
    w.writer.Key("subject");
    write_descriptor(w.writer, *m.subject);
  }
  write_annotations(w.writer, m.annotations);
  w.writer.EndObject();
  m.raw = w.str();
  return m;
}

Index Index::make(std::string media_type, std::vector<Descriptor> manifests,
                  std::map<std::string, std::string> annotations) {
  core::json::StringWriter w;
  w.writer.StartObject();
  w.writer.Key("schemaVersion");
  w.writer.Int(2);
  w.writer.Key("mediaType");
  w.writer.String(media_type);
  w.writer.Key("manifests");
  w.writer.StartArray();
  for (const auto &d : manifests)
    write_descriptor(w.writer, d);
  w.writer.EndArray();
  write_annotations(w.writer, annotations);
  w.writer.EndObject();
  Index x;
  x.raw = w.str();
  x.media_type = std::move(media_type);
  x.manifests = std::move(manifests);
  x.annotations = std::move(annotations);
  return x;
}

std::string digest_of(std::string_view raw) {
  return "sha256:" + core::sha256_hex(raw);
}

std::string digest_of(std::string_view raw, const std::string &algorithm) {
  if (algorithm == "sha256") return digest_of(raw);
  Digester d(algorithm);
  d.update(raw.data(), raw.size());
  return d.finish();
}

} // namespace berth::image
