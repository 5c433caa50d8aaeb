#include "capi/registry_options.hpp"

#include "capi/guard.hpp"

#include <chrono>
#include <cstring>

using berth::capi::guard;
namespace capi = berth::capi;

namespace berth::capi {

void check_timeout(int64_t timeout_ms, const char *field) {
  check_range(timeout_ms, 0, INT64_MAX / 1000000, field);
}

RegistrySide to_registry_side(const berth_registry_options *opts, const char *field,
                              bool reads_images, int64_t timeout_ms) {
  const berth_registry_options defaults = BERTH_REGISTRY_OPTIONS_INIT;
  const auto &o = options_or_defaults(opts, defaults, 1, BERTH_REGISTRY_OPTIONS_VERSION,
                                      "berth_registry_options");
  const std::string name(field);
  check_range(o.stall_timeout_ms, INT64_MIN, INT64_MAX / 1000000,
              (name + "->stall_timeout_ms").c_str());
  // As the CLI's --chunk-size: a tiny part size would send a blob in millions of
  // requests.
  if (o.chunk_size != 0 && o.chunk_size < (1u << 20))
    throw Error(Errc::invalid_argument, name +
                                            "->chunk_size must be 0 or at least 1 MiB "
                                            "(1048576), not " +
                                            std::to_string(o.chunk_size));
  RegistrySide side;
  side.access.creds = str(o.creds);
  side.access.plain_http = o.plain_http != 0;
  side.access.insecure = o.insecure != 0;
  side.access.ca_bundle = str(o.ca_bundle);
  // 0 keeps the default; negative means never (0 s in C++); a positive value is
  // rounded up to whole seconds, curl's unit.
  if (o.stall_timeout_ms < 0)
    side.access.stall_timeout = std::chrono::seconds(0);
  else if (o.stall_timeout_ms > 0)
    side.access.stall_timeout = std::chrono::seconds((o.stall_timeout_ms + 999) / 1000);
  side.access.chunk_size = o.chunk_size;
  side.access.timeout = std::chrono::milliseconds(timeout_ms);
  side.mirrors = string_list(o.mirrors, o.n_mirrors, (name + "->mirrors").c_str());
  if (!reads_images && !side.mirrors.empty())
    throw Error(Errc::invalid_argument,
                name + "->mirrors: this call reads no image through a mirror");
  return side;
}

} // namespace berth::capi

extern "C" {

BERTH_API int berth_registry_options_init(berth_registry_options *opts, uint32_t version) {
  return guard([&] {
    capi::init_options(opts, berth_registry_options BERTH_REGISTRY_OPTIONS_INIT, version, 1,
                       BERTH_REGISTRY_OPTIONS_VERSION, "berth_registry_options");
  });
}

} // extern "C"
