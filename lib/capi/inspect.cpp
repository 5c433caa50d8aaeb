// The C ABI of inspection: berth_manifest_get, berth_inspect, berth_tags_list,
// berth_catalog, berth_tag, berth_manifest_delete and berth_validate. Structured
// results travel as JSON the caller frees with berth_free.
#include "capi/guard.hpp"
#include "capi/registry_options.hpp"

#include <berth/inspect.hpp>

#include "core/json.hpp"

#include <cstring>

using namespace berth;
using berth::capi::dup_for_caller;
using berth::capi::guard;
using berth::capi::require;
using berth::capi::str;

namespace {

// through_mirrors: the call reads an image that a mirror may serve (manifest_get,
// inspect); listing, tagging, deleting and validating name the registry itself.
InspectOptions to_inspect_options(const berth_inspect_options *opts, bool through_mirrors = false) {
  const berth_inspect_options defaults = BERTH_INSPECT_OPTIONS_INIT;
  const auto &o = capi::options_or_defaults(opts, defaults, 2, BERTH_INSPECT_OPTIONS_VERSION,
                                            "berth_inspect_options");
  capi::check_range(o.jobs, 0, BERTH_MAX_JOBS, "berth_inspect_options.jobs");
  capi::check_range(o.page_size, 0, 10000, "berth_inspect_options.page_size");
  capi::check_timeout(o.timeout_ms, "berth_inspect_options.timeout_ms");
  InspectOptions io;
  auto side = capi::to_registry_side(o.registry, "berth_inspect_options.registry", through_mirrors,
                                     o.timeout_ms);
  io.access = std::move(side.access);
  io.mirrors = std::move(side.mirrors);
  io.platform = str(o.platform);
  if (o.jobs > 0) io.jobs = o.jobs;
  if (o.page_size > 0) io.page_size = o.page_size;
  return io;
}

std::string tag_json(const TagImageResult &r) {
  core::json::StringWriter w;
  w.writer.StartObject();
  w.member("digest", r.digest);
  for (const auto &[key, list] :
       {std::pair{"tagged", &r.tagged}, std::pair{"skipped", &r.skipped}}) {
    w.writer.Key(key);
    w.writer.StartArray();
    for (const auto &t : *list)
      w.string(t);
    w.writer.EndArray();
  }
  w.writer.EndObject();
  return w.str();
}

} // namespace

extern "C" {

BERTH_API int berth_inspect_options_init(berth_inspect_options *opts, uint32_t version) {
  return guard([&] {
    capi::init_options(opts, berth_inspect_options BERTH_INSPECT_OPTIONS_INIT, version, 2,
                       BERTH_INSPECT_OPTIONS_VERSION, "berth_inspect_options");
  });
}

BERTH_API int berth_manifest_get(char **out_raw, char **out_json, const char *ref,
                                 const berth_inspect_options *opts) {
  if (out_raw) *out_raw = nullptr;
  if (out_json) *out_json = nullptr;
  return guard([&] {
    require(out_raw != nullptr && ref != nullptr, "out_raw and ref are required");
    auto m = fetch_manifest(ref, to_inspect_options(opts, true));
    core::json::StringWriter w;
    w.writer.StartObject();
    w.member("digest", m.digest);
    w.member("mediaType", m.media_type);
    w.writer.Key("size");
    w.writer.Uint64(m.raw.size());
    w.writer.EndObject();
    // Both or neither: the info is copied first, so a failure leaves no raw bytes.
    capi::set_out(out_json, w.str());
    *out_raw = dup_for_caller(m.raw);
  });
}

BERTH_API int berth_inspect(char **out_json, const char *ref, const berth_inspect_options *opts) {
  if (out_json) *out_json = nullptr;
  return guard([&] {
    require(out_json != nullptr && ref != nullptr, "out_json and ref are required");
    *out_json = dup_for_caller(to_json(inspect_image(ref, to_inspect_options(opts, true))));
  });
}

BERTH_API int berth_tags_list(char **out_json, const char *repository,
                              const berth_inspect_options *opts) {
  if (out_json) *out_json = nullptr;
  return guard([&] {
    require(out_json != nullptr && repository != nullptr, "out_json and repository are required");
    auto tags = list_tags(repository, to_inspect_options(opts));
    *out_json = dup_for_caller(tags_to_json(repository, tags));
  });
}

BERTH_API int berth_catalog(char **out_json, const char *registry,
                            const berth_inspect_options *opts) {
  if (out_json) *out_json = nullptr;
  return guard([&] {
    require(out_json != nullptr && registry != nullptr, "out_json and registry are required");
    auto repos = list_repositories(registry, to_inspect_options(opts));
    *out_json = dup_for_caller(repositories_to_json(registry, repos));
  });
}

BERTH_API int berth_tag(char **out_json, const char *ref, const char *const *tags, size_t n_tags,
                        const berth_inspect_options *opts) {
  if (out_json) *out_json = nullptr;
  return guard([&] {
    require(ref != nullptr && n_tags > 0, "ref and at least one tag are required");
    auto r = tag_image(ref, capi::string_list(tags, n_tags, "tags"), to_inspect_options(opts));
    if (out_json) *out_json = dup_for_caller(tag_json(r));
  });
}

BERTH_API int berth_manifest_delete(char **out_json, const char *ref,
                                    const berth_inspect_options *opts) {
  if (out_json) *out_json = nullptr;
  return guard([&] {
    require(ref != nullptr, "ref is required");
    auto digest = delete_image(ref, to_inspect_options(opts));
    core::json::StringWriter w;
    w.writer.StartObject();
    w.member("digest", digest);
    w.writer.EndObject();
    capi::set_out(out_json, w.str());
  });
}

BERTH_API int berth_validate(char **out_json, const char *ref, const berth_inspect_options *opts) {
  if (out_json) *out_json = nullptr;
  return guard([&] {
    require(out_json != nullptr && ref != nullptr, "out_json and ref are required");
    auto report = validate_image(ref, to_inspect_options(opts));
    *out_json = dup_for_caller(to_json(report));
    if (!report.ok())
      throw Error(Errc::gate_failed, std::to_string(report.failures.size()) +
                                         " failure(s) validating " + std::string(ref) + ": " +
                                         report.failures.front().message);
  });
}

} // extern "C"
