#include "capi/copy_options.hpp"
#include "capi/guard.hpp"

#include <berth/copy.hpp>
#include <berth/sign.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstring>

using namespace berth;
using berth::capi::guard;
using berth::capi::require;
using berth::capi::str;

namespace berth::capi {

// Adapts a C progress callback to the C++ one.
ProgressFn c_progress(berth_progress_fn fn, void *user_data) {
  if (!fn) return {};
  return [fn, user_data](const Progress &p) {
    berth_progress cp{static_cast<int32_t>(p.event),
                      p.digest.c_str(),
                      p.bytes,
                      p.total,
                      p.overall_bytes,
                      p.overall_total};
    return fn(&cp, user_data) != 0;
  };
}

} // namespace berth::capi

namespace berth::capi {

CopyOptions to_copy_options(const berth_copy_options *opts, bool signs) {
  const berth_copy_options defaults = BERTH_COPY_OPTIONS_INIT;
  const auto &o =
      options_or_defaults(opts, defaults, BERTH_COPY_OPTIONS_VERSION, "berth_copy_options");
  check_range(o.jobs, 0, 64, "berth_copy_options.jobs");
  CopyOptions co;
  co.src = {str(o.src_creds), o.src_plain_http != 0, o.src_insecure != 0, str(o.src_ca_bundle)};
  co.dst = {str(o.dst_creds), o.dst_plain_http != 0, o.dst_insecure != 0, str(o.dst_ca_bundle)};
  co.platform = str(o.platform);
  co.jobs = o.jobs > 0 ? o.jobs : 4;
  co.progress = capi::c_progress(o.progress, o.progress_user_data);
  // Fields of later versions are read only when the caller's struct has them.
  if (o.version >= 2) {
    co.extra_tags = capi::string_list(o.extra_tags, o.n_extra_tags, "extra_tags");
  }
  if (o.version >= 3) {
    switch (o.format) {
    case BERTH_FORMAT_AUTO: co.format = ImageFormat::automatic; break;
    case BERTH_FORMAT_OCI: co.format = ImageFormat::oci; break;
    case BERTH_FORMAT_DOCKER: co.format = ImageFormat::docker; break;
    default:
      throw Error(Errc::invalid_argument,
                  "berth_copy_options.format must be BERTH_FORMAT_AUTO, BERTH_FORMAT_OCI or "
                  "BERTH_FORMAT_DOCKER, not " +
                      std::to_string(o.format));
    }
  }
  if (o.version >= 4) {
    check_range(o.timeout_ms, 0, INT64_MAX / 1000000, "berth_copy_options.timeout_ms");
    check_range(o.stall_timeout_ms, INT64_MIN, INT64_MAX / 1000000,
                "berth_copy_options.stall_timeout_ms");
    // As the CLI's --chunk-size: a tiny part size would send a blob in millions of
    // requests.
    if (o.chunk_size != 0 && o.chunk_size < (1u << 20))
      throw Error(Errc::invalid_argument, "berth_copy_options.chunk_size must be 0 or at least "
                                          "1 MiB (1048576), not " +
                                              std::to_string(o.chunk_size));
    check_finite(o.max_expansion_ratio, "berth_copy_options.max_expansion_ratio");
    for (auto *side : {&co.src, &co.dst}) {
      if (o.timeout_ms > 0) side->timeout = std::chrono::milliseconds(o.timeout_ms);
      // 0 keeps the default (60 s); negative means never (0 s in C++); a positive
      // value is rounded up to whole seconds, curl's unit.
      if (o.stall_timeout_ms < 0)
        side->stall_timeout = std::chrono::seconds(0);
      else if (o.stall_timeout_ms > 0)
        side->stall_timeout = std::chrono::seconds((o.stall_timeout_ms + 999) / 1000);
    }
    co.dst.chunk_size = o.chunk_size;
    co.referrers = o.no_referrers == 0;
    co.referrer_types = capi::string_list(o.artifact_types, o.n_artifact_types, "artifact_types");
  }
  if (o.version >= 5) {
    co.create_repository = o.create_repository != 0;
    co.mirrors = capi::string_list(o.mirrors, o.n_mirrors, "mirrors");
  }
  // Loaded before anything moves: a wrong password fails the call at once.
  if (o.version >= 6 && o.sign_key && *o.sign_key) {
    require(signs, "berth_copy_options.sign_key is for berth_copy only");
    co.signer = load_signing_key(o.sign_key, str(o.sign_key_password));
  }
  return co;
}

} // namespace berth::capi

