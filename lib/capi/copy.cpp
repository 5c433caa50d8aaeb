// The C ABI of moving images: berth_copy, berth_replicate, berth_index and
// berth_export, each with its own options struct; results as JSON (to_json).
#include "capi/guard.hpp"
#include "capi/registry_options.hpp"

#include <berth/copy.hpp>
#include <berth/sign.hpp>

#include "core/json.hpp"

#include <chrono>
#include <map>

using namespace berth;
using berth::capi::guard;
using berth::capi::require;
using berth::capi::str;

namespace berth::capi {

// Adapts a C progress callback to the C++ one.
ProgressFn c_progress(berth_progress_fn fn, void *user_data) {
  if (!fn) return {};
  return [fn, user_data](const Progress &p) {
    berth_progress cp{BERTH_PROGRESS_VERSION,
                      static_cast<int32_t>(p.event),
                      p.digest.c_str(),
                      p.bytes,
                      p.total,
                      p.overall_bytes,
                      p.overall_total};
    return fn(&cp, user_data) != 0;
  };
}

} // namespace berth::capi

namespace {

ImageFormat to_format(int32_t format, const char *field) {
  switch (format) {
  case BERTH_FORMAT_AUTO: return ImageFormat::automatic;
  case BERTH_FORMAT_OCI: return ImageFormat::oci;
  case BERTH_FORMAT_DOCKER: return ImageFormat::docker;
  default:
    throw Error(Errc::invalid_argument, std::string(field) +
                                            " must be BERTH_FORMAT_AUTO, BERTH_FORMAT_OCI or "
                                            "BERTH_FORMAT_DOCKER, not " +
                                            std::to_string(format));
  }
}

int jobs_or_default(int32_t jobs, const char *field) {
  capi::check_range(jobs, 0, BERTH_MAX_JOBS, field);
  return jobs > 0 ? jobs : BERTH_DEFAULT_JOBS;
}

// The fields berth_copy_options and berth_index_options share, by the same names.
template <class Options>
CopyOptions shared_copy_options(const Options &o, const std::string &name) {
  capi::check_timeout(o.timeout_ms, (name + ".timeout_ms").c_str());
  CopyOptions co;
  auto src = capi::to_registry_side(o.src, (name + ".src").c_str(), true, o.timeout_ms);
  auto dst = capi::to_registry_side(o.dst, (name + ".dst").c_str(), false, o.timeout_ms);
  co.src = std::move(src.access);
  co.mirrors = std::move(src.mirrors);
  co.dst = std::move(dst.access);
  co.jobs = jobs_or_default(o.jobs, (name + ".jobs").c_str());
  co.format = to_format(o.format, (name + ".format").c_str());
  co.progress = capi::c_progress(o.progress, o.progress_user_data);
  co.extra_tags = capi::string_list(o.extra_tags, o.n_extra_tags, "extra_tags");
  return co;
}

// signs: the call signs what it copies (berth_copy); berth_replicate refuses a
// sign_key rather than ignore it.
CopyOptions to_copy_options(const berth_copy_options *opts, bool signs) {
  const berth_copy_options defaults = BERTH_COPY_OPTIONS_INIT;
  const auto &o = capi::options_or_defaults(opts, defaults, 7, BERTH_COPY_OPTIONS_VERSION,
                                            "berth_copy_options");
  auto co = shared_copy_options(o, "berth_copy_options");
  co.platform = str(o.platform);
  co.referrers = o.no_referrers == 0;
  co.referrer_types = capi::string_list(o.artifact_types, o.n_artifact_types, "artifact_types");
  co.create_repository = o.create_repository != 0;
  // Loaded before anything moves: a wrong password fails the call at once.
  if (o.sign_key && *o.sign_key) {
    require(signs, "berth_copy_options.sign_key is for berth_copy only");
    co.signer = load_signing_key(o.sign_key, str(o.sign_key_password));
  }
  return co;
}

CopyOptions to_copy_options(const berth_index_options *opts,
                            std::map<std::string, std::string> &annotations) {
  const berth_index_options defaults = BERTH_INDEX_OPTIONS_INIT;
  const auto &o = capi::options_or_defaults(opts, defaults, 1, BERTH_INDEX_OPTIONS_VERSION,
                                            "berth_index_options");
  auto co = shared_copy_options(o, "berth_index_options");
  for (const auto &a : capi::string_list(o.annotations, o.n_annotations, "annotations")) {
    auto eq = a.find('=');
    require(eq != std::string::npos && eq > 0, "annotations must be KEY=VALUE");
    annotations[a.substr(0, eq)] = a.substr(eq + 1);
  }
  return co;
}

ExportOptions to_export_options(const berth_export_options *opts) {
  const berth_export_options defaults = BERTH_EXPORT_OPTIONS_INIT;
  const auto &o = capi::options_or_defaults(opts, defaults, 1, BERTH_EXPORT_OPTIONS_VERSION,
                                            "berth_export_options");
  capi::check_timeout(o.timeout_ms, "berth_export_options.timeout_ms");
  capi::check_finite(o.max_expansion_ratio, "berth_export_options.max_expansion_ratio");
  ExportOptions eo;
  auto src = capi::to_registry_side(o.src, "berth_export_options.src", true, o.timeout_ms);
  eo.access = std::move(src.access);
  eo.mirrors = std::move(src.mirrors);
  eo.platform = str(o.platform);
  if (o.max_total_bytes > 0) eo.max_total_bytes = o.max_total_bytes;
  if (o.max_expansion_ratio != 0)
    eo.max_expansion_ratio = o.max_expansion_ratio < 0 ? 0 : o.max_expansion_ratio;
  eo.devices = o.devices != 0;
  return eo;
}

} // namespace

