// berth ecr ensure-repository | put-lifecycle-policy | scan-gate, and berth tags.
#include "cli/args.hpp"
#include "cli/aws_args.hpp"
#include "cli/commands.hpp"
#include "cli/github.hpp"

#include <berth/ecr.hpp>
#include <berth/error.hpp>
#include <berth/reference.hpp>
#include <berth/tags.hpp>

#include "core/file.hpp"
#include "core/json.hpp"
#include "core/time.hpp"
#include "core/untrusted_text.hpp"
#include "ecr/registry_host.hpp"

#include <cstdio>
#include <cstdlib>

namespace berth::cli {
namespace {

// --immutable-except TAG_PREFIX (repeated, or comma-separated) as ECR WILDCARD filters:
// a prefix gets a trailing '*', a value with a '*' is a pattern already.
std::vector<std::string> tag_filters(const Args &args) {
  auto out = args.list("--immutable-except");
  for (auto &f : out)
    if (f.find('*') == std::string::npos) f += '*';
  return out;
}

int ensure_repository(const Args &args) {
  if (args.positional().size() != 1) throw UsageError{"ensure-repository needs NAME"};
  RepositorySettings s;
  s.scan_on_push = args.flag("--scan-on-push");
  s.immutable = args.flag("--immutable");
  s.mutability_exclusions = tag_filters(args);
  if (!s.mutability_exclusions.empty()) s.immutable = true;
  s.encryption = args.value_or("--encryption", "");
  s.kms_key = args.value_or("--kms-key", "");
  if (!s.encryption.empty() && s.encryption != "AES256" && s.encryption != "KMS")
    throw UsageError{"--encryption must be AES256 or KMS"};
  if (!s.kms_key.empty() && s.encryption != "KMS")
    throw UsageError{"--kms-key needs --encryption KMS"};
  auto r =
      ecr_ensure_repository(aws_options_from(args), args.positional()[0], s, args.flag("--apply"));
  if (r.created)
    std::fprintf(stderr, "created repository %s\n", r.uri.c_str());
  else
    std::fprintf(stderr, "repository %s exists\n", r.uri.c_str());
  for (const auto &d : r.differences)
    std::fprintf(stderr, "  differs: %s%s\n", core::printable(d).c_str(),
                 r.updated ? " (updated)" : "");
  if (!r.differences.empty() && !args.flag("--apply"))
    std::fprintf(stderr,
                 "  (pass --apply to change tag mutability, its exclusions and scan-on-push)\n");
  std::printf("%s\n", r.uri.c_str());
  github_output("repository", r.uri);
  return kOk;
}

// Prints "created"/"exists" and the differences on stderr, as ensure-repository does.
void report_ensure(const EnsureRepositoryResult &r, const std::string &what, bool apply,
                   const char *applies) {
  std::fprintf(stderr, "%s %s\n", r.created ? "created" : "exists:", what.c_str());
  for (const auto &d : r.differences)
    std::fprintf(stderr, "  differs: %s%s\n", core::printable(d).c_str(),
                 r.updated ? " (updated)" : "");
  if (!r.differences.empty() && !apply)
    std::fprintf(stderr, "  (pass --apply to change %s)\n", applies);
}

int ensure_pull_through_cache(const Args &args) {
  if (!args.positional().empty())
    throw UsageError{"ensure-pull-through-cache takes --prefix and --upstream"};
  PullThroughCacheRule rule{args.required("--prefix"), args.required("--upstream"),
                            args.value_or("--credential-arn", "")};
  auto r = ecr_ensure_pull_through_cache(aws_options_from(args), rule, args.flag("--apply"));
  report_ensure(r, "pull-through cache " + rule.prefix + " -> " + rule.upstream_url,
                args.flag("--apply"), "the credential ARN");
  // What --mirror takes: UPSTREAM=<this>.
  std::printf("%s\n", r.uri.c_str());
  github_output("mirror", r.uri);
  return kOk;
}

int ensure_creation_template(const Args &args) {
  if (!args.positional().empty())
    throw UsageError{"ensure-creation-template takes --prefix and --applied-for"};
  RepositoryCreationTemplate t;
  t.prefix = args.required("--prefix");
  t.applied_for = args.list("--applied-for");
  if (t.applied_for.empty()) throw UsageError{"ensure-creation-template needs --applied-for"};
  t.immutable = args.flag("--immutable");
  t.mutability_exclusions = tag_filters(args);
  if (!t.mutability_exclusions.empty()) t.immutable = true;
  t.encryption = args.value_or("--encryption", "");
  t.kms_key = args.value_or("--kms-key", "");
  t.description = args.value_or("--description", "");
  if (auto f = args.value("--lifecycle-file")) {
    if (args.value("--keep-last") || args.value("--expire-untagged-after"))
      throw UsageError{"use --lifecycle-file or the shorthand options, not both"};
    t.lifecycle_policy = core::read_small_file(*f, 1u << 20);
  } else if (args.value("--keep-last") || args.value("--expire-untagged-after")) {
    t.lifecycle_policy = lifecycle_policy_from_shorthand(args.integer("--keep-last"),
                                                         args.integer("--expire-untagged-after"));
  }
  auto r = ecr_ensure_creation_template(aws_options_from(args), t, args.flag("--apply"));
  report_ensure(r, "creation template " + t.prefix, args.flag("--apply"), "the template");
  std::printf("%s\n", t.prefix.c_str());
  return kOk;
}

int put_lifecycle_policy(const Args &args) {
  if (args.positional().size() != 1) throw UsageError{"put-lifecycle-policy needs NAME"};
  const auto &repo = args.positional()[0];
  std::string policy;
  if (auto f = args.value("--file")) {
    if (args.value("--keep-last") || args.value("--expire-untagged-after"))
      throw UsageError{"use --file or the shorthand options, not both"};
    policy = core::read_small_file(*f, 1u << 20);
  } else {
    policy = lifecycle_policy_from_shorthand(args.integer("--keep-last"),
                                             args.integer("--expire-untagged-after"));
  }
  validate_lifecycle_policy(policy);
  auto aws = aws_options_from(args);
  if (args.flag("--preview")) {
    auto images = ecr_describe_images(aws, repo);
    auto expiring = lifecycle_preview(policy, images, std::chrono::system_clock::now());
    std::printf("%zu of %zu images would expire\n", expiring.size(), images.size());
    for (const auto &e : expiring) {
      std::string tags;
      for (const auto &t : e.image.tags)
        tags += (tags.empty() ? "" : ",") + t;
      std::printf("  rule %d  %s  pushed %s  %s%s%s\n", e.rule_priority, e.image.digest.c_str(),
                  core::format_iso8601(e.image.pushed_at).c_str(),
                  tags.empty() ? "<untagged>" : tags.c_str(),
                  e.unit == e.image.digest ? "" : "  with ",
                  e.unit == e.image.digest ? "" : e.unit.c_str());
    }
    return kOk;
  }
  ecr_put_lifecycle_policy(aws, repo, policy);
  std::fprintf(stderr, "lifecycle policy set on %s\n", repo.c_str());
  return kOk;
}

int scan_gate(const Args &args) {
  if (args.positional().size() != 1)
    throw UsageError{"scan-gate needs REF (registry/repository:tag or @digest)"};
  auto ref = image::Reference::parse(args.positional()[0]);
  ScanGateOptions g;
  // "--fail-on CRITICAL,HIGH" (or the option repeated) counts from the lowest
  // severity named, whatever the order.
  std::string fail_on;
  for (const auto &v : args.values("--fail-on"))
    fail_on += (fail_on.empty() ? "" : ",") + v;
  g.fail_on = scan_gate_threshold(fail_on.empty() ? "CRITICAL" : fail_on);
  g.max = args.integer("--max").value_or(0);
  g.timeout = std::chrono::duration_cast<std::chrono::seconds>(
      args.duration("--timeout", std::chrono::minutes(10)));
  if (auto p = args.integer("--poll-ms")) g.poll = std::chrono::milliseconds(*p);
  auto aws = aws_options_from(args);
  if (aws.region.empty()) {
    // The region of an ECR host is in its name (FIPS and dual-stack names too).
    if (auto host = ecr::parse_registry_host(ref.registry)) aws.region = host->region;
  }
  auto r =
      ecr_scan_gate(aws, ref.repository, ref.digest.empty() ? ref.identifier() : ref.digest, g);
  const bool many = r.images.size() > 1;
  std::printf("scan %s: %d finding(s) at or above %s (limit %d)%s\n\n%s",
              core::printable(r.status).c_str(), r.counted, g.fail_on.c_str(), g.max,
              many ? " in the worst of its images" : "", r.table.c_str());
  // The step summary lists what to fix: each finding at or above the gate's level.
  // Every cell is the scanner's text (names, versions from the image): escaped, so it
  // stays one cell of one row and carries no HTML, link or line of its own.
  // (Built with append: GCC 12 warns falsely on chains of "x" + std::string.)
  using core::markdown_cell;
  std::string cves;
  constexpr std::size_t kMaxListed = 100;
  for (std::size_t i = 0; i < r.findings.size() && i < kMaxListed; ++i) {
    const auto &f = r.findings[i];
    cves.append("| ").append(markdown_cell(f.id)).append(" | ");
    cves.append(markdown_cell(f.severity)).append(" | ");
    cves.append(markdown_cell(f.package));
    if (!f.version.empty()) cves.append(1, ' ').append(markdown_cell(f.version));
    cves.append(" | ").append(f.fixed_in.empty() ? "—" : markdown_cell(f.fixed_in)).append(" |");
    if (many) cves.append(1, ' ').append(markdown_cell(f.image.substr(0, 19))).append(" |");
    cves.append(1, '\n');
  }
  if (!cves.empty()) {
    std::string head =
        many ? "\n| CVE | Severity | Package | Fixed in | Image |\n|---|---|---|---|---|\n"
             : "\n| CVE | Severity | Package | Fixed in |\n|---|---|---|---|\n";
    cves.insert(0, head);
    if (r.findings.size() > kMaxListed)
      cves.append("\n(").append(std::to_string(r.findings.size() - kMaxListed)).append(" more)\n");
  }
  github_summary("### Image scan: " + ref.str() + "\n\n" + r.table + "\n" +
                 (r.passed ? "Passed" : "**Failed**") + ": " + std::to_string(r.counted) +
                 " finding(s) at or above " + g.fail_on + " (limit " + std::to_string(g.max) + ")" +
                 (many ? " in the worst image" : "") + ".\n" + cves);
  if (!r.passed) {
    std::fprintf(stderr, "berth ecr scan-gate: gate failed\n");
    return kGate;
  }
  return kOk;
}

// ECR's own replication: rules that copy every push to other regions or accounts.
int put_replication(const Args &args) {
  auto dests = args.values("--destination");
  if (dests.empty())
    throw UsageError{"put-replication-configuration needs --destination REGION[:ACCOUNT]..."};
  auto aws = aws_options_from(args);
  std::string account;
  std::string rules = "{\"replicationConfiguration\":{\"rules\":[{\"destinations\":[";
  for (std::size_t i = 0; i < dests.size(); ++i) {
    auto colon = dests[i].find(':');
    std::string region = dests[i].substr(0, colon);
    std::string registry = colon == std::string::npos ? "" : dests[i].substr(colon + 1);
    if (registry.empty()) {
      if (account.empty()) account = aws_caller_identity(aws).account;
      registry = account;
    }
    if (region.empty() || registry.size() != 12)
      throw UsageError{"--destination must be REGION[:12-digit ACCOUNT]"};
    rules += std::string(i ? "," : "") + "{\"region\":\"" + region + "\",\"registryId\":\"" +
             registry + "\"}";
  }
  rules += "]";
  auto filters = args.values("--repository-prefix");
  if (!filters.empty()) {
    rules += ",\"repositoryFilters\":[";
    for (std::size_t i = 0; i < filters.size(); ++i)
      rules += std::string(i ? "," : "") + "{\"filter\":\"" + filters[i] +
               "\",\"filterType\":\"PREFIX_MATCH\"}";
    rules += "]";
  }
  rules += "}]}}";
  std::printf("%s\n", ecr_call(aws, "PutReplicationConfiguration", rules).c_str());
  return kOk;
}

} // namespace

int cmd_ecr_pipeline(const std::string &verb, const std::vector<std::string> &rest) {
  Args args(rest,
            with_aws_options({"--encryption", "--kms-key", "--file", "--keep-last",
                              "--expire-untagged-after", "--fail-on", "--max", "--timeout",
                              "--poll-ms", "--destination", "--repository-prefix",
                              "--immutable-except", "--prefix", "--upstream", "--credential-arn",
                              "--applied-for", "--description", "--lifecycle-file"}),
            {"--scan-on-push", "--immutable", "--apply", "--preview"});
  if (verb == "ensure-repository") return ensure_repository(args);
  if (verb == "ensure-pull-through-cache") return ensure_pull_through_cache(args);
  if (verb == "ensure-creation-template") return ensure_creation_template(args);
  if (verb == "put-lifecycle-policy") return put_lifecycle_policy(args);
  if (verb == "put-replication-configuration") return put_replication(args);
  return scan_gate(args);
}

const CommandHelp kTagsHelp = {
    "usage: berth tags compute [--tag-rule RULE]... [--latest auto|true|false]\n"
    "                          [--prefix P] [--suffix S] [--image NAME] [--json]\n"
    "                          [--event E] [--ref REF] [--sha SHA] [--default-branch B]\n"
    "                          [--repository OWNER/NAME]\n"
    "\n"
    "Rules are docker/metadata-action's: type=sha[,prefix=,format=short|long],\n"
    "type=ref,event=branch|tag|pr, type=semver,pattern={{version}}|{{major}}.{{minor}}|\n"
    "{{major}}, type=raw,value=V, type=schedule; each with prefix=, suffix=,\n"
    "enable=true|false|{{is_default_branch}}. The context comes from GITHUB_* unless\n"
    "given. In GitHub Actions the tags and version are written to $GITHUB_OUTPUT.\n",
    {
        {"--tag-rule", "RULE",
         "a tag rule (repeatable; default metadata-action's: schedule, branch, tag, pr)"},
        {"--latest", "auto|true|false", "whether latest is added (default auto)"},
        {"--prefix", "P", "a prefix for every generated tag (not latest)"},
        {"--suffix", "S", "a suffix for every generated tag (not latest)"},
        {"--image", "NAME", "print NAME:TAG instead of TAG"},
        {"--json", nullptr, "the tags, version and OCI labels as JSON"},
        {"--event", "E", "the event (default $GITHUB_EVENT_NAME)"},
        {"--ref", "REF", "the git ref (default $GITHUB_REF)"},
        {"--sha", "SHA", "the commit (default $GITHUB_SHA)"},
        {"--default-branch", "B", "the default branch (default from $GITHUB_EVENT_PATH's payload)"},
        {"--repository", "OWNER/NAME", "the repository (default $GITHUB_REPOSITORY)"},
    }};

int cmd_tags(const std::vector<std::string> &argv) {
  if (argv.empty() || argv[0] != "compute") {
    print_help(kTagsHelp);
    return argv.empty() || argv[0] == "--help" ? kOk : kUsage;
  }
  std::vector<std::string> rest(argv.begin() + 1, argv.end());
  Args args(rest, kTagsHelp.options);
  if (args.help()) {
    print_help(kTagsHelp);
    return kOk;
  }
  auto env = [](const std::string &k) {
    const char *v = std::getenv(k.c_str());
    return std::string(v ? v : "");
  };
  auto ctx = CiContext::from_github_env(env);
  if (auto v = args.value("--event")) ctx.event = *v;
  if (auto v = args.value("--ref")) ctx.ref = *v;
  if (auto v = args.value("--sha")) ctx.sha = *v;
  if (auto v = args.value("--default-branch")) ctx.default_branch = *v;
  if (auto v = args.value("--repository")) ctx.repository = *v;
  TagOptions o;
  o.rules = args.values("--tag-rule");
  o.latest = args.value_or("--latest", "auto");
  o.prefix = args.value_or("--prefix", "");
  o.suffix = args.value_or("--suffix", "");
  auto r = compute_tags(ctx, o);
  std::string image = args.value_or("--image", "");
  std::string joined;
  for (const auto &t : r.tags)
    joined += (joined.empty() ? "" : "\n") + (image.empty() ? t : image + ":" + t);
  if (args.flag("--json")) {
    std::printf("%s\n", to_json(r).c_str());
  } else {
    std::printf("%s\n", joined.c_str());
  }
  github_output("tags", joined);
  github_output("version", r.version);
  return kOk;
}

} // namespace berth::cli
