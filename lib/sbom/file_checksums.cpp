#include "sbom/file_checksums.hpp"

#include <berth/error.hpp>

#include "core/crypto.hpp"
#include "core/md_ctx.hpp"

#include <openssl/evp.h>

namespace berth::sbom {

namespace {
using core::MdCtx;

MdCtx new_ctx(const EVP_MD *md) {
  MdCtx c(EVP_MD_CTX_new());
  if (!c || EVP_DigestInit_ex(c.get(), md, nullptr) != 1)
    throw Error(Errc::internal, "cannot start a digest");
  return c;
}

std::string finish_one(EVP_MD_CTX *c, const EVP_MD *md) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  if (EVP_DigestFinal_ex(c, out, &len) != 1 || EVP_DigestInit_ex(c, md, nullptr) != 1)
    throw Error(Errc::internal, "cannot finish a digest");
  return core::hex(out, len);
}
} // namespace

struct FileChecksums::Ctx {
  MdCtx sha1 = new_ctx(EVP_sha1());
  MdCtx sha256 = new_ctx(EVP_sha256());
};

FileChecksums::FileChecksums() : ctx_(std::make_unique<Ctx>()) {}
FileChecksums::~FileChecksums() = default;

void FileChecksums::update(const void *data, std::size_t len) {
  if (len == 0) return;
  if (EVP_DigestUpdate(ctx_->sha1.get(), data, len) != 1 ||
      EVP_DigestUpdate(ctx_->sha256.get(), data, len) != 1)
    throw Error(Errc::internal, "digest update failed");
}

Checksums FileChecksums::finish() {
  Checksums c;
  c.sha1 = finish_one(ctx_->sha1.get(), EVP_sha1());
  c.sha256 = finish_one(ctx_->sha256.get(), EVP_sha256());
  return c;
}

} // namespace berth::sbom
