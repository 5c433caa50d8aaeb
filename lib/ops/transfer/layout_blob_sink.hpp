// An ImageDestination::BlobSink that streams a built layer into an OCI layout: the
// blob's digest is only known when it is committed, and must be the one the builder
// computed.
#pragma once

#include <berth/layout.hpp>

#include "ops/transfer/endpoints.hpp"

#include <memory>
#include <string>

namespace berth::ops {

// A sink writing a new blob of `layout`; its commit throws Error(digest_mismatch,
// `mismatch`) when what was written does not hash to the digest the builder names.
std::unique_ptr<ImageDestination::BlobSink> layout_blob_sink(layout::OciLayout &layout,
                                                             std::string mismatch);

} // namespace berth::ops
