// berth ls | catalog | tag | rm: tag and repository lists, more tags, deletion.
#include <berth/error.hpp>
#include <berth/inspect.hpp>
#include <berth/layout.hpp>

#include "ops/transfer/endpoints.hpp"
#include "ops/transfer/registry_access.hpp"

#include <cctype>

namespace berth {
namespace {

void check_page_size(int n) {
  // distribution refuses n above its limit (1000 by default) with
  // PAGINATION_NUMBER_INVALID; 0 would mean "nothing" to some registries.
  if (n < 1 || n > 10000) throw Error(Errc::invalid_argument, "page size must be 1..10000");
}

} // namespace

std::vector<std::string> list_tags(const std::string &repository, const InspectOptions &o) {
  check_page_size(o.page_size);
  auto loc = ops::Location::parse(repository);
  switch (loc.kind) {
  case ops::Location::Kind::oci_layout:
    if (!loc.tag.empty())
      throw Error(Errc::invalid_argument,
                  "'" + repository + "' names a tag; list the tags of oci:DIR without one");
    return layout::OciLayout::open(loc.path).tags();
  case ops::Location::Kind::registry: {
    if (!loc.ref.tag.empty() || !loc.ref.digest.empty())
      throw Error(Errc::invalid_argument, "'" + repository +
                                              "' names an image; list the tags of REGISTRY/REPO "
                                              "without a tag or digest");
    registry::Repository repo(ops::connect(loc.ref.registry_host(), o.access), loc.ref.repository);
    return repo.tags(o.page_size);
  }
  default: break;
  }
  throw Error(Errc::unsupported,
              "tags can be listed for registries and oci: layouts, not '" + repository + "'");
}

std::vector<std::string> list_repositories(const std::string &registry_host,
                                           const InspectOptions &o) {
  check_page_size(o.page_size);
  auto host = registry_host;
  if (host.rfind("docker://", 0) == 0) host = host.substr(9);
  while (!host.empty() && host.back() == '/')
    host.pop_back();
  // A registry is a host[:port] (an IPv6 literal in brackets), nothing more.
  bool ok = !host.empty() && host.find_first_not_of("abcdefghijklmnopqrstuvwxyz"
                                                    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") ==
                                 std::string::npos;
  if (!ok)
    throw Error(Errc::invalid_argument, "'" + registry_host + "' is not a registry host[:port]");
  image::Reference ref;
  ref.registry = host;
  for (auto &c : ref.registry)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ops::connect(ref.registry_host(), o.access)->catalog(o.page_size);
}

TagImageResult tag_image(const std::string &ref, const std::vector<std::string> &tags,
                         const InspectOptions &o) {
  if (tags.empty()) throw Error(Errc::invalid_argument, "no tags to add");
  for (const auto &t : tags)
    if (!image::valid_tag(t)) throw Error(Errc::invalid_argument, "invalid tag '" + t + "'");
  auto loc = ops::Location::parse(ref);
  // The source is opened first: a layout that does not exist must not be created by
  // the destination side.
  auto src = ops::open_source(loc, o.access);
  auto m = src->manifest("");
  auto dst = ops::open_destination(loc, o.access);
  TagImageResult r;
  r.digest = m.digest;
  for (const auto &t : tags) {
    if (dst->tag_digest(t) == m.digest) {
      r.skipped.push_back(t);
      continue;
    }
    dst->put_manifest_as(m.raw, m.media_type, t);
    r.tagged.push_back(t);
  }
  return r;
}

std::string delete_image(const std::string &ref, const InspectOptions &o) {
  auto loc = ops::Location::parse(ref);
  if (loc.kind != ops::Location::Kind::registry)
    throw Error(Errc::unsupported, "only registry manifests can be deleted, not '" + ref + "'");
  registry::Repository repo(ops::connect(loc.ref.registry_host(), o.access), loc.ref.repository);
  std::string digest = loc.ref.digest;
  if (digest.empty()) {
    auto d = repo.head_manifest(loc.ref.identifier());
    if (!d)
      throw Error(Errc::not_found,
                  "no manifest " + loc.ref.context() + ":" + loc.ref.identifier() + " to delete");
    digest = d->digest;
  }
  try {
    repo.delete_manifest(digest);
  } catch (const Error &e) {
    // distribution answers 405 UNSUPPORTED unless storage.delete.enabled is set;
    // say so instead of a bare "unsupported".
    if (e.code() != Errc::unsupported && e.http_status() != 405) throw;
    Error refused(Errc::unsupported, loc.ref.registry + " does not allow deleting manifests (" +
                                         e.what() +
                                         "); a distribution registry needs "
                                         "storage.delete.enabled");
    refused.with_http_status(e.http_status()).with_request_id(e.request_id());
    throw refused;
  }
  return digest;
}

} // namespace berth
