#include <berth/error.hpp>
#include <berth/tags.hpp>

#include "core/json.hpp"
#include "core/split.hpp"
#include "core/time.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

namespace berth {
namespace {

struct Rule {
  std::string type;
  std::map<std::string, std::string> attrs;
  std::string get(const std::string &k, const std::string &fallback = {}) const {
    auto it = attrs.find(k);
    return it == attrs.end() ? fallback : it->second;
  }
};

Rule parse_rule(const std::string &spec) {
  Rule r;
  for (const auto &raw : core::split(spec)) {
    const std::string item = core::trim(raw, " ");
    if (item.empty()) continue;
    auto eq = item.find('=');
    if (eq == std::string::npos)
      throw Error(Errc::invalid_argument,
                  "tag rule '" + spec + "': '" + item + "' is not key=value");
    r.attrs[item.substr(0, eq)] = item.substr(eq + 1);
  }
  r.type = r.get("type");
  if (r.type.empty()) throw Error(Errc::invalid_argument, "tag rule '" + spec + "' has no type=");
  static const std::set<std::string> types = {"sha", "ref", "semver", "raw", "schedule"};
  if (!types.count(r.type))
    throw Error(Errc::invalid_argument, "tag rule '" + spec + "': unknown type '" + r.type + "'");
  return r;
}

struct Semver {
  std::string major, minor, patch, prerelease, build;
  std::string version() const {
    return major + "." + minor + "." + patch + (prerelease.empty() ? "" : "-" + prerelease) +
           (build.empty() ? "" : "+" + build);
  }
};

// semver.org 2.0 with an optional leading 'v', as metadata-action accepts tags.
std::optional<Semver> parse_semver(std::string s) {
  if (!s.empty() && (s[0] == 'v' || s[0] == 'V')) s.erase(0, 1);
  static const std::regex re(
      R"(^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$)");
  std::smatch m;
  if (!std::regex_match(s, m, re)) return std::nullopt;
  return Semver{m[1], m[2], m[3], m[4], m[5]};
}

std::string replace_all(std::string s, const std::string &from, const std::string &to) {
  for (std::size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size()))
    s.replace(p, from.size(), to);
  return s;
}

bool starts_with(const std::string &s, const char *p) {
  return s.rfind(p, 0) == 0;
}

} // namespace

std::string sanitize_tag(const std::string &s) {
  std::string out;
  bool dash = false;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '_' || c == '.' || c == '-') {
      out.push_back(static_cast<char>(c));
      dash = false;
    } else if (!dash) {
      out.push_back('-');
      dash = true;
    }
  }
  auto first = out.find_first_not_of(".-");
  out = first == std::string::npos ? std::string() : out.substr(first);
  if (out.size() > 128) out.resize(128);
  return out;
}

CiContext CiContext::from_github_env(const std::function<std::string(const std::string &)> &env) {
  CiContext c;
  c.event = env("GITHUB_EVENT_NAME");
  c.ref = env("GITHUB_REF");
  c.sha = env("GITHUB_SHA");
  c.repository = env("GITHUB_REPOSITORY");
  c.server_url = env("GITHUB_SERVER_URL");
  if (c.server_url.empty() && !c.repository.empty()) c.server_url = "https://github.com";
  if (auto path = env("GITHUB_EVENT_PATH"); !path.empty()) {
    std::ifstream in(path);
    std::ostringstream ss;
    ss << in.rdbuf();
    try {
      auto doc = core::json::parse(ss.str(), "GitHub event payload");
      if (const auto *repo = core::json::find(doc, "repository"))
        c.default_branch = core::json::get_string(*repo, "default_branch");
    } catch (const Error &) {
      // A missing or odd payload only loses the default-branch logic.
    }
  }
  if (auto epoch = env("SOURCE_DATE_EPOCH"); !epoch.empty()) {
    try {
      c.created = std::chrono::system_clock::time_point(std::chrono::seconds(std::stoll(epoch)));
    } catch (const std::exception &) {
      throw Error(Errc::config, "SOURCE_DATE_EPOCH must be seconds since the epoch");
    }
  }
  return c;
}

