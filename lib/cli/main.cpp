#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "cli/interrupt.hpp"
#include "cli/progress_printer.hpp"
#include "cli/suggest.hpp"

#include "core/untrusted_text.hpp"
#include "http/client.hpp"

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <string_view>

namespace berth::cli {

// One rule, the table in README's "Exit codes" and `berth --help`: the code says what to
// do next. A registry's or AWS's definite answer (HTTP 4xx) is 1 unless it is about
// credentials (401, 403: 3) or throttling (429: 5); 2 is berth refusing its own command
// line, never a server's reply; 5 is a transfer that failed where a retry may help.
int exit_code_for(const Error &e) {
  // Stopped by Ctrl-C or SIGTERM: 128+signal, as a shell reports a killed command,
  // whatever error the cancel surfaced as (a helper killed mid-prompt, a cut read).
  if (interrupting_signal()) return 128 + interrupting_signal();
  switch (e.code()) {
  case Errc::invalid_argument: return e.http_status() != 0 ? kFailure : kUsage;
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
      {"version", "print berth's version", &kVersionHelp, cmd_version},
      {"sign-request", "sign an HTTP request with AWS SigV4 and show every stage",
       &kSignRequestHelp, cmd_sign_request},
      {"copy", "copy an image or index between registries, OCI layouts and archives", &kCopyHelp,
       cmd_copy},
      {"push", "push an image to a registry under one or more tags", &kPushHelp, cmd_push},
      {"pull", "pull an image from a registry into a layout", &kPullHelp, cmd_pull},
      {"login", "store a registry's credentials where docker and skopeo read them",
       &kRegistryLoginHelp, cmd_login},
      {"logout", "remove a registry's stored credentials", &kRegistryLogoutHelp, cmd_logout},
      {"replicate", "copy one image to many registries or regions at once", &kReplicateHelp,
       cmd_replicate},
      {"index", "assemble a multi-arch index from per-platform images", &kIndexHelp, cmd_index},
      {"export", "flatten an image into a directory, safely", &kExportHelp, cmd_export},
      {"sign", "sign an image with a cosign key (cosign verify --key accepts it)", &kSignHelp,
       cmd_sign},
      {"verify", "verify an image's cosign signatures with a public key", &kVerifyHelp, cmd_verify},
      {"attest", "attach a signed in-toto attestation (SBOM, provenance) to an image", &kAttestHelp,
       cmd_attest},
      {"sbom", "write an SPDX 2.3 SBOM of an image (files, dpkg/apk/Python/Go packages)",
       &kSbomHelp, cmd_sbom},
      {"build", "build an image from a base and directories, without a daemon", &kBuildHelp,
       cmd_build},
      {"manifest", "print a manifest or index exactly as served", &kManifestHelp, cmd_manifest},
      {"inspect", "describe an image or index: platforms, config, layers, sizes", &kInspectHelp,
       cmd_inspect},
      {"ls", "list the tags of a repository", &kLsHelp, cmd_ls},
      {"catalog", "list the repositories of a registry", &kCatalogHelp, cmd_catalog},
      {"tag", "add tags to a manifest without moving blobs", &kTagHelp, cmd_tag},
      {"rm", "delete a manifest from a registry", &kRmHelp, cmd_rm},
      {"validate", "verify every manifest and blob of an image, recursively", &kValidateHelp,
       cmd_validate},
      {"aws", "AWS credentials from the chain (OIDC, roles, profiles) for later steps", &kAwsHelp,
       cmd_aws},
      {"ecr", "ECR logins and API calls", &kEcrHelp, cmd_ecr},
      {"credential-helper", "docker credential helper for ECR (get|store|erase|list)",
       &kCredentialHelperHelp, cmd_credential_helper},
      {"tags", "compute image tags from the CI context (docker/metadata-action rules)", &kTagsHelp,
       cmd_tags},
  };
  return all;
}

} // namespace berth::cli

namespace {

void print_overview() {
  std::printf("berth — build, push, pull and replicate container images without a daemon\n\n"
              "usage: berth COMMAND [OPTIONS]\n\ncommands:\n");
  for (const auto &c : berth::cli::commands())
    std::printf("  %-16s %s\n", c.name, c.summary);
  std::printf("\nRun 'berth COMMAND --help' for a command's options.\n\n"
              "exit codes (the same table as README's):\n"
              "  0  success\n"
              "  1  the answer was no: not found (a tag, repository, blob, file or platform),\n"
              "     already there (an immutable tag), any other refusal by a registry or AWS\n"
              "     (HTTP 4xx but 401, 403, 429), unsupported, over a limit, unsafe, local I/O,\n"
              "     a failed RUN step, anything else\n"
              "  2  usage: berth refused its command line (an unknown command or option, a bad\n"
              "     option value, an invalid reference)\n"
              "  3  credentials missing, invalid, expired or denied (HTTP 401, 403)\n"
              "  4  a gate failed: scan findings (ecr scan-gate), no valid signature (verify,\n"
              "     pull --verify-key), a bad blob or manifest found by validate\n"
              "  5  the transfer failed and a retry may help: no connection, a timeout or\n"
              "     stall, HTTP 5xx, throttling (429), an upload session the registry dropped,\n"
              "     a reply that breaks the protocol, bytes that do not match their digest\n"
              "  130  interrupted (Ctrl-C, SIGINT): the command stopped within about a second\n"
              "     and removed what it had staged\n"
              "  143  terminated (SIGTERM), as for 130\n");
}

} // namespace

