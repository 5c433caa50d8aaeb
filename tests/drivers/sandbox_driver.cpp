// berth's side of tests/sandbox (the RUN executor), one JSON object on stdout per call:
//
//   berth_sandbox_driver run [options] -- ARGV...
//       --lower DIR (repeatable, topmost first)  --upper DIR  --work DIR
//       --env K=V (repeatable; the command gets exactly these)  --cwd DIR  --user SPEC
//       --hostname NAME  --network host|none  --bind SRC:DST[:rw]  --tmpfs DST[:BYTES]
//       --timeout-ms N
//       --tail BYTES  --output FILE (every output byte, as streamed)
//       --cancel-after-ms N (RunSpec::cancelled turns true N ms after the start)
//       --tar FILE (the upper dir's layer, uncompressed, written after the run)
//       --keep-kernel-mount-dirs (RunSpec's flag)  --diff-against-lowers (the layer
//       leaves out entries overlay copied up unchanged: OverlayDiffOptions::lower_dirs)
//     -> {"exit_code":N,"signal":N,"tail":"...","rootless":B,"diff_id":"sha256:..."}
//   berth_sandbox_driver diff UPPER TAR [--userxattr] [--clamp EPOCH]
//     -> {"diff_id":"sha256:..."}
//   berth_sandbox_driver unpack STORE DIFF_ID TAR [--userxattr]
//     (TAR may be a fifo) -> {"path":"STORE/sha256/<hex>"}
//
// A berth::Error is {"error":"<code text>","code":N,"message":"..."} with exit status 3;
// bad usage exits 2.
#include <berth/error.hpp>

#include "core/file.hpp"
#include "core/stream.hpp"
#include "sandbox/layer_store.hpp"
#include "sandbox/overlay_diff.hpp"
#include "sandbox/run.hpp"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <vector>

using namespace berth;

namespace {

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
    case '"': out += "\\\""; break;
    case '\\': out += "\\\\"; break;
    case '\n': out += "\\n"; break;
    case '\r': out += "\\r"; break;
    case '\t': out += "\\t"; break;
    default:
      if (c < 0x20 || c >= 0x7f) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        out += buf;
      } else {
        out += static_cast<char>(c);
      }
    }
  }
  return out + "\"";
}

