// The one JSON form of a CopyResult: the C ABI's result and the CLI's --json line.
#include <berth/copy.hpp>

#include "core/json.hpp"

#include <utility>

namespace berth {

std::string to_json(const CopyResult &r) {
  core::json::StringWriter out;
  auto &w = out.writer;
  w.StartObject();
  out.member("digest", r.digest);
  out.member("mediaType", r.media_type);
  w.Key("bytesCopied");
  w.Uint64(r.bytes_copied);
  for (auto [key, n] : {std::pair{"blobsCopied", r.blobs_copied},
                        {"blobsSkipped", r.blobs_skipped},
                        {"blobsMounted", r.blobs_mounted},
                        {"manifests", r.manifests},
                        {"referrers", r.referrers},
                        {"digestTags", r.digest_tags}}) {
    w.Key(key);
    w.Int(n);
  }
  // Always present, so a reader need not test for the key.
  w.Key("warnings");
  w.StartArray();
  for (const auto &warning : r.warnings)
    out.string(warning);
  w.EndArray();
  if (!r.mirror.empty()) out.member("mirror", r.mirror);
  if (!r.signature_ref.empty()) out.member("signature", r.signature_ref);
  w.Key("seconds");
  w.Double(static_cast<double>(r.duration.count()) / 1000.0);
  w.EndObject();
  return out.str();
}

} // namespace berth