int main(int argc, char **argv) {
  using namespace berth::cli;
  // Installed as docker-credential-berth, berth speaks the helper protocol directly.
  std::string self = argv[0];
  if (self.substr(self.rfind('/') + 1).rfind("docker-credential-", 0) == 0) {
    try {
      return cmd_credential_helper(std::vector<std::string>(argv + 1, argv + argc));
    } catch (const berth::Error &e) {
      std::fprintf(stderr, "%s\n", berth::core::printable(e.what()).c_str());
      return exit_code_for(e);
    }
  }
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") ||
      !std::strcmp(argv[1], "help")) {
    print_overview();
    return argc < 2 ? kUsage : kOk;
  }
  if (!std::strcmp(argv[1], "--version")) return cmd_version({});
  // With --json (anywhere before a "--"), everything berth says on stderr is a JSON
  // line: progress events, retries and the error that ended the command.
  bool json = false;
  for (int k = 1; k < argc && std::strcmp(argv[k], "--"); ++k)
    json = json || !std::strcmp(argv[k], "--json");
  // A wait is never silent: each retry, and a transfer that moves nothing, is said on
  // stderr (a JSON event with --json).
  berth::http::set_wait_notice([json](const char *event, const std::string &text) {
    if (json)
      std::fprintf(stderr, "%s\n", notice_json(event, text).c_str());
    else
      std::fprintf(stderr, "berth: %s\n", berth::core::printable(text).c_str());
  });
  // Options before the command (`berth --json copy A B`) are read as if after it, as
  // git and docker allow; they go before a "--" that ends the options.
  std::vector<std::string> all(argv + 1, argv + argc);
  if (all[0].size() > 1 && all[0][0] == '-') {
    for (std::size_t k = 1; k < all.size(); ++k) {
      if (all[k] == "--") break;
      const bool is_command = std::any_of(commands().begin(), commands().end(),
                                          [&](const auto &c) { return all[k] == c.name; });
      if (!is_command) continue;
      std::vector<std::string> moved(all.begin(), all.begin() + static_cast<long>(k));
      std::vector<std::string> rest(all.begin() + static_cast<long>(k), all.end());
      auto end = std::find(rest.begin(), rest.end(), std::string("--"));
      rest.insert(end, moved.begin(), moved.end());
      all = std::move(rest);
      break;
    }
  }
  stop_on_signals();
  for (const auto &c : commands()) {
    if (all[0] != c.name) continue;
    std::vector<std::string> args(all.begin() + 1, all.end());
    // Messages quote what came from outside (registry replies, tags, file names, the
    // arguments): printable() is the last line of defence against control characters
    // and workflow commands in them, whatever the layers below missed.
    using berth::core::printable;
    try {
      return c.run(args);
    } catch (const UsageError &e) {
      if (json)
        std::fprintf(stderr, "%s\n", error_json(c.name, "usage", kUsage, e.message).c_str());
      else
        print_usage_error(std::string("berth ") + c.name, e.message, *c.help);
      return kUsage;
    } catch (const berth::Error &e) {
      if (json) {
        std::fprintf(
            stderr, "%s\n",
            error_json(c.name, errc_name(e.code()), exit_code_for(e), e.what(), e.http_status())
                .c_str());
        return exit_code_for(e);
      }
      // A message of several lines (a failed RUN's output tail) is printed line by
      // line, each made printable on its own: none can pass for a workflow command.
      std::string_view text = e.what();
      if (interrupting_signal())
        text = interrupting_signal() == SIGINT ? "interrupted" : "terminated";
      const char *prefix = c.name;
      do {
        auto nl = text.find('\n');
        auto line = printable(text.substr(0, nl));
        if (prefix)
          std::fprintf(stderr, "berth %s: %s\n", prefix, line.c_str());
        else
          std::fprintf(stderr, "%s\n", line.c_str());
        prefix = nullptr;
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
      } while (!text.empty());
      return exit_code_for(e);
    } catch (const std::exception &e) {
      if (json)
        std::fprintf(
            stderr, "%s\n",
            error_json(c.name, "internal", kFailure, std::string("internal error: ") + e.what())
                .c_str());
      else
        std::fprintf(stderr, "berth %s: internal error: %s\n", c.name, printable(e.what()).c_str());
      return kFailure;
    }
  }
  std::vector<std::string> names;
  for (const auto &c : commands())
    names.emplace_back(c.name);
  // The word meant as the command: the first that is not an option (`berth --json pul`).
  std::string word = all[0];
  for (const auto &a : all)
    if (a == "--" || a.empty() || a[0] != '-') {
      if (a != "--") word = a;
      break;
    }
  if (json)
    std::fprintf(stderr, "%s\n",
                 error_json("", "usage", kUsage,
                            "unknown command '" + word + "'" + did_you_mean(word, names))
                     .c_str());
  else
    std::fprintf(stderr, "berth: unknown command '%s'%s\nsee 'berth --help'\n",
                 berth::core::printable(word).c_str(), did_you_mean(word, names).c_str());
  return kUsage;
}
