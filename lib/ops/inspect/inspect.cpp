// berth manifest | inspect: a manifest as served, and what an image or index holds.
#include <berth/error.hpp>
#include <berth/inspect.hpp>

#include "core/json.hpp"
#include "image/descriptor_json.hpp"
#include "ops/transfer/endpoints.hpp"
#include "ops/transfer/mirror.hpp"
#include "ops/transfer/resolve.hpp"

namespace berth {
namespace {

using core::json::Value;

std::vector<std::string> string_array(const Value &obj, const char *name) {
  std::vector<std::string> out;
  if (!obj.IsObject()) return out;
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd() || !it->value.IsArray()) return out;
  for (const auto &v : it->value.GetArray())
    if (v.IsString()) out.emplace_back(v.GetString(), v.GetStringLength());
  return out;
}

bool is_image_config(std::string_view media_type) {
  return media_type == image::media::oci_config || media_type == image::media::docker_config;
}

// Fills what an image config says; an artifact's config (anything else) is left out.
void read_config(ops::ImageSource &src, ImageDetails &img) {
  if (!is_image_config(img.config.media_type)) return;
  if (img.config.size < 0 || static_cast<std::uint64_t>(img.config.size) > image::kMaxManifestSize)
    throw Error(Errc::too_large, "config " + img.config.digest + " is larger than 4 MiB");
  std::string raw;
  src.blob(img.config, [&](const char *d, std::size_t n) { raw.append(d, n); }, {});
  auto doc = core::json::parse(raw, "image config");
  if (!doc.IsObject()) throw Error(Errc::protocol, "image config is not a JSON object");
  img.created = core::json::get_string(doc, "created");
  img.author = core::json::get_string(doc, "author");
  if (!img.platform) {
    image::Platform p;
    p.os = core::json::get_string(doc, "os");
    p.architecture = core::json::get_string(doc, "architecture");
    p.variant = core::json::get_string(doc, "variant");
    p.os_version = core::json::get_string(doc, "os.version");
    if (!p.os.empty() || !p.architecture.empty()) img.platform = p;
  }
  auto c = doc.FindMember("config");
  if (c == doc.MemberEnd() || !c->value.IsObject()) return;
  const auto &cfg = c->value;
  img.user = core::json::get_string(cfg, "User");
  img.working_dir = core::json::get_string(cfg, "WorkingDir");
  img.entrypoint = string_array(cfg, "Entrypoint");
  img.cmd = string_array(cfg, "Cmd");
  img.env = string_array(cfg, "Env");
  if (auto l = cfg.FindMember("Labels"); l != cfg.MemberEnd() && l->value.IsObject())
    for (const auto &m : l->value.GetObject())
      if (m.value.IsString())
        img.labels[std::string(m.name.GetString(), m.name.GetStringLength())] =
            std::string(m.value.GetString(), m.value.GetStringLength());
}

ImageDetails details_of(ops::ImageSource &src, const registry::FetchedManifest &fm,
                        const std::optional<image::Platform> &platform) {
  auto m = image::parse_manifest(fm.raw, fm.media_type);
  ImageDetails img;
  img.digest = fm.digest;
  img.media_type = fm.media_type;
  img.size = static_cast<std::int64_t>(fm.raw.size());
  img.platform = platform;
  img.config = m.config;
  img.layers = m.layers;
  img.annotations = m.annotations;
  img.total_size = img.size + m.config.size;
  for (const auto &l : m.layers)
    img.total_size += l.size;
  read_config(src, img);
  return img;
}

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void key(Writer &w, std::string_view k) {
  w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
}
void string(Writer &w, std::string_view v) {
  w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
}
void string_map(Writer &w, std::string_view name, const std::map<std::string, std::string> &m) {
  key(w, name);
  w.StartObject();
  for (const auto &[k, v] : m) {
    key(w, k);
    string(w, v);
  }
  w.EndObject();
}
void strings(Writer &w, std::string_view name, const std::vector<std::string> &v) {
  key(w, name);
  w.StartArray();
  for (const auto &s : v)
    string(w, s);
  w.EndArray();
}

std::unique_ptr<ops::ImageSource> open(const std::string &ref, const InspectOptions &o) {
  auto loc = ops::Location::parse(ref);
  if (o.mirrors.empty()) return ops::open_source(loc, o.access);
  return ops::open_source_with_mirrors(loc, o.access, ops::parse_mirrors(o.mirrors)).source;
}

} // namespace

