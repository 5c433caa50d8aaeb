// The state one COPY/ADD step shares between its parts, and where each part lives:
// resolving sources (copy_sources.cpp), the destination's directories, owners, modes
// and mtimes (copy_dest.cpp), copying a directory's contents (copy_tree.cpp), ADD's
// downloads (add_url.cpp) and archives (add_archive.cpp), the step itself
// (copy_step.cpp). Only copy_step.hpp is for callers.
#pragma once

#include "ops/build/dockerfile/chmod_mode.hpp"
#include "ops/build/dockerfile/copy_owners.hpp"
#include "ops/build/dockerfile/copy_step.hpp"
#include "ops/build/dockerfile/copy_trees.hpp"

#include "core/file.hpp"

#include <berth/digest.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace berth::ops::copy_detail {

// A source to copy: the root-relative path as matched (its base name names the copy)
// and as followed (what is read), or a heredoc.
struct Item {
  std::string matched, followed;
  const dockerfile::SourceContent *content = nullptr;
  std::string url;   // ADD's http(s) source; `matched` is then the file name
  std::string pivot; // COPY --parents: the part of `matched` not kept ("" or a dir)
};

// Copies what `in` reads into a new file `to` (0600 until apply_info).
void copy_data(core::UniqueFd in, const std::string &from, const std::string &to);

// The entries of the source directory src_rel (walk_tree order, each once) that
// .dockerignore and --exclude keep, to `kept`; a directory left out whose entries may
// still be let back in ("!" patterns) to `left_dir`, since it is made, with its
// metadata, when one of them is copied. What copy_tree copies and
// copy_sources_digest hashes.
void walk_kept(const SourceTree &src, const std::optional<dockerfile::IgnoreMatcher> &excludes,
               const std::string &src_rel, const std::function<void(const layer::FileInfo &)> &kept,
               const std::function<void(const layer::FileInfo &)> &left_dir);

class Step {
public:
  Step(const CopySourceRoot &root, const CopyRequest &req, const std::vector<std::string> &lowers,
       const std::string &upper);

  void run();
  // What the step reads, as a digest (copy_step.hpp: copy_sources_digest).
  std::optional<std::string> sources_digest() const;

private:
  std::vector<Item> expand_sources() const;
  void expand_source(const std::string &s, std::vector<Item> &items) const;
  void glob(const std::string &src, std::vector<Item> &out) const;
  void ensure_dirs(const std::string &rel);
  void copy_item(const Item &item, const std::string &dest_real);
  void copy_with_parents(const Item &item, const std::string &dest_real);
  void copy_tree(const std::string &src_rel, const std::string &dest_rel);
  bool try_unpack(const std::string &src_rel, const std::string &dest_real);
  void download(const Item &item, const std::string &target);
  void prepare_file_target(const std::string &rel);
  void make_dir_in_upper(const std::string &rel, mode_t mode, Owner owner);
  void apply_info(const std::string &rel, mode_t src_mode, Owner src_owner, std::int64_t mtime,
                  bool is_link, bool is_dir);
  std::string verb() const { return req_.add ? "ADD" : "COPY"; }
  Owner owner_for(Owner src) const {
    if (chown_) return *chown_;
    return keep_owners_ ? owner_inside(src.uid, src.gid) : Owner{}; // src: as stat saw it
  }
  void set_mtime(const std::string &rel, std::int64_t sec, bool dir);
  void dir_mtime(const std::string &rel, std::int64_t sec) { dir_mtimes_[rel] = sec; }

  SourceTree src_;
  const CopyRequest &req_;
  bool keep_owners_;
  MergedView view_;
  std::vector<std::string> lowers_; // the image's, for --chown's names
  std::optional<Owner> chown_;
  std::optional<Chmod> chmod_;
  std::optional<image::Digest> checksum_;
  std::optional<dockerfile::IgnoreMatcher> excludes_;
  std::map<std::string, std::int64_t> dir_mtimes_; // applied last; the latest word wins
};

} // namespace berth::ops::copy_detail
