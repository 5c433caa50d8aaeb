// The C ABI of cosign-compatible signing and verification.
#include "capi/copy_options.hpp"
#include "capi/guard.hpp"

#include <berth/sign.hpp>

#include "core/json.hpp"

using namespace berth;
using berth::capi::guard;
using berth::capi::require;

extern "C" {

BERTH_API int berth_sign(char **out_digest, const char *ref, const char *key_path,
                         const char *password, const berth_copy_options *opts) {
  if (out_digest) *out_digest = nullptr;
  return guard([&] {
    require(ref != nullptr && key_path != nullptr, "ref and key_path are required");
    auto signer = load_signing_key(key_path, password ? password : "");
    SignOptions o;
    o.access = capi::to_copy_options(opts).dst;
    auto r = sign_image(ref, *signer, o);
    if (out_digest) *out_digest = capi::dup_for_caller(r.digest);
  });
}

BERTH_API int berth_attest(char **out_digest, const char *ref, const char *key_path,
                           const char *password, const char *predicate_type,
                           const char *predicate_json, const berth_copy_options *opts) {
  if (out_digest) *out_digest = nullptr;
  return guard([&] {
    require(ref != nullptr && key_path != nullptr && predicate_type != nullptr &&
                predicate_json != nullptr,
            "ref, key_path, predicate_type and predicate_json are required");
    auto signer = load_signing_key(key_path, password ? password : "");
    SignOptions o;
    o.access = capi::to_copy_options(opts).dst;
    auto r = attest_image(ref, *signer, predicate_type, predicate_json, o);
    if (out_digest) *out_digest = capi::dup_for_caller(r.digest);
  });
}

BERTH_API int berth_verify(char **out_json, const char *ref, const char *public_key_path,
                           const berth_copy_options *opts) {
  if (out_json) *out_json = nullptr;
  return guard([&] {
    require(ref != nullptr && public_key_path != nullptr, "ref and public_key_path are required");
    VerifyOptions o;
    o.access = capi::to_copy_options(opts).src;
    auto r = verify_image(ref, public_key_path, o);
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
    *out_json = capi::dup_for_caller(w.str());
  });
}

} // extern "C"