RawManifest fetch_manifest(const std::string &ref, const InspectOptions &o) {
  auto src = open(ref, o);
  registry::FetchedManifest m;
  if (o.platform.empty())
    m = src->manifest("");
  else
    ops::resolve_image(*src, o.platform, &m);
  return {std::move(m.raw), std::move(m.media_type), std::move(m.digest)};
}

ImageInspection inspect_image(const std::string &ref, const InspectOptions &o) {
  auto src = open(ref, o);
  ImageInspection r;
  r.reference = ref;
  registry::FetchedManifest top;
  if (o.platform.empty())
    top = src->manifest("");
  else
    ops::resolve_image(*src, o.platform, &top);
  r.digest = top.digest;
  r.media_type = top.media_type;
  r.size = static_cast<std::int64_t>(top.raw.size());
  r.is_index = image::media::is_index(top.media_type);
  if (!r.is_index) {
    auto img = details_of(*src, top, std::nullopt);
    r.annotations = img.annotations;
    r.images.push_back(std::move(img));
    return r;
  }
  auto index = image::parse_index(top.raw, top.media_type);
  r.annotations = index.annotations;
  r.manifests = index.manifests;
  for (const auto &d : index.manifests)
    if (image::media::is_manifest(d.media_type))
      r.images.push_back(details_of(*src, src->child_manifest(d), d.platform));
  return r;
}

namespace {

std::string name_and_list(const char *name_key, const std::string &name, const char *list_key,
                          const std::vector<std::string> &items) {
  core::json::StringWriter w;
  w.writer.StartObject();
  w.member(name_key, name);
  w.writer.Key(list_key);
  w.writer.StartArray();
  for (const auto &i : items)
    w.string(i);
  w.writer.EndArray();
  w.writer.EndObject();
  return w.str();
}

} // namespace

std::string tags_to_json(const std::string &repository, const std::vector<std::string> &tags) {
  return name_and_list("repository", repository, "tags", tags);
}

std::string repositories_to_json(const std::string &registry,
                                 const std::vector<std::string> &repositories) {
  return name_and_list("registry", registry, "repositories", repositories);
}

std::string to_json(const ImageInspection &r) {
  core::json::StringWriter out;
  auto &w = out.writer;
  w.StartObject();
  key(w, "reference");
  string(w, r.reference);
  key(w, "digest");
  string(w, r.digest);
  key(w, "mediaType");
  string(w, r.media_type);
  key(w, "size");
  w.Int64(r.size);
  string_map(w, "annotations", r.annotations);
  key(w, "manifests");
  w.StartArray();
  for (const auto &d : r.manifests)
    image::write_descriptor(w, d);
  w.EndArray();
  key(w, "images");
  w.StartArray();
  for (const auto &img : r.images) {
    w.StartObject();
    key(w, "digest");
    string(w, img.digest);
    key(w, "mediaType");
    string(w, img.media_type);
    key(w, "size");
    w.Int64(img.size);
    key(w, "platform");
    string(w, img.platform ? img.platform->str() : "");
    key(w, "config");
    image::write_descriptor(w, img.config);
    key(w, "layers");
    w.StartArray();
    for (const auto &l : img.layers)
      image::write_descriptor(w, l);
    w.EndArray();
    key(w, "totalSize");
    w.Int64(img.total_size);
    string_map(w, "annotations", img.annotations);
    key(w, "created");
    string(w, img.created);
    key(w, "author");
    string(w, img.author);
    key(w, "user");
    string(w, img.user);
    key(w, "workingDir");
    string(w, img.working_dir);
    strings(w, "entrypoint", img.entrypoint);
    strings(w, "cmd", img.cmd);
    strings(w, "env", img.env);
    string_map(w, "labels", img.labels);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return out.str();
}

} // namespace berth
