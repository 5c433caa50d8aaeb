#include "ops/ecr/lifecycle_units.hpp"

#include <berth/error.hpp>
#include <berth/manifest.hpp>

#include "core/json.hpp"

#include <map>
#include <set>

namespace berth::ops {
namespace {

constexpr std::size_t kBatch = 100; // BatchGetImage's limit

// "sha256-<64 hex>[.suffix]" -> "sha256:<hex>": cosign's (and oras's) tag scheme
// for what refers to that digest.
std::string subject_of_tag(const std::string &tag) {
  if (tag.rfind("sha256-", 0) != 0 || tag.size() < 7 + 64) return {};
  auto hex = tag.substr(7, 64);
  if (hex.find_first_not_of("0123456789abcdef") != std::string::npos) return {};
  if (tag.size() > 71 && tag[71] != '.') return {};
  return "sha256:" + hex;
}

std::string batch_request(const std::string &repository, const std::vector<std::string> &digests) {
  core::json::StringWriter w;
  w.writer.StartObject();
  w.member("repositoryName", repository);
  w.writer.Key("imageIds");
  w.writer.StartArray();
  for (const auto &d : digests) {
    w.writer.StartObject();
    w.member("imageDigest", d);
    w.writer.EndObject();
  }
  w.writer.EndArray();
  w.writer.Key("acceptedMediaTypes");
  w.writer.StartArray();
  for (const char *mt :
       {"application/vnd.oci.image.index.v1+json", "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json"})
    w.writer.String(mt);
  w.writer.EndArray();
  w.writer.EndObject();
  return w.str();
}

} // namespace

void find_parents(ecr::EcrClient &client, const std::string &repository,
                  std::vector<ImageInfo> &images) {
  std::map<std::string, std::size_t> by_digest;
  for (std::size_t i = 0; i < images.size(); ++i)
    if (!images[i].digest.empty()) by_digest.emplace(images[i].digest, i);
  std::vector<std::string> wanted; // indexes (for children), untagged (for a subject)
  for (auto &img : images) {
    for (const auto &t : img.tags)
      if (auto s = subject_of_tag(t); !s.empty() && s != img.digest) img.parent = s;
    if (!img.digest.empty() && (image::media::is_index(img.media_type) || img.tags.empty()))
      wanted.push_back(img.digest);
  }
  for (std::size_t start = 0; start < wanted.size(); start += kBatch) {
    std::vector<std::string> batch(
        wanted.begin() + static_cast<std::ptrdiff_t>(start),
        wanted.begin() + static_cast<std::ptrdiff_t>(std::min(wanted.size(), start + kBatch)));
    auto reply = core::json::parse(client.call("BatchGetImage", batch_request(repository, batch)),
                                   "ecr:BatchGetImage reply");
    const auto *list = core::json::find(reply, "images");
    if (!list || !list->IsArray()) continue;
    for (const auto &got : list->GetArray()) {
      const auto *id = core::json::find(got, "imageId");
      auto digest = id ? core::json::get_string(*id, "imageDigest") : std::string();
      auto self = by_digest.find(digest);
      if (self == by_digest.end()) continue;
      core::json::Document m;
      try {
        m = core::json::parse(core::json::get_string(got, "imageManifest"), "manifest");
      } catch (const Error &) {
        continue; // a manifest ECR holds but berth cannot read relates to nothing
      }
      if (const auto *subject = core::json::find(m, "subject"))
        if (auto s = core::json::get_string(*subject, "digest"); !s.empty() && s != digest)
          images[self->second].parent = s;
      if (const auto *children = core::json::find(m, "manifests"); children && children->IsArray())
        for (const auto &c : children->GetArray()) {
          auto it = by_digest.find(core::json::get_string(c, "digest"));
          // A child listed by two indexes stays with the first; its own subject wins.
          if (it != by_digest.end() && it->second != self->second &&
              images[it->second].parent.empty())
            images[it->second].parent = digest;
        }
    }
  }
}

std::vector<std::size_t> unit_roots(const std::vector<ImageInfo> &images) {
  std::map<std::string, std::size_t> by_digest;
  for (std::size_t i = 0; i < images.size(); ++i)
    by_digest.emplace(images[i].digest, i);
  std::vector<std::size_t> roots(images.size());
  for (std::size_t i = 0; i < images.size(); ++i) {
    std::size_t at = i;
    std::set<std::size_t> seen{at};
    while (!images[at].parent.empty()) {
      auto it = by_digest.find(images[at].parent);
      if (it == by_digest.end()) break;
      if (!seen.insert(it->second).second) {
        at = i; // a cycle (manifests naming each other): each is a unit of its own
        break;
      }
      at = it->second;
    }
    roots[i] = at;
  }
  return roots;
}

} // namespace berth::ops
