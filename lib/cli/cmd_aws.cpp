// berth aws credentials | whoami: what aws-actions/configure-aws-credentials does
// for a workflow, as a command.
#include "cli/args.hpp"
#include "cli/aws_args.hpp"
#include "cli/commands.hpp"
#include "cli/github.hpp"

#include <berth/ecr.hpp>
#include <berth/error.hpp>

#include "core/time.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>

namespace berth::cli {
namespace {

// Single-quoted for a POSIX shell.
std::string shell_quote(const std::string &s) {
  std::string out = "'";
  for (char c : s)
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

} // namespace

int cmd_aws(const std::vector<std::string> &argv) {
  if (argv.empty() || argv[0] == "--help" || argv[0] == "-h") {
    std::fputs(find_command("aws").usage, stdout);
    return argv.empty() ? kUsage : kOk;
  }
  std::vector<std::string> rest(argv.begin() + 1, argv.end());
  Args args(rest, with_aws_options({"--format"}), {"--github-env"});
  if (args.help()) {
    std::fputs(find_command("aws").usage, stdout);
    return kOk;
  }
  auto aws = aws_options_from(args);
  if (argv[0] == "whoami") {
    auto id = aws_caller_identity(aws);
    std::printf("{\"Account\":\"%s\",\"Arn\":\"%s\",\"UserId\":\"%s\"}\n", id.account.c_str(),
                id.arn.c_str(), id.user_id.c_str());
    return kOk;
  }
  if (argv[0] != "credentials") throw UsageError{"unknown aws command '" + argv[0] + "'"};
  auto c = aws_credentials_provider(aws)->resolve();
  const auto &k = c.credentials;
  github_mask(k.secret_access_key);
  github_mask(k.session_token);
  std::string format = args.value_or("--format", "env");
  if (args.flag("--github-env")) {
    // Later steps of the job get the credentials as configure-aws-credentials gives them.
    const char *path = std::getenv("GITHUB_ENV");
    if (!path || !*path)
      throw Error(Errc::config, "--github-env needs $GITHUB_ENV (run inside GitHub Actions)");
    std::ofstream out(path, std::ios::app);
    out << "AWS_ACCESS_KEY_ID=" << k.access_key_id
        << "\nAWS_SECRET_ACCESS_KEY=" << k.secret_access_key << "\n";
    if (!k.session_token.empty()) out << "AWS_SESSION_TOKEN=" << k.session_token << "\n";
    if (!aws.region.empty())
      out << "AWS_REGION=" << aws.region << "\nAWS_DEFAULT_REGION=" << aws.region << "\n";
    if (!out) throw Error(Errc::io, "cannot append to $GITHUB_ENV");
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
  } else if (format == "json" || format == "process") {
    std::printf("{\"Version\":1,\"AccessKeyId\":\"%s\",\"SecretAccessKey\":\"%s\"",
                k.access_key_id.c_str(), k.secret_access_key.c_str());
    if (!k.session_token.empty()) std::printf(",\"SessionToken\":\"%s\"", k.session_token.c_str());
    if (c.expiration)
      std::printf(",\"Expiration\":\"%s\"", core::format_iso8601(*c.expiration).c_str());
    std::printf("}\n");
  } else {
    throw UsageError{"--format must be env or json"};
  }
  std::fprintf(stderr, "credentials from %s\n", c.provider.c_str());
  return kOk;
}

} // namespace berth::cli
