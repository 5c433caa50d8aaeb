// berth sbom: an SPDX 2.3 JSON SBOM of an image, on stdout or into a file.
#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "cli/registry_args.hpp"

#include <berth/sbom.hpp>

#include "core/file.hpp"
#include "core/untrusted_text.hpp"

#include <cstdio>

namespace berth::cli {

const CommandHelp kSbomHelp = {
    "usage: berth sbom [--output FILE] [--platform OS/ARCH[/VARIANT]] REF\n"
    "\n"
    "Writes an SPDX 2.3 JSON SBOM of REF (docker://REF, oci:DIR[:TAG],\n"
    "oci-archive:FILE[:TAG] or docker-archive:FILE[:REF]): every file of the image with\n"
    "its SHA1 and SHA256, and the packages installed in it — dpkg (var/lib/dpkg/status\n"
    "and status.d/), apk (lib/apk/db/installed), Python distributions (*.dist-info/\n"
    "METADATA) and Go binaries (their embedded build info) — with package URLs. Layers\n"
    "are read as they stream, never unpacked; files deleted by an upper layer are left\n"
    "out. What cannot be read is skipped with a warning on stderr (and in the\n"
    "document's creationInfo.comment). With SOURCE_DATE_EPOCH set the document is\n"
    "reproducible.\n",
    OptionTable{
        {"--output", "FILE", "write the document there (atomically), not to stdout", "-o"},
        {"--platform", "OS/ARCH[/VARIANT]",
         "one image of a multi-arch index (default linux/amd64)"},
    } + creds_options() +
        connection_options() + timeout_options()};

int cmd_sbom(const std::vector<std::string> &argv) {
  Args args(argv, kSbomHelp.all_options());
  if (args.help()) return print_help(kSbomHelp), kOk;
  if (args.positional().size() != 1) throw UsageError{"sbom needs one REF"};
  SbomOptions o;
  o.access = registry_access(args);
  o.platform = args.value_or("--platform", "");
  auto output = args.value_or("--output", "");
  auto r = generate_sbom(args.positional()[0], o);
  for (const auto &w : r.warnings)
    // File and package names are the image's: quoted, never obeyed.
    std::fprintf(stderr, "warning: %s\n", core::printable(w).c_str());
  std::fprintf(stderr, "%s: %zu files, %zu packages\n", r.digest.c_str(), r.files, r.packages);
  if (output.empty() || output == "-") {
    std::fwrite(r.spdx_json.data(), 1, r.spdx_json.size(), stdout);
    std::fputc('\n', stdout);
  } else {
    core::write_file_atomic(output, r.spdx_json + "\n");
  }
  return kOk;
}

} // namespace berth::cli
