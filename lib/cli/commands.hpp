// The berth command's subcommands. Each takes its arguments (after the command
// name) and returns the process exit code.
#pragma once

#include <berth/build.hpp>
#include <berth/error.hpp>

#include "cli/options.hpp"

#include <string>
#include <vector>

namespace berth::cli {

// Exit codes distinguish what CI scripts branch on (README "Exit codes"; exit_code_for).
enum Exit : int {
  kOk = 0,
  kFailure = 1,  // the answer was no (not found, a registry's 4xx, ...), anything else
  kUsage = 2,    // berth refused its command line
  kAuth = 3,     // credentials missing, invalid, expired or denied
  kGate = 4,     // a gate failed (scan findings, no valid signature, validate)
  kTransfer = 5, // the transfer failed and a retry may help (network, 5xx, 429, digests)
};

int exit_code_for(const Error &e);

class Args;

// A subcommand of `berth ecr` / `berth aws`: its help, whose options are what it
// parses, and what it runs with them.
struct Subcommand {
  const char *name;
  const CommandHelp *help;
  int (*run)(const Args &args);
};
// Runs the subcommand sub of command with rest: --help in rest prints its help; its
// options are parsed from its help; a usage error prints the message and that help
// (exit 2); an unknown sub is a usage error of the command.
int run_subcommand(const std::string &command, const std::vector<Subcommand> &subs,
                   const std::string &sub, const std::vector<std::string> &rest);

// An entry of `berth --help`; the help and the option table live beside the code.
struct Command {
  const char *name;
  const char *summary;
  const CommandHelp *help;
  int (*run)(const std::vector<std::string> &args);
};

const std::vector<Command> &commands();

int cmd_version(const std::vector<std::string> &args);
int cmd_sign_request(const std::vector<std::string> &args);
int cmd_copy(const std::vector<std::string> &args);
int cmd_ecr(const std::vector<std::string> &args);
int cmd_credential_helper(const std::vector<std::string> &args);
// ensure-repository, ensure-pull-through-cache, ensure-creation-template,
// put-lifecycle-policy, scan-gate, put-replication-configuration (cmd_ecr_pipeline.cpp).
const std::vector<Subcommand> &ecr_pipeline_subcommands();
int cmd_tags(const std::vector<std::string> &args);
int cmd_build(const std::vector<std::string> &args);
// berth build -f Dockerfile [CONTEXT] (cmd_build_dockerfile.cpp), from cmd_build's Args.
int build_dockerfile_command(const Args &args);
// What berth build prints for a result: the digest on stdout (JSON with --json), the
// rest on stderr; GitHub outputs.
enum class OutputMode;
int print_build_result(const BuildResult &r, OutputMode mode);
int cmd_push(const std::vector<std::string> &args);
int cmd_pull(const std::vector<std::string> &args);
int cmd_replicate(const std::vector<std::string> &args);
int cmd_index(const std::vector<std::string> &args);
int cmd_export(const std::vector<std::string> &args);
int cmd_aws(const std::vector<std::string> &args);
int cmd_sign(const std::vector<std::string> &args);
int cmd_verify(const std::vector<std::string> &args);
int cmd_attest(const std::vector<std::string> &args);
int cmd_sbom(const std::vector<std::string> &args);
// $COSIGN_PASSWORD, the signing key's password ("" when unset).
std::string key_password();

// Inspection (cmd_inspect.cpp).
int cmd_manifest(const std::vector<std::string> &args);
int cmd_inspect(const std::vector<std::string> &args);
int cmd_ls(const std::vector<std::string> &args);
int cmd_catalog(const std::vector<std::string> &args);
int cmd_tag(const std::vector<std::string> &args);
int cmd_rm(const std::vector<std::string> &args);
int cmd_validate(const std::vector<std::string> &args);
int cmd_login(const std::vector<std::string> &args);
int cmd_logout(const std::vector<std::string> &args);

// Each command's help, defined beside it.
extern const CommandHelp kVersionHelp, kSignRequestHelp, kCopyHelp, kPushHelp, kPullHelp,
    kReplicateHelp, kIndexHelp, kExportHelp, kSignHelp, kVerifyHelp, kAttestHelp, kSbomHelp,
    kBuildHelp, kManifestHelp, kInspectHelp, kLsHelp, kCatalogHelp, kTagHelp, kRmHelp,
    kValidateHelp, kAwsHelp, kEcrHelp, kCredentialHelperHelp, kTagsHelp, kRegistryLoginHelp,
    kRegistryLogoutHelp;

} // namespace berth::cli