namespace {

using berth::capi::to_copy_options;

void fill_result(berth_copy_result *result, const CopyResult &r) {
  if (!result) return;
  std::memset(result, 0, sizeof *result);
  capi::copy_to_buffer(result->digest, sizeof result->digest, r.digest);
  capi::copy_to_buffer(result->media_type, sizeof result->media_type, r.media_type);
  result->bytes_copied = r.bytes_copied;
  result->blobs_copied = r.blobs_copied;
  result->blobs_skipped = r.blobs_skipped;
  result->blobs_mounted = r.blobs_mounted;
  result->manifests = r.manifests;
}

// Bytes of berth_copy_options up to the last field of `version`.
std::size_t copy_options_size(uint32_t version) {
  switch (version) {
  case 1: return offsetof(berth_copy_options, extra_tags);
  case 2: return offsetof(berth_copy_options, format);
  case 3: return offsetof(berth_copy_options, timeout_ms);
  case 4: return offsetof(berth_copy_options, create_repository);
  case 5: return offsetof(berth_copy_options, sign_key);
  default: return sizeof(berth_copy_options);
  }
}

} // namespace

extern "C" {

BERTH_API int berth_copy_options_init(berth_copy_options *opts, uint32_t version) {
  return guard([&] {
    require(opts != nullptr, "opts is NULL");
    capi::check_version(version, BERTH_COPY_OPTIONS_VERSION, "berth_copy_options");
    // A caller built against an older header has a shorter struct: only that
    // version's fields are written, with that version's meaning.
    const berth_copy_options defaults = BERTH_COPY_OPTIONS_INIT;
    std::memcpy(opts, &defaults, copy_options_size(version));
    opts->version = version;
  });
}

BERTH_API int berth_copy(const char *src, const char *dst, const berth_copy_options *opts,
                         berth_copy_result *result) {
  return guard([&] {
    require(src != nullptr && dst != nullptr, "src and dst are required");
    fill_result(result, copy_image(src, dst, to_copy_options(opts, true)));
  });
}

BERTH_API int berth_replicate(berth_copy_result *results, const char *src, const char *const *dsts,
                              size_t n_dsts, const berth_copy_options *opts) {
  return guard([&] {
    require(src != nullptr && n_dsts > 0, "src and at least one destination are required");
    auto r = replicate_image(src, capi::string_list(dsts, n_dsts, "dsts"), to_copy_options(opts));
    if (results)
      for (size_t i = 0; i < r.size(); ++i)
        fill_result(&results[i], r[i]);
  });
}

BERTH_API int berth_index(berth_copy_result *result, const char *const *srcs, size_t n_srcs,
                          const char *dst, const berth_copy_options *opts) {
  return guard([&] {
    require(dst != nullptr && n_srcs > 0, "dst and at least one source are required");
    fill_result(result, assemble_index(capi::string_list(srcs, n_srcs, "srcs"), dst,
                                       to_copy_options(opts)));
  });
}

BERTH_API int berth_export(const char *src, const char *dir, const berth_copy_options *opts) {
  return guard([&] {
    require(src != nullptr && dir != nullptr, "src and dir are required");
    auto co = to_copy_options(opts);
    ExportOptions eo;
    eo.access = co.src;
    eo.platform = co.platform;
    if (opts && opts->version >= 4) {
      if (opts->max_total_bytes > 0) eo.max_total_bytes = opts->max_total_bytes;
      if (opts->max_expansion_ratio != 0)
        eo.max_expansion_ratio = opts->max_expansion_ratio < 0 ? 0 : opts->max_expansion_ratio;
      eo.devices = opts->devices != 0;
    }
    export_image(src, dir, eo);
  });
}

BERTH_API int berth_index_annotated(berth_copy_result *result, const char *const *srcs,
                                    size_t n_srcs, const char *dst, const char *const *annotations,
                                    size_t n_annotations, const berth_copy_options *opts) {
  return guard([&] {
    require(dst != nullptr && n_srcs > 0, "dst and at least one source are required");
    std::map<std::string, std::string> kv;
    for (const auto &a : capi::string_list(annotations, n_annotations, "annotations")) {
      auto eq = a.find('=');
      require(eq != std::string::npos && eq > 0, "annotations must be KEY=VALUE");
      kv[a.substr(0, eq)] = a.substr(eq + 1);
    }
    fill_result(result, assemble_index(capi::string_list(srcs, n_srcs, "srcs"), dst,
                                       to_copy_options(opts), kv));
  });
}

} // extern "C"
