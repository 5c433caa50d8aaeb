// berth_copy_options -> CopyOptions, for every C ABI call that takes them (copy,
// replicate, index, export, sign, verify).
#pragma once

#include <berth.h>
#include <berth/copy.hpp>

namespace berth::capi {

// NULL means the defaults; fields of later versions are read only when the
// caller's struct has them.
// signs: the call signs what it copies (berth_copy); every other call refuses a
// sign_key rather than ignore it.
CopyOptions to_copy_options(const berth_copy_options *opts, bool signs = false);

} // namespace berth::capi
