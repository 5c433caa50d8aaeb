// berth ecr scan-gate: start a scan when there is none, wait for it like
// "aws ecr wait image-scan-complete", then judge the findings by severity.
#include <berth/ecr.hpp>
#include <berth/error.hpp>

#include "core/json.hpp"
#include "ops/ecr_session.hpp"

#include <array>
#include <thread>

namespace berth {
namespace {

constexpr std::array<const char *, 6> kSeverities = {"CRITICAL", "HIGH",          "MEDIUM",
                                                     "LOW",      "INFORMATIONAL", "UNDEFINED"};

std::string image_id_json(const std::string &image) {
  return image.rfind("sha256:", 0) == 0 ? "{\"imageDigest\":\"" + image + "\"}"
                                        : "{\"imageTag\":\"" + image + "\"}";
}

} // namespace

ScanGateResult ecr_scan_gate(const AwsOptions &options, const std::string &repository,
                             const std::string &image, const ScanGateOptions &gate) {
  std::size_t threshold = kSeverities.size();
  for (std::size_t i = 0; i < kSeverities.size(); ++i)
    if (gate.fail_on == kSeverities[i]) threshold = i;
  if (threshold == kSeverities.size())
    throw Error(Errc::invalid_argument,
                "fail-on must be one of CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL, UNDEFINED");

  auto client = ops::ecr_client(options);
  const std::string request =
      "{\"repositoryName\":\"" + repository + "\",\"imageId\":" + image_id_json(image) + "}";
  auto deadline = std::chrono::steady_clock::now() + gate.timeout;
  bool started = false;
  ScanGateResult result;
  for (;;) {
    core::json::Document doc;
    try {
      doc = core::json::parse(client.call("DescribeImageScanFindings", request), "scan findings");
    } catch (const Error &e) {
      if (e.aws_code() != "ScanNotFoundException" || started) throw;
      client.call("StartImageScan", request);
      started = true;
      continue;
    }
    auto status_it = doc.FindMember("imageScanStatus");
    result.status =
        status_it == doc.MemberEnd() ? "" : core::json::get_string(status_it->value, "status");
    if (result.status == "COMPLETE" || result.status == "ACTIVE") {
      if (auto f = doc.FindMember("imageScanFindings"); f != doc.MemberEnd())
        if (auto c = f->value.FindMember("findingSeverityCounts");
            c != f->value.MemberEnd() && c->value.IsObject())
          for (const auto &m : c->value.GetObject())
            if (m.value.IsInt()) result.counts[m.name.GetString()] = m.value.GetInt();
      break;
    }
    if (result.status == "FAILED" || result.status == "UNSUPPORTED_IMAGE" ||
        result.status == "FINDINGS_UNAVAILABLE") {
      std::string why = status_it == doc.MemberEnd()
                            ? ""
                            : core::json::get_string(status_it->value, "description");
      throw Error(Errc::gate_failed, "scan of " + repository + ":" + image + " ended " +
                                         result.status + (why.empty() ? "" : ": " + why));
    }
    if (std::chrono::steady_clock::now() >= deadline)
      throw Error(Errc::timeout, "scan of " + repository + ":" + image + " still " + result.status +
                                     " after " + std::to_string(gate.timeout.count()) + "s");
    std::this_thread::sleep_for(gate.poll);
  }
  result.table = "| Severity | Findings |\n|---|---:|\n";
  for (std::size_t i = 0; i < kSeverities.size(); ++i) {
    int n = result.counts.count(kSeverities[i]) ? result.counts.at(kSeverities[i]) : 0;
    if (i <= threshold) result.counted += n;
    result.table += std::string("| ") + kSeverities[i] + " | " + std::to_string(n) + " |\n";
  }
  result.passed = result.counted <= gate.max;
  return result;
}

} // namespace berth
