#include "sign/signing_key.hpp"

#include <berth/error.hpp>

#include "core/base64.hpp"
#include "core/file.hpp"
#include "core/json.hpp"
#include "core/md_ctx.hpp"

#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sodium.h>

#include <vector>

namespace berth::sign {
namespace {

struct PkeyDeleter {
  void operator()(EVP_PKEY *k) const noexcept { EVP_PKEY_free(k); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
struct BioDeleter {
  void operator()(BIO *b) const noexcept { BIO_free(b); }
};

// Files that hold keys are small; anything bigger is not one.
constexpr std::size_t kMaxKeyFile = 64 * 1024;

// The body of the first PEM block of `type` ("" when there is none).
std::string pem_body(std::string_view text, std::string_view type) {
  std::string begin = "-----BEGIN " + std::string(type) + "-----";
  std::string end = "-----END " + std::string(type) + "-----";
  auto b = text.find(begin);
  if (b == std::string_view::npos) return {};
  auto e = text.find(end, b);
  if (e == std::string_view::npos) return {};
  std::string body;
  for (char c : text.substr(b + begin.size(), e - b - begin.size()))
    if (c != '\n' && c != '\r' && c != ' ') body += c;
  return body;
}

std::string decode(std::string_view b64, const char *what) {
  auto out = core::base64_decode(b64);
  if (!out) throw Error(Errc::config, std::string("key file: ") + what + " is not base64");
  return *out;
}

// cosign's encrypted key: JSON {kdf: {name: scrypt, params: {N, r, p}, salt},
// cipher: {name: nacl/secretbox, nonce}, ciphertext} around a PKCS#8 DER key.
std::string decrypt_sigstore_key(const std::string &json, const std::string &password) {
  auto doc = core::json::parse(json, "the encrypted key");
  // The document may be any JSON value: find() reads a non-object as empty.
  const auto *kdf = core::json::find(doc, "kdf");
  const auto *cipher = core::json::find(doc, "cipher");
  if (!kdf || !cipher || !kdf->IsObject() || !cipher->IsObject())
    throw Error(Errc::config, "key file: the encrypted key lacks kdf or cipher");
  if (core::json::get_string(*kdf, "name") != "scrypt" ||
      core::json::get_string(*cipher, "name") != "nacl/secretbox")
    throw Error(Errc::unsupported, "key file: only scrypt + nacl/secretbox keys are read");
  const auto *params = core::json::find(*kdf, "params");
  if (!params) throw Error(Errc::config, "key file: the kdf has no params");
  auto n = core::json::get_int(*params, "N");
  auto r = core::json::get_int(*params, "r");
  auto p = core::json::get_int(*params, "p");
  // cosign uses N = 2^15, r = 8, p = 1; refuse what would take minutes or gigabytes.
  if (n < 2 || (n & (n - 1)) != 0 || n > (1 << 20) || r < 1 || r > 32 || p < 1 || p > 16)
    throw Error(Errc::config, "key file: scrypt parameters out of range");
  auto salt = decode(core::json::get_string(*kdf, "salt"), "the salt");
  auto nonce = decode(core::json::get_string(*cipher, "nonce"), "the nonce");
  auto box = decode(core::json::get_string(doc, "ciphertext"), "the ciphertext");
  if (nonce.size() != crypto_secretbox_NONCEBYTES || box.size() < crypto_secretbox_MACBYTES)
    throw Error(Errc::config, "key file: malformed secretbox");

  unsigned char key[crypto_secretbox_KEYBYTES];
  if (EVP_PBE_scrypt(password.data(), password.size(),
                     reinterpret_cast<const unsigned char *>(salt.data()), salt.size(),
                     static_cast<std::uint64_t>(n), static_cast<std::uint64_t>(r),
                     static_cast<std::uint64_t>(p), 1ull << 30, key, sizeof key) != 1)
    throw Error(Errc::internal, "scrypt failed");
  std::string plain(box.size() - crypto_secretbox_MACBYTES, '\0');
  int rc =
      crypto_secretbox_open_easy(reinterpret_cast<unsigned char *>(plain.data()),
                                 reinterpret_cast<const unsigned char *>(box.data()), box.size(),
                                 reinterpret_cast<const unsigned char *>(nonce.data()), key);
  sodium_memzero(key, sizeof key);
  if (rc != 0) throw Error(Errc::auth, "key file: wrong password (or a corrupt key)");
  return plain;
}

Pkey parse_private(const std::string &text, const std::string &password) {
  for (const char *type : {"ENCRYPTED SIGSTORE PRIVATE KEY", "ENCRYPTED COSIGN PRIVATE KEY"}) {
    auto body = pem_body(text, type);
    if (body.empty()) continue;
    auto der = decrypt_sigstore_key(decode(body, "the PEM body"), password);
    const auto *p = reinterpret_cast<const unsigned char *>(der.data());
    Pkey key(d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(der.size())));
    sodium_memzero(der.data(), der.size());
    if (!key) throw Error(Errc::config, "key file: the decrypted key is no PKCS#8 key");
    return key;
  }
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  Pkey key(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, const_cast<char *>(password.c_str())));
  if (!key)
    throw Error(Errc::config, "key file holds no private key berth reads (cosign's "
                              "encrypted key, or a PEM EC private key)");
  return key;
}

void require_p256(EVP_PKEY *k) {
  char group[64] = {0};
  std::size_t len = 0;
  if (EVP_PKEY_get_base_id(k) != EVP_PKEY_EC ||
      EVP_PKEY_get_utf8_string_param(k, "group", group, sizeof group, &len) != 1 ||
      std::string(group) != "prime256v1")
    throw Error(Errc::unsupported, "only ECDSA P-256 keys are supported (as cosign makes them)");
}

class KeySigner final : public Signer {
public:
  explicit KeySigner(Pkey key) : key_(std::move(key)) {}
  std::string sign(std::string_view payload) override {
    core::MdCtx ctx(EVP_MD_CTX_new());
    std::size_t len = 0;
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_.get()) != 1 ||
        EVP_DigestSign(ctx.get(), nullptr, &len,
                       reinterpret_cast<const unsigned char *>(payload.data()),
                       payload.size()) != 1)
      throw Error(Errc::internal, "ECDSA signing failed");
    std::string sig(len, '\0');
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char *>(sig.data()), &len,
                       reinterpret_cast<const unsigned char *>(payload.data()),
                       payload.size()) != 1)
      throw Error(Errc::internal, "ECDSA signing failed");
    sig.resize(len);
    return sig;
  }
  std::string public_key_pem() const override {
    std::unique_ptr<BIO, BioDeleter> bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_PUBKEY(bio.get(), key_.get()) != 1)
      throw Error(Errc::internal, "cannot write the public key");
    char *data = nullptr;
    long n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(n));
  }

