#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "cli/progress_printer.hpp"

#include <berth/copy.hpp>

#include <chrono>
#include <cstdio>

namespace berth::cli {

int cmd_copy(const std::vector<std::string> &argv) {
  Args args(argv, {"--src-creds", "--dest-creds", "--platform", "--jobs", "--ca-bundle"},
            {"--plain-http", "--insecure", "--json", "--quiet", "--src-plain-http",
             "--dest-plain-http", "--src-insecure", "--dest-insecure"});
  if (args.help()) {
    std::fputs(find_command("copy").usage, stdout);
    return kOk;
  }
  if (args.positional().size() != 2) throw UsageError{"copy needs SRC and DST"};
  CopyOptions o;
  o.src.creds = args.value_or("--src-creds", "");
  o.dst.creds = args.value_or("--dest-creds", "");
  o.src.plain_http = args.flag("--plain-http") || args.flag("--src-plain-http");
  o.dst.plain_http = args.flag("--plain-http") || args.flag("--dest-plain-http");
  o.src.insecure = args.flag("--insecure") || args.flag("--src-insecure");
  o.dst.insecure = args.flag("--insecure") || args.flag("--dest-insecure");
  o.src.ca_bundle = o.dst.ca_bundle = args.value_or("--ca-bundle", "");
  o.platform = args.value_or("--platform", "");
  try {
    o.jobs = std::stoi(args.value_or("--jobs", "4"));
  } catch (const std::exception &) {
    throw UsageError{"--jobs needs a number"};
  }
  if (o.jobs < 1 || o.jobs > 64) throw UsageError{"--jobs must be 1..64"};
  auto mode = detect_output_mode(args.flag("--json"), args.flag("--quiet"));
  o.progress = make_progress_printer(mode);

  auto start = std::chrono::steady_clock::now();
  auto r = copy_image(args.positional()[0], args.positional()[1], o);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (mode == OutputMode::json) {
    std::printf("{\"digest\":\"%s\",\"mediaType\":\"%s\",\"bytesCopied\":%llu,\"blobsCopied\":%d,"
                "\"blobsSkipped\":%d,\"blobsMounted\":%d,\"manifests\":%d,\"seconds\":%.3f}\n",
                r.digest.c_str(), r.media_type.c_str(),
                static_cast<unsigned long long>(r.bytes_copied), r.blobs_copied, r.blobs_skipped,
                r.blobs_mounted, r.manifests, secs);
  } else {
    if (mode != OutputMode::quiet)
      std::fprintf(stderr,
                   "copied %d blobs (%s), %d already there, %d mounted, %d manifests in %.2fs\n",
                   r.blobs_copied, human_bytes(r.bytes_copied).c_str(), r.blobs_skipped,
                   r.blobs_mounted, r.manifests, secs);
    std::printf("%s\n", r.digest.c_str());
  }
  return kOk;
}

} // namespace berth::cli
