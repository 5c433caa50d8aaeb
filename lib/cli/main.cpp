#include "cli/args.hpp"
#include "cli/commands.hpp"

#include <cstdio>
#include <cstring>
#include <iostream>

namespace berth::cli {

int exit_code_for(const Error &e) {
  switch (e.code()) {
  case Errc::invalid_argument: return kUsage;
  case Errc::auth:
  case Errc::denied: return kAuth;
  case Errc::gate_failed: return kGate;
  case Errc::network:
  case Errc::timeout:
  case Errc::digest_mismatch:
  case Errc::protocol:
  case Errc::throttled:
  case Errc::server: return kTransfer;
  default: return kFailure;
  }
}

const std::vector<Command> &commands() {
  static const std::vector<Command> all = {
      {"version", "print berth's version", "usage: berth version\n", cmd_version},
      {"sign-request", "sign an HTTP request with AWS SigV4 and show every stage",
       "usage: berth sign-request --url URL [--method M] [--header 'Name: value']...\n"
       "                          [--body-file F] --region R --service S\n"
       "                          [--presign SECONDS] [--unsigned-payload] [--content-sha256]\n"
       "                          [--no-normalize-path] [--no-double-encode]\n"
       "                          [--unsigned-session-token] [--timestamp YYYYMMDDTHHMMSSZ]\n"
       "\n"
       "Credentials come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and\n"
       "AWS_SESSION_TOKEN. Prints the canonical request, the string to sign and the\n"
       "signed request (the secret key is never printed).\n",
       cmd_sign_request},
  };
  return all;
}

} // namespace berth::cli

namespace {

void print_overview() {
  std::printf("berth — build, push, pull and replicate container images without a daemon\n\n"
              "usage: berth COMMAND [OPTIONS]\n\ncommands:\n");
  for (const auto &c : berth::cli::commands()) std::printf("  %-16s %s\n", c.name, c.summary);
  std::printf("\nRun 'berth COMMAND --help' for a command's options.\n");
}

} // namespace

int main(int argc, char **argv) {
  using namespace berth::cli;
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") ||
      !std::strcmp(argv[1], "help")) {
    print_overview();
    return argc < 2 ? kUsage : kOk;
  }
  if (!std::strcmp(argv[1], "--version")) return cmd_version({});
  for (const auto &c : commands()) {
    if (std::strcmp(argv[1], c.name) != 0) continue;
    std::vector<std::string> args(argv + 2, argv + argc);
    try {
      return c.run(args);
    } catch (const UsageError &e) {
      std::fprintf(stderr, "berth %s: %s\n\n%s", c.name, e.message.c_str(), c.usage);
      return kUsage;
    } catch (const berth::Error &e) {
      std::fprintf(stderr, "berth %s: %s\n", c.name, e.what());
      return exit_code_for(e);
    } catch (const std::exception &e) {
      std::fprintf(stderr, "berth %s: internal error: %s\n", c.name, e.what());
      return kFailure;
    }
  }
  std::fprintf(stderr, "berth: unknown command '%s'\n\n", argv[1]);
  print_overview();
  return kUsage;
}
