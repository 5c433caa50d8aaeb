// The C ABI of SBOM generation: berth_sbom returns the SPDX document as a string the
// caller frees with berth_free.
#include "capi/guard.hpp"
#include "capi/registry_options.hpp"

#include <berth/sbom.hpp>

using namespace berth;
using berth::capi::guard;
using berth::capi::require;
using berth::capi::str;

extern "C" {

BERTH_API int berth_sbom_options_init(berth_sbom_options *opts, uint32_t version) {
  return guard([&] {
    capi::init_options(opts, berth_sbom_options BERTH_SBOM_OPTIONS_INIT, version, 2,
                       BERTH_SBOM_OPTIONS_VERSION, "berth_sbom_options");
  });
}

BERTH_API int berth_sbom(char **out_json, const char *ref, const berth_sbom_options *opts) {
  if (out_json) *out_json = nullptr;
  return guard([&] {
    require(out_json != nullptr && ref != nullptr, "out_json and ref are required");
    const berth_sbom_options defaults = BERTH_SBOM_OPTIONS_INIT;
    const auto &o = capi::options_or_defaults(opts, defaults, 2, BERTH_SBOM_OPTIONS_VERSION,
                                              "berth_sbom_options");
    capi::check_timeout(o.timeout_ms, "berth_sbom_options.timeout_ms");
    SbomOptions so;
    so.access =
        capi::to_registry_side(o.registry, "berth_sbom_options.registry", false, o.timeout_ms)
            .access;
    so.platform = str(o.platform);
    so.created = str(o.created);
    *out_json = capi::dup_for_caller(generate_sbom(ref, so).spdx_json);
  });
}

} // extern "C"
