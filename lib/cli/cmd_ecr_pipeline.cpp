// berth ecr ensure-repository | ensure-pull-through-cache | ensure-creation-template |
// put-lifecycle-policy | scan-gate | put-replication-configuration, and berth tags.
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

// The settings ensure-repository and ensure-creation-template share.
const OptionTable kRepositorySettingsOptions = {
    {"--immutable", nullptr, "tags cannot be moved once pushed"},
    {"--immutable-except", "TAG_PREFIX",
     "immutable, except tags starting with TAG_PREFIX (repeat or comma-separate; a value with "
     "'*' is an ECR wildcard filter): IMMUTABLE_WITH_EXCLUSION"},
    {"--encryption", "AES256|KMS", "encryption at rest (default: ECR's AES256)"},
    {"--kms-key", "ARN", "the KMS key, with --encryption KMS"},
};

// The lifecycle policy shorthand of put-lifecycle-policy and ensure-creation-template.
const OptionTable kLifecycleShorthandOptions = {
    {"--keep-last", "N", "keep the N most recent images"},
    {"--expire-untagged-after", "DAYS", "expire untagged images pushed more than DAYS ago"},
    {"--expire-cache-after", "DAYS",
     "expire build caches (berth build --cache-to) not pushed for DAYS; a first rule, so "
     "--keep-last never counts them"},
    {"--cache-tag-prefix", "PREFIX", "the build caches' tag prefix (default buildcache)"},
};

// The policy the lifecycle options give (file_flag's JSON, or the shorthand, with the
// build cache rule first when asked); "" when none is given.
std::string lifecycle_from_args(const Args &args, const char *file_flag) {
  const bool shorthand = args.value("--keep-last") || args.value("--expire-untagged-after");
  const auto cache_days = args.integer("--expire-cache-after");
  if (args.value("--cache-tag-prefix") && !cache_days)
    throw UsageError{"--cache-tag-prefix goes with --expire-cache-after"};
  std::string policy;
  if (auto f = args.value(file_flag)) {
    if (shorthand)
      throw UsageError{std::string("use ") + file_flag + " or the shorthand options, not both"};
    policy = core::read_small_file(*f, 1u << 20);
  } else if (shorthand) {
    policy = lifecycle_policy_from_shorthand(args.integer("--keep-last"),
                                             args.integer("--expire-untagged-after"));
  }
  if (cache_days)
    policy = lifecycle_policy_with_build_cache(policy, *cache_days,
                                               args.value_or("--cache-tag-prefix", "buildcache"));
  return policy;
}

const CommandHelp kEnsureRepositoryHelp = aws_subcommand_help(
    "usage: berth ecr ensure-repository NAME [--scan-on-push] [--immutable]\n"
    "                 [--immutable-except TAG_PREFIX]... [--encryption AES256|KMS\n"
    "                 [--kms-key ARN]] [--apply] [AWS OPTIONS]\n"
    "\n"
    "Creates the repository NAME when it is missing, with these settings, and prints\n"
    "its URI. An existing repository whose settings differ is reported; --apply\n"
    "changes tag mutability (and its exclusions) and scan-on-push (encryption cannot\n"
    "change). In GitHub Actions the URI is written to $GITHUB_OUTPUT as\n"
    "'repository'.\n",
    OptionTable{{"--scan-on-push", nullptr, "scan each image when it is pushed"}} +
        kRepositorySettingsOptions +
        OptionTable{{"--apply", nullptr, "update the settings of an existing repository"}});

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

const CommandHelp kEnsurePullThroughCacheHelp = aws_subcommand_help(
    "usage: berth ecr ensure-pull-through-cache --prefix P --upstream URL\n"
    "                 [--credential-arn ARN] [--apply] [AWS OPTIONS]\n"
    "\n"
    "Makes the repository prefix P an ECR pull-through cache of the registry URL\n"
    "(registry-1.docker.io, ghcr.io, public.ecr.aws, ...): the first pull of\n"
    "<registry>/P/<repository> fetches it from upstream. Prints <registry>/P, what\n"
    "--mirror takes (e.g. --mirror docker.io=<that>); in GitHub Actions also as 'mirror'\n"
    "in $GITHUB_OUTPUT. An existing rule with another upstream is reported (it cannot\n"
    "change); --apply changes the credential ARN.\n",
    {
        {"--prefix", "P", "the repository prefix (docker-hub, ghcr, ...)"},
        {"--upstream", "URL", "the upstream registry"},
        {"--credential-arn", "ARN", "a Secrets Manager secret with the upstream login"},
        {"--apply", nullptr, "update an existing rule"},
    });

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

