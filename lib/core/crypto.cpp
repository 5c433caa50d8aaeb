#include "core/crypto.hpp"

#include <berth/error.hpp>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

namespace berth::core {
namespace {

// Explicitly fetched algorithms: OpenSSL 3 otherwise repeats the provider look-up on
// every EVP_sha256() use, which dominated signing time in profiles.
const EVP_MD *sha256_md() {
  static EVP_MD *md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  if (md == nullptr) throw Error(Errc::internal, "OpenSSL: SHA256 unavailable");
  return md;
}

EVP_MAC *hmac_mac() {
  static EVP_MAC *mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (mac == nullptr) throw Error(Errc::internal, "OpenSSL: HMAC unavailable");
  return mac;
}

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX *c) const noexcept { EVP_MD_CTX_free(c); }
};
struct MacCtxDeleter {
  void operator()(EVP_MAC_CTX *c) const noexcept { EVP_MAC_CTX_free(c); }
};

} // namespace

std::string hex(const unsigned char *data, std::size_t len) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(len * 2, '\0');
  for (std::size_t i = 0; i < len; ++i) {
    out[2 * i] = digits[data[i] >> 4];
    out[2 * i + 1] = digits[data[i] & 0xf];
  }
  return out;
}

Sha256Bytes sha256(std::string_view data) {
  Sha256Bytes out{};
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, sha256_md(), nullptr) != 1)
    throw Error(Errc::internal, "OpenSSL: SHA256 failed");
  return out;
}

std::string sha256_hex(std::string_view data) {
  return hex(sha256(data));
}

Sha256Bytes hmac_sha256(std::string_view key, std::string_view data) {
  // The digest parameter is constant; building it once avoids re-parsing per call.
  static char digest_name[] = "SHA256";
  static const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
      OSSL_PARAM_construct_end()};
  std::unique_ptr<EVP_MAC_CTX, MacCtxDeleter> ctx(EVP_MAC_CTX_new(hmac_mac()));
  Sha256Bytes out{};
  std::size_t len = 0;
  if (!ctx ||
      EVP_MAC_init(ctx.get(), reinterpret_cast<const unsigned char *>(key.data()), key.size(),
                   params) != 1 ||
      EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char *>(data.data()),
                     data.size()) != 1 ||
      EVP_MAC_final(ctx.get(), out.data(), &len, out.size()) != 1)
    throw Error(Errc::internal, "OpenSSL: HMAC-SHA256 failed");
  return out;
}

struct Sha256::Ctx {
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> md{EVP_MD_CTX_new()};
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
