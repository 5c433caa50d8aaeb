// Version and range checks every C entry point applies to its options (guard.hpp).
#include "capi/guard.hpp"

#include <cctype>
#include <cmath>

namespace berth::capi {

void check_version(uint32_t version, uint32_t first, uint32_t latest, const char *name) {
  if (version == 0) {
    std::string macro;
    for (const char *c = name; *c; ++c)
      macro.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(*c))));
    throw Error(Errc::invalid_argument, std::string(name) + ".version is not set; use " + macro +
                                            "_INIT or " + name + "_init()");
  }
  if (version > latest)
    throw Error(Errc::invalid_argument, std::string(name) + ".version " + std::to_string(version) +
                                            " is newer than this library knows (" +
                                            std::to_string(latest) + ")");
  if (version < first)
    throw Error(Errc::invalid_argument,
                std::string(name) + ".version " + std::to_string(version) +
                    " is the layout of C ABI 1; this library speaks C ABI " +
                    std::to_string(BERTH_ABI_VERSION) + " (versions " + std::to_string(first) +
                    ".." + std::to_string(latest) + "): rebuild against its berth.h");
}

void check_range(int64_t value, int64_t lo, int64_t hi, const char *field) {
  if (value < lo || value > hi)
    throw Error(Errc::invalid_argument, std::string(field) + " must be " + std::to_string(lo) +
                                            ".." + std::to_string(hi) + ", not " +
                                            std::to_string(value));
}

void check_finite(double value, const char *field) {
  if (!std::isfinite(value))
    throw Error(Errc::invalid_argument, std::string(field) + " must be a finite number");
}

} // namespace berth::capi
