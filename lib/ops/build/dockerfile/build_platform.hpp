// Platforms of a Dockerfile build: the machine's own (BUILDPLATFORM, the one RUN needs no
// emulator for) and whether a RUN for another one can run here: through a binfmt_misc
// handler (Debian's qemu-user-static registers them), which must have the F flag
// (the interpreter opened at registration) to work inside the sandbox's root.
#pragma once

#include <berth/manifest.hpp>

#include <string>
#include <vector>

namespace berth::ops {

// This machine's platform, from uname(2) ("linux/amd64", "linux/arm64", "linux/arm/v7").
image::Platform host_platform();

// Returns when a RUN for `target` can run here; Error(unsupported) naming what to install
// (or the missing F flag) otherwise. `where` leads the message ("Dockerfile:3").
void check_can_run(const image::Platform &target, const std::string &where);

// --platform's list: "linux/amd64,linux/arm64" (each parsed; duplicates refused); an
// empty string is the one default platform.
std::vector<image::Platform> parse_platform_list(const std::string &list);

} // namespace berth::ops
