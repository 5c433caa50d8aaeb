#include <berth.h>
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

} // extern "C"
