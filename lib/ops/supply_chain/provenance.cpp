// SLSA provenance v1 predicates. The GitHub Actions shape follows GitHub's own
// workflow build type (https://actions.github.io/buildtypes/workflow/v1), which
// slsa-github-generator and `gh attestation` produce and verify, so policies written
// for those read berth's too.
#include <berth/provenance.hpp>
#include <berth/version.hpp>

#include "core/json.hpp"
#include "core/time.hpp"

#include <cstdlib>

namespace berth {

namespace {

constexpr const char *kGitHubBuildType = "https://actions.github.io/buildtypes/workflow/v1";
constexpr const char *kBerthBuildType =
    "https://github.com/berth-project/berth/buildtypes/build/v1";

std::string seconds_iso(std::chrono::system_clock::time_point t) {
  return core::format_iso8601(std::chrono::time_point_cast<std::chrono::seconds>(t));
}

} // namespace

std::string slsa_provenance_v1(const ProvenanceInputs &in) {
  auto env = [&](const char *name) -> std::string {
    if (in.env) return in.env(name);
    const char *v = std::getenv(name);
    return v ? v : "";
  };
  const auto server = env("GITHUB_SERVER_URL").empty() ? std::string("https://github.com")
                                                       : env("GITHUB_SERVER_URL");
  const auto repository = env("GITHUB_REPOSITORY");
  const auto sha = env("GITHUB_SHA");
  const auto ref = env("GITHUB_REF");
  const auto workflow_ref = env("GITHUB_WORKFLOW_REF"); // OWNER/REPO/.github/workflows/F@REF
  const auto run_id = env("GITHUB_RUN_ID");
  const bool github = !repository.empty() && !workflow_ref.empty();

  core::json::StringWriter w;
  w.writer.StartObject();
  w.writer.Key("buildDefinition");
  w.writer.StartObject();
  w.member("buildType", github ? kGitHubBuildType : kBerthBuildType);
  w.writer.Key("externalParameters");
  w.writer.StartObject();
  if (github) {
    // "OWNER/REPO/.github/workflows/build.yml@refs/heads/main" -> path and ref.
    auto at = workflow_ref.find('@');
    auto path = workflow_ref.substr(0, at);
    if (path.rfind(repository + "/", 0) == 0) path = path.substr(repository.size() + 1);
    w.writer.Key("workflow");
    w.writer.StartObject();
    w.member("ref", at == std::string::npos ? ref : workflow_ref.substr(at + 1));
    w.member("repository", server + "/" + repository);
    w.member("path", path);
    w.writer.EndObject();
  }
  w.writer.Key("build");
  w.writer.StartObject();
  for (const auto &[k, v] : in.parameters)
    w.member(k, v);
  w.writer.EndObject();
  w.writer.EndObject();
  w.writer.Key("internalParameters");
  w.writer.StartObject();
  if (github) {
    w.writer.Key("github");
    w.writer.StartObject();
    for (const auto &[key, var] : {std::pair{"event_name", "GITHUB_EVENT_NAME"},
                                   {"repository_id", "GITHUB_REPOSITORY_ID"},
                                   {"repository_owner_id", "GITHUB_REPOSITORY_OWNER_ID"},
                                   {"runner_environment", "RUNNER_ENVIRONMENT"}})
      if (auto v = env(var); !v.empty()) w.member(key, v);
    w.writer.EndObject();
  }
  w.writer.EndObject();
  w.writer.Key("resolvedDependencies");
  w.writer.StartArray();
  if (github && !sha.empty()) {
    w.writer.StartObject();
    w.member("uri", "git+" + server + "/" + repository + (ref.empty() ? "" : "@" + ref));
    w.writer.Key("digest");
    w.writer.StartObject();
    w.member("gitCommit", sha);
    w.writer.EndObject();
    w.writer.EndObject();
  }
  if (!in.base_digest.empty() && !in.base_ref.empty() && in.base_ref != "scratch") {
    auto colon = in.base_digest.find(':');
    w.writer.StartObject();
    w.member("uri", in.base_ref);
    w.writer.Key("digest");
    w.writer.StartObject();
    w.member(in.base_digest.substr(0, colon), in.base_digest.substr(colon + 1));
    w.writer.EndObject();
    w.writer.EndObject();
  }
  w.writer.EndArray();
  w.writer.EndObject();

  w.writer.Key("runDetails");
  w.writer.StartObject();
  w.writer.Key("builder");
  w.writer.StartObject();
  std::string builder = in.builder_id;
  if (builder.empty())
    builder = github ? server + "/" + workflow_ref
                     : std::string("https://github.com/berth-project/berth@v") +
                           BERTH_VERSION_STRING_VALUE;
  w.member("id", builder);
  w.writer.Key("version");
  w.writer.StartObject();
  w.member("berth", BERTH_VERSION_STRING_VALUE);
  w.writer.EndObject();
  w.writer.EndObject();
  w.writer.Key("metadata");
  w.writer.StartObject();
  if (github && !run_id.empty()) {
    auto attempt = env("GITHUB_RUN_ATTEMPT");
    w.member("invocationId", server + "/" + repository + "/actions/runs/" + run_id + "/attempts/" +
                                 (attempt.empty() ? "1" : attempt));
  }
  w.member("startedOn", seconds_iso(in.started));
  w.member("finishedOn", seconds_iso(in.finished));
  w.writer.EndObject();
  w.writer.EndObject();
  w.writer.EndObject();
  return w.str();
}

} // namespace berth
