#include <berth.h>

#include "capi/guard.hpp"
#include "core/json.hpp"
#include <berth/version.hpp>

static_assert(BERTH_ABI_VERSION == BERTH_ABI_VERSION_VALUE,
              "include/berth.h and CMakeLists.txt disagree on the ABI version");

extern "C" {

BERTH_API uint32_t berth_version(void) {
  return BERTH_VERSION_MAJOR_VALUE * 10000u + BERTH_VERSION_MINOR_VALUE * 100u +
         BERTH_VERSION_PATCH_VALUE;
}

BERTH_API const char *berth_version_string(void) {
  return BERTH_VERSION_STRING_VALUE;
}

BERTH_API uint32_t berth_abi_version(void) {
  return BERTH_ABI_VERSION_VALUE;
}

BERTH_API int berth_defaults(char **out_json) {
  if (out_json) *out_json = nullptr;
  return berth::capi::guard([&] {
    berth::capi::require(out_json != nullptr, "out_json is NULL");
    berth::core::json::StringWriter w;
    w.writer.StartObject();
    w.writer.Key("jobs");
    w.writer.Int(BERTH_DEFAULT_JOBS);
    w.writer.Key("maxJobs");
    w.writer.Int(BERTH_MAX_JOBS);
    w.member("platform", BERTH_DEFAULT_PLATFORM);
    w.writer.Key("stallTimeoutMs");
    w.writer.Int64(BERTH_DEFAULT_STALL_TIMEOUT_MS);
    w.writer.Key("pageSize");
    w.writer.Int(BERTH_DEFAULT_PAGE_SIZE);
    w.writer.Key("maxExportBytes");
    w.writer.Uint64(BERTH_DEFAULT_MAX_EXPORT_BYTES);
    w.writer.Key("maxExpansionRatio");
    w.writer.Double(BERTH_DEFAULT_MAX_EXPANSION_RATIO);
    w.writer.Key("scanTimeoutSeconds");
    w.writer.Int(BERTH_DEFAULT_SCAN_TIMEOUT_S);
    w.writer.EndObject();
    *out_json = berth::capi::dup_for_caller(w.str());
  });
}

} // extern "C"
