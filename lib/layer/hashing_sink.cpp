#include "layer/hashing_sink.hpp"

#include <berth/error.hpp>

namespace berth::layer {

HashingSink::HashingSink(core::ByteSink &out) : out_(out) {}

void HashingSink::write(const char *data, std::size_t len) {
  if (sealed_) throw Error(Errc::internal, "HashingSink: write after finish");
  hash_.update(data, len);
  size_ += len;
  out_.write(data, len);
}

void HashingSink::finish() {
  // Sealed first: the bytes are all in, whatever finishing `out` does. Should that
  // throw, a second finish() tries `out` again rather than report success.
  if (!sealed_) {
    digest_ = "sha256:" + hash_.finish_hex();
    sealed_ = true;
  }
  if (finished_) return;
  out_.finish();
  finished_ = true;
}

std::string HashingSink::digest() {
  if (!finished_) throw Error(Errc::internal, "HashingSink: digest() before finish()");
  return digest_;
}

} // namespace berth::layer
