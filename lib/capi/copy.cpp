#include "capi/guard.hpp"

#include <berth/copy.hpp>

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

namespace {

void copy_out(char *dst, std::size_t cap, const std::string &s) {
  std::size_t n = std::min(cap - 1, s.size());
  std::memcpy(dst, s.data(), n);
  dst[n] = '\0';
}

} // namespace

extern "C" {

BERTH_API int berth_copy_options_init(berth_copy_options *opts, uint32_t version) {
  return guard([&] {
    require(opts != nullptr, "opts is NULL");
    require(version == 1, "unknown berth_copy_options version");
    *opts = berth_copy_options BERTH_COPY_OPTIONS_INIT;
  });
}

BERTH_API int berth_copy(const char *src, const char *dst, const berth_copy_options *opts,
                         berth_copy_result *result) {
  return guard([&] {
    require(src != nullptr && dst != nullptr, "src and dst are required");
    berth_copy_options defaults = BERTH_COPY_OPTIONS_INIT;
    const berth_copy_options &o = opts ? *opts : defaults;
    require(o.version >= 1, "berth_copy_options.version is not set; use BERTH_COPY_OPTIONS_INIT");
    CopyOptions co;
    co.src = {str(o.src_creds), o.src_plain_http != 0, o.src_insecure != 0, str(o.src_ca_bundle)};
    co.dst = {str(o.dst_creds), o.dst_plain_http != 0, o.dst_insecure != 0, str(o.dst_ca_bundle)};
    co.platform = str(o.platform);
    co.jobs = o.jobs > 0 ? o.jobs : 4;
    co.progress = capi::c_progress(o.progress, o.progress_user_data);
    auto r = copy_image(src, dst, co);
    if (result) {
      std::memset(result, 0, sizeof *result);
      copy_out(result->digest, sizeof result->digest, r.digest);
      copy_out(result->media_type, sizeof result->media_type, r.media_type);
      result->bytes_copied = r.bytes_copied;
      result->blobs_copied = r.blobs_copied;
      result->blobs_skipped = r.blobs_skipped;
      result->blobs_mounted = r.blobs_mounted;
      result->manifests = r.manifests;
    }
  });
}

} // extern "C"
