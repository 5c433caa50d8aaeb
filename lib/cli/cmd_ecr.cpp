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

std::set<std::string> with_aws_options(std::set<std::string> value_options) {
  value_options.insert(aws_value_options().begin(), aws_value_options().end());
  return value_options;
}

namespace {

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

int ecr_docker_login_cmd(const Args &args) {
  if (args.positional().size() != 1) throw UsageError{"login needs REGISTRY"};
  auto path =
      ecr_docker_login(aws_options_from(args), args.positional()[0], args.value_or("--config", ""));
  std::fprintf(stderr, "Login Succeeded (%s written)\n", path.c_str());
  return kOk;
}

int ecr_call_cmd(const Args &args) {
  if (args.positional().empty() || args.positional().size() > 2)
    throw UsageError{"call needs OPERATION [JSON]"};
  std::string body = args.positional().size() == 2 ? args.positional()[1] : "{}";
  if (body == "-") body.assign(std::istreambuf_iterator<char>(std::cin), {});
  std::printf("%s\n", ecr_call(aws_options_from(args), args.positional()[0], body).c_str());
  return kOk;
}

} // namespace

int cmd_ecr(const std::vector<std::string> &argv) {
  if (argv.empty() || argv[0] == "--help" || argv[0] == "-h") {
    std::fputs(find_command("ecr").usage, stdout);
    return argv.empty() ? kUsage : kOk;
  }
  std::vector<std::string> rest(argv.begin() + 1, argv.end());
  return run_subcommand("ecr", argv[0], rest, [&] {
    if (argv[0] == "ensure-repository" || argv[0] == "put-lifecycle-policy" ||
        argv[0] == "scan-gate" || argv[0] == "put-replication-configuration" ||
        argv[0] == "ensure-pull-through-cache" || argv[0] == "ensure-creation-template")
      return cmd_ecr_pipeline(argv[0], rest);
    Args args(rest, with_aws_options({"--config"}), {});
    if (argv[0] == "get-login-password") return ecr_get_login_password(args);
    if (argv[0] == "login") return ecr_docker_login_cmd(args);
    return ecr_call_cmd(args);
  });
}

// The docker credential-helper protocol (docker-credential-helpers): the server URL
// on stdin, JSON on stdout. Only ECR hosts are served.
int cmd_credential_helper(const std::vector<std::string> &argv) {
  if (argv.size() != 1 || argv[0] == "--help" || argv[0] == "-h") {
    std::fputs(find_command("credential-helper").usage, stdout);
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
