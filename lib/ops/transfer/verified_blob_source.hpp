// Blob bytes checked against their descriptor as they pass, so that a lying source
// fails a copy before the upload is committed, whatever the destination checks.
// Registries verify at the final PUT too, but not every registry does, and a copy
// must not depend on that.
#pragma once

#include <berth/manifest.hpp>

#include "image/digester.hpp"
#include "registry/registry.hpp"

#include <memory>
#include <optional>

namespace berth::ops {

// Hashes a blob's bytes in order. absorb() throws Error(digest_mismatch) with the
// byte that completes a blob of the wrong digest — before the caller hands that byte
// on — and when more bytes arrive than d.size; end() when the stream stopped short.
class BlobVerifier {
public:
  // Error(unsupported) for a digest algorithm berth cannot compute.
  explicit BlobVerifier(image::Descriptor d);
  void absorb(const char *data, std::size_t n);
  void end();
  std::uint64_t position() const { return position_; }
  bool complete() const { return checked_; }

private:
  std::uint64_t size() const;
  void check();

  image::Descriptor d_;
  image::Digester hash_;
  std::uint64_t position_ = 0;
  bool checked_ = false;
};

// A BlobSource whose readers verify. The readers one upload opens in turn share one
// digest: a reader opened where the previous one stopped (the next chunk) goes on
// hashing; one opened further back (an upload resumed from the registry's offset)
// hashes the blob again from its start, reading the bytes before its offset without
// handing them on.
std::unique_ptr<registry::BlobSource> verified(std::unique_ptr<registry::BlobSource> inner,
                                               const image::Descriptor &d);

} // namespace berth::ops