private:
  Pkey key_;
};

} // namespace

std::unique_ptr<Signer> load_private_key(const std::string &path, const std::string &password) {
  if (sodium_init() < 0) throw Error(Errc::internal, "libsodium failed to initialise");
  auto text = core::read_small_file(path, kMaxKeyFile);
  auto key = parse_private(text, password);
  require_p256(key.get());
  return std::make_unique<KeySigner>(std::move(key));
}

struct Verifier::Impl {
  Pkey key;
};

Verifier::Verifier(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Verifier::~Verifier() = default;
Verifier::Verifier(Verifier &&) noexcept = default;
Verifier &Verifier::operator=(Verifier &&) noexcept = default;

Verifier Verifier::from_file(const std::string &path) {
  return from_pem(core::read_small_file(path, kMaxKeyFile));
}

Verifier Verifier::from_pem(std::string_view pem) {
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  Pkey key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (!key) throw Error(Errc::config, "the public key file holds no PEM public key");
  require_p256(key.get());
  auto impl = std::make_unique<Impl>();
  impl->key = std::move(key);
  return Verifier(std::move(impl));
}

bool Verifier::verify(std::string_view payload, std::string_view der_signature) const {
  core::MdCtx ctx(EVP_MD_CTX_new());
  if (!ctx ||
      EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, impl_->key.get()) != 1)
    throw Error(Errc::internal, "ECDSA verification failed to start");
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char *>(der_signature.data()),
                          der_signature.size(),
                          reinterpret_cast<const unsigned char *>(payload.data()),
                          payload.size()) == 1;
}

} // namespace berth::sign

namespace berth {

std::unique_ptr<Signer> load_signing_key(const std::string &path, const std::string &password) {
  return sign::load_private_key(path, password);
}

} // namespace berth