TagResult compute_tags(const CiContext &ctx, const TagOptions &options) {
  std::vector<std::string> specs = options.rules;
  if (specs.empty())
    specs = {"type=schedule", "type=ref,event=branch", "type=ref,event=tag", "type=ref,event=pr"};

  std::string branch = starts_with(ctx.ref, "refs/heads/") ? ctx.ref.substr(11) : "";
  std::string git_tag = starts_with(ctx.ref, "refs/tags/") ? ctx.ref.substr(10) : "";
  std::string pr;
  if (starts_with(ctx.ref, "refs/pull/")) pr = ctx.ref.substr(10, ctx.ref.find('/', 10) - 10);
  const bool is_default_branch = !branch.empty() && branch == ctx.default_branch;

  TagResult result;
  std::set<std::string> seen;
  // What earns "latest" under latest=auto, as in docker/metadata-action: a release
  // semver tag or a git tag through type=ref,event=tag — never a branch push (that is
  // what type=raw,value=latest,enable={{is_default_branch}} is for).
  bool semver_release = false, git_tag_added = false;
  auto add = [&](std::string tag, const Rule *rule) {
    std::string prefix = options.prefix, suffix = options.suffix;
    if (rule) {
      prefix = rule->get("prefix", prefix);
      suffix = rule->get("suffix", suffix);
    }
    tag = sanitize_tag(prefix + tag + suffix);
    if (!tag.empty() && seen.insert(tag).second) result.tags.push_back(tag);
  };

  for (const auto &spec : specs) {
    Rule r = parse_rule(spec);
    std::string enable = replace_all(r.get("enable", "true"), "{{is_default_branch}}",
                                     is_default_branch ? "true" : "false");
    if (enable != "true" && enable != "false")
      throw Error(Errc::invalid_argument,
                  "tag rule '" + spec + "': enable must be true, false or {{is_default_branch}}");
    if (enable == "false") continue;
    if (r.type == "sha") {
      if (ctx.sha.empty()) continue;
      std::string format = r.get("format", "short");
      if (format != "short" && format != "long")
        throw Error(Errc::invalid_argument,
                    "tag rule '" + spec + "': format must be short or long");
      if (!r.attrs.count("prefix")) r.attrs["prefix"] = "sha-";
      add(format == "short" ? ctx.sha.substr(0, 7) : ctx.sha, &r);
    } else if (r.type == "ref") {
      std::string ev = r.get("event");
      if (ev == "branch" && !branch.empty())
        add(branch, &r);
      else if (ev == "tag" && !git_tag.empty()) {
        add(git_tag, &r);
        git_tag_added = true;
      } else if (ev == "pr" && !pr.empty()) {
        if (!r.attrs.count("prefix")) r.attrs["prefix"] = "pr-";
        add(pr, &r);
      } else if (ev != "branch" && ev != "tag" && ev != "pr")
        throw Error(Errc::invalid_argument,
                    "tag rule '" + spec + "': event must be branch, tag or pr");
    } else if (r.type == "semver") {
      auto v = parse_semver(r.get("value", git_tag));
      if (!v) continue; // not a version tag: the rule does not apply
      std::string pattern = r.get("pattern", "{{version}}");
      bool needs_release = pattern.find("{{version}}") == std::string::npos;
      // Pre-releases only get the full version: they move too often to own
      // {{major}} or {{major}}.{{minor}}.
      if (!v->prerelease.empty() && needs_release) continue;
      std::string tag = replace_all(pattern, "{{version}}", v->version());
      tag = replace_all(tag, "{{major}}", v->major);
      tag = replace_all(tag, "{{minor}}", v->minor);
      tag = replace_all(tag, "{{patch}}", v->patch);
      add(tag, &r);
      if (v->prerelease.empty()) semver_release = true;
    } else if (r.type == "raw") {
      if (!r.attrs.count("value"))
        throw Error(Errc::invalid_argument, "tag rule '" + spec + "' needs value=");
      add(replace_all(r.get("value"), "{{branch}}", branch), &r);
    } else if (r.type == "schedule") {
      if (ctx.event == "schedule") add(r.get("pattern", "nightly"), &r);
    }
  }

  bool latest =
      options.latest == "true" || (options.latest == "auto" && (semver_release || git_tag_added));
  if (options.latest != "true" && options.latest != "false" && options.latest != "auto")
    throw Error(Errc::invalid_argument, "latest must be auto, true or false");
  if (latest && seen.insert("latest").second) result.tags.push_back("latest");

  result.version = result.tags.empty() ? "" : result.tags.front();
  auto created = ctx.created.value_or(std::chrono::system_clock::now());
  result.labels["org.opencontainers.image.created"] = core::format_iso8601(created);
  if (!ctx.sha.empty()) result.labels["org.opencontainers.image.revision"] = ctx.sha;
  if (!result.version.empty()) result.labels["org.opencontainers.image.version"] = result.version;
  if (!ctx.repository.empty()) {
    result.labels["org.opencontainers.image.source"] = ctx.server_url + "/" + ctx.repository;
    result.labels["org.opencontainers.image.url"] = ctx.server_url + "/" + ctx.repository;
    result.labels["org.opencontainers.image.title"] =
        ctx.repository.substr(ctx.repository.find('/') + 1);
  }
  return result;
}

std::string to_json(const TagResult &r) {
  core::json::StringWriter w;
  w.writer.StartObject();
  w.writer.Key("tags");
  w.writer.StartArray();
  for (const auto &t : r.tags)
    w.string(t);
  w.writer.EndArray();
  w.member("version", r.version);
  w.writer.Key("labels");
  w.writer.StartObject();
  for (const auto &[k, v] : r.labels)
    w.member(k, v);
  w.writer.EndObject();
  w.writer.EndObject();
  return w.str();
}

} // namespace berth
