// berth ecr scan-gate: start a scan when there is none, wait for it like
// "aws ecr wait image-scan-complete", then judge the findings by severity.
#include <berth/ecr.hpp>
#include <berth/error.hpp>

#include "ecr/ecr_replies.hpp"
#include "ops/ecr_session.hpp"

#include <algorithm>
#include <array>
#include <climits>
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
    ecr::ScanFindings findings;
    try {
      findings = ecr::parse_scan_findings(client.call("DescribeImageScanFindings", request));
    } catch (const Error &e) {
      if (e.aws_code() != "ScanNotFoundException" || started) throw;
      client.call("StartImageScan", request);
      started = true;
      continue;
    }
    result.status = findings.status;
    if (result.status == "COMPLETE" || result.status == "ACTIVE") {
      result.counts = std::move(findings.counts);
      break;
    }
    if (result.status == "FAILED" || result.status == "UNSUPPORTED_IMAGE" ||
        result.status == "FINDINGS_UNAVAILABLE") {
      const std::string &why = findings.description;
      throw Error(Errc::gate_failed, "scan of " + repository + ":" + image + " ended " +
                                         result.status + (why.empty() ? "" : ": " + why));
    }
    if (std::chrono::steady_clock::now() >= deadline)
      throw Error(Errc::timeout, "scan of " + repository + ":" + image + " still " + result.status +
                                     " after " + std::to_string(gate.timeout.count()) + "s");
    std::this_thread::sleep_for(gate.poll);
  }
  result.table = "| Severity | Findings |\n|---|---:|\n";
  // Counts are 0..INT_MAX each (the reply says so); their sum may not fit an int.
  long long counted = 0;
  for (std::size_t i = 0; i < kSeverities.size(); ++i) {
    int n = result.counts.count(kSeverities[i]) ? result.counts.at(kSeverities[i]) : 0;
    if (i <= threshold) counted += n;
    result.table += std::string("| ") + kSeverities[i] + " | " + std::to_string(n) + " |\n";
  }
  result.counted = static_cast<int>(std::min<long long>(counted, INT_MAX));
  result.passed = counted <= gate.max;
  return result;
}

} // namespace berth
