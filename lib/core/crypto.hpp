// SHA-256 and HMAC-SHA256 over OpenSSL's EVP interfaces, plus hex encoding.
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace berth::core {

using Sha256Bytes = std::array<unsigned char, 32>;

std::string hex(const unsigned char *data, std::size_t len);
inline std::string hex(const Sha256Bytes &b) {
  return hex(b.data(), b.size());
}
// Writes the 2 * len lower-case hex digits of data to out (no terminating NUL).
void hex_to(char *out, const unsigned char *data, std::size_t len) noexcept;

// One-shot digests run on a per-thread reused EVP_MD_CTX.
Sha256Bytes sha256(std::string_view data);
std::string sha256_hex(std::string_view data);

Sha256Bytes hmac_sha256(std::string_view key, std::string_view data);

// An HMAC-SHA256 key with its inner and outer pad states precomputed (RFC 2104): each
// mac() costs the message's blocks plus one, with no per-call key setup. mac() is
// const and thread-safe: it copies the states into a per-thread context.
class HmacSha256Key {
public:
  explicit HmacSha256Key(std::string_view key);
  ~HmacSha256Key();
  HmacSha256Key(const HmacSha256Key &) = delete;
  HmacSha256Key &operator=(const HmacSha256Key &) = delete;

  Sha256Bytes mac(std::string_view data) const;

private:
  struct State;
  std::unique_ptr<State> state_;
};

// Incremental SHA-256 for streams (blobs, layers): update as bytes pass, then finish.
class Sha256 {
public:
  Sha256();
  ~Sha256();
  Sha256(Sha256 &&) noexcept;
  Sha256 &operator=(Sha256 &&) noexcept;
  void update(const void *data, std::size_t len);
  void update(std::string_view s) { update(s.data(), s.size()); }
  Sha256Bytes finish();
  std::string finish_hex() { return hex(finish()); }

private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

} // namespace berth::core
