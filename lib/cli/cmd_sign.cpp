// berth sign | verify: cosign-compatible image signatures with a key pair.
#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "cli/registry_args.hpp"

#include <berth/sign.hpp>

#include "core/file.hpp"

#include <map>

#include <cstdio>
#include <cstdlib>

namespace berth::cli {
// The key's password, as cosign takes it: $COSIGN_PASSWORD ("" when unset, which is
// what `cosign generate-key-pair` with an empty password makes).
std::string key_password() {
  const char *v = std::getenv("COSIGN_PASSWORD");
  return v ? v : "";
}

namespace {

// The registry options of sign, verify and attest.
const OptionTable &access_options() {
  static const OptionTable o = creds_options() + connection_options();
  return o;
}

} // namespace

const CommandHelp kSignHelp = {
    "usage: berth sign --key cosign.key [-a KEY=VALUE]... REF\n"
    "\n"
    "Signs REF (docker://REF or oci:DIR[:TAG]) as `cosign sign --key` does: a\n"
    "simple-signing payload naming the image's digest, signed with the ECDSA P-256\n"
    "key, added to the manifest tagged sha256-<hex>.sig. The key file is cosign's\n"
    "(encrypted: the password comes from $COSIGN_PASSWORD) or a PEM EC key. No\n"
    "transparency-log entry is made. Prints the signed digest.\n",
    OptionTable{
        {"--key", "cosign.key", "the signing key (required)"},
        {"--annotation", "KEY=VALUE", "in the payload's \"optional\" object (repeatable)", "-a"},
    } + access_options()};

const CommandHelp kVerifyHelp = {
    "usage: berth verify --key cosign.pub REF\n"
    "\n"
    "Checks the signatures `cosign sign --key` (or berth sign) made: at least one\n"
    "must be signed by the key and name REF's digest, else exit 4 (a failed gate).\n"
    "Prints the verified payloads as a JSON array, as cosign verify does. The\n"
    "transparency log is not consulted.\n",
    OptionTable{{"--key", "cosign.pub", "the public key (required)"}} + access_options()};

const CommandHelp kAttestHelp = {
    "usage: berth attest --key cosign.key --predicate FILE [--type T] REF\n"
    "\n"
    "Wraps the JSON predicate in an in-toto statement about REF's digest, signs it as\n"
    "a DSSE envelope and attaches it where `cosign verify-attestation --key` finds it\n"
    "(tag sha256-<hex>.att).\n",
    OptionTable{
        {"--key", "cosign.key", "the signing key (required)"},
        {"--predicate", "FILE", "the predicate, JSON (required)"},
        {"--type", "T",
         "a predicate type URI or cosign's short names spdxjson, cyclonedx, slsaprovenance, "
         "slsaprovenance1, vuln, custom (default)"},
    } + access_options()};

int cmd_sign(const std::vector<std::string> &argv) {
  Args args(argv, kSignHelp.all_options());
  if (args.help()) return print_help(kSignHelp), kOk;
  if (args.positional().size() != 1) throw UsageError{"sign needs one REF"};
  SignOptions o;
  o.access = registry_access(args);
  for (const auto &kv : args.values("--annotation")) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) throw UsageError{"--annotation needs KEY=VALUE"};
    o.annotations[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  auto signer = load_signing_key(args.required("--key"), key_password());
  auto r = sign_image(args.positional()[0], *signer, o);
  std::fprintf(stderr, "signed %s; signature in %s\n", r.digest.c_str(), r.signature_ref.c_str());
  std::printf("%s\n", r.digest.c_str());
  return kOk;
}

int cmd_attest(const std::vector<std::string> &argv) {
  Args args(argv, kAttestHelp.all_options());
  if (args.help()) return print_help(kAttestHelp), kOk;
  if (args.positional().size() != 1) throw UsageError{"attest needs one REF"};
  // cosign's short names for the usual predicate types; anything else is a URI.
  static const std::map<std::string, std::string> kTypes = {
      {"spdxjson", "https://spdx.dev/Document"},
      {"spdx", "https://spdx.dev/Document"},
      {"cyclonedx", "https://cyclonedx.org/bom"},
      {"slsaprovenance", "https://slsa.dev/provenance/v0.2"},
      {"slsaprovenance1", "https://slsa.dev/provenance/v1"},
      {"vuln", "https://cosign.sigstore.dev/attestation/vuln/v1"},
      {"custom", "https://cosign.sigstore.dev/attestation/v1"}};
  auto type = args.value_or("--type", "custom");
  if (auto it = kTypes.find(type); it != kTypes.end()) type = it->second;
  auto predicate = core::read_small_file(args.required("--predicate"), 64u << 20);
  SignOptions o;
  o.access = registry_access(args);
  auto signer = load_signing_key(args.required("--key"), key_password());
  auto r = attest_image(args.positional()[0], *signer, type, predicate, o);
  std::fprintf(stderr, "attested %s (%s); attestation in %s\n", r.digest.c_str(), type.c_str(),
               r.signature_ref.c_str());
  std::printf("%s\n", r.digest.c_str());
  return kOk;
}

int cmd_verify(const std::vector<std::string> &argv) {
  Args args(argv, kVerifyHelp.all_options());
  if (args.help()) return print_help(kVerifyHelp), kOk;
  if (args.positional().size() != 1) throw UsageError{"verify needs one REF"};
  VerifyOptions o;
  o.access = registry_access(args);
  auto r = verify_image(args.positional()[0], args.required("--key"), o);
  std::fprintf(stderr, "%s: %d of %d signature(s) valid\n", r.digest.c_str(), r.valid,
               r.signatures);
  // As cosign verify: the verified payloads, a JSON array, on stdout.
  std::string out = "[";
  for (std::size_t i = 0; i < r.payloads.size(); ++i)
    out += (i ? "," : "") + r.payloads[i];
  std::printf("%s]\n", out.c_str());
  return kOk;
}

} // namespace berth::cli
