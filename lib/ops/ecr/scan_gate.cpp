// berth ecr scan-gate: start a scan when there is none, wait for it like
// "aws ecr wait image-scan-complete", then judge the findings by severity. A
// multi-arch index is judged child by child: ECR scans images, never indexes.
#include <berth/cancel.hpp>
#include <berth/ecr.hpp>
#include <berth/error.hpp>
#include <berth/manifest.hpp>

#include "core/json.hpp"
#include "core/untrusted_text.hpp"
#include "ecr/ecr_replies.hpp"
#include "ops/ecr/session.hpp"
#include "registry/registry.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <climits>
#include <optional>
#include <thread>

namespace berth {
namespace {

constexpr std::array<const char *, 6> kSeverities = {"CRITICAL", "HIGH",          "MEDIUM",
                                                     "LOW",      "INFORMATIONAL", "UNDEFINED"};

std::string request_for(const std::string &repository, const std::string &image) {
  core::json::StringWriter w;
  w.writer.StartObject();
  w.member("repositoryName", repository);
  w.writer.Key("imageId");
  w.writer.StartObject();
  w.member(image.rfind("sha256:", 0) == 0 ? "imageDigest" : "imageTag", image);
  w.writer.EndObject();
  w.writer.EndObject();
  return w.str();
}

std::size_t severity_rank(const std::string &s) {
  for (std::size_t i = 0; i < kSeverities.size(); ++i)
    if (s == kSeverities[i]) return i;
  return kSeverities.size();
}

// The manifest ECR holds for image (BatchGetImage), or nullopt when it will not say
// (a role allowed only to push): the image is then scanned as it is, and an index
// fails there with UNSUPPORTED_IMAGE rather than passing unseen.
std::optional<registry::FetchedManifest>
manifest_of(ecr::EcrClient &client, const std::string &repository, const std::string &image) {
  core::json::StringWriter w;
  w.writer.StartObject();
  w.member("repositoryName", repository);
  w.writer.Key("imageIds");
  w.writer.StartArray();
  w.writer.StartObject();
  w.member(image.rfind("sha256:", 0) == 0 ? "imageDigest" : "imageTag", image);
  w.writer.EndObject();
  w.writer.EndArray();
  w.writer.Key("acceptedMediaTypes");
  w.writer.StartArray();
  for (auto t : {image::media::oci_index, image::media::docker_manifest_list,
                 image::media::oci_manifest, image::media::docker_manifest})
    w.string(t);
  w.writer.EndArray();
  w.writer.EndObject();
  try {
    auto doc = core::json::parse(client.call("BatchGetImage", w.str()), "BatchGetImage reply");
    const auto *images = core::json::find(doc, "images");
    if (!images || !images->IsArray() || images->Empty()) return std::nullopt;
    const auto &first = (*images)[0];
    registry::FetchedManifest m;
    m.raw = core::json::get_string(first, "imageManifest");
    if (m.raw.empty()) return std::nullopt;
    m.media_type =
        image::detect_media_type(m.raw, core::json::get_string(first, "imageManifestMediaType"));
    m.digest = image::digest_of(m.raw);
    return m;
  } catch (const Error &e) {
    // Whatever keeps ECR from saying (denied, unknown operation, a reply that does not
    // parse) means "scan it as it is"; only transport trouble is worth stopping for.
    if (e.code() != Errc::network && e.code() != Errc::timeout && e.code() != Errc::cancelled &&
        e.code() != Errc::throttled)
      return std::nullopt;
    throw;
  }
}

// "package_name"-style attributes of a basic-scanning finding.
std::string attribute(const core::json::Value &finding, const char *key) {
  const auto *attrs = core::json::find(finding, "attributes");
  if (!attrs || !attrs->IsArray()) return {};
  for (const auto &a : attrs->GetArray())
    if (core::json::get_string(a, "key") == key) return core::json::get_string(a, "value");
  return {};
}

void collect_findings(const core::json::Value &scan, const std::string &digest,
                      std::size_t threshold, std::vector<ScanFinding> &out) {
  // Basic scanning.
  // Entries may be anything: find() and get_string() read a non-object as empty.
  if (const auto *f = core::json::find(scan, "findings"); f && f->IsArray())
    for (const auto &x : f->GetArray()) {
      ScanFinding sf{digest,
                     core::json::get_string(x, "name"),
                     core::json::get_string(x, "severity"),
                     attribute(x, "package_name"),
                     attribute(x, "package_version"),
                     ""};
      if (severity_rank(sf.severity) <= threshold) out.push_back(std::move(sf));
    }
  // Enhanced scanning (Inspector): the package and the version that fixes it.
  if (const auto *f = core::json::find(scan, "enhancedFindings"); f && f->IsArray())
    for (const auto &x : f->GetArray()) {
      ScanFinding sf{
          digest, core::json::get_string(x, "title"), core::json::get_string(x, "severity"), "", "",
          ""};
      if (const auto *d = core::json::find(x, "packageVulnerabilityDetails")) {
        if (auto id = core::json::get_string(*d, "vulnerabilityId"); !id.empty()) sf.id = id;
        if (const auto *p = core::json::find(*d, "vulnerablePackages");
            p && p->IsArray() && !p->Empty()) {
          sf.package = core::json::get_string((*p)[0], "name");
          sf.version = core::json::get_string((*p)[0], "version");
          sf.fixed_in = core::json::get_string((*p)[0], "fixedInVersion");
        }
      }
      if (severity_rank(sf.severity) <= threshold) out.push_back(std::move(sf));
    }
}

ScanGateImage scan_one(ecr::EcrClient &client, const std::string &repository,
                       const std::string &image, std::size_t threshold, const ScanGateOptions &gate,
                       std::vector<ScanFinding> &findings) {
  const std::string request = request_for(repository, image);
  auto deadline = std::chrono::steady_clock::now() + gate.timeout;
  bool started = false;
  ScanGateImage result;
  result.digest = image;
  for (;;) {
    std::string raw;
    try {
      raw = client.call("DescribeImageScanFindings", request);
    } catch (const Error &e) {
      if (e.aws_code() != "ScanNotFoundException" || started) throw;
      client.call("StartImageScan", request);
      started = true;
      continue;
    }
    // Status and counts through the hardened reply reader; the finding list and the
    // image id from the same parsed document.
    auto doc = core::json::parse(raw, "scan findings");
    auto parsed = ecr::scan_findings_of(doc);
    result.status = parsed.status;
    if (const auto *id = core::json::find(doc, "imageId"))
      if (auto d = core::json::get_string(*id, "imageDigest"); !d.empty()) result.digest = d;
    if (result.status == "COMPLETE" || result.status == "ACTIVE") {
      result.counts = std::move(parsed.counts);
      if (const auto *f = core::json::find(doc, "imageScanFindings"); f && f->IsObject())
        collect_findings(*f, result.digest, threshold, findings);
      break;
    }
    if (result.status == "FAILED" || result.status == "UNSUPPORTED_IMAGE" ||
        result.status == "FINDINGS_UNAVAILABLE") {
      const std::string &why = parsed.description;
      throw Error(Errc::gate_failed, "scan of " + repository + ":" + image + " ended " +
                                         result.status + (why.empty() ? "" : ": " + why));
    }
    if (std::chrono::steady_clock::now() >= deadline)
      throw Error(Errc::timeout, "scan of " + repository + ":" + image + " still " + result.status +
                                     " after " + std::to_string(gate.timeout.count()) + "s");
    sleep_unless_cancelled(gate.poll);
  }
  // Counts are 0..INT_MAX each (the reply says so); their sum may not fit an int.
  long long counted = 0;
  for (std::size_t i = 0; i <= threshold && i < kSeverities.size(); ++i)
    if (auto it = result.counts.find(kSeverities[i]); it != result.counts.end())
      counted += it->second;
  result.counted = static_cast<int>(std::min<long long>(counted, INT_MAX));
  result.passed = counted <= gate.max;
  return result;
}

std::string short_digest(const std::string &d) {
  auto colon = d.find(':');
  return colon == std::string::npos ? d : d.substr(0, colon + 13);
}

} // namespace

std::string scan_gate_threshold(const std::string &fail_on) {
  std::size_t lowest = 0;
  bool any = false;
  std::size_t start = 0;
  while (start <= fail_on.size()) {
    auto comma = fail_on.find(',', start);
    auto item =
        fail_on.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    std::string name;
    for (char c : item)
      if (c != ' ' && c != '\t')
        name.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    auto rank = severity_rank(name);
    if (rank == kSeverities.size())
      throw Error(Errc::invalid_argument,
                  "fail-on takes CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL or UNDEFINED "
                  "(comma-separated), not '" +
                      core::printable(item) + "'");
    lowest = std::max(lowest, rank);
    any = true;
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (!any) throw Error(Errc::invalid_argument, "fail-on names no severity");
  return kSeverities[lowest];
}

ScanGateResult ecr_scan_gate(const AwsOptions &options, const std::string &repository,
                             const std::string &image, const ScanGateOptions &gate) {
  const std::size_t threshold = severity_rank(scan_gate_threshold(gate.fail_on));

  auto client = ops::ecr_client(options);
  ScanGateResult result;
  auto top = manifest_of(client, repository, image);
  if (top && image::media::is_index(top->media_type)) {
    for (const auto &d : image::parse_index(top->raw, top->media_type).manifests) {
      // buildx's attestation manifests ("unknown/unknown") are no images to scan.
      if (!image::media::is_manifest(d.media_type) || (d.platform && d.platform->os == "unknown"))
        continue;
      auto one = scan_one(client, repository, d.digest, threshold, gate, result.findings);
      one.platform = d.platform ? d.platform->str() : "";
      result.images.push_back(std::move(one));
    }
    if (result.images.empty())
      throw Error(Errc::gate_failed, repository + ":" + image + " is an index with no image");
  } else {
    result.images.push_back(scan_one(client, repository, image, threshold, gate, result.findings));
  }

  // The worst image speaks for the whole: the first that failed, else the most findings.
  const auto worst = std::max_element(
      result.images.begin(), result.images.end(), [](const auto &a, const auto &b) {
        return std::make_pair(!a.passed, a.counted) < std::make_pair(!b.passed, b.counted);
      });
  result.status = worst->status;
  result.counts = worst->counts;
  result.counted = worst->counted;
  result.passed = std::all_of(result.images.begin(), result.images.end(),
                              [](const auto &i) { return i.passed; });

  if (result.images.size() == 1) {
    result.table = "| Severity | Findings |\n|---|---:|\n";
    for (auto s : kSeverities) {
      auto it = result.counts.find(s);
      result.table += std::string("| ") + s + " | " +
                      std::to_string(it == result.counts.end() ? 0 : it->second) + " |\n";
    }
    return result;
  }
  // An index: a row per platform.
  result.table = "| Image | Platform |";
  for (auto s : kSeverities)
    result.table += std::string(" ") + s + " |";
  result.table += "\n|---|---|";
  for (std::size_t i = 0; i < kSeverities.size(); ++i)
    result.table += "---:|";
  result.table += "\n";
  for (const auto &img : result.images) {
    // The platform is the index's to say: a cell of it must stay one cell.
    result.table +=
        "| " + short_digest(img.digest) + " | " + core::markdown_cell(img.platform) + " |";
    for (auto s : kSeverities) {
      auto it = img.counts.find(s);
      result.table += ' ';
      result.table += std::to_string(it == img.counts.end() ? 0 : it->second);
      result.table += " |";
    }
    result.table += "\n";
  }
  return result;
}

namespace {

void write_counts(core::json::StringWriter &w, const std::map<std::string, int> &counts) {
  w.writer.Key("counts");
  w.writer.StartObject();
  for (const auto &[k, v] : counts) {
    w.writer.Key(k.c_str(), static_cast<rapidjson::SizeType>(k.size()));
    w.writer.Int(v);
  }
  w.writer.EndObject();
}

} // namespace

std::string to_json(const ScanGateResult &r) {
  core::json::StringWriter w;
  w.writer.StartObject();
  w.member("status", r.status);
  write_counts(w, r.counts);
  w.writer.Key("counted");
  w.writer.Int(r.counted);
  w.writer.Key("passed");
  w.writer.Bool(r.passed);
  w.member("table", r.table);
  w.writer.Key("images"); // one, or each platform of an index
  w.writer.StartArray();
  for (const auto &img : r.images) {
    w.writer.StartObject();
    w.member("digest", img.digest);
    w.member("platform", img.platform);
    w.member("status", img.status);
    w.writer.Key("counted");
    w.writer.Int(img.counted);
    w.writer.Key("passed");
    w.writer.Bool(img.passed);
    write_counts(w, img.counts);
    w.writer.EndObject();
  }
  w.writer.EndArray();
  w.writer.Key("findings"); // at or above fail_on
  w.writer.StartArray();
  for (const auto &f : r.findings) {
    w.writer.StartObject();
    w.member("image", f.image);
    w.member("id", f.id);
    w.member("severity", f.severity);
    w.member("package", f.package);
    w.member("version", f.version);
    w.member("fixedIn", f.fixed_in);
    w.writer.EndObject();
  }
  w.writer.EndArray();
  w.writer.EndObject();
  return w.str();
}

} // namespace berth
