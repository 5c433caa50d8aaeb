#include "cli/args.hpp"
#include "cli/commands.hpp"

#include "core/untrusted_text.hpp"

#include <cstdio>
#include <cstring>
#include <iostream>
#include <stdexcept>

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
      {"copy", "copy an image or index between registries, OCI layouts and archives",
       "usage: berth copy [OPTIONS] SRC DST\n"
       "\n"
       "SRC and DST: docker://REF (or a bare REF), oci:DIR[:TAG], oci-archive:FILE[:TAG]\n"
       "or docker-archive:FILE[:REF] (the `docker save` / `docker load` format; as a SRC,\n"
       "docker-archive:FILE:@N picks the Nth image). A compressed or piped archive SRC is\n"
       "read too. An archive DST is written whole once every blob has arrived, replacing\n"
       "the file atomically; a docker-archive holds one image (use --platform for an\n"
       "index) tagged REF.\n"
       "\n"
       "  --format oci|docker           write OCI or Docker schema 2 media types, converting\n"
       "                                the manifests (their digests change, blobs do not).\n"
       "                                Default: as the source has them, except that a\n"
       "                                docker-archive SRC becomes OCI in oci: and oci-archive:\n"
       "  --platform OS/ARCH[/VARIANT]  copy one image of a multi-arch index\n"
       "  --jobs N                      parallel blob transfers (default 4)\n"
       "  --src-creds USER:PASS         source credentials (else docker config.json)\n"
       "  --dest-creds USER:PASS        destination credentials\n"
       "  --plain-http                  use http:// (loopback registries always do)\n"
       "  --insecure                    skip TLS verification\n"
       "  --ca-bundle FILE              trust these CAs too\n"
       "  --timeout DURATION            give up after this long in all (e.g. 10m; default none)\n"
       "  --stall-timeout DURATION      abandon a transfer moving under 1 KiB/s this long\n"
       "                                (resumed where safe; default 60s, 0 = never)\n"
       "  --referrers true|false        copy the referrers (signatures, SBOMs, attestations)\n"
       "                                of each image too, OCI referrers and cosign's\n"
       "                                sha256-<hex>.sig/.att/.sbom tags (default true)\n"
       "  --artifact-type TYPE          only referrers of this artifact type (repeatable)\n"
       "  --chunk-size BYTES            push big blobs in PATCHes of this size (for proxies\n"
       "                                that cap request bodies); default one request per blob\n"
       "  --create-repository           create a missing ECR repository first (with SRC's\n"
       "                                settings when SRC is in ECR) instead of NAME_UNKNOWN\n"
       "  --mirror SRC=HOST[/PREFIX]    read a SRC in registry SRC through HOST/PREFIX (an\n"
       "                                ECR pull-through cache, a mirror), falling back to\n"
       "                                SRC when the mirror cannot serve it (repeatable)\n"
       "  --json                        progress and result as JSON lines\n"
       "  --quiet                       print only the digest\n",
       cmd_copy},
      {"push", "push an image to a registry under one or more tags",
       "usage: berth push [OPTIONS] SRC REF[:TAG] [--tag T]... [--tags-from-ci [--tag-rule R]...]\n"
       "\n"
       "Blobs go once, the manifest once, then each tag is a manifest PUT — skipped when\n"
       "the tag already points at the digest, so re-runs against immutable repositories\n"
       "succeed. --tags-from-ci computes tags from GITHUB_* (see 'berth tags'). In GitHub\n"
       "Actions, registry, image, digest and tags are written to $GITHUB_OUTPUT.\n"
       "\n"
       "  --format oci|docker           convert the manifests' media types (see copy --help)\n"
       "  --platform OS/ARCH[/VARIANT]  one image of a multi-arch index\n"
       "  --jobs N                      parallel blob transfers (default 4)\n"
       "  --src-creds U:P / --dest-creds U:P  credentials (else docker config, ECR chain)\n"
       "  --plain-http  --insecure  --ca-bundle FILE  --json | --quiet\n"
       "  --timeout DURATION  --stall-timeout DURATION  --chunk-size BYTES\n"
       "  --referrers true|false  --artifact-type TYPE  --create-repository  (as for copy)\n"
       "  --sign-key cosign.key         sign the pushed image (see 'berth sign')\n",
       cmd_push},
      {"pull", "pull an image from a registry into a layout",
       "usage: berth pull [OPTIONS] REF DST\n\nDST: oci:DIR[:TAG], oci-archive:FILE[:TAG] or "
       "docker-archive:FILE[:REF].\n\n"
       "  --format oci|docker           convert the manifests' media types (see copy --help)\n"
       "  --platform OS/ARCH[/VARIANT]  one image of a multi-arch index\n"
       "  --jobs N                      parallel blob transfers (default 4)\n"
       "  --src-creds U:P / --dest-creds U:P  credentials (else docker config, ECR chain)\n"
       "  --plain-http  --insecure  --ca-bundle FILE  --json | --quiet\n"
       "  --timeout DURATION  --stall-timeout DURATION\n"
       "  --referrers true|false  --artifact-type TYPE  --mirror SRC=HOST[/PREFIX]  (as for\n"
       "  copy)\n"
       "  --verify-key cosign.pub       pull only an image signed with this key, by the\n"
       "                                digest that verified (else exit 4, nothing written)\n",
       cmd_pull},
      {"replicate", "copy one image to many registries or regions at once",
       "usage: berth replicate [OPTIONS] SRC DST... [--tag T]...\n"
       "\n"
       "Each blob is read from SRC once and streamed to every DST that lacks it in\n"
       "parallel; DSTs on SRC's registry mount. (ECR's own replication is\n"
       "'berth ecr put-replication-configuration'.)\n\n"
       "  --format oci|docker           convert the manifests' media types (see copy --help)\n"
       "  --platform OS/ARCH[/VARIANT]  one image of a multi-arch index\n"
       "  --jobs N                      parallel blob transfers (default 4)\n"
       "  --src-creds U:P / --dest-creds U:P  credentials (else docker config, ECR chain)\n"
       "  --plain-http  --insecure  --ca-bundle FILE  --json | --quiet\n"
       "  --timeout DURATION  --stall-timeout DURATION  --chunk-size BYTES\n"
       "  --referrers true|false  --artifact-type TYPE  --create-repository\n"
       "  --mirror SRC=HOST[/PREFIX]  (as for copy)\n",
       cmd_replicate},
      {"index", "assemble a multi-arch index from per-platform images",
       "usage: berth index [OPTIONS] SRC... --output DST [--tag T]...\n"
       "\n"
       "Children go to DST by digest, with their platform read from their config; only\n"
       "the index is tagged.\n\n"
       "  --annotation K=V              an annotation on the index (repeatable; makes it\n"
       "                                an OCI index)\n"
       "  --format oci|docker           convert the manifests' media types (see copy --help)\n"
       "  --platform OS/ARCH[/VARIANT]  one image of a multi-arch index\n"
       "  --jobs N                      parallel blob transfers (default 4)\n"
       "  --src-creds U:P / --dest-creds U:P  credentials (else docker config, ECR chain)\n"
       "  --plain-http  --insecure  --ca-bundle FILE  --json | --quiet\n"
       "  --timeout DURATION  --stall-timeout DURATION  --chunk-size BYTES\n"
       "  --referrers true|false  --artifact-type TYPE  --create-repository  (as for copy)\n",
       cmd_index},
      {"export", "flatten an image into a directory, safely",
       "usage: berth export [OPTIONS] SRC DIR\n"
       "\n"
       "Layers are applied in order with OCI whiteouts. Entries that would land outside\n"
       "DIR (.., absolute paths, symlink or hardlink escapes) are refused; symlinks in\n"
       "DIR are never followed; files appear under their names only when complete.\n"
       "setuid/setgid bits are dropped; device nodes are skipped unless --devices.\n"
       "\n"
       "  --platform OS/ARCH[/VARIANT]  one image of a multi-arch index (default linux/amd64)\n"
       "  --max-size BYTES              stop past this many bytes of files (default 64 GiB)\n"
       "  --max-expansion-ratio R       stop when files outgrow the compressed layers R times\n"
       "                                (checked past the first 16 MiB; default 200, 0 = off)\n"
       "  --devices                     create character and block devices (as root; 0600)\n"
       "  --src-creds U:P  --plain-http  --insecure  --ca-bundle FILE\n"
       "  --timeout DURATION  --stall-timeout DURATION  (as for copy)\n",
       cmd_export},
      {"sign", "sign an image with a cosign key (cosign verify --key accepts it)",
       "usage: berth sign --key cosign.key [-a KEY=VALUE]... REF\n"
       "\n"
       "Signs REF (docker://REF or oci:DIR[:TAG]) as `cosign sign --key` does: a\n"
       "simple-signing payload naming the image's digest, signed with the ECDSA P-256\n"
       "key, added to the manifest tagged sha256-<hex>.sig. The key file is cosign's\n"
       "(encrypted: the password comes from $COSIGN_PASSWORD) or a PEM EC key. No\n"
       "transparency-log entry is made. Prints the signed digest.\n"
       "\n"
       "  -a, --annotation KEY=VALUE    in the payload's \"optional\" object\n"
       "  --creds U:P  --plain-http  --insecure  --ca-bundle FILE\n",
       cmd_sign},
      {"verify", "verify an image's cosign signatures with a public key",
       "usage: berth verify --key cosign.pub REF\n"
       "\n"
       "Checks the signatures `cosign sign --key` (or berth sign) made: at least one\n"
       "must be signed by the key and name REF's digest, else exit 4 (a failed gate).\n"
       "Prints the verified payloads as a JSON array, as cosign verify does. The\n"
       "transparency log is not consulted.\n"
       "\n"
       "  --creds U:P  --plain-http  --insecure  --ca-bundle FILE\n",
       cmd_verify},
      {"attest", "attach a signed in-toto attestation (SBOM, provenance) to an image",
       "usage: berth attest --key cosign.key --predicate FILE [--type T] REF\n"
       "\n"
       "Wraps the JSON predicate in an in-toto statement about REF's digest, signs it as\n"
       "a DSSE envelope and attaches it where `cosign verify-attestation --key` finds it\n"
       "(tag sha256-<hex>.att). T: a predicate type URI or cosign's short names\n"
       "spdxjson, cyclonedx, slsaprovenance, slsaprovenance1, vuln, custom (default).\n"
       "\n"
       "  --creds U:P  --plain-http  --insecure  --ca-bundle FILE\n",
       cmd_attest},
      {"sbom", "write an SPDX 2.3 SBOM of an image (files, dpkg/apk/Python/Go packages)",
       kSbomUsage, cmd_sbom},
      {"build", "build an image from a base and directories, without a daemon",
       "usage: berth build [--from REF|oci:DIR[:TAG]|scratch] [--layer DIR[:/DEST]|TAR]...\n"
       "                   [--compression gzip|zstd|none] [--level N] [--entrypoint JSON]\n"
       "                   [--cmd JSON] [--env K=V]... [--label K=V]... [--annotation K=V]...\n"
       "                   [--workdir D] [--user U] [--expose P]... [--platform OS/ARCH[/V]]\n"
       "                   [--cache DIR [--cache-key metadata|content]] [--tag T]...\n"
       "                   [--src-creds U:P] [--dest-creds U:P] [--plain-http] [--insecure]\n"
       "                   [--ca-bundle FILE] [--mirror SRC=HOST[/PREFIX]]... [--json|--quiet]\n"
       "                   [--sbom] [--provenance [--builder-id URI]] [--sign-key cosign.key]\n"
       "                   --output DST\n"
       "\n"
       "DST: oci:DIR[:TAG], docker://REF, oci-archive:FILE[:TAG] or docker-archive:FILE[:REF].\n"
       "Layers stream straight to DST (tar, compression,\n"
       "digest and diffID in one pass). With SOURCE_DATE_EPOCH set, file times are clamped\n"
       "and the image is created at that time: the same inputs give the same digest.\n"
       "--level: gzip 1-12 (default 3), zstd 1-22 (default 3); higher is smaller and slower.\n"
       "A registry base is recorded in OCI manifests as org.opencontainers.image.base.name\n"
       "and .base.digest (the digest it resolved to, also 'base-digest' in $GITHUB_OUTPUT).\n"
       "--mirror reads a base in SRC through HOST/PREFIX (e.g. an ECR pull-through cache:\n"
       "docker.io=ACCOUNT.dkr.ecr.REGION.amazonaws.com/docker-hub), and from SRC when the\n"
       "mirror cannot serve it.\n"
       "\n"
       "  --sbom             attach an SPDX 2.3 SBOM of the image (as 'berth sbom' makes it)\n"
       "                     as an in-toto attestation, predicate https://spdx.dev/Document\n"
       "  --provenance       attach SLSA provenance v1 (https://slsa.dev/provenance/v1) from\n"
       "                     the CI context (GITHUB_REPOSITORY, GITHUB_SHA, GITHUB_WORKFLOW_REF,\n"
       "                     GITHUB_RUN_ID...), with the base image's digest as a dependency\n"
       "  --builder-id URI   the provenance's builder id (default: the GitHub workflow, else\n"
       "                     berth)\n"
       "  --sign-key KEY     sign them as cosign attest does (DSSE, tag sha256-<hex>.att;\n"
       "                     `cosign verify-attestation --type spdxjson|slsaprovenance1`\n"
       "                     accepts them; password from $COSIGN_PASSWORD). Without a key\n"
       "                     they are attached unsigned as OCI referrers (artifactType\n"
       "                     application/vnd.in-toto+json), listed by oras discover.\n"
       "                     Attestations need a registry or oci: DST.\n",
       cmd_build},
      {"manifest", "print a manifest or index exactly as served", kManifestUsage, cmd_manifest},
      {"inspect", "describe an image or index: platforms, config, layers, sizes", kInspectUsage,
       cmd_inspect},
      {"ls", "list the tags of a repository", kLsUsage, cmd_ls},
      {"catalog", "list the repositories of a registry", kCatalogUsage, cmd_catalog},
      {"tag", "add tags to a manifest without moving blobs", kTagUsage, cmd_tag},
      {"rm", "delete a manifest from a registry", kRmUsage, cmd_rm},
      {"validate", "verify every manifest and blob of an image, recursively", kValidateUsage,
       cmd_validate},
      {"aws", "AWS credentials from the chain (OIDC, roles, profiles) for later steps",
       "usage: berth aws credentials [--format env|json] [--github-env] [AWS OPTIONS]\n"
       "       berth aws whoami [AWS OPTIONS]\n"
       "\n"
       "credentials resolves the chain — environment, web identity, GitHub Actions OIDC\n"
       "(ACTIONS_ID_TOKEN_REQUEST_* with --role-arn or AWS_ROLE_ARN), profiles, ECS, IMDSv2\n"
       "— and prints shell exports (env) or credential_process JSON; --github-env appends\n"
       "them to $GITHUB_ENV with the secrets masked, as configure-aws-credentials does.\n"
       "whoami prints sts:GetCallerIdentity.\n"
       "\n"
       "AWS options: --region R --profile P --role-arn ARN --role-session-name N\n"
       "  --external-id ID --endpoint-url URL --sts-endpoint-url URL --ca-bundle FILE\n"
       "\n"
       "Run 'berth aws SUBCOMMAND --help' for a subcommand's details.\n",
       cmd_aws},
      {"ecr", "ECR logins and API calls",
       "usage: berth ecr get-login-password [REGISTRY] [AWS OPTIONS]\n"
       "       berth ecr ensure-repository NAME [--scan-on-push] [--immutable]\n"
       "                 [--immutable-except TAG_PREFIX]... [--encryption AES256|KMS\n"
       "                 [--kms-key ARN]] [--apply] [AWS OPTIONS]\n"
       "       berth ecr ensure-pull-through-cache --prefix P --upstream URL [--apply]\n"
       "       berth ecr ensure-creation-template --prefix P|ROOT --applied-for WHAT...\n"
       "       berth ecr put-lifecycle-policy NAME (--file F | [--keep-last N]\n"
       "                 [--expire-untagged-after DAYS]) [--preview] [AWS OPTIONS]\n"
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
       "above --fail-on; in GitHub Actions it writes a findings table to the summary.\n"
       "\n"
       "AWS options (else the AWS CLI's environment and config files apply):\n"
       "  --region R  --profile P  --role-arn ARN  --role-session-name N  --external-id ID\n"
       "  --endpoint-url URL (ECR API)  --sts-endpoint-url URL  --ca-bundle FILE\n"
       "\n"
       "Run 'berth ecr SUBCOMMAND --help' for a subcommand's options.\n",
       cmd_ecr},
      {"credential-helper", "docker credential helper for ECR (get|store|erase|list)",
       "usage: berth credential-helper get|store|erase|list\n"
       "\n"
       "Speaks the docker-credential-helpers protocol on stdin/stdout, so docker,\n"
       "skopeo and podman can use berth for ECR hosts: link it as\n"
       "docker-credential-berth and set \"credHelpers\": {\"<ecr host>\": \"berth\"}.\n",
       cmd_credential_helper},
      {"tags", "compute image tags from the CI context (docker/metadata-action rules)",
       "usage: berth tags compute [--tag-rule RULE]... [--latest auto|true|false]\n"
       "                          [--prefix P] [--suffix S] [--image NAME] [--json]\n"
       "                          [--event E] [--ref REF] [--sha SHA] [--default-branch B]\n"
       "\n"
       "Rules are docker/metadata-action's: type=sha[,prefix=,format=short|long],\n"
       "type=ref,event=branch|tag|pr, type=semver,pattern={{version}}|{{major}}.{{minor}}|\n"
       "{{major}}, type=raw,value=V, type=schedule; each with prefix=, suffix=,\n"
       "enable=true|false|{{is_default_branch}}. The context comes from GITHUB_* unless\n"
       "given. In GitHub Actions the tags and version are written to $GITHUB_OUTPUT.\n",
       cmd_tags},
  };
  return all;
}

