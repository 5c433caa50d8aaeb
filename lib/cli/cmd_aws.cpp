// berth aws credentials | whoami: what aws-actions/configure-aws-credentials does
// for a workflow, as a command.
#include "cli/args.hpp"
#include "cli/aws_args.hpp"
#include "cli/commands.hpp"
#include "cli/github.hpp"

#include <berth/ecr.hpp>
#include <berth/error.hpp>

#include "core/json.hpp"
#include "core/time.hpp"

#include <cstdio>
#include <cstdlib>

namespace berth::cli {
namespace {

// Single-quoted for a POSIX shell.
std::string shell_quote(const std::string &s) {
  std::string out = "'";
  for (char c : s)
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

const CommandHelp kWhoamiHelp =
    aws_subcommand_help("usage: berth aws whoami [AWS OPTIONS]\n"
                        "\n"
                        "Prints sts:GetCallerIdentity for the chain's credentials as JSON:\n"
                        "{\"Account\",\"Arn\",\"UserId\"}.\n");

int whoami(const Args &args) {
  auto id = aws_caller_identity(aws_options_from(args));
  core::json::StringWriter w;
  w.writer.StartObject();
  w.member("Account", id.account);
  w.member("Arn", id.arn);
  w.member("UserId", id.user_id);
  w.writer.EndObject();
  std::printf("%s\n", w.str().c_str());
  return kOk;
}

const CommandHelp kCredentialsHelp = aws_subcommand_help(
    "usage: berth aws credentials [--format env|json] [--github-env] [AWS OPTIONS]\n"
    "\n"
    "Resolves the AWS credential chain — environment, web identity, GitHub Actions OIDC\n"
    "(ACTIONS_ID_TOKEN_REQUEST_* with --role-arn or AWS_ROLE_ARN), profiles, ECS,\n"
    "IMDSv2 — and prints shell exports (env) or credential_process JSON (json).\n"
    "--github-env appends them to $GITHUB_ENV with the secrets masked, as\n"
    "configure-aws-credentials does.\n",
    {
        {"--format", "env|json", "shell exports (default) or credential_process JSON"},
        {"--github-env", nullptr, "write to $GITHUB_ENV instead of stdout"},
    });

int credentials(const Args &args) {
  auto aws = aws_options_from(args);
  std::string format = args.value_or("--format", "env");
  if (format != "env" && format != "json" && format != "process")
    throw UsageError{"--format must be env or json"};
  auto c = aws_credentials_provider(aws)->resolve();
  const auto &k = c.credentials;
  // Masks go to stderr (the runner reads both streams); stdout is the result alone.
  // The key id too, as configure-aws-credentials does: it names the account's key.
  github_mask(k.access_key_id);
  github_mask(k.secret_access_key);
  github_mask(k.session_token);
  if (args.flag("--github-env")) {
    // Later steps of the job get the credentials as configure-aws-credentials gives
    // them, each in the delimiter form so no value can add a variable.
    github_env("AWS_ACCESS_KEY_ID", k.access_key_id);
    github_env("AWS_SECRET_ACCESS_KEY", k.secret_access_key);
    if (!k.session_token.empty()) github_env("AWS_SESSION_TOKEN", k.session_token);
    if (!aws.region.empty()) {
      github_env("AWS_REGION", aws.region);
      github_env("AWS_DEFAULT_REGION", aws.region);
    }
    std::fprintf(stderr, "credentials from %s written to $GITHUB_ENV\n", c.provider.c_str());
    return kOk;
  }
  if (format == "env") {
    std::printf("export AWS_ACCESS_KEY_ID=%s\nexport AWS_SECRET_ACCESS_KEY=%s\n",
                shell_quote(k.access_key_id).c_str(), shell_quote(k.secret_access_key).c_str());
    if (!k.session_token.empty())
      std::printf("export AWS_SESSION_TOKEN=%s\n", shell_quote(k.session_token).c_str());
    else
      std::printf("unset AWS_SESSION_TOKEN\n");
  } else {
    // credential_process's output format, which the AWS CLI and SDKs read.
    core::json::StringWriter w;
    w.writer.StartObject();
    w.writer.Key("Version");
    w.writer.Int(1);
    w.member("AccessKeyId", k.access_key_id);
    w.member("SecretAccessKey", k.secret_access_key);
    if (!k.session_token.empty()) w.member("SessionToken", k.session_token);
    if (c.expiration) w.member("Expiration", core::format_iso8601(*c.expiration));
    w.writer.EndObject();
    std::printf("%s\n", w.str().c_str());
  }
  std::fprintf(stderr, "credentials from %s\n", c.provider.c_str());
  return kOk;
}

} // namespace

const CommandHelp kAwsHelp = {
    "usage: berth aws credentials [--format env|json] [--github-env] [AWS OPTIONS]\n"
    "       berth aws whoami [AWS OPTIONS]\n"
    "\n"
    "credentials resolves the chain — environment, web identity, GitHub Actions OIDC\n"
    "(ACTIONS_ID_TOKEN_REQUEST_* with --role-arn or AWS_ROLE_ARN), profiles, ECS, IMDSv2\n"
    "— and prints shell exports (env) or credential_process JSON; --github-env appends\n"
    "them to $GITHUB_ENV with the secrets masked, as configure-aws-credentials does.\n"
    "whoami prints sts:GetCallerIdentity.\n",
    aws_option_table(), "AWS options",
    "Run 'berth aws SUBCOMMAND --help' for a subcommand's details.\n"};

int cmd_aws(const std::vector<std::string> &argv) {
  if (argv.empty() || argv[0] == "--help" || argv[0] == "-h") {
    print_help(kAwsHelp);
    return argv.empty() ? kUsage : kOk;
  }
  static const std::vector<Subcommand> subcommands = {
      {"credentials", &kCredentialsHelp, credentials},
      {"whoami", &kWhoamiHelp, whoami},
  };
  return run_subcommand("aws", subcommands, argv[0],
                        std::vector<std::string>(argv.begin() + 1, argv.end()));
}

} // namespace berth::cli
