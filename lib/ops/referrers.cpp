#include "ops/referrers.hpp"

#include <berth/error.hpp>

#include <algorithm>
#include <set>

namespace berth::ops {
namespace {

// Deeper chains are a loop in disguise or a hostile registry; real ones are 2 deep
// (a signature of an attestation).
constexpr int kMaxDepth = 8;
// Referrers of one subject beyond this are refused rather than copied one by one.
constexpr std::size_t kMaxReferrers = 1000;

struct Walk {
  ImageSource &src;
  ImageDestination &dst;
  const ReferrerPolicy &policy;
  ProgressReporter &reporter;
  std::set<std::string> seen;
  ReferrerCopy out;

  void add(const BlobCounts &c) {
    out.blobs.copied += c.copied;
    out.blobs.skipped += c.skipped;
    out.blobs.mounted += c.mounted;
    out.blobs.bytes += c.bytes;
  }

  std::vector<image::Descriptor> blobs_of(const registry::FetchedManifest &m) {
    auto parsed = image::parse_manifest(m.raw, m.media_type);
    std::vector<image::Descriptor> blobs;
    for (const auto &d : parsed.layers)
      if (d.urls.empty()) blobs.push_back(d);
    blobs.push_back(parsed.config);
    return blobs;
  }

  bool wanted(const std::string &type) const {
    const auto &types = policy.artifact_types;
    return types.empty() || std::find(types.begin(), types.end(), type) != types.end();
  }

  void run(const std::string &subject, int depth) {
    if (depth > kMaxDepth) return;
    auto list = src.referrers(subject);
    if (list.size() > kMaxReferrers)
      throw Error(Errc::too_large, subject + " has " + std::to_string(list.size()) +
                                       " referrers, more than berth copies (" +
                                       std::to_string(kMaxReferrers) + ")");
    for (const auto &d : list) {
      if (!seen.insert(d.digest).second) continue;
      // Only what the filter asks for at the first level; below it, whatever refers
      // to a chosen referrer (its signature) comes along.
      if (depth == 0 && !d.artifact_type.empty() && !wanted(d.artifact_type)) continue;
      auto m = src.child_manifest(d); // digest and size verified
      auto type = artifact_type_of(m);
      if (depth == 0 && !wanted(type)) continue;
      if (image::media::is_index(m.media_type)) {
        for (const auto &c : image::parse_index(m.raw, m.media_type).manifests) {
          auto child = src.child_manifest(c);
          if (image::media::is_index(child.media_type))
            throw Error(Errc::unsupported, "nested indexes are not supported (" + c.digest + ")");
          add(copy_blobs(src, dst, blobs_of(child), policy.jobs, reporter));
          dst.put_manifest(child.raw, child.media_type, false);
        }
      } else {
        add(copy_blobs(src, dst, blobs_of(m), policy.jobs, reporter));
      }
      image::Descriptor entry;
      entry.media_type = m.media_type;
      entry.digest = m.digest;
      entry.size = static_cast<std::int64_t>(m.raw.size());
      entry.artifact_type = type;
      if (image::media::is_index(m.media_type))
        entry.annotations = image::parse_index(m.raw, m.media_type).annotations;
      else
        entry.annotations = image::parse_manifest(m.raw, m.media_type).annotations;
      dst.put_referrer(m, subject, entry);
      reporter.item(Progress::Event::manifest_done, m.digest, m.raw.size(), m.raw.size(), 0);
      ++out.manifests;
      run(m.digest, depth + 1);
    }
  }
};

} // namespace

std::string artifact_type_of(const registry::FetchedManifest &m) {
  if (image::media::is_index(m.media_type))
    return image::parse_index(m.raw, m.media_type).artifact_type;
  auto parsed = image::parse_manifest(m.raw, m.media_type);
  if (!parsed.artifact_type.empty()) return parsed.artifact_type;
  return parsed.config.media_type;
}

ReferrerCopy copy_referrers(ImageSource &src, ImageDestination &dst, const std::string &subject,
                            const ReferrerPolicy &policy, ProgressReporter &reporter) {
  Walk w{src, dst, policy, reporter, {}, {}};
  w.run(subject, 0);
  return w.out;
}

} // namespace berth::ops