class FileSink final : public core::ByteSink {
public:
  explicit FileSink(const std::string &path)
      : path_(path), fd_(core::open_fd(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) {}
  void write(const char *data, std::size_t len) override {
    core::write_all(fd_.get(), data, len, path_);
  }
  using ByteSink::write;

private:
  std::string path_;
  core::UniqueFd fd_;
};

int usage() {
  std::fputs("usage: berth_sandbox_driver run [options] -- ARGV...\n"
             "       berth_sandbox_driver diff UPPER TAR [--userxattr] [--clamp EPOCH]\n"
             "       berth_sandbox_driver unpack STORE DIFF_ID TAR [--userxattr]\n",
             stderr);
  return 2;
}

std::string make_tar(const std::string &upper, const std::string &tar,
                     const sandbox::OverlayDiffOptions &o) {
  FileSink sink(tar);
  return sandbox::overlay_diff_layer(upper, sink, layer::Compression::none, o).diff_id;
}

int cmd_run(int argc, char **argv) {
  sandbox::RunSpec spec;
  std::string output_file, tar;
  bool diff_against_lowers = false;
  int i = 2;
  for (; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a == "--keep-kernel-mount-dirs") {
      spec.keep_kernel_mount_dirs = true;
      continue;
    }
    if (a == "--diff-against-lowers") {
      diff_against_lowers = true;
      continue;
    }
    if (i + 1 >= argc) return usage();
    std::string v = argv[++i];
    if (a == "--lower")
      spec.lower_dirs.push_back(v);
    else if (a == "--upper")
      spec.upper_dir = v;
    else if (a == "--work")
      spec.work_dir = v;
    else if (a == "--env")
      spec.env.push_back(v);
    else if (a == "--cwd")
      spec.cwd = v;
    else if (a == "--user")
      spec.user = v;
    else if (a == "--hostname")
      spec.hostname = v;
    else if (a == "--network")
      spec.network = v == "none" ? sandbox::Network::none : sandbox::Network::host;
    else if (a == "--timeout-ms")
      spec.timeout = std::chrono::milliseconds(std::stoll(v));
    else if (a == "--tail")
      spec.tail_bytes = std::stoull(v);
    else if (a == "--cancel-after-ms") {
      const auto at = std::chrono::steady_clock::now() + std::chrono::milliseconds(std::stoll(v));
      spec.cancelled = [at] { return std::chrono::steady_clock::now() >= at; };
    } else if (a == "--output")
      output_file = v;
    else if (a == "--tar")
      tar = v;
    else if (a == "--tmpfs") {
      sandbox::BindMount m;
      auto c = v.find(':');
      m.target = v.substr(0, c);
      m.tmpfs = true;
      m.read_only = false;
      if (c != std::string::npos) m.tmpfs_size = std::stoull(v.substr(c + 1));
      spec.mounts.push_back(m);
    } else if (a == "--bind") {
      auto c1 = v.find(':');
      if (c1 == std::string::npos) return usage();
      auto c2 = v.find(':', c1 + 1);
      sandbox::BindMount m;
      m.source = v.substr(0, c1);
      m.target = v.substr(c1 + 1, c2 == std::string::npos ? std::string::npos : c2 - c1 - 1);
      m.read_only = c2 == std::string::npos || v.substr(c2 + 1) != "rw";
      spec.mounts.push_back(m);
    } else
      return usage();
  }
  for (; i < argc; ++i)
    spec.argv.push_back(argv[i]);
  std::FILE *out = output_file.empty() ? nullptr : std::fopen(output_file.c_str(), "wb");
  if (out)
    spec.output = [out](std::string_view s) {
      std::fwrite(s.data(), 1, s.size(), out);
      std::fflush(out);
    };
  auto r = sandbox::run(spec);
  if (out) std::fclose(out);
  std::string json =
      "{\"exit_code\":" + std::to_string(r.exit_code) + ",\"signal\":" + std::to_string(r.signal) +
      ",\"tail\":" + json_string(r.tail) + ",\"rootless\":" + (r.rootless ? "true" : "false");
  if (!tar.empty()) {
    sandbox::OverlayDiffOptions o;
    o.ids = r.ids;
    o.userxattr = r.userxattr;
    if (diff_against_lowers) o.lower_dirs = spec.lower_dirs;
    json += ",\"diff_id\":" + json_string(make_tar(spec.upper_dir, tar, o));
  }
  std::printf("%s}\n", json.c_str());
  return 0;
}

int cmd_diff(int argc, char **argv) {
  if (argc < 4) return usage();
  sandbox::OverlayDiffOptions o;
  for (int i = 4; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--userxattr")
      o.userxattr = true;
    else if (a == "--clamp" && i + 1 < argc)
      o.mtime_clamp = std::stoll(argv[++i]);
    else
      return usage();
  }
  std::printf("{\"diff_id\":%s}\n", json_string(make_tar(argv[2], argv[3], o)).c_str());
  return 0;
}

int cmd_unpack(int argc, char **argv) {
  if (argc < 5 || (argc == 6 && std::strcmp(argv[5], "--userxattr") != 0) || argc > 6)
    return usage();
  sandbox::LayerStore store(argv[2], argc == 6);
  auto fd = core::open_fd(argv[4], O_RDONLY);
  std::string tar = argv[4];
  auto path = store.ensure(argv[3], [&](char *buf, std::size_t len) {
    return core::read_some(fd.get(), buf, len, tar);
  });
  std::printf("{\"path\":%s}\n", json_string(path).c_str());
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 2) return usage();
  try {
    if (std::strcmp(argv[1], "run") == 0) return cmd_run(argc, argv);
    if (std::strcmp(argv[1], "diff") == 0) return cmd_diff(argc, argv);
    if (std::strcmp(argv[1], "unpack") == 0) return cmd_unpack(argc, argv);
    return usage();
  } catch (const Error &e) {
    std::printf("{\"error\":%s,\"code\":%d,\"message\":%s}\n",
                json_string(errc_text(e.code())).c_str(), static_cast<int>(e.code()),
                json_string(e.what()).c_str());
    return 3;
  } catch (const std::exception &e) {
    std::printf("{\"error\":\"exception\",\"code\":-99,\"message\":%s}\n",
                json_string(e.what()).c_str());
    return 3;
  }
}
