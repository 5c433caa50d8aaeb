// An owned OpenSSL EVP_MD_CTX (message-digest context), freed with EVP_MD_CTX_free.
#pragma once

#include <openssl/evp.h>

#include <memory>

namespace berth::core {

struct MdCtxFree {
  void operator()(EVP_MD_CTX *c) const noexcept { EVP_MD_CTX_free(c); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

} // namespace berth::core
