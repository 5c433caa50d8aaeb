// The help of each subcommand of `berth ecr` and `berth aws`, and the wrapper that
// prints it for --help and with usage errors (instead of the command's shared
// overview).
#include "cli/args.hpp"
#include "cli/commands.hpp"

#include "core/untrusted_text.hpp"

#include <cstdio>
#include <cstring>

namespace berth::cli {
namespace {

#define BERTH_AWS_OPTIONS_HELP                                                                     \
  "\n"                                                                                             \
  "AWS options (else the AWS CLI's environment and config files apply):\n"                         \
  "  --region R  --profile P  --role-arn ARN  --role-session-name N  --external-id ID\n"           \
  "  --endpoint-url URL (ECR API)  --sts-endpoint-url URL  --ca-bundle FILE\n"

struct Subcommand {
  const char *command, *name, *usage;
};

const Subcommand kSubcommands[] = {
    {"ecr", "get-login-password",
     "usage: berth ecr get-login-password [REGISTRY] [AWS OPTIONS]\n"
     "\n"
     "Prints the password of an ECR registry (as 'aws ecr get-login-password'), for\n"
     "'docker login --username AWS --password-stdin' or 'skopeo login'. REGISTRY is an\n"
     "ECR host (its account and region are used); without it, the caller's default\n"
     "registry in the region. In GitHub Actions the password is masked in the "
     "log.\n" BERTH_AWS_OPTIONS_HELP},
    {"ecr", "login",
     "usage: berth ecr login REGISTRY [--config FILE] [AWS OPTIONS]\n"
     "\n"
     "Writes REGISTRY's AWS:<password> entry into docker's config.json ($DOCKER_CONFIG,\n"
     "~/.docker, or --config FILE), atomically and keeping every other entry, so that\n"
     "docker, skopeo, crane and berth can use it.\n" BERTH_AWS_OPTIONS_HELP},
    {"ecr", "call",
     "usage: berth ecr call OPERATION [JSON|-] [AWS OPTIONS]\n"
     "\n"
     "Runs any ECR API operation (DescribeRepositories, BatchDeleteImage, ...) with the\n"
     "JSON request body (default {}; - reads it from stdin) and prints the JSON reply.\n"
     "Throttling is retried.\n" BERTH_AWS_OPTIONS_HELP},
    {"ecr", "ensure-repository",
     "usage: berth ecr ensure-repository NAME [--scan-on-push] [--immutable]\n"
     "                 [--immutable-except TAG_PREFIX]... [--encryption AES256|KMS\n"
     "                 [--kms-key ARN]] [--apply] [AWS OPTIONS]\n"
     "\n"
     "Creates the repository NAME when it is missing, with these settings, and prints\n"
     "its URI. An existing repository whose settings differ is reported; --apply\n"
     "changes tag mutability (and its exclusions) and scan-on-push (encryption cannot\n"
     "change). In GitHub Actions the URI is written to $GITHUB_OUTPUT as\n"
     "'repository'.\n"
     "\n"
     "  --scan-on-push                scan each image when it is pushed\n"
     "  --immutable                   tags cannot be moved once pushed\n"
     "  --immutable-except TAG_PREFIX immutable, except tags starting with TAG_PREFIX\n"
     "                                (repeat or comma-separate; a value with '*' is an\n"
     "                                ECR wildcard filter): IMMUTABLE_WITH_EXCLUSION\n"
     "  --encryption AES256|KMS       encryption at rest (default: ECR's AES256)\n"
     "  --kms-key ARN                 the KMS key, with --encryption KMS\n"
     "  --apply                       update the settings of an existing "
     "repository\n" BERTH_AWS_OPTIONS_HELP},
    {"ecr", "ensure-pull-through-cache",
     "usage: berth ecr ensure-pull-through-cache --prefix P --upstream URL\n"
     "                 [--credential-arn ARN] [--apply] [AWS OPTIONS]\n"
     "\n"
     "Makes the repository prefix P an ECR pull-through cache of the registry URL\n"
     "(registry-1.docker.io, ghcr.io, public.ecr.aws, ...): the first pull of\n"
     "<registry>/P/<repository> fetches it from upstream. Prints <registry>/P, what\n"
     "--mirror takes (e.g. --mirror docker.io=<that>); in GitHub Actions also as 'mirror'\n"
     "in $GITHUB_OUTPUT. An existing rule with another upstream is reported (it cannot\n"
     "change); --apply changes the credential ARN.\n"
     "\n"
     "  --prefix P                    the repository prefix (docker-hub, ghcr, ...)\n"
     "  --upstream URL                the upstream registry\n"
     "  --credential-arn ARN          a Secrets Manager secret with the upstream login\n"
     "  --apply                       update an existing rule\n" BERTH_AWS_OPTIONS_HELP},
    {"ecr", "ensure-creation-template",
     "usage: berth ecr ensure-creation-template --prefix P|ROOT --applied-for WHAT...\n"
     "                 [--immutable] [--immutable-except TAG_PREFIX]... [--encryption\n"
     "                 AES256|KMS [--kms-key ARN]] [--lifecycle-file F | --keep-last N\n"
     "                 [--expire-untagged-after DAYS]] [--description TEXT] [--apply]\n"
     "                 [AWS OPTIONS]\n"
     "\n"
     "The settings ECR gives repositories under P (ROOT: all without a closer template)\n"
     "that it creates itself. WHAT (repeat or comma-separate): CREATE_ON_PUSH (a push\n"
     "creates a missing repository), PULL_THROUGH_CACHE, REPLICATION. Creates the\n"
     "template when missing; reports settings that differ, --apply changes them.\n"
     "\n"
     "  --immutable, --immutable-except, --encryption, --kms-key  as for ensure-repository\n"
     "  --lifecycle-file F            a lifecycle policy (JSON), validated as for\n"
     "                                put-lifecycle-policy; or the shorthand options\n"
     "  --description TEXT            the template's description\n" BERTH_AWS_OPTIONS_HELP},
    {"ecr", "put-lifecycle-policy",
     "usage: berth ecr put-lifecycle-policy NAME (--file F | [--keep-last N]\n"
     "                 [--expire-untagged-after DAYS]) [--preview] [AWS OPTIONS]\n"
     "\n"
     "Validates a lifecycle policy against ECR's rules and sets it on repository NAME.\n"
     "The shorthand options write the policy: keep the N most recent images, expire\n"
     "untagged images older than DAYS. --preview sets nothing and lists the images the\n"
     "policy would expire now.\n"
     "\n"
     "  --file F                      the policy as JSON\n"
     "  --keep-last N                 keep the N most recent images\n"
     "  --expire-untagged-after DAYS  expire untagged images pushed more than DAYS ago\n"
     "  --preview                     list what would expire instead of setting "
     "it\n" BERTH_AWS_OPTIONS_HELP},
    {"ecr", "scan-gate",
     "usage: berth ecr scan-gate REF [--fail-on CRITICAL|HIGH|MEDIUM|LOW] [--max N]\n"
     "                 [--timeout 10m] [AWS OPTIONS]\n"
     "\n"
     "Starts an image scan of REF (REGISTRY/REPOSITORY:TAG or @DIGEST) when none exists,\n"
     "waits for it and counts the findings at or above --fail-on. Exits 4 when more\n"
     "than --max are found; in GitHub Actions it writes a findings table to the step\n"
     "summary.\n"
     "\n"
     "  --fail-on SEVERITY            the lowest severity counted (default CRITICAL)\n"
     "  --max N                       findings allowed (default 0)\n"
     "  --timeout DURATION            how long to wait for the scan (default "
     "10m)\n" BERTH_AWS_OPTIONS_HELP},
    {"ecr", "put-replication-configuration",
     "usage: berth ecr put-replication-configuration --destination REGION[:ACCOUNT]...\n"
     "                 [--repository-prefix P]... [AWS OPTIONS]\n"
     "\n"
     "Sets ECR's own replication rules: every later push is copied by ECR to each\n"
     "destination region (and account; default the caller's). --repository-prefix\n"
     "limits the rule to repositories starting with P. Prints ECR's reply. To copy one\n"
     "image now, use 'berth replicate'.\n"
     "\n"
     "  --destination REGION[:ACCOUNT] a destination registry (repeatable)\n"
     "  --repository-prefix P          only repositories whose names start with "
     "P\n" BERTH_AWS_OPTIONS_HELP},
    {"aws", "credentials",
     "usage: berth aws credentials [--format env|json] [--github-env] [AWS OPTIONS]\n"
     "\n"
     "Resolves the AWS credential chain — environment, web identity, GitHub Actions OIDC\n"
     "(ACTIONS_ID_TOKEN_REQUEST_* with --role-arn or AWS_ROLE_ARN), profiles, ECS,\n"
     "IMDSv2 — and prints shell exports (env) or credential_process JSON (json).\n"
     "--github-env appends them to $GITHUB_ENV with the secrets masked, as\n"
     "configure-aws-credentials does.\n"
     "\n"
     "  --format env|json             shell exports (default) or credential_process JSON\n"
     "  --github-env                  write to $GITHUB_ENV instead of "
     "stdout\n" BERTH_AWS_OPTIONS_HELP},
    {"aws", "whoami",
     "usage: berth aws whoami [AWS OPTIONS]\n"
     "\n"
     "Prints sts:GetCallerIdentity for the chain's credentials as JSON:\n"
     "{\"Account\",\"Arn\",\"UserId\"}.\n" BERTH_AWS_OPTIONS_HELP},
};

#undef BERTH_AWS_OPTIONS_HELP

} // namespace

const char *subcommand_usage(const std::string &command, const std::string &sub) {
  for (const auto &s : kSubcommands)
    if (command == s.command && sub == s.name) return s.usage;
  return nullptr;
}

int run_subcommand(const std::string &command, const std::string &sub,
                   const std::vector<std::string> &rest, const std::function<int()> &run) {
  const char *usage = subcommand_usage(command, sub);
  if (!usage) throw UsageError{"unknown " + command + " command '" + sub + "'"};
  for (const auto &a : rest) {
    if (a == "--") break;
    if (a == "--help" || a == "-h") {
      std::fputs(usage, stdout);
      return kOk;
    }
  }
  try {
    return run();
  } catch (const UsageError &e) {
    std::fprintf(stderr, "berth %s %s: %s\n\n%s", command.c_str(), core::printable(sub).c_str(),
                 core::printable(e.message).c_str(), usage);
    return kUsage;
  }
}

} // namespace berth::cli
