// Image signatures compatible with cosign (sigstore): `berth sign` makes the
// signatures `cosign verify --key` accepts, and `berth verify` checks the ones
// `cosign sign --key` makes. The signature is stored as cosign stores it: a manifest
// tagged "sha256-<hex>.sig" in the image's repository whose layers are "simple
// signing" payloads, each signed in its "dev.cosignproject.cosign/signature"
// annotation. Keyless (Fulcio) and transparency-log entries are not made or checked.
#pragma once

#include <berth/copy.hpp>

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace berth {

// What signs. The key-file signer implements it; an AWS KMS or AWS Signer key can too
// (a signer that never holds the private key).
class Signer {
public:
  virtual ~Signer() = default;
  // ASN.1 DER ECDSA P-256 signature of SHA-256(payload).
  virtual std::string sign(std::string_view payload) = 0;
  // The public key, PEM ("PUBLIC KEY").
  virtual std::string public_key_pem() const = 0;
};

// A cosign private key file (encrypted with password, which may be empty) or a plain
// PEM EC key. Throws Error(auth) for a wrong password, Error(config) for other files.
std::unique_ptr<Signer> load_signing_key(const std::string &path, const std::string &password);

struct SignOptions {
  RegistryAccess access;
  // Extra annotations of the signature (cosign sign -a KEY=VALUE): in the payload's
  // "optional" object.
  std::map<std::string, std::string> annotations;
};

struct SignResult {
  std::string digest;           // of the image signed
  std::string signature_ref;    // where the signature lives: REPO:sha256-<hex>.sig
  std::string signature_digest; // of the signature manifest written
};

// Signs the image at ref (a registry reference or oci:DIR[:TAG]): the image itself
// is unchanged; its signature manifest gains a layer.
SignResult sign_image(const std::string &ref, Signer &signer, const SignOptions &options = {});

// Attaches an in-toto attestation (an SBOM, provenance: `predicate_json` of
// `predicate_type`, e.g. "https://spdx.dev/Document") about the image at ref, in a
// DSSE envelope signed by signer, where `cosign verify-attestation --key` finds it
// (tag "sha256-<hex>.att").
SignResult attest_image(const std::string &ref, Signer &signer, const std::string &predicate_type,
                        const std::string &predicate_json, const SignOptions &options = {});

// Attaches the same in-toto statement unsigned, as an OCI 1.1 referrer of the image
// (artifactType "application/vnd.in-toto+json", the statement as its one layer,
// annotation "in-toto.io/predicate-type"): what `berth build --sbom/--provenance`
// does without a key. Registries list it through the referrers API or its tag
// scheme, layouts as an untagged index.json entry; copies carry it. Nothing signs
// it, so consumers that need trust use attest_image instead. signature_ref in the
// result is REF@<artifact digest>.
SignResult attach_attestation(const std::string &ref, const std::string &predicate_type,
                              const std::string &predicate_json, const SignOptions &options = {});

struct VerifyOptions {
  RegistryAccess access;
};

struct VerifyResult {
  std::string digest;                // of the image verified
  int signatures = 0;                // signature layers found
  int valid = 0;                     // of them, signed by the key, for this digest
  std::vector<std::string> payloads; // the valid ones' payload JSON
};

// Checks the image's signatures against the public key file (PEM). Throws
// Error(gate_failed) when none is valid (unsigned, wrong key, tampered payload or
// another image's signature); never writes anything.
VerifyResult verify_image(const std::string &ref, const std::string &public_key_path,
                          const VerifyOptions &options = {});

} // namespace berth
