// A pass-through sink that hashes and counts what goes through it: the digest and
// size of a compressed blob, or the diffID of a layer's tar stream.
#pragma once

#include "core/crypto.hpp"
#include "core/stream.hpp"

#include <cstdint>
#include <string>

namespace berth::layer {

// Bytes are hashed on the thread that writes them and then forwarded to `out`.
// finish() seals the hash and finishes `out`; a second call does nothing.
class HashingSink final : public core::ByteSink {
public:
  explicit HashingSink(core::ByteSink &out);

  void write(const char *data, std::size_t len) override;
  using ByteSink::write;
  void finish() override;

  // "sha256:<hex>" of everything written; Error(internal) before finish().
  std::string digest();
  // Bytes written so far.
  std::uint64_t size() const { return size_; }
  bool finished() const { return finished_; }

private:
  core::ByteSink &out_;
  core::Sha256 hash_;
  std::uint64_t size_ = 0;
  std::string digest_;
  bool sealed_ = false;   // hash finalised; no more writes
  bool finished_ = false; // and `out` finished
};

} // namespace berth::layer
