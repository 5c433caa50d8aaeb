#include "image/digester.hpp"

#include <berth/error.hpp>

#include "core/crypto.hpp"
#include "core/md_ctx.hpp"

#include <openssl/evp.h>

#include <array>
#include <optional>

namespace berth::image {
namespace {

// Fetched once: OpenSSL 3 otherwise repeats the provider look-up per use.
const EVP_MD *sha512_md() {
  static EVP_MD *md = EVP_MD_fetch(nullptr, "SHA512", nullptr);
  if (md == nullptr) throw Error(Errc::internal, "OpenSSL: SHA512 unavailable");
  return md;
}

} // namespace

struct Digester::Impl {
  std::string algorithm;
  std::optional<core::Sha256> sha256; // the common case, shared with core
  core::MdCtx sha512;                 // sha512 blobs are rare
};

Digester::Digester(const std::string &algorithm) : impl_(std::make_unique<Impl>()) {
  impl_->algorithm = algorithm;
  if (algorithm == "sha256") {
    impl_->sha256.emplace();
  } else if (algorithm == "sha512") {
    impl_->sha512.reset(EVP_MD_CTX_new());
    if (!impl_->sha512 || EVP_DigestInit_ex(impl_->sha512.get(), sha512_md(), nullptr) != 1)
      throw Error(Errc::internal, "OpenSSL: SHA512 init failed");
  } else {
    throw Error(Errc::unsupported, "unsupported digest algorithm '" + algorithm + "'");
  }
}

Digester::~Digester() = default;
Digester::Digester(Digester &&) noexcept = default;
Digester &Digester::operator=(Digester &&) noexcept = default;

void Digester::update(const char *data, std::size_t len) {
  if (impl_->sha256) {
    impl_->sha256->update(data, len);
  } else if (EVP_DigestUpdate(impl_->sha512.get(), data, len) != 1) {
    throw Error(Errc::internal, "OpenSSL: SHA512 update failed");
  }
}

std::string Digester::finish() {
  if (impl_->sha256) return "sha256:" + impl_->sha256->finish_hex();
  std::array<unsigned char, 64> out{};
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(impl_->sha512.get(), out.data(), &len) != 1 || len != out.size())
    throw Error(Errc::internal, "OpenSSL: SHA512 final failed");
  return "sha512:" + core::hex(out.data(), out.size());
}

} // namespace berth::image