extern "C" {

BERTH_API int berth_copy_options_init(berth_copy_options *opts, uint32_t version) {
  return guard([&] {
    capi::init_options(opts, berth_copy_options BERTH_COPY_OPTIONS_INIT, version, 7,
                       BERTH_COPY_OPTIONS_VERSION, "berth_copy_options");
  });
}

BERTH_API int berth_index_options_init(berth_index_options *opts, uint32_t version) {
  return guard([&] {
    capi::init_options(opts, berth_index_options BERTH_INDEX_OPTIONS_INIT, version, 1,
                       BERTH_INDEX_OPTIONS_VERSION, "berth_index_options");
  });
}

BERTH_API int berth_export_options_init(berth_export_options *opts, uint32_t version) {
  return guard([&] {
    capi::init_options(opts, berth_export_options BERTH_EXPORT_OPTIONS_INIT, version, 1,
                       BERTH_EXPORT_OPTIONS_VERSION, "berth_export_options");
  });
}

BERTH_API int berth_copy(char **out_json, const char *src, const char *dst,
                         const berth_copy_options *opts) {
  if (out_json) *out_json = nullptr;
  return guard([&] {
    require(src != nullptr && dst != nullptr, "src and dst are required");
    capi::set_out(out_json, to_json(copy_image(src, dst, to_copy_options(opts, true))));
  });
}

BERTH_API int berth_replicate(char **out_json, const char *src, const char *const *dsts,
                              size_t n_dsts, const berth_copy_options *opts) {
  if (out_json) *out_json = nullptr;
  return guard([&] {
    require(src != nullptr && n_dsts > 0, "src and at least one destination are required");
    auto results =
        replicate_image(src, capi::string_list(dsts, n_dsts, "dsts"), to_copy_options(opts, false));
    if (!out_json) return;
    core::json::StringWriter out;
    out.writer.StartObject();
    out.writer.Key("results");
    out.writer.StartArray();
    for (const auto &r : results) {
      auto one = to_json(r);
      out.writer.RawValue(one.c_str(), one.size(), rapidjson::kObjectType);
    }
    out.writer.EndArray();
    out.writer.EndObject();
    capi::set_out(out_json, out.str());
  });
}

BERTH_API int berth_pull(char **out_json, const char *ref, const char *dst, const char *verify_key,
                         const berth_copy_options *opts) {
  if (out_json) *out_json = nullptr;
  return guard([&] {
    require(ref != nullptr && dst != nullptr, "ref and dst are required");
    auto r = pull_image(ref, dst, to_copy_options(opts, false), str(verify_key));
    if (!out_json) return;
    // berth_copy's result, then what pull adds.
    auto copied = core::json::parse(to_json(r.copy), "the copy result");
    core::json::StringWriter out;
    out.writer.StartObject();
    for (auto m = copied.MemberBegin(); m != copied.MemberEnd(); ++m) {
      out.writer.Key(m->name.GetString(), m->name.GetStringLength());
      m->value.Accept(out.writer);
    }
    out.member("destination", r.destination);
    if (!r.verified_digest.empty()) {
      out.writer.Key("verified");
      out.writer.StartObject();
      out.member("digest", r.verified_digest);
      out.writer.Key("valid");
      out.writer.Int(r.signatures_verified);
      out.writer.EndObject();
    }
    out.writer.EndObject();
    capi::set_out(out_json, out.str());
  });
}

BERTH_API int berth_index(char **out_json, const char *const *srcs, size_t n_srcs, const char *dst,
                          const berth_index_options *opts) {
  if (out_json) *out_json = nullptr;
  return guard([&] {
    require(dst != nullptr && n_srcs > 0, "dst and at least one source are required");
    std::map<std::string, std::string> annotations;
    auto co = to_copy_options(opts, annotations);
    capi::set_out(out_json, to_json(assemble_index(capi::string_list(srcs, n_srcs, "srcs"), dst, co,
                                                   annotations)));
  });
}

BERTH_API int berth_export(const char *src, const char *dir, const berth_export_options *opts) {
  return guard([&] {
    require(src != nullptr && dir != nullptr, "src and dir are required");
    export_image(src, dir, to_export_options(opts));
  });
}

} // extern "C"
