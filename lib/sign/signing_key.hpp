// ECDSA keys for image signatures, in the files cosign reads and writes:
//   - private keys: "ENCRYPTED SIGSTORE PRIVATE KEY" / "ENCRYPTED COSIGN PRIVATE KEY"
//     (what `cosign generate-key-pair` writes: scrypt + NaCl secretbox around a PKCS#8
//     key), or plain PEM ("PRIVATE KEY", "EC PRIVATE KEY");
//   - public keys: "PUBLIC KEY" (SubjectPublicKeyInfo).
// Signatures are ASN.1 DER ECDSA over SHA-256, as cosign makes them.
#pragma once

#include <berth/sign.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace berth::sign {

// A private key file; password may be "" (cosign's empty password). Error(auth) for a
// wrong password, Error(config) for a file that is no key berth reads.
std::unique_ptr<Signer> load_private_key(const std::string &path, const std::string &password);

class Verifier {
public:
  // A "PUBLIC KEY" PEM file (or a private key file's public half is not accepted:
  // verification takes what a signer publishes).
  static Verifier from_file(const std::string &path);
  static Verifier from_pem(std::string_view pem);
  ~Verifier();
  Verifier(Verifier &&) noexcept;
  Verifier &operator=(Verifier &&) noexcept;
  // True when der_signature is this key's ECDSA/SHA-256 signature of payload.
  bool verify(std::string_view payload, std::string_view der_signature) const;

private:
  struct Impl;
  explicit Verifier(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

} // namespace berth::sign
