// berth's side of tests/layout/test_layout_interop.sh (OCI layouts with umoci, skopeo
// and crane):
//
//   berth_layout_driver write DIR LAYER TAG
//       creates (or opens) the layout DIR and adds an image tagged TAG whose only
//       layer is LAYER, an uncompressed tar streamed in;
//   berth_layout_driver verify DIR TAG [ADD_TAG]
//       opens the layout DIR written by another tool, resolves TAG ("" = the only
//       image), reads and verifies everything reachable from the index and every blob
//       file, then tags the image ADD_TAG too when given.
//
// Exits 0 on success, 1 with the error on stderr, 2 on bad usage.
#include <berth/error.hpp>
#include <berth/layout.hpp>
#include <berth/manifest.hpp>

#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using berth::image::Descriptor;
using berth::layout::OciLayout;
namespace media = berth::image::media;

namespace {

void require(bool ok, const std::string &what) {
  if (!ok) throw std::runtime_error(what);
}

Descriptor make_desc(std::string_view media_type, std::string digest, std::int64_t size) {
  Descriptor d;
  d.media_type = std::string(media_type);
  d.digest = std::move(digest);
  d.size = size;
  return d;
}

// A blob's content, written to the layout; returns its descriptor.
Descriptor put_blob(OciLayout &layout, std::string_view media_type, const std::string &data) {
  return make_desc(media_type, layout.write_blob(std::string_view(data)),
                   static_cast<std::int64_t>(data.size()));
}

std::vector<std::string> temp_files(const fs::path &dir) {
  std::vector<std::string> out;
  for (const auto &e : fs::recursive_directory_iterator(dir)) {
    auto name = e.path().filename().string();
    if (name.find(".tmp-") != std::string::npos || name.rfind(".berth-tmp-", 0) == 0)
      out.push_back(e.path().string());
  }
  return out;
}

void write_layout(const std::string &dir, const std::string &layer_path, const std::string &tag) {
  auto layout = OciLayout::create(dir);
  // Stream the layer in; its digest is only known at commit.
  auto w = layout.write_blob("");
  {
    std::ifstream in(layer_path, std::ios::binary);
    require(static_cast<bool>(in), "cannot open " + layer_path);
    std::vector<char> buf(65536);
    while (in) {
      in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
      if (in.gcount() > 0) w.write(buf.data(), static_cast<std::size_t>(in.gcount()));
    }
  }
  auto size = static_cast<std::int64_t>(w.bytes_written());
  auto layer_digest = w.commit();
  auto layer = make_desc(media::oci_layer, layer_digest, size);

  std::string config =
      R"({"created":"2024-01-01T00:00:00Z","architecture":"amd64","os":"linux",)"
      R"("config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],)"
      R"("Cmd":["/bin/sh"]},"rootfs":{"type":"layers","diff_ids":[")" +
      layer_digest +
      R"("]},"history":[{"created":"2024-01-01T00:00:00Z","created_by":"berth layout interop test"}]})";
  auto cfg = put_blob(layout, media::oci_config, config);
  std::string manifest = R"({"schemaVersion":2,"mediaType":")" + std::string(media::oci_manifest) +
                         R"(","config":)" + cfg.to_json() + R"(,"layers":[)" + layer.to_json() +
                         "]}";
  auto m = put_blob(layout, media::oci_manifest, manifest);
  m.platform = berth::image::Platform::parse("linux/amd64");
  layout.add_manifest(m, tag);
  std::printf("berth wrote %s:%s manifest %s layer %s\n", dir.c_str(), tag.c_str(),
              m.digest.c_str(), layer_digest.c_str());
  auto left = temp_files(dir);
  require(left.empty(), "temp file left: " + (left.empty() ? "" : left.front()));
}

// Reads and verifies everything reachable from `desc`; returns the number of blobs.
std::size_t verify_tree(const OciLayout &layout, const Descriptor &desc,
                        std::set<std::string> &seen) {
  if (!seen.insert(desc.digest).second) return 0;
  if (media::is_index(desc.media_type) || media::is_manifest(desc.media_type)) {
    auto raw = layout.read_blob(desc.digest);
    require(raw.size() == static_cast<std::size_t>(desc.size),
            desc.digest + ": size differs from its descriptor");
    if (media::is_index(desc.media_type)) {
      std::size_t n = 1;
      for (const auto &m : berth::image::parse_index(raw, desc.media_type).manifests)
        n += verify_tree(layout, m, seen);
      return n;
    }
    auto m = berth::image::parse_manifest(raw, desc.media_type);
    std::size_t n = 1 + verify_tree(layout, m.config, seen);
    for (const auto &l : m.layers) {
      if (!l.urls.empty() && !layout.has_blob(l.digest)) continue; // foreign layer
      n += verify_tree(layout, l, seen);
    }
    return n;
  }
  layout.read_blob(
      desc.digest, [](const char *, std::size_t) {}, desc.size);
  return 1;
}

void verify_layout(const std::string &dir, const std::string &tag, const std::string &add) {
  auto layout = OciLayout::open(dir);
  auto desc = layout.find(tag);
  require(desc.has_value(), "tag '" + tag + "' not found in " + dir);

  std::set<std::string> seen;
  std::size_t reachable = 0;
  for (const auto &entry : layout.index().manifests)
    reachable += verify_tree(layout, entry, seen);
  require(seen.count(desc->digest) == 1, desc->digest + " is not reachable from the index");

  // Every file under blobs/ must hash to its name.
  std::size_t files = 0;
  for (const auto &alg : fs::directory_iterator(fs::path(dir) / "blobs")) {
    if (!alg.is_directory()) continue;
    for (const auto &blob : fs::directory_iterator(alg.path())) {
      auto digest = alg.path().filename().string() + ":" + blob.path().filename().string();
      layout.read_blob(
          digest, [](const char *, std::size_t) {}, static_cast<std::int64_t>(blob.file_size()));
      ++files;
    }
  }
  std::printf("berth verified %s: %zu reachable blobs, %zu blob files, tags: %zu\n", dir.c_str(),
              reachable, files, layout.tags().size());

  if (!add.empty()) {
    layout.add_manifest(*desc, add);
    auto added = layout.find(add);
    require(added && added->digest == desc->digest, "tag '" + add + "' does not resolve");
  }
}

int usage() {
  std::fputs("usage: berth_layout_driver write DIR LAYER TAG\n"
             "       berth_layout_driver verify DIR TAG [ADD_TAG]\n",
             stderr);
  return 2;
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 2) return usage();
  std::string cmd = argv[1];
  try {
    if (cmd == "write" && argc == 5) {
      write_layout(argv[2], argv[3], argv[4]);
    } else if (cmd == "verify" && (argc == 4 || argc == 5)) {
      verify_layout(argv[2], argv[3], argc == 5 ? argv[4] : "");
    } else {
      return usage();
    }
  } catch (const std::exception &e) {
    std::fprintf(stderr, "berth_layout_driver %s: %s\n", cmd.c_str(), e.what());
    return 1;
  }
  return 0;
}
