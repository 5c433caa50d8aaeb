#include "ops/supply_chain/referrers.hpp"

#include <berth/digest.hpp>
#include <berth/error.hpp>
#include <berth/reference.hpp>

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

  // Discovery (what is there to copy) is never fatal: a failure is a warning and
  // counts as nothing found. Cancelling still stops everything.
  template <typename Fn> bool discover(const std::string &what, Fn &&fn) {
    try {
      fn();
      return true;
    } catch (const Error &e) {
      if (e.code() == Errc::cancelled) throw;
      out.warnings.push_back(what + ": " + e.what() + "; taken as none");
      return false;
    }
  }

  // Copying what was found: a failure is kept (the first one) for the caller to
  // report once the image is in place, and the walk goes on with the others.
  template <typename Fn> void copy(Fn &&fn) {
    try {
      fn();
    } catch (const Error &e) {
      if (e.code() == Errc::cancelled) throw;
      if (!out.error) out.error = std::current_exception();
    }
  }

  // Blobs of m (and, for an index, its children by digest); m itself is left to the
  // caller.
  void copy_content(const registry::FetchedManifest &m) {
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
  }

  void run(const std::string &subject, int depth) {
    if (depth > kMaxDepth) return;
    std::vector<image::Descriptor> list;
    std::string note;
    if (!discover("referrers of " + subject, [&] {
          list = src.referrers(subject, note);
          if (list.size() > kMaxReferrers)
            throw Error(Errc::too_large, subject + " has " + std::to_string(list.size()) +
                                             " referrers, more than berth copies (" +
                                             std::to_string(kMaxReferrers) + ")");
        }))
      list.clear();
    if (!note.empty()) out.warnings.push_back(note);
    for (const auto &d : list) {
      if (!seen.insert(d.digest).second) continue;
      // Only what the filter asks for at the first level; below it, whatever refers
      // to a chosen referrer (its signature) comes along.
      if (depth == 0 && !d.artifact_type.empty() && !wanted(d.artifact_type)) continue;
      bool copied = false;
      copy([&] {
        auto m = src.child_manifest(d); // digest and size verified
        auto type = artifact_type_of(m);
        if (depth == 0 && !wanted(type)) return;
        copy_content(m);
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
        copied = true;
      });
      if (copied) run(d.digest, depth + 1);
    }
    if (policy.digest_tags) run_digest_tags(subject, depth);
  }

  // Whether the filter wants a digest tag's manifest: by cosign's artifact type for
  // its kind, by its own artifact type, or by one of its layers' media types.
  bool wanted_digest_tag(const std::string &suffix, const registry::FetchedManifest &m) const {
    if (policy.artifact_types.empty()) return true;
    if (wanted("application/vnd.dev.cosign.artifact." + suffix + ".v1+json")) return true;
    if (wanted(artifact_type_of(m))) return true;
    if (image::media::is_index(m.media_type)) return false;
    for (const auto &l : image::parse_manifest(m.raw, m.media_type).layers)
      if (wanted(l.media_type)) return true;
    return false;
  }

  void run_digest_tags(const std::string &subject, int depth) {
    if (!dst.keeps_digest_tags()) return;
    auto parsed = image::Digest::parse(subject);
    for (const char *suffix : kDigestTagSuffixes) {
      auto tag = parsed.algorithm() + "-" + parsed.hex() + "." + suffix;
      if (!image::valid_tag(tag)) continue; // sha512: too long to be a tag
      std::optional<registry::FetchedManifest> found;
      bool want = false;
      if (!discover("tag " + tag,
                    [&] {
                      found = src.tagged_manifest(tag);
                      want = found && (depth > 0 || wanted_digest_tag(suffix, *found));
                    }) ||
          !want)
        continue;
      auto &m = *found;
      // Already carried as a referrer of another subject: the tag is still written,
      // its referrers are not walked again.
      const bool first = seen.insert(m.digest).second;
      bool copied = false;
      copy([&] {
        auto there = dst.tag_digest(tag);
        if (there != m.digest) {
          copy_content(m);
          try {
            dst.put_digest_tag(m, tag);
          } catch (const Error &e) {
            // An immutable tag (ECR) that holds other signatures: theirs stay.
            if (e.code() == Errc::cancelled || there.empty()) throw;
            out.warnings.push_back("tag " + tag + " at the destination holds " + there +
                                   ", not the source's " + m.digest +
                                   ", and was kept: " + e.what());
            return;
          }
        }
        reporter.item(Progress::Event::manifest_done, m.digest, m.raw.size(), m.raw.size(), 0);
        ++out.digest_tags;
        copied = true;
      });
      if (copied && first) run(m.digest, depth + 1);
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
  w.seen.insert(subject);
  w.run(subject, 0);
  return std::move(w.out);
}

void add_referrer_copy(CopyResult &result, ReferrerCopy &c, std::exception_ptr &error) {
  result.referrers += c.manifests + c.digest_tags;
  result.digest_tags += c.digest_tags;
  result.blobs_copied += c.blobs.copied;
  result.blobs_skipped += c.blobs.skipped;
  result.blobs_mounted += c.blobs.mounted;
  result.bytes_copied += c.blobs.bytes;
  for (auto &w : c.warnings)
    result.warnings.push_back(std::move(w));
  if (c.error && !error) error = c.error;
}

} // namespace berth::ops
