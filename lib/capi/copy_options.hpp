// berth_copy_options -> CopyOptions, for every C ABI call that takes them (copy,
// replicate, index, export, sign, verify).
#pragma once

#include <berth.h>
#include <berth/copy.hpp>

namespace berth::capi {

// NULL means the defaults; fields of later versions are read only when the
// caller's struct has them.
CopyOptions to_copy_options(const berth_copy_options *opts);

} // namespace berth::capi
