// Tag strategies against docker/metadata-action's documented behaviour.
#include <doctest/doctest.h>

#include <berth/error.hpp>
#include <berth/tags.hpp>

#include <cstdio>
#include <fstream>

using namespace berth;

namespace {

CiContext ctx(std::string event, std::string ref) {
  CiContext c;
  c.event = std::move(event);
  c.ref = std::move(ref);
  c.sha = "860c1904a1ce19322e91ac35af1ab07466440c37";
  c.default_branch = "main";
  c.repository = "octo/app";
  c.server_url = "https://github.com";
  c.created = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
  return c;
}

const std::vector<std::string> kRules = {
    "type=ref,event=branch",           "type=ref,event=pr",
    "type=semver,pattern={{version}}", "type=semver,pattern={{major}}.{{minor}}",
    "type=semver,pattern={{major}}",   "type=sha"};

std::vector<std::string> tags_for(const CiContext &c, std::vector<std::string> rules = kRules) {
  TagOptions o;
  o.rules = std::move(rules);
  return compute_tags(c, o).tags;
}

} // namespace

TEST_CASE("tags: push to the default branch gets branch and sha, no latest (metadata-action)") {
  CHECK(tags_for(ctx("push", "refs/heads/main")) ==
        std::vector<std::string>{"main", "sha-860c190"});
  CHECK(tags_for(ctx("push", "refs/heads/main"),
                 {"type=ref,event=branch", "type=raw,value=latest,enable={{is_default_branch}}"}) ==
        std::vector<std::string>{"main", "latest"});
}

TEST_CASE("tags: other branches are sanitised and get no latest") {
  CHECK(tags_for(ctx("push", "refs/heads/feature/Login_UI")) ==
        std::vector<std::string>{"feature-Login_UI", "sha-860c190"});
}

TEST_CASE("tags: a release tag gets version, major.minor, major and latest") {
  CHECK(tags_for(ctx("push", "refs/tags/v1.2.3")) ==
        std::vector<std::string>{"1.2.3", "1.2", "1", "sha-860c190", "latest"});
}

TEST_CASE("tags: a pre-release gets only its full version, never latest") {
  CHECK(tags_for(ctx("push", "refs/tags/v2.0.0-rc.1")) ==
        std::vector<std::string>{"2.0.0-rc.1", "sha-860c190"});
}

TEST_CASE("tags: pull requests get pr-N") {
  CHECK(tags_for(ctx("pull_request", "refs/pull/42/merge")) ==
        std::vector<std::string>{"pr-42", "sha-860c190"});
}

TEST_CASE("tags: raw values, enable, prefix, suffix, long sha, schedule") {
  auto c = ctx("push", "refs/heads/dev");
  CHECK(tags_for(c, {"type=raw,value=edge,enable={{is_default_branch}}",
                     "type=raw,value=dev-{{branch}}", "type=sha,format=long,prefix=git-",
                     "type=ref,event=branch,suffix=-amd64"}) ==
        std::vector<std::string>{"dev-dev", "git-860c1904a1ce19322e91ac35af1ab07466440c37",
                                 "dev-amd64"});
  CHECK(tags_for(ctx("schedule", "refs/heads/main"), {"type=schedule"}) ==
        std::vector<std::string>{"nightly"});
  TagOptions o;
  o.rules = {"type=ref,event=branch"};
  o.latest = "false";
  CHECK(compute_tags(ctx("push", "refs/heads/main"), o).tags == std::vector<std::string>{"main"});
}

TEST_CASE("tags: default rules are metadata-action's") {
  // metadata-action's README table: a git tag gets latest (even a pre-release, through
  // type=ref,event=tag), a branch push does not.
  CHECK(compute_tags(ctx("push", "refs/tags/v3.1.0")).tags ==
        std::vector<std::string>{"v3.1.0", "latest"});
  CHECK(compute_tags(ctx("push", "refs/tags/v2.0.8-beta.67")).tags ==
        std::vector<std::string>{"v2.0.8-beta.67", "latest"});
  CHECK(compute_tags(ctx("push", "refs/heads/main")).tags == std::vector<std::string>{"main"});
}

TEST_CASE("tags: labels follow the first tag and the commit") {
  auto r = compute_tags(ctx("push", "refs/tags/v1.2.3"), {kRules, "auto", "", ""});
  CHECK(r.version == "1.2.3");
  CHECK(r.labels.at("org.opencontainers.image.version") == "1.2.3");
  CHECK(r.labels.at("org.opencontainers.image.revision") ==
        "860c1904a1ce19322e91ac35af1ab07466440c37");
  CHECK(r.labels.at("org.opencontainers.image.source") == "https://github.com/octo/app");
  CHECK(r.labels.at("org.opencontainers.image.created") == "2023-11-14T22:13:20Z");
}

TEST_CASE("tags: sanitising to the tag grammar") {
  CHECK(sanitize_tag("feature/x") == "feature-x");
  CHECK(sanitize_tag("..-weird//name!!") == "weird-name-");
  CHECK(sanitize_tag(std::string(200, 'a')).size() == 128);
  CHECK(sanitize_tag("///") == "");
}

TEST_CASE("tags: malformed rules are clear errors") {
  for (const char *bad :
       {"type=nope", "event=branch", "type=raw", "type=sha,format=medium", "type=ref,event=commit",
        "type=raw,value=x,enable=maybe", "type=sha,junk"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(tags_for(ctx("push", "refs/heads/main"), {bad}), Error);
  }
}

TEST_CASE("tags: context from the GitHub environment") {
  std::string payload = "/tmp/berth-test-event.json";
  std::ofstream(payload) << R"({"repository":{"default_branch":"trunk"}})";
  std::map<std::string, std::string> env = {
      {"GITHUB_EVENT_NAME", "push"},      {"GITHUB_REF", "refs/heads/trunk"},
      {"GITHUB_SHA", "abcdef0123456789"}, {"GITHUB_REPOSITORY", "o/r"},
      {"GITHUB_EVENT_PATH", payload},     {"SOURCE_DATE_EPOCH", "0"}};
  auto c =
      CiContext::from_github_env([&](const std::string &k) { return env.count(k) ? env[k] : ""; });
  std::remove(payload.c_str());
  CHECK(c.default_branch == "trunk");
  CHECK(c.server_url == "https://github.com");
  CHECK(compute_tags(c, {{"type=ref,event=branch", "type=sha"}, "auto", "", ""}).tags ==
        std::vector<std::string>{"trunk", "sha-abcdef0"});
}
