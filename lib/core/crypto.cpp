#include "core/crypto.hpp"

#include <berth/error.hpp>

#include "core/md_ctx.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cstring>

namespace berth::core {
namespace {

// Explicitly fetched algorithm: OpenSSL 3 otherwise repeats the provider look-up on
// every EVP_sha256() use, which dominated signing time in profiles.
const EVP_MD *sha256_md() {
  static EVP_MD *md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  if (md == nullptr) throw Error(Errc::internal, "OpenSSL: SHA256 unavailable");
  return md;
}

// One reusable context per thread: creating and freeing an EVP_MD_CTX per call cost
// as much as hashing a SigV4-sized input. Every user starts it with
// EVP_DigestInit_ex or EVP_MD_CTX_copy_ex, so no state leaks from one use to the next.
EVP_MD_CTX *thread_ctx() {
  thread_local MdCtx ctx(EVP_MD_CTX_new());
  if (!ctx) throw Error(Errc::no_memory, "OpenSSL: EVP_MD_CTX_new failed");
  return ctx.get();
}

void digest_update(EVP_MD_CTX *ctx, const void *data, std::size_t len) {
  if (EVP_DigestUpdate(ctx, data, len) != 1)
    throw Error(Errc::internal, "OpenSSL: SHA256 update failed");
}

void digest_final(EVP_MD_CTX *ctx, unsigned char *out) {
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx, out, &len) != 1 || len != 32)
    throw Error(Errc::internal, "OpenSSL: SHA256 final failed");
}

void digest_init(EVP_MD_CTX *ctx) {
  if (EVP_DigestInit_ex(ctx, sha256_md(), nullptr) != 1)
    throw Error(Errc::internal, "OpenSSL: SHA256 init failed");
}

constexpr std::size_t kBlock = 64; // SHA-256 block size

// HMAC's key block (RFC 2104): keys longer than a block are hashed first.
struct PadBlocks {
  unsigned char ipad[kBlock];
  unsigned char opad[kBlock];

  explicit PadBlocks(std::string_view key) {
    unsigned char block[kBlock] = {};
    if (key.size() > kBlock) {
      auto h = sha256(key);
      std::memcpy(block, h.data(), h.size());
    } else if (!key.empty()) {
      std::memcpy(block, key.data(), key.size());
    }
    for (std::size_t i = 0; i < kBlock; ++i) {
      ipad[i] = static_cast<unsigned char>(block[i] ^ 0x36);
      opad[i] = static_cast<unsigned char>(block[i] ^ 0x5c);
    }
    OPENSSL_cleanse(block, sizeof block);
  }
  ~PadBlocks() {
    OPENSSL_cleanse(ipad, sizeof ipad);
    OPENSSL_cleanse(opad, sizeof opad);
  }
  PadBlocks(const PadBlocks &) = delete;
  PadBlocks &operator=(const PadBlocks &) = delete;
};

} // namespace

void hex_to(char *out, const unsigned char *data, std::size_t len) noexcept {
  // Both digits of every byte value, so each byte is one table load.
  static constexpr auto pairs = [] {
    constexpr char digits[] = "0123456789abcdef";
    std::array<char, 512> t{};
    for (std::size_t b = 0; b < 256; ++b) {
      t[2 * b] = digits[b >> 4];
      t[2 * b + 1] = digits[b & 0xf];
    }
    return t;
  }();
  for (std::size_t i = 0; i < len; ++i)
    std::memcpy(out + 2 * i, pairs.data() + 2 * data[i], 2);
}

std::string hex(const unsigned char *data, std::size_t len) {
  std::string out(len * 2, '\0');
  hex_to(out.data(), data, len);
  return out;
}

Sha256Bytes sha256(std::string_view data) {
  Sha256Bytes out{};
  EVP_MD_CTX *ctx = thread_ctx();
  digest_init(ctx);
  digest_update(ctx, data.data(), data.size());
  digest_final(ctx, out.data());
  return out;
}

std::string sha256_hex(std::string_view data) {
  auto digest = sha256(data);
  std::string out(64, '\0');
  hex_to(out.data(), digest.data(), digest.size());
  return out;
}

Sha256Bytes hmac_sha256(std::string_view key, std::string_view data) {
  PadBlocks pads(key);
  Sha256Bytes inner{}, out{};
  EVP_MD_CTX *ctx = thread_ctx();
  digest_init(ctx);
  digest_update(ctx, pads.ipad, kBlock);
  digest_update(ctx, data.data(), data.size());
  digest_final(ctx, inner.data());
  digest_init(ctx);
  digest_update(ctx, pads.opad, kBlock);
  digest_update(ctx, inner.data(), inner.size());
  digest_final(ctx, out.data());
  OPENSSL_cleanse(inner.data(), inner.size());
  return out;
}

struct HmacSha256Key::State {
  MdCtx inner{EVP_MD_CTX_new()}; // SHA-256 after the ipad block
  MdCtx outer{EVP_MD_CTX_new()}; // SHA-256 after the opad block
};

HmacSha256Key::HmacSha256Key(std::string_view key) : state_(std::make_unique<State>()) {
  if (!state_->inner || !state_->outer)
    throw Error(Errc::no_memory, "OpenSSL: EVP_MD_CTX_new failed");
  PadBlocks pads(key);
  digest_init(state_->inner.get());
  digest_update(state_->inner.get(), pads.ipad, kBlock);
  digest_init(state_->outer.get());
  digest_update(state_->outer.get(), pads.opad, kBlock);
}

HmacSha256Key::~HmacSha256Key() = default;

Sha256Bytes HmacSha256Key::mac(std::string_view data) const {
  Sha256Bytes inner{}, out{};
  EVP_MD_CTX *ctx = thread_ctx();
  // Copying only reads the precomputed states, so threads may share this key.
  if (EVP_MD_CTX_copy_ex(ctx, state_->inner.get()) != 1)
    throw Error(Errc::internal, "OpenSSL: SHA256 copy failed");
  digest_update(ctx, data.data(), data.size());
  digest_final(ctx, inner.data());
  if (EVP_MD_CTX_copy_ex(ctx, state_->outer.get()) != 1)
    throw Error(Errc::internal, "OpenSSL: SHA256 copy failed");
  digest_update(ctx, inner.data(), inner.size());
  digest_final(ctx, out.data());
  return out;
}

struct Sha256::Ctx {
  MdCtx md{EVP_MD_CTX_new()};
};

Sha256::Sha256() : ctx_(std::make_unique<Ctx>()) {
  if (!ctx_->md || EVP_DigestInit_ex(ctx_->md.get(), sha256_md(), nullptr) != 1)
    throw Error(Errc::internal, "OpenSSL: SHA256 init failed");
}
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256 &&) noexcept = default;
Sha256 &Sha256::operator=(Sha256 &&) noexcept = default;

void Sha256::update(const void *data, std::size_t len) {
  if (EVP_DigestUpdate(ctx_->md.get(), data, len) != 1)
    throw Error(Errc::internal, "OpenSSL: SHA256 update failed");
}

Sha256Bytes Sha256::finish() {
  Sha256Bytes out{};
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_->md.get(), out.data(), &len) != 1)
    throw Error(Errc::internal, "OpenSSL: SHA256 final failed");
  return out;
}

} // namespace berth::core
