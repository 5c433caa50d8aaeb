// Tag strategies with the semantics of docker/metadata-action: which tags an image
// built in CI gets, from the event that triggered the build, plus the matching OCI
// labels/annotations.
//
// Rules are metadata-action's "type=...,key=value" strings:
//   type=sha[,prefix=sha-][,format=short|long]
//   type=ref,event=branch|tag|pr
//   type=semver,pattern={{version}}|{{major}}.{{minor}}|{{major}}|{{major}}.{{minor}}.{{patch}}[,value=v1.2.3]
//   type=raw,value=VALUE
//   type=schedule[,pattern=nightly]
// every rule also takes prefix=, suffix= and enable=true|false|{{is_default_branch}}.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace berth {

// What triggered the build.
struct CiContext {
  std::string event;          // "push", "pull_request", "release", "schedule", "workflow_dispatch"
  std::string ref;            // "refs/heads/main", "refs/tags/v1.2.3", "refs/pull/42/merge"
  std::string sha;            // full commit SHA
  std::string default_branch; // "main"
  std::string repository;     // "owner/name"
  std::string server_url;     // "https://github.com"
  std::optional<std::chrono::system_clock::time_point> created; // nullopt: now

  // From GITHUB_EVENT_NAME, GITHUB_REF, GITHUB_SHA, GITHUB_REPOSITORY,
  // GITHUB_SERVER_URL, the default branch in GITHUB_EVENT_PATH's payload, and
  // SOURCE_DATE_EPOCH. env(name) returns "" when unset.
  static CiContext from_github_env(const std::function<std::string(const std::string &)> &env);
};

struct TagOptions {
  // Empty: metadata-action's defaults (schedule, branch, tag, pr).
  std::vector<std::string> rules;
  // "auto": latest for a non-prerelease semver tag or a git tag through
  // type=ref,event=tag (docker/metadata-action's rule; a branch push gets none);
  // "true" / "false" force it.
  std::string latest = "auto";
  std::string prefix, suffix; // applied to every generated tag (not to latest)
};

struct TagResult {
  std::vector<std::string> tags;             // in priority order, unique
  std::string version;                       // the first tag, as metadata-action's "version"
  std::map<std::string, std::string> labels; // org.opencontainers.image.*
};

// Throws Error(invalid_argument) for a malformed rule.
TagResult compute_tags(const CiContext &ctx, const TagOptions &options = {});

// {"tags":[...],"version":"...","labels":{...}}: what `berth tags compute --json`
// prints and berth_tags_compute returns.
std::string to_json(const TagResult &result);

// Makes a string a valid tag: [A-Za-z0-9_][A-Za-z0-9._-]{0,127}, runs of other
// characters (including '/') become '-', leading '.'/'-' are dropped.
std::string sanitize_tag(const std::string &s);

} // namespace berth
