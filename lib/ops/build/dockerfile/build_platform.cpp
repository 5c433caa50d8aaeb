#include "ops/build/dockerfile/build_platform.hpp"

#include "core/file.hpp"
#include "core/split.hpp"

#include <berth/error.hpp>

#include <sys/utsname.h>

#include <algorithm>

namespace berth::ops {
namespace {

// The kernel's machine names and the OCI architectures (and variants) they are.
struct Arch {
  const char *machine, *arch, *variant, *qemu;
};
constexpr Arch kArchs[] = {
    {"x86_64", "amd64", "", "x86_64"},
    {"aarch64", "arm64", "", "aarch64"},
    {"armv7l", "arm", "v7", "arm"},
    {"armv6l", "arm", "v6", "arm"},
    {"i686", "386", "", "i386"},
    {"ppc64le", "ppc64le", "", "ppc64le"},
    {"s390x", "s390x", "", "s390x"},
    {"riscv64", "riscv64", "", "riscv64"},
    {"mips64", "mips64le", "", "mips64el"},
    {"loongarch64", "loong64", "", "loongarch64"},
};

const Arch *by_arch(const std::string &arch) {
  for (const auto &a : kArchs)
    if (arch == a.arch) return &a;
  return nullptr;
}

} // namespace

image::Platform host_platform() {
  struct utsname u {};
  image::Platform p;
  p.os = "linux";
  p.architecture = "amd64";
  if (::uname(&u) == 0)
    for (const auto &a : kArchs)
      if (std::string(u.machine) == a.machine) {
        p.architecture = a.arch;
        p.variant = a.variant;
      }
  return p;
}

void check_can_run(const image::Platform &target, const std::string &where) {
  const auto host = host_platform();
  if (target.os == host.os && target.architecture == host.architecture) return;
  // An amd64 kernel runs 386 binaries itself.
  if (host.architecture == "amd64" && target.architecture == "386") return;
  const Arch *a = by_arch(target.architecture);
  const std::string name = a ? std::string("qemu-") + a->qemu : std::string();
  const std::string fix = "install qemu-user-static (Debian registers its binfmt_misc "
                          "handlers), or build on a " +
                          target.str() + " machine";
  std::string entry;
  try {
    if (!name.empty()) entry = core::read_small_file("/proc/sys/fs/binfmt_misc/" + name, 4096);
  } catch (const Error &) {
  }
  if (entry.empty() || entry.rfind("enabled", 0) != 0)
    throw Error(Errc::unsupported, where + ": RUN for " + target.str() + " on this " + host.str() +
                                       " machine needs an emulator: " + fix);
  const auto flags = entry.find("flags: ");
  const auto end = entry.find('\n', flags);
  if (flags == std::string::npos ||
      entry.substr(flags + 7, end - flags - 7).find('F') == std::string::npos)
    throw Error(Errc::unsupported,
                where + ": the binfmt_misc handler " + name +
                    " is registered without the F (fix-binary) flag, so it cannot run inside "
                    "the build's sandbox; register it with F (qemu-user-static's does)");
}

std::vector<image::Platform> parse_platform_list(const std::string &list) {
  std::vector<image::Platform> out;
  if (list.empty()) return out;
  for (const auto &item : core::split(list)) {
    const std::string one = core::trim(item);
    if (one.empty())
      throw Error(Errc::invalid_argument, "--platform " + list + ": an empty platform");
    auto p = image::Platform::parse(one);
    if (std::find(out.begin(), out.end(), p) != out.end())
      throw Error(Errc::invalid_argument, "--platform " + list + ": " + one + " twice");
    out.push_back(p);
  }
  return out;
}

} // namespace berth::ops
