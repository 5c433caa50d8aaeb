// Version and range checks every C entry point applies to its options (guard.hpp).
#include "capi/guard.hpp"

#include <cctype>
#include <cmath>

namespace berth::capi {

void check_version(uint32_t version, uint32_t latest, const char *name) {
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
