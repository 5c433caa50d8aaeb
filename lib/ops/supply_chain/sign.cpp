// berth sign / verify: cosign's signature layout ("sha256-<hex>.sig" manifests of
// simple-signing payloads), on registries and OCI layouts alike.
#include <berth/digest.hpp>
#include <berth/error.hpp>
#include <berth/manifest.hpp>
#include <berth/sign.hpp>

#include "core/base64.hpp"
#include "core/json.hpp"
#include "ops/transfer/endpoints.hpp"
#include "sign/signing_key.hpp"

#include <vector>

namespace berth {
namespace {

constexpr std::string_view kPayloadType = "application/vnd.dev.cosign.simplesigning.v1+json";
constexpr const char *kSignatureAnnotation = "dev.cosignproject.cosign/signature";
constexpr const char *kSignatureKind = "cosign container image signature";
// A payload is a few hundred bytes; a "signature" blob larger than this is refused.
constexpr std::size_t kMaxPayload = 1 << 20;

struct Target {
  ops::Location loc;
  std::string docker_reference; // what the payload names: HOST/REPO, or "" for layouts
  std::string signature_location;
};

// Where cosign keeps what it attaches to digest: tag "<alg>-<hex>.<suffix>" ("sig"
// for signatures, "att" for attestations) in the image's repository.
Target target_of(const std::string &ref, const std::string &digest,
                 const std::string &suffix = "sig") {
  Target t{ops::Location::parse(ref), {}, {}};
  auto d = image::Digest::parse(digest);
  std::string tag = d.algorithm() + "-" + d.hex() + "." + suffix;
  switch (t.loc.kind) {
  case ops::Location::Kind::registry:
    t.docker_reference = t.loc.ref.registry_host() + "/" + t.loc.ref.repository;
    t.signature_location = "docker://" + t.docker_reference + ":" + tag;
    break;
  case ops::Location::Kind::oci_layout:
    t.signature_location = "oci:" + t.loc.path + ":" + tag;
    break;
  default:
    throw Error(Errc::unsupported, "signatures live in registries and OCI layouts, not in " + ref);
  }
  return t;
}

std::string payload_for(const std::string &docker_reference, const std::string &digest,
                        const std::map<std::string, std::string> &annotations) {
  // Key order as cosign writes it; cosign checks the fields, not the bytes.
  core::json::StringWriter w;
  w.writer.StartObject();
  w.writer.Key("critical");
  w.writer.StartObject();
  w.writer.Key("identity");
  w.writer.StartObject();
  w.member("docker-reference", docker_reference);
  w.writer.EndObject();
  w.writer.Key("image");
  w.writer.StartObject();
  w.member("docker-manifest-digest", digest);
  w.writer.EndObject();
  w.member("type", kSignatureKind);
  w.writer.EndObject();
  w.writer.Key("optional");
  if (annotations.empty()) {
    w.writer.Null();
  } else {
    w.writer.StartObject();
    for (const auto &[k, v] : annotations)
      w.member(k, v);
    w.writer.EndObject();
  }
  w.writer.EndObject();
  return w.str();
}

// The signature manifest there is, or nullopt.
std::optional<image::Manifest> existing_signatures(const std::string &location,
                                                   const RegistryAccess &access) {
  try {
    auto src = ops::open_source(ops::Location::parse(location), access);
    auto m = src->manifest("");
    return image::parse_manifest(m.raw, m.media_type);
  } catch (const Error &e) {
    if (e.code() == Errc::not_found) return std::nullopt;
    throw;
  }
}

std::string config_for(const std::vector<image::Descriptor> &layers) {
  core::json::StringWriter w;
  w.writer.StartObject();
  w.member("architecture", "");
  w.member("created", "0001-01-01T00:00:00Z");
  w.writer.Key("history");
  w.writer.StartArray();
  w.writer.StartObject();
  w.member("created", "0001-01-01T00:00:00Z");
  w.writer.EndObject();
  w.writer.EndArray();
  w.member("os", "");
  w.writer.Key("rootfs");
  w.writer.StartObject();
  w.member("type", "layers");
  w.writer.Key("diff_ids");
  w.writer.StartArray();
  for (const auto &l : layers)
    w.string(l.digest);
  w.writer.EndArray();
  w.writer.EndObject();
  w.writer.Key("config");
  w.writer.StartObject();
  w.writer.EndObject();
  w.writer.EndObject();
  return w.str();
}

// Adds a layer holding `payload` to the manifest at `location` (made when missing),
// as cosign does for every signature and attestation; returns its new digest.
std::string append_layer(const std::string &location, const std::string &payload,
                         image::Descriptor layer, const RegistryAccess &access) {
  std::vector<image::Descriptor> layers;
  if (auto existing = existing_signatures(location, access)) layers = existing->layers;
  layer.digest = image::digest_of(payload);
  layer.size = static_cast<std::int64_t>(payload.size());
  layers.push_back(layer);

  auto config_raw = config_for(layers);
  image::Descriptor config;
  config.media_type = std::string(image::media::oci_config);
  config.digest = image::digest_of(config_raw);
  config.size = static_cast<std::int64_t>(config_raw.size());
  image::Manifest fields;
  fields.media_type = image::media::oci_manifest;
  fields.config = config;
  fields.layers = layers;
  auto manifest = image::Manifest::make(std::move(fields)).raw;

  auto dst = ops::open_destination(ops::Location::parse(location), access);
  dst->put_blob_bytes(payload);
  dst->put_blob_bytes(config_raw);
  dst->put_manifest(manifest, std::string(image::media::oci_manifest), true);
  return image::digest_of(manifest);
}

// DSSE's pre-authentication encoding: what is signed for an envelope.
std::string pae(std::string_view type, std::string_view body) {
  std::string out = "DSSEv1 ";
  out.append(std::to_string(type.size())).append(1, ' ').append(type).append(1, ' ');
  out.append(std::to_string(body.size())).append(1, ' ').append(body);
  return out;
}

// The in-toto statement: the predicate about this image (subject by digest).
std::string statement_for(const std::string &name, const std::string &digest,
                          const std::string &predicate_type,
                          const core::json::Document &predicate) {
  auto d = image::Digest::parse(digest);
  core::json::StringWriter st;
  st.writer.StartObject();
  st.member("_type", "https://in-toto.io/Statement/v0.1");
  st.member("predicateType", predicate_type);
  st.writer.Key("subject");
  st.writer.StartArray();
  st.writer.StartObject();
  st.member("name", name);
  st.writer.Key("digest");
  st.writer.StartObject();
  st.member(d.algorithm(), d.hex());
  st.writer.EndObject();
  st.writer.EndObject();
  st.writer.EndArray();
  st.writer.Key("predicate");
  predicate.Accept(st.writer);
  st.writer.EndObject();
  return st.str();
}

} // namespace

SignResult sign_image(const std::string &ref, Signer &signer, const SignOptions &options) {
  auto src = ops::open_source(ops::Location::parse(ref), options.access);
  auto top = src->manifest("");
  auto t = target_of(ref, top.digest);
  auto payload = payload_for(t.docker_reference, top.digest, options.annotations);
  auto signature = core::base64_encode(signer.sign(payload));

  image::Descriptor layer;
  layer.media_type = std::string(kPayloadType);
  layer.annotations[kSignatureAnnotation] = signature;
  auto manifest_digest = append_layer(t.signature_location, payload, layer, options.access);
  return {top.digest, t.signature_location, manifest_digest};
}

VerifyResult verify_image(const std::string &ref, const std::string &public_key_path,
                          const VerifyOptions &options) {
  auto verifier = sign::Verifier::from_file(public_key_path);
  auto src = ops::open_source(ops::Location::parse(ref), options.access);
  auto top = src->manifest("");
  auto t = target_of(ref, top.digest);
  VerifyResult result;
  result.digest = top.digest;
  auto sigs = existing_signatures(t.signature_location, options.access);
  if (!sigs) throw Error(Errc::gate_failed, ref + " (" + top.digest + ") is not signed");
  auto sig_src = ops::open_source(ops::Location::parse(t.signature_location), options.access);
  std::string why;
  for (const auto &l : sigs->layers) {
    auto a = l.annotations.find(kSignatureAnnotation);
    if (l.media_type != kPayloadType || a == l.annotations.end()) continue;
    ++result.signatures;
    if (l.size < 0 || static_cast<std::uint64_t>(l.size) > kMaxPayload) {
      why = "a payload is too large";
      continue;
    }
    std::string payload;
    sig_src->blob(l, [&](const char *d, std::size_t n) { payload.append(d, n); }, {});
    auto der = core::base64_decode(a->second);
    if (!der || !verifier.verify(payload, *der)) {
      why = "no signature verifies with the key";
      continue;
    }
    // A valid signature of some payload: it must be about this image.
    auto doc = core::json::parse(payload, "the signature payload");
    const auto *critical = core::json::find(doc, "critical"); // a payload may be any JSON
    if (!critical || core::json::get_string(*critical, "type") != kSignatureKind) {
      why = "a signed payload is not a cosign image signature";
      continue;
    }
    const auto *img = core::json::find(*critical, "image");
    if (!img || core::json::get_string(*img, "docker-manifest-digest") != top.digest) {
      why = "a signature names another image";
      continue;
    }
    ++result.valid;
    result.payloads.push_back(payload);
  }
  if (result.valid == 0)
    throw Error(Errc::gate_failed,
                ref + " (" + top.digest + "): none of " + std::to_string(result.signatures) +
                    " signature(s) is valid" + (why.empty() ? "" : " (" + why + ")"));
  return result;
}

SignResult attest_image(const std::string &ref, Signer &signer, const std::string &predicate_type,
                        const std::string &predicate_json, const SignOptions &options) {
  if (predicate_type.empty()) throw Error(Errc::invalid_argument, "the predicate type is empty");
  auto predicate = core::json::parse(predicate_json, "the predicate"); // one JSON document
  auto src = ops::open_source(ops::Location::parse(ref), options.access);
  auto top = src->manifest("");
  auto t = target_of(ref, top.digest, "att");

  const std::string statement =
      statement_for(t.docker_reference, top.digest, predicate_type, predicate);

  // The DSSE envelope, signed over PAE(payloadType, statement).
  constexpr std::string_view kInToto = "application/vnd.in-toto+json";
  auto sig = core::base64_encode(signer.sign(pae(kInToto, statement)));
  core::json::StringWriter env;
  env.writer.StartObject();
  env.member("payloadType", kInToto);
  env.member("payload", core::base64_encode(statement));
  env.writer.Key("signatures");
  env.writer.StartArray();
  env.writer.StartObject();
  env.member("keyid", "");
  env.member("sig", sig);
  env.writer.EndObject();
  env.writer.EndArray();
  env.writer.EndObject();

  image::Descriptor layer;
  layer.media_type = "application/vnd.dsse.envelope.v1+json";
  layer.annotations["predicateType"] = predicate_type;
  // cosign requires the annotation on every layer; an envelope carries its signature.
  layer.annotations[kSignatureAnnotation] = "";
  auto manifest_digest = append_layer(t.signature_location, env.str(), layer, options.access);
  return {top.digest, t.signature_location, manifest_digest};
}

SignResult attach_attestation(const std::string &ref, const std::string &predicate_type,
                              const std::string &predicate_json, const SignOptions &options) {
  if (predicate_type.empty()) throw Error(Errc::invalid_argument, "the predicate type is empty");
  auto predicate = core::json::parse(predicate_json, "the predicate");
  auto loc = ops::Location::parse(ref);
  auto src = ops::open_source(loc, options.access);
  auto top = src->manifest("");
  auto t = target_of(ref, top.digest); // registries and layouts only, as for signatures
  const std::string statement =
      statement_for(t.docker_reference, top.digest, predicate_type, predicate);

  // An OCI 1.1 artifact whose subject is the image: the referrers API (or its tag
  // scheme) lists it, copies carry it, and it names the predicate type the way
  // buildx's attestation manifests do.
  constexpr std::string_view kInToto = "application/vnd.in-toto+json";
  constexpr std::string_view kEmpty = "{}";
  image::Descriptor config;
  config.media_type = "application/vnd.oci.empty.v1+json";
  config.digest = image::digest_of(kEmpty);
  config.size = static_cast<std::int64_t>(kEmpty.size());
  image::Descriptor layer;
  layer.media_type = std::string(kInToto);
  layer.digest = image::digest_of(statement);
  layer.size = static_cast<std::int64_t>(statement.size());
  layer.annotations["in-toto.io/predicate-type"] = predicate_type;

  image::Manifest fields;
  fields.media_type = image::media::oci_manifest;
  fields.artifact_type = kInToto;
  fields.config = config;
  fields.layers = {layer};
  fields.subject = image::Descriptor{};
  fields.subject->media_type = top.media_type;
  fields.subject->digest = top.digest;
  fields.subject->size = static_cast<std::int64_t>(top.raw.size());
  fields.annotations["in-toto.io/predicate-type"] = predicate_type;

  registry::FetchedManifest m;
  m.raw = image::Manifest::make(std::move(fields)).raw;
  m.media_type = std::string(image::media::oci_manifest);
  m.digest = image::digest_of(m.raw);
  image::Descriptor entry;
  entry.media_type = m.media_type;
  entry.digest = m.digest;
  entry.size = static_cast<std::int64_t>(m.raw.size());
  entry.artifact_type = std::string(kInToto);
  entry.annotations["in-toto.io/predicate-type"] = predicate_type;

  auto dst = ops::open_destination(loc, options.access);
  dst->put_blob_bytes(statement);
  dst->put_blob_bytes(std::string(kEmpty));
  dst->put_referrer(m, top.digest, entry);
  return {top.digest, ref + "@" + m.digest, m.digest};
}

} // namespace berth
