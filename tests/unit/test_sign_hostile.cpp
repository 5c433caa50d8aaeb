// Signing keys and signature payloads that are valid JSON but no object: the key
// reader and verify_image read them as "not what we expected" instead of calling
// rapidjson's FindMember on a number (undefined behaviour; an assertion with asserts).
#include <doctest/doctest.h>

#include <berth/error.hpp>
#include <berth/layout.hpp>
#include <berth/sign.hpp>

#include "core/base64.hpp"
#include "test_util.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <filesystem>
#include <fstream>
#include <stdlib.h>

using namespace berth;
namespace fs = std::filesystem;
using berth::test::TempDir;

namespace {

Errc code_of(const std::function<void()> &f) {
  try {
    f();
  } catch (const Error &e) {
    return e.code();
  }
  return Errc::ok;
}

// A plain PEM P-256 key, as `openssl genpkey` writes it.
void write_ec_key(const fs::path &path) {
  EVP_PKEY *key = EVP_EC_gen("P-256");
  REQUIRE(key != nullptr);
  BIO *out = BIO_new_file(path.c_str(), "w");
  REQUIRE(out != nullptr);
  CHECK(PEM_write_bio_PrivateKey(out, key, nullptr, nullptr, 0, nullptr, nullptr) == 1);
  BIO_free(out);
  EVP_PKEY_free(key);
}

image::Descriptor put(layout::OciLayout &layout, std::string_view media_type,
                      const std::string &blob) {
  image::Descriptor d;
  d.media_type = media_type;
  d.digest = layout.write_blob(std::string_view(blob));
  d.size = static_cast<std::int64_t>(blob.size());
  return d;
}

std::string manifest_with(const image::Descriptor &config,
                          const std::vector<image::Descriptor> &layers) {
  std::string m = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
                  R"("config":)" +
                  config.to_json() + R"(,"layers":[)";
  for (std::size_t i = 0; i < layers.size(); ++i) {
    if (i > 0) m += ',';
    m += layers[i].to_json();
  }
  return m + "]}";
}

} // namespace

TEST_CASE("signing key: an encrypted key that is no JSON object") {
  TempDir tmp;
  const auto path = (tmp.path / "cosign.key").string();
  for (const char *json : {"5", "[1]", "\"s\"", "null", R"({"kdf":5,"cipher":{}})"}) {
    CAPTURE(json);
    std::ofstream(path, std::ios::trunc)
        << "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"
        << core::base64_encode(json) << "\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n";
    CHECK(code_of([&] { (void)load_signing_key(path, ""); }) == Errc::config);
  }
}

TEST_CASE("verify: a validly signed payload that is no JSON object") {
  TempDir tmp;
  write_ec_key(tmp.path / "key.pem");
  auto signer = load_signing_key((tmp.path / "key.pem").string(), "");
  std::ofstream(tmp.path / "key.pub") << signer->public_key_pem();

  // An image, and a signature manifest (cosign's tag) whose payloads are signed by the
  // key but are no simple-signing objects.
  auto layout = layout::OciLayout::create((tmp.path / "oci").string());
  auto config = put(layout, image::media::oci_config, "{}");
  auto image = put(layout, image::media::oci_manifest, manifest_with(config, {}));
  layout.add_manifest(image, "img");
  std::vector<image::Descriptor> payloads;
  for (const std::string payload : {"5", "[1]", R"({"critical":5})",
                                    R"({"critical":{"type":)"
                                    R"("cosign container image )"
                                    R"(signature","image":5}})"}) {
    auto d = put(layout, "application/vnd.dev.cosign.simplesigning.v1+json", payload);
    d.annotations["dev.cosignproject.cosign/signature"] =
        core::base64_encode(signer->sign(payload));
    payloads.push_back(d);
  }
  auto signatures = put(layout, image::media::oci_manifest, manifest_with(config, payloads));
  layout.add_manifest(signatures, "sha256-" + image.digest.substr(7) + ".sig");

  try {
    (void)verify_image("oci:" + (tmp.path / "oci").string() + ":img",
                       (tmp.path / "key.pub").string());
    FAIL("verified");
  } catch (const Error &e) {
    CHECK(e.code() == Errc::gate_failed);
    CHECK(std::string(e.what()).find("none of 4 signature(s) is valid") != std::string::npos);
  }
}