const CommandHelp kEnsureCreationTemplateHelp = aws_subcommand_help(
    "usage: berth ecr ensure-creation-template --prefix P|ROOT --applied-for WHAT...\n"
    "                 [--immutable] [--immutable-except TAG_PREFIX]... [--encryption\n"
    "                 AES256|KMS [--kms-key ARN]] [--lifecycle-file F | --keep-last N\n"
    "                 [--expire-untagged-after DAYS]] [--description TEXT] [--apply]\n"
    "                 [AWS OPTIONS]\n"
    "\n"
    "The settings ECR gives repositories under P (ROOT: all without a closer template)\n"
    "that it creates itself. WHAT (repeat or comma-separate): CREATE_ON_PUSH (a push\n"
    "creates a missing repository), PULL_THROUGH_CACHE, REPLICATION. Creates the\n"
    "template when missing; reports settings that differ, --apply changes them.\n",
    OptionTable{
        {"--prefix", "P|ROOT", "the repository prefix the template applies to"},
        {"--applied-for", "WHAT",
         "CREATE_ON_PUSH, PULL_THROUGH_CACHE and/or REPLICATION (repeat or comma-separate)"},
    } + kRepositorySettingsOptions +
        OptionTable{
            {"--lifecycle-file", "F",
             "a lifecycle policy (JSON), validated as for put-lifecycle-policy; or the "
             "shorthand options"},
        } +
        kLifecycleShorthandOptions +
        OptionTable{
            {"--description", "TEXT", "the template's description"},
            {"--apply", nullptr, "update the settings of an existing template"},
        });

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
  t.lifecycle_policy = lifecycle_from_args(args, "--lifecycle-file");
  auto r = ecr_ensure_creation_template(aws_options_from(args), t, args.flag("--apply"));
  report_ensure(r, "creation template " + t.prefix, args.flag("--apply"), "the template");
  std::printf("%s\n", t.prefix.c_str());
  return kOk;
}

const CommandHelp kPutLifecyclePolicyHelp = aws_subcommand_help(
    "usage: berth ecr put-lifecycle-policy NAME (--file F | [--keep-last N]\n"
    "                 [--expire-untagged-after DAYS]) [--expire-cache-after DAYS\n"
    "                 [--cache-tag-prefix PREFIX]] [--preview] [AWS OPTIONS]\n"
    "\n"
    "Validates a lifecycle policy against ECR's rules and sets it on repository NAME.\n"
    "The shorthand options write the policy: keep the N most recent images, expire\n"
    "untagged images older than DAYS. --expire-cache-after adds a first rule for build\n"
    "caches: an untouched cache tag expires, an old cache manifest left untagged when\n"
    "its tag moved goes with --expire-untagged-after. --preview sets nothing and lists\n"
    "the images the policy would expire now.\n",
    OptionTable{{"--file", "F", "the policy as JSON"}} + kLifecycleShorthandOptions +
        OptionTable{{"--preview", nullptr, "list what would expire instead of setting it"}});

int put_lifecycle_policy(const Args &args) {
  if (args.positional().size() != 1) throw UsageError{"put-lifecycle-policy needs NAME"};
  const auto &repo = args.positional()[0];
  const auto policy = lifecycle_from_args(args, "--file");
  if (policy.empty()) throw UsageError{"put-lifecycle-policy needs --file or a shorthand option"};
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

const CommandHelp kScanGateHelp = aws_subcommand_help(
    "usage: berth ecr scan-gate REF [--fail-on CRITICAL|HIGH|MEDIUM|LOW] [--max N]\n"
    "                 [--timeout 10m] [AWS OPTIONS]\n"
    "\n"
    "Starts an image scan of REF (REGISTRY/REPOSITORY:TAG or @DIGEST) when none exists,\n"
    "waits for it and counts the findings at or above --fail-on. Exits 4 when more\n"
    "than --max are found; in GitHub Actions it writes a findings table to the step\n"
    "summary.\n",
    {
        {"--fail-on", "SEVERITY", "the lowest severity counted (default CRITICAL)"},
        {"--max", "N", "findings allowed (default 0)"},
        {"--timeout", "DURATION", "how long to wait for the scan (default 10m)"},
        {"--poll-ms", "MS", "how often to ask for the scan's status (default 5000)"},
    });

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
const CommandHelp kPutReplicationHelp = aws_subcommand_help(
    "usage: berth ecr put-replication-configuration --destination REGION[:ACCOUNT]...\n"
    "                 [--repository-prefix P]... [AWS OPTIONS]\n"
    "\n"
    "Sets ECR's own replication rules: every later push is copied by ECR to each\n"
    "destination region (and account; default the caller's). --repository-prefix\n"
    "limits the rule to repositories starting with P. Prints ECR's reply. To copy one\n"
    "image now, use 'berth replicate'.\n",
    {
        {"--destination", "REGION[:ACCOUNT]", "a destination registry (repeatable)"},
        {"--repository-prefix", "P", "only repositories whose names start with P"},
    });

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

const std::vector<Subcommand> &ecr_pipeline_subcommands() {
  static const std::vector<Subcommand> all = {
      {"ensure-repository", &kEnsureRepositoryHelp, ensure_repository},
      {"ensure-pull-through-cache", &kEnsurePullThroughCacheHelp, ensure_pull_through_cache},
      {"ensure-creation-template", &kEnsureCreationTemplateHelp, ensure_creation_template},
      {"put-lifecycle-policy", &kPutLifecyclePolicyHelp, put_lifecycle_policy},
      {"scan-gate", &kScanGateHelp, scan_gate},
      {"put-replication-configuration", &kPutReplicationHelp, put_replication},
  };
  return all;
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
  Args args(rest, kTagsHelp.all_options());
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
  } else if (!joined.empty()) {
    std::printf("%s\n", joined.c_str());
  }
  if (r.tags.empty()) std::fprintf(stderr, "berth tags: %s\n", why_no_tags(ctx).c_str());
  github_output("tags", joined);
  github_output("version", r.version);
  return kOk;
}

} // namespace berth::cli
