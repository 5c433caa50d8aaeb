// SLSA provenance v1 predicates from an injected CI environment.
#include <doctest/doctest.h>

#include <berth/provenance.hpp>

#include "core/json.hpp"

#include <map>
#include <string>

using namespace berth;

TEST_CASE("provenance: GitHub Actions context, base image as a dependency") {
  std::map<std::string, std::string> vars = {
      {"GITHUB_REPOSITORY", "octo/app"},
      {"GITHUB_SHA", "abc123"},
      {"GITHUB_REF", "refs/tags/v1"},
      {"GITHUB_WORKFLOW_REF", "octo/app/.github/workflows/ci.yml@refs/tags/v1"},
      {"GITHUB_RUN_ID", "7"},
      {"GITHUB_SERVER_URL", "https://ghe.example"}};
  ProvenanceInputs in;
  in.env = [&](const char *n) {
    auto it = vars.find(n);
    return it == vars.end() ? std::string() : it->second;
  };
  in.base_ref = "docker.io/library/debian:12";
  in.base_digest = "sha256:" + std::string(64, 'b');
  in.parameters = {{"from", in.base_ref}};
  auto doc = core::json::parse(slsa_provenance_v1(in), "provenance");
  auto &bd = doc["buildDefinition"];
  CHECK(std::string(bd["buildType"].GetString()) ==
        "https://actions.github.io/buildtypes/workflow/v1");
  CHECK(std::string(bd["externalParameters"]["workflow"]["path"].GetString()) ==
        ".github/workflows/ci.yml");
  CHECK(std::string(bd["externalParameters"]["workflow"]["ref"].GetString()) == "refs/tags/v1");
  REQUIRE(bd["resolvedDependencies"].Size() == 2);
  CHECK(std::string(bd["resolvedDependencies"][0]["digest"]["gitCommit"].GetString()) == "abc123");
  CHECK(std::string(bd["resolvedDependencies"][1]["digest"]["sha256"].GetString()) ==
        std::string(64, 'b'));
  auto &rd = doc["runDetails"];
  CHECK(std::string(rd["builder"]["id"].GetString()) ==
        "https://ghe.example/octo/app/.github/workflows/ci.yml@refs/tags/v1");
  CHECK(std::string(rd["metadata"]["invocationId"].GetString()) ==
        "https://ghe.example/octo/app/actions/runs/7/attempts/1");
}

TEST_CASE("provenance: outside CI, scratch") {
  ProvenanceInputs in;
  in.env = [](const char *) { return std::string(); };
  in.base_ref = "scratch";
  auto doc = core::json::parse(slsa_provenance_v1(in), "provenance");
  CHECK(doc["buildDefinition"]["resolvedDependencies"].Size() == 0);
  CHECK(std::string(doc["runDetails"]["builder"]["id"].GetString())
            .rfind("https://github.com/berth-project/berth@v", 0) == 0);
  CHECK_FALSE(doc["runDetails"]["metadata"].HasMember("invocationId"));
}