const Command &find_command(const std::string &name) {
  for (const auto &c : commands())
    if (name == c.name) return c;
  throw std::logic_error("no command " + name);
}

} // namespace berth::cli

namespace {

void print_overview() {
  std::printf("berth — build, push, pull and replicate container images without a daemon\n\n"
              "usage: berth COMMAND [OPTIONS]\n\ncommands:\n");
  for (const auto &c : berth::cli::commands())
    std::printf("  %-16s %s\n", c.name, c.summary);
  std::printf("\nRun 'berth COMMAND --help' for a command's options.\n");
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
  for (const auto &c : commands()) {
    if (std::strcmp(argv[1], c.name) != 0) continue;
    std::vector<std::string> args(argv + 2, argv + argc);
    // Messages quote what came from outside (registry replies, tags, file names, the
    // arguments): printable() is the last line of defence against control characters
    // and workflow commands in them, whatever the layers below missed.
    using berth::core::printable;
    try {
      return c.run(args);
    } catch (const UsageError &e) {
      std::fprintf(stderr, "berth %s: %s\n\n%s", c.name, printable(e.message).c_str(), c.usage);
      return kUsage;
    } catch (const berth::Error &e) {
      std::fprintf(stderr, "berth %s: %s\n", c.name, printable(e.what()).c_str());
      return exit_code_for(e);
    } catch (const std::exception &e) {
      std::fprintf(stderr, "berth %s: internal error: %s\n", c.name, printable(e.what()).c_str());
      return kFailure;
    }
  }
  std::fprintf(stderr, "berth: unknown command '%s'\n\n", berth::core::printable(argv[1]).c_str());
  print_overview();
  return kUsage;
}
