// The digest of what a COPY/ADD reads, for its cache key: computed from the sources
// alone, so a step that hits the cache lays out nothing and needs no layer of the image
// unpacked (a fresh runner with a registry cache downloads none).
#include "ops/build/dockerfile/copy_step_impl.hpp"

#include <berth/error.hpp>

#include "core/crypto.hpp"
#include "layer/file_tree.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <map>

namespace berth::ops::copy_detail {
namespace {

void hash_contents(core::Sha256 &h, core::UniqueFd fd, const std::string &what) {
  std::vector<char> buf(1 << 16);
  for (;;) {
    auto n = core::read_some(fd.get(), buf.data(), buf.size(), what);
    if (n == 0) break;
    h.update(buf.data(), n);
  }
}

} // namespace

std::optional<std::string> Step::sources_digest() const {
  core::Sha256 h;
  auto field = [&](std::string_view s) {
    h.update(std::to_string(s.size()) + ":");
    h.update(s);
  };
  for (const auto &item : expand_sources()) {
    if (!item.url.empty()) return std::nullopt;
    field("item");
    field(item.matched);
    field(item.pivot);
    if (item.content) {
      field(item.content->data);
      continue;
    }
    field(item.followed);
    auto node = src_.lookup(item.followed);
    if (!node)
      throw Error(Errc::not_found, verb() + " source \"/" + item.matched + "\": not found");
    auto entry = [&](const std::string &rel, const layer::FileInfo &fi, const std::string &group) {
      field(rel);
      field(std::to_string(fi.mode) + " " + std::to_string(fi.size) +
            (keep_owners_ ? " " + std::to_string(fi.uid) + ":" + std::to_string(fi.gid) : ""));
      field(fi.link_target);
      field(group);
      if (S_ISREG(fi.mode) && group.empty()) {
        const std::string from = join_rel(item.followed, rel);
        hash_contents(h, src_.open_file(from), src_.host(from));
      }
    };
    if (!S_ISDIR(node->st.st_mode)) {
      auto fi = layer::stat_path(src_.host(item.followed), false);
      entry("", fi, "");
      continue;
    }
    // What copy_tree copies: the entries .dockerignore and --exclude keep, and the
    // metadata of directories left out that are made when something below is copied.
    std::map<std::pair<std::uint64_t, std::uint64_t>, std::string> inodes;
    auto kept = [&](const layer::FileInfo &fi) {
      std::string group; // a later link to a file already listed is that file's name
      if (S_ISREG(fi.mode) && fi.nlink > 1) {
        auto [it, fresh] = inodes.emplace(std::make_pair(fi.dev, fi.ino), fi.rel);
        if (!fresh) group = it->second;
      }
      entry(fi.rel, fi, group);
    };
    walk_kept(src_, excludes_, item.followed, kept, [&](const layer::FileInfo &fi) {
      field("left-out " + fi.rel + " " + std::to_string(fi.mode));
    });
  }
  return h.finish_hex();
}

} // namespace berth::ops::copy_detail
