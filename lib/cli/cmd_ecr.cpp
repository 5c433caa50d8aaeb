// berth ecr get-login-password | login | call, and berth credential-helper.
#include "cli/args.hpp"
#include "cli/aws_args.hpp"
#include "cli/commands.hpp"
#include "cli/github.hpp"

#include <berth/ecr.hpp>
#include <berth/error.hpp>

#include "core/json.hpp"
#include "ecr/registry_host.hpp"

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <iterator>

namespace berth::cli {

const OptionTable &aws_option_table() {
  static const OptionTable o = {
      {"--region", "R", "the AWS region"},
      {"--profile", "P", "a profile of the AWS config files"},
      {"--role-arn", "ARN", "assume this role"},
      {"--role-session-name", "N", "the assumed role's session name"},
      {"--external-id", "ID", "the external id the role's trust policy asks for"},
      {"--endpoint-url", "URL", "the ECR API's endpoint (ECR Public's for public.ecr.aws)"},
      {"--sts-endpoint-url", "URL", "the STS endpoint"},
      {"--ca-bundle", "FILE", "trust these CAs too"},
  };
  return o;
}

AwsOptions aws_options_from(const Args &args) {
  AwsOptions o;
  o.region = args.value_or("--region", "");
  o.profile = args.value_or("--profile", "");
  o.role_arn = args.value_or("--role-arn", "");
  o.role_session_name = args.value_or("--role-session-name", "");
  o.external_id = args.value_or("--external-id", "");
  o.ecr_endpoint = args.value_or("--endpoint-url", "");
  // The endpoint of whichever API the command talks to (public.ecr.aws: ecr-public).
  o.ecr_public_endpoint = o.ecr_endpoint;
  o.sts_endpoint = args.value_or("--sts-endpoint-url", "");
  o.ca_bundle = args.value_or("--ca-bundle", "");
  return o;
}

const OptionGroup &aws_option_group() {
  static const OptionGroup g = {
      "AWS options (else the AWS CLI's environment and config files apply)", aws_option_table()};
  return g;
}

CommandHelp aws_subcommand_help(const char *text, OptionTable own_options) {
  return {text, std::move(own_options), nullptr, nullptr, {aws_option_group()}};
}

namespace {

const CommandHelp kGetLoginPasswordHelp = aws_subcommand_help(
    "usage: berth ecr get-login-password [REGISTRY] [AWS OPTIONS]\n"
    "\n"
    "Prints the password of an ECR registry (as 'aws ecr get-login-password'), for\n"
    "'docker login --username AWS --password-stdin' or 'skopeo login'. REGISTRY is an\n"
    "ECR host (its account and region are used); without it, the caller's default\n"
    "registry in the region. In GitHub Actions the password is masked in the log.\n");

int ecr_get_login_password(const Args &args) {
  if (args.positional().size() > 1)
    throw UsageError{"get-login-password takes at most one REGISTRY"};
  auto login =
      ecr_login(aws_options_from(args), args.positional().empty() ? "" : args.positional()[0]);
  // In GitHub Actions the password is masked in every later log line.
  github_mask(login.password);
  std::printf("%s\n", login.password.c_str());
  return kOk;
}

const CommandHelp kLoginHelp = aws_subcommand_help(
    "usage: berth ecr login REGISTRY [--config FILE] [AWS OPTIONS]\n"
    "\n"
    "Writes REGISTRY's AWS:<password> entry into docker's config.json ($DOCKER_CONFIG,\n"
    "~/.docker, or --config FILE), atomically and keeping every other entry, so that\n"
    "docker, skopeo, crane and berth can use it.\n",
    {{"--config", "FILE", "the config.json to write"}});

int ecr_docker_login_cmd(const Args &args) {
  if (args.positional().size() != 1) throw UsageError{"login needs REGISTRY"};
  auto path =
      ecr_docker_login(aws_options_from(args), args.positional()[0], args.value_or("--config", ""));
  std::fprintf(stderr, "Login Succeeded (%s written)\n", path.c_str());
  return kOk;
}

const CommandHelp kCallHelp = aws_subcommand_help(
    "usage: berth ecr call OPERATION [JSON|-] [AWS OPTIONS]\n"
    "\n"
    "Runs any ECR API operation (DescribeRepositories, BatchDeleteImage, ...) with the\n"
    "JSON request body (default {}; - reads it from stdin) and prints the JSON reply.\n"
    "Throttling is retried.\n");

int ecr_call_cmd(const Args &args) {
  if (args.positional().empty() || args.positional().size() > 2)
    throw UsageError{"call needs OPERATION [JSON]"};
  std::string body = args.positional().size() == 2 ? args.positional()[1] : "{}";
  if (body == "-") body.assign(std::istreambuf_iterator<char>(std::cin), {});
  std::printf("%s\n", ecr_call(aws_options_from(args), args.positional()[0], body).c_str());
  return kOk;
}

} // namespace

const CommandHelp kEcrHelp = {
    "usage: berth ecr get-login-password [REGISTRY] [AWS OPTIONS]\n"
    "       berth ecr ensure-repository NAME [--scan-on-push] [--immutable]\n"
    "                 [--immutable-except TAG_PREFIX]... [--encryption AES256|KMS\n"
    "                 [--kms-key ARN]] [--apply] [AWS OPTIONS]\n"
    "       berth ecr ensure-pull-through-cache --prefix P --upstream URL [--apply]\n"
    "       berth ecr ensure-creation-template --prefix P|ROOT --applied-for WHAT...\n"
    "       berth ecr put-lifecycle-policy NAME (--file F | [--keep-last N]\n"
    "                 [--expire-untagged-after DAYS]) [--expire-cache-after DAYS]\n"
    "                 [--preview] [AWS OPTIONS]\n"
    "       berth ecr scan-gate REF [--fail-on CRITICAL|HIGH|MEDIUM|LOW] [--max N]\n"
    "                 [--timeout 10m] [AWS OPTIONS]\n"
    "       berth ecr put-replication-configuration --destination REGION[:ACCOUNT]...\n"
    "                 [--repository-prefix P]... [AWS OPTIONS]\n"
    "       berth ecr login REGISTRY [--config FILE] [AWS OPTIONS]\n"
    "       berth ecr call OPERATION [JSON|-] [AWS OPTIONS]\n"
    "\n"
    "get-login-password prints the registry password (as 'aws ecr get-login-password');\n"
    "login writes it into docker's config.json; call runs any ECR API operation.\n"
    "ensure-repository creates a missing repository and reports settings that differ\n"
    "(--apply changes them); ensure-pull-through-cache and ensure-creation-template do\n"
    "the same for pull-through cache rules and repository creation templates.\n"
    "put-lifecycle-policy validates against ECR's rules; --preview lists what the\n"
    "policy would expire now. scan-gate starts a scan when none exists, waits for it\n"
    "and exits 4 when more than --max findings are at or\n"
    "above --fail-on; in GitHub Actions it writes a findings table to the summary.\n",
    aws_option_table(), "AWS options (else the AWS CLI's environment and config files apply)",
    "Run 'berth ecr SUBCOMMAND --help' for a subcommand's options.\n"};

int cmd_ecr(const std::vector<std::string> &argv) {
  if (argv.empty() || argv[0] == "--help" || argv[0] == "-h") {
    print_help(kEcrHelp);
    return argv.empty() ? kUsage : kOk;
  }
  static const std::vector<Subcommand> subcommands = [] {
    std::vector<Subcommand> all = {
        {"get-login-password", &kGetLoginPasswordHelp, ecr_get_login_password},
        {"login", &kLoginHelp, ecr_docker_login_cmd},
        {"call", &kCallHelp, ecr_call_cmd},
    };
    for (const auto &s : ecr_pipeline_subcommands())
      all.push_back(s);
    return all;
  }();
  return run_subcommand("ecr", subcommands, argv[0],
                        std::vector<std::string>(argv.begin() + 1, argv.end()));
}

// The docker credential-helper protocol (docker-credential-helpers): the server URL
// on stdin, JSON on stdout. Only ECR hosts are served.
const CommandHelp kCredentialHelperHelp = {
    "usage: berth credential-helper get|store|erase|list\n"
    "\n"
    "Speaks the docker-credential-helpers protocol on stdin/stdout, so docker,\n"
    "skopeo and podman can use berth for ECR hosts: link it as\n"
    "docker-credential-berth and set \"credHelpers\": {\"<ecr host>\": \"berth\"}.\n",
    {}};

int cmd_credential_helper(const std::vector<std::string> &argv) {
  if (argv.size() != 1 || argv[0] == "--help" || argv[0] == "-h") {
    print_help(kCredentialHelperHelp);
    return argv.size() == 1 ? kOk : kUsage;
  }
  const auto &verb = argv[0];
  std::string input(std::istreambuf_iterator<char>(std::cin), {});
  while (!input.empty() && (input.back() == '\n' || input.back() == '\r' || input.back() == ' '))
    input.pop_back();
  if (verb == "get") {
    // Only exactly an ECR host gets a token: "HOST:x@evil.test" names evil.test to
    // whoever asked, whatever a looser reading of it would say.
    auto host = ecr::server_url_registry_host(input);
    if (!host) {
      // The protocol's "not found" answer lets docker fall back to anonymous.
      std::printf("credentials not found in native keychain\n");
      return kFailure;
    }
    auto login = ecr_login({}, *host);
    core::json::StringWriter w;
    w.writer.StartObject();
    w.writer.Key("ServerURL");
    w.writer.String(input.c_str(), static_cast<rapidjson::SizeType>(input.size()));
    w.writer.Key("Username");
    w.writer.String(login.username.c_str(),
                    static_cast<rapidjson::SizeType>(login.username.size()));
    w.writer.Key("Secret");
    w.writer.String(login.password.c_str(),
                    static_cast<rapidjson::SizeType>(login.password.size()));
    w.writer.EndObject();
    std::printf("%s\n", w.str().c_str());
    return kOk;
  }
  if (verb == "list") {
    std::printf("{}\n");
    return kOk;
  }
  if (verb == "store" || verb == "erase") {
    // ECR passwords come from AWS on demand; there is nothing to keep or forget
    // (amazon-ecr-credential-helper answers the same way).
    std::fprintf(stderr, "berth credential-helper: %s is not implemented for ECR\n", verb.c_str());
    return kFailure;
  }
  throw UsageError{"credential-helper needs get, store, erase or list"};
}

} // namespace berth::cli
