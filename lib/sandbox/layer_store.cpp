#include "sandbox/layer_store.hpp"

#include "sandbox/id_map.hpp"
#include "sandbox/userns_call.hpp"

#include "core/crypto.hpp"
#include "core/file.hpp"
#include "layer/extract.hpp"
#include "layer/tar_reader.hpp"

#include <berth/error.hpp>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

namespace berth::sandbox {
namespace {

bool is_hex(const std::string &s) {
  return !s.empty() && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

} // namespace

LayerStore::LayerStore(std::string root, bool userxattr)
    : root_(std::move(root)), userxattr_(userxattr) {
  core::make_dirs(root_ + "/sha256");
}

std::string LayerStore::path_of(const std::string &diff_id) const {
  // Only sha256 diffIDs name layers (the image config's rule); the hex check also keeps
  // a hostile name from leaving the store.
  if (diff_id.rfind("sha256:", 0) != 0 || diff_id.size() != 71 || !is_hex(diff_id.substr(7)))
    throw Error(Errc::invalid_argument, "'" + diff_id + "' is not a sha256 diffID");
  return root_ + "/sha256/" + diff_id.substr(7);
}

std::optional<std::string> LayerStore::find(const std::string &diff_id) const {
  std::string p = path_of(diff_id);
  struct stat st {};
  if (::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return p;
  return std::nullopt;
}

std::string LayerStore::ensure(const std::string &diff_id,
                               const std::function<std::size_t(char *, std::size_t)> &read) {
  if (auto have = find(diff_id)) return *have;
  const std::string target = path_of(diff_id);
  core::StagingDir staging(target);
  core::Sha256 hash;
  layer::ExtractOptions opts;
  const bool root = ::geteuid() == 0;
  opts.preserve_owner = root;
  opts.devices = root;
  opts.whiteouts = userxattr_ ? layer::ExtractOptions::Whiteouts::overlay_user
                              : layer::ExtractOptions::Whiteouts::overlay_trusted;
  const auto &ids = rootless_mapping();
  if (!root && ids.use_helpers) {
    // Rootless: unpacked by root of a user namespace mapping the caller's subordinate
    // ids, so the files keep their owners (a RUN as another user sees its own files);
    // the bytes are read and hashed here and streamed in.
    opts.preserve_owner = true;
    run_in_userns(
        ids,
        [&](int in, int) {
          layer::TarReader reader([&](char *buf, std::size_t len) {
            return core::read_some(in, buf, len, "the layer stream");
          });
          layer::Extractor x(staging.path(), opts);
          x.apply_layer(reader);
        },
        [&](const std::function<bool(const char *, std::size_t)> &write) {
          std::vector<char> buf(256 * 1024);
          for (;;) {
            std::size_t n = read(buf.data(), buf.size());
            if (n == 0) break;
            hash.update(buf.data(), n);
            if (!write(buf.data(), n)) break;
          }
        },
        {}, "unpacking the layer " + diff_id);
  } else {
    layer::TarReader reader([&](char *buf, std::size_t len) {
      std::size_t n = read(buf, len);
      hash.update(buf, n);
      return n;
    });
    layer::Extractor x(staging.path(), opts);
    x.apply_layer(reader); // reads to the end of the input, so the hash covers it all
  }
  const std::string got = "sha256:" + hash.finish_hex();
  if (got != diff_id)
    throw Error(Errc::digest_mismatch,
                "the layer unpacked as " + diff_id + " has the diffID " + got);
  // The staging directory was made 0700; as a lower dir it is the image's root.
  if (::chmod(staging.path().c_str(), 0755) != 0)
    core::throw_errno(errno, "cannot set the mode of '" + staging.path() + "'");
  if (::rename(staging.path().c_str(), target.c_str()) != 0) {
    // Another writer finished the same layer first: theirs is as good as ours.
    if ((errno == EEXIST || errno == ENOTEMPTY) && find(diff_id)) return target;
    core::throw_errno(errno, "cannot move the layer into '" + target + "'");
  }
  staging.release();
  core::fsync_dir(root_ + "/sha256");
  return target;
}

std::string LayerStore::adopt(const std::string &diff_id, const std::string &dir) {
  const std::string target = path_of(diff_id);
  if (!find(diff_id)) {
    if (::chmod(dir.c_str(), 0755) != 0)
      core::throw_errno(errno, "cannot set the mode of '" + dir + "'");
    if (::rename(dir.c_str(), target.c_str()) == 0) {
      core::fsync_dir(root_ + "/sha256");
      return target;
    }
    if (!((errno == EEXIST || errno == ENOTEMPTY) && find(diff_id)))
      core::throw_errno(errno, "cannot move the layer into '" + target + "'");
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return target;
}

} // namespace berth::sandbox
