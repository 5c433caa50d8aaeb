// The C ABI of cosign-compatible signing and verification: berth_sign and
// berth_attest (berth_cosign_options), berth_verify (berth_verify_options).
#include "capi/guard.hpp"
#include "capi/registry_options.hpp"

#include <berth/sign.hpp>

#include "core/json.hpp"

using namespace berth;
using berth::capi::guard;
using berth::capi::require;
using berth::capi::str;

namespace {

struct CosignCall {
  std::shared_ptr<Signer> signer;
  SignOptions options;
};

CosignCall to_cosign_call(const char *key_path, const berth_cosign_options *opts) {
  const berth_cosign_options defaults = BERTH_COSIGN_OPTIONS_INIT;
  const auto &o = capi::options_or_defaults(opts, defaults, 1, BERTH_COSIGN_OPTIONS_VERSION,
                                            "berth_cosign_options");
  capi::check_timeout(o.timeout_ms, "berth_cosign_options.timeout_ms");
  CosignCall call;
  call.options.access =
      capi::to_registry_side(o.registry, "berth_cosign_options.registry", false, o.timeout_ms)
          .access;
  call.signer = load_signing_key(key_path, str(o.key_password));
  return call;
}

std::string signed_json(const std::string &digest, const char *key, const std::string &where) {
  core::json::StringWriter w;
  w.writer.StartObject();
  w.member("digest", digest);
  w.member(key, where);
  w.writer.EndObject();
  return w.str();
}

} // namespace

extern "C" {

BERTH_API int berth_cosign_options_init(berth_cosign_options *opts, uint32_t version) {
  return guard([&] {
    capi::init_options(opts, berth_cosign_options BERTH_COSIGN_OPTIONS_INIT, version, 1,
                       BERTH_COSIGN_OPTIONS_VERSION, "berth_cosign_options");
  });
}

BERTH_API int berth_verify_options_init(berth_verify_options *opts, uint32_t version) {
  return guard([&] {
    capi::init_options(opts, berth_verify_options BERTH_VERIFY_OPTIONS_INIT, version, 1,
                       BERTH_VERIFY_OPTIONS_VERSION, "berth_verify_options");
  });
}

BERTH_API int berth_sign(char **out_json, const char *ref, const char *key_path,
                         const berth_cosign_options *opts) {
  if (out_json) *out_json = nullptr;
  return guard([&] {
    require(ref != nullptr && key_path != nullptr, "ref and key_path are required");
    auto call = to_cosign_call(key_path, opts);
    auto r = sign_image(ref, *call.signer, call.options);
    capi::set_out(out_json, signed_json(r.digest, "signature", r.signature_ref));
  });
}

BERTH_API int berth_attest(char **out_json, const char *ref, const char *key_path,
                           const char *predicate_type, const char *predicate_json,
                           const berth_cosign_options *opts) {
  if (out_json) *out_json = nullptr;
  return guard([&] {
    require(ref != nullptr && key_path != nullptr && predicate_type != nullptr &&
                predicate_json != nullptr,
            "ref, key_path, predicate_type and predicate_json are required");
    auto call = to_cosign_call(key_path, opts);
    auto r = attest_image(ref, *call.signer, predicate_type, predicate_json, call.options);
    capi::set_out(out_json, signed_json(r.digest, "attestation", r.signature_ref));
  });
}

BERTH_API int berth_verify(char **out_json, const char *ref, const char *public_key_path,
                           const berth_verify_options *opts) {
  if (out_json) *out_json = nullptr;
  return guard([&] {
    require(ref != nullptr && public_key_path != nullptr, "ref and public_key_path are required");
    const berth_verify_options defaults = BERTH_VERIFY_OPTIONS_INIT;
    const auto &o = capi::options_or_defaults(opts, defaults, 1, BERTH_VERIFY_OPTIONS_VERSION,
                                              "berth_verify_options");
    capi::check_timeout(o.timeout_ms, "berth_verify_options.timeout_ms");
    VerifyOptions vo;
    vo.access =
        capi::to_registry_side(o.registry, "berth_verify_options.registry", false, o.timeout_ms)
            .access;
    auto r = verify_image(ref, public_key_path, vo);
    if (!out_json) return;
    core::json::StringWriter w;
    w.writer.StartObject();
    w.member("digest", r.digest);
    w.writer.Key("signatures");
    w.writer.Int(r.signatures);
    w.writer.Key("valid");
    w.writer.Int(r.valid);
    w.writer.Key("payloads");
    w.writer.StartArray();
    for (const auto &p : r.payloads)
      w.writer.RawValue(p.c_str(), p.size(), rapidjson::kObjectType);
    w.writer.EndArray();
    w.writer.EndObject();
    capi::set_out(out_json, w.str());
  });
}

} // extern "C"
