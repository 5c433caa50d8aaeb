// The COPY and ADD steps of Dockerfile builds: what one step adds to the image, laid
// out in an empty directory that becomes the step's layer (an overlay upper directory:
// the new files, plus the directories on their way, copied up from the image with the
// image's metadata or created). BuildKit's rules (dockerfile2llb's dispatchCopy, the
// file op's docopy and fsutil's copy.Copy), with the exceptions listed below.
//
// Sources. Each is relative to the source root: a leading "/" and any ".." are
// clamped to the root ("../x" is the root's "x", as BuildKit normalises it), symlinks
// met while resolving a source are followed with the root as "/" (containerd's
// fs.RootPath), so no file outside the root is ever read. Symlinks inside a copied
// directory are copied as symlinks. Globs (*, ?, [...], \ escapes; Go's filepath.Match,
// so * stops at "/") match entries of the root; .dockerignore'd entries are invisible
// to globs, to literal sources and to symlink resolution. A glob matching nothing
// copies nothing, even when every source is such a glob: the step then adds nothing,
// not even the destination (BuildKit's AllowEmptyWildcard); the part of a glob before
// its first wildcard must exist, though (BuildKit walks it). A directory source copies
// its contents; files, symlinks, empty directories, hardlinks (within one source),
// modes and mtimes are kept. The destination directory itself is not given the source
// directory's mode (made 0755, or kept when it exists), only its mtime, as fsutil does.
// --exclude patterns (moby/patternmatcher) apply below each source and to glob matches.
//
// Destination. Relative to the workdir unless absolute, resolved through the image's
// symlinks. Sources (after glob expansion, heredocs last) are copied one after the
// other, each meeting the destination as the ones before left it (BuildKit makes one
// copy action per source and fsutil's prepareTargetDir looks at the destination each
// time): a destination ending in "/", or a directory at that moment (of the image or
// made by an earlier source), receives the source inside it; otherwise a file source
// is written as the destination and a directory source's contents make it. The number
// of sources is not checked (BuildKit does not enforce the documented "must end with
// a /" rule): COPY a b /out leaves b at /out (each file replaces the one before), a
// file then a directory fails (fsutil's "cannot copy to non-directory"), a directory
// then a file puts the file inside it. Missing parents are created with mode 0755 (the
// --chmod mode when given) and the --chown owner.
//
// --link (the caller passes no image lowers): the step is laid out in an empty
// directory, so created parents are 0755 with the --chown owner even where the image
// has them; BuildKit does this only without --chmod, and so does the caller.
//
// Owners: --chown ("user[:group]"; BuildKit's rules: a name is looked up in the image's
// /etc/passwd and gives that user's primary group, a number N alone means N:N, a group
// name is looked up in /etc/group) applies to every entry created, parents included.
// Without it, files of the build context are 0:0 (BuildKit's context transfer resets
// owners) and files of a stage or image keep theirs (CopySourceRoot::keep_owners).
//
// ADD: a local file that is a tar archive (plain, gzip or zstd) is extracted into the
// destination by layer::Extractor (its safety checks: no "..", no absolute paths, no
// writes through symlinks); other files are copied. bzip2 and xz archives are
// refused (Error(unsupported)): berth cannot decompress them. An http(s) URL is
// downloaded (never extracted) through CopyRequest::http as BuildKit's HTTP source
// does: named after the URL path's last segment ("__unnamed__" without one), mode 0600
// unless --chmod, mtime from Last-Modified, checked against --checksum when given
// (Error(digest_mismatch)); a non-2xx reply is Error(network) with the status. Without
// a client URLs are refused (Error(unsupported)). --checksum is refused for local
// sources and for COPY with BuildKit's errors.
//
// Where berth differs from BuildKit (on purpose): an unknown --chown user or group name
// fails the step (Error(not_found)). BuildKit's readUser (solver/llbsolver/ops/
// user_linux.go) finds no entry and silently keeps 0 (an unknown group: the user's
// group), so a typo in --chown leaves the files owned by root with no sign of it; a
// silently wrong owner is worse than a failed build. Symbolic --chmod modes are
// refused (not implemented yet).
//
// Errors are berth::Error: not_found (a missing source or glob base, an unknown user or
// group), invalid_argument (a file over a directory, a directory over a file, a bad
// --chmod or --checksum), unsupported (URLs without a client, symbolic modes,
// bzip2/xz), unsafe (from the Extractor), network, digest_mismatch, io.
#pragma once

#include "dockerfile/ignore.hpp"
#include "dockerfile/instructions.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace berth::http {
class Client;
}

namespace berth::ops {

struct CopySourceRoot {
  // The host directory sources are relative to: the build context, or a stage's or an
  // image's root file system materialised as a directory.
  std::string dir;
  // The context's .dockerignore (nullptr: nothing ignored; stages and images have none).
  const dockerfile::IgnoreMatcher *ignore = nullptr;
  // Without --chown, keep the sources' owners (COPY --from a stage or image) instead of
  // 0:0 (the build context).
  bool keep_owners = false;
};

struct CopyRequest {
  std::vector<std::string> sources;                // expanded, as written ("src/*.go", "a/")
  std::vector<dockerfile::SourceContent> contents; // heredocs: files of that name and content
  std::string dest;                                // expanded; relative to workdir unless absolute
  std::string workdir = "/";
  std::string chown;                 // "" or "user[:group]"
  std::string chmod;                 // "" or octal ("755")
  std::vector<std::string> excludes; // --exclude (patternmatcher patterns)
  bool add = false;                  // ADD: local tar archives are extracted
  // COPY --parents: each source lands below the destination at its path in the root, or
  // at its path below a "/./" in it (src/./app/x -> DEST/app/x); the directories on the
  // way are made as the source's are (mode, owner).
  bool parents = false;
  std::string checksum;         // ADD --checksum (URLs only): "sha256:<hex>"
  http::Client *http = nullptr; // downloads ADD's URL sources; nullptr: refused
  // Created entries get this mtime (SOURCE_DATE_EPOCH); else sources' mtimes are kept
  // (created parents and heredoc files get the current time).
  std::optional<std::int64_t> mtime;
};

// Lays out what the step adds inside `upper` (an existing, empty directory). The image
// is `image_lowers`, its overlay lower directories topmost first (whiteouts as 0/0
// character devices, opaque directories by xattr): it gives /etc/passwd and /etc/group
// for --chown, what the destination is, and the metadata of directories copied up.
// Owners are set with lchown, so a --chown or a kept owner other than the caller's
// needs root (or CAP_CHOWN).
void run_copy_step(const CopySourceRoot &root, const CopyRequest &req,
                   const std::vector<std::string> &image_lowers, const std::string &upper);

// What a step of `req` reads from `root`, as a digest for its cache key: each source as
// matched and followed, and below it every entry (after .dockerignore and --exclude)
// with its path, type, mode, size, link target, hardlink group, contents and — where
// they are kept (CopySourceRoot::keep_owners) — owner; heredocs by name and text.
// Like BuildKit's content checksum it leaves mtimes out, and it reads nothing of the
// image: what the destination holds is in the parent step's key already. nullopt for
// a step with URL sources (what a URL gives is known only by downloading it).
// Errors as run_copy_step's for missing sources.
std::optional<std::string> copy_sources_digest(const CopySourceRoot &root, const CopyRequest &req);

} // namespace berth::ops
