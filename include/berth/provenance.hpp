// SLSA provenance v1 (https://slsa.dev/spec/v1.0/provenance) for images berth builds:
// the predicate `berth build --provenance` attaches, from the CI context (GitHub
// Actions' GITHUB_* variables) and the build's inputs.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace berth {

struct ProvenanceInputs {
  // The build's own parameters (from, layers, platform, output...), as given.
  std::vector<std::pair<std::string, std::string>> parameters;
  std::string base_ref;    // the base image as named ("" or "scratch": none)
  std::string base_digest; // the manifest built on
  // runDetails.builder.id; "" = the workflow that ran (GITHUB_SERVER_URL/
  // GITHUB_WORKFLOW_REF) in GitHub Actions, else berth itself.
  std::string builder_id;
  std::chrono::system_clock::time_point started, finished;
  // Reads GITHUB_* (and RUNNER_ENVIRONMENT); std::getenv when empty. Injected by tests.
  std::function<std::string(const char *)> env;
};

// The predicate JSON (buildDefinition, runDetails): buildType is GitHub's workflow
// build type in Actions (externalParameters.workflow, the repository at GITHUB_SHA
// as a resolved dependency), berth's own elsewhere; the base image is a resolved
// dependency by digest.
std::string slsa_provenance_v1(const ProvenanceInputs &inputs);

} // namespace berth
