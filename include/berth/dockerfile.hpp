// Dockerfile builds without a daemon: BuildKit's Dockerfile semantics, each RUN in a
// sandbox made by berth (rootless when berth is not root), each step's changes a layer
// streamed through the same deterministic tar + compression pipeline as `berth build`
// from directories, the result stored like any build (registry, oci: layout, archive)
// with the same tags, attestations and signatures.
#pragma once

#include <berth/build.hpp>

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth {

struct DockerfileBuildOptions {
  // The build context: a directory whose files COPY and ADD may read (never outside
  // it). "<dockerfile>.dockerignore" beside the Dockerfile, else .dockerignore at the
  // context root, leaves files out.
  std::string context = ".";
  // The Dockerfile: its path ("" = <context>/Dockerfile), or its text when
  // dockerfile_text is set (`-f -`); dockerfile names it in errors then.
  std::string dockerfile;
  std::optional<std::string> dockerfile_text;
  std::vector<std::pair<std::string, std::string>> build_args; // --build-arg K=V
  std::string target;                                          // stage name; "" = the last
  std::map<std::string, std::string> labels;                   // --label, over the Dockerfile's
  std::string platform;         // "os/arch[/variant]"; "" = this machine's
  std::string network = "host"; // RUN's network: "host" or "none"
  // --secret for RUN --mount=type=secret: "id=ID[,src=FILE|,env=VAR]" (with neither, the
  // environment variable ID). A secret never reaches a layer, the history or a log.
  std::vector<std::string> secrets;
  // Told each secret's value when a RUN that mounts it is about to run (never for a
  // step the cache answers): where logs are public, mask it there (the CLI writes
  // GitHub's ::add-mask:: to stderr in Actions). Called from the build's threads.
  std::function<void(const std::string &)> on_secret;

  // Where base layers are unpacked once (by diffID) and built layers are kept between
  // builds; "" = $XDG_CACHE_HOME/berth (else ~/.cache/berth).
  std::string state_dir;
  bool no_cache = false; // run every step again (the unpacked base layers are still reused)
  // Build caches in registries, for CI runners that start empty (buildx's form):
  // "type=registry,ref=REPO[:TAG]" (a bare "REPO[:TAG]" too; the tag defaults to
  // "buildcache"). A step found in the local cache or any cache_from runs no more; a
  // cache that is missing, unreadable or whose blobs expired is a warning and a miss.
  // cache_to ("...,mode=min|max[,ignore-error=true]") is replaced after the build with
  // the steps it used: the final image's (min, the default) or every stage's (max).
  // Both use output_access's credentials.
  std::vector<std::string> cache_from;
  std::string cache_to;

  // Bases from registries, and read-through mirrors for them.
  RegistryAccess from_access;
  std::vector<std::string> mirrors;

  std::string compression = "gzip"; // gzip | zstd | none
  int level = -1;
  unsigned threads = 0;
  // The image's time: this, else SOURCE_DATE_EPOCH, else now. SOURCE_DATE_EPOCH also
  // clamps file times, so the same inputs give the same digest.
  std::optional<std::chrono::system_clock::time_point> created;

  std::string output; // oci:DIR[:TAG], docker://REF, oci-archive:, docker-archive:
  RegistryAccess output_access;
  std::vector<std::string> extra_tags;
  // Blobs copied at once, and stages that need nothing of each other built at once
  // (at most one per CPU).
  int jobs = BERTH_DEFAULT_JOBS;
  ProgressFn progress;
  // Each step ("#3 RUN make", "  CACHED" below it when reused) and what a RUN prints,
  // as whole lines ending in "\n". Stages built at once call it from their threads, one
  // call at a time.
  std::function<void(std::string_view)> log;

  bool attach_sbom = false, attach_provenance = false;
  std::shared_ptr<Signer> signer;
  std::string builder_id;
};

// Builds the target stage and stores it at `output`. A failing RUN is Error(build_failed)
// naming the instruction, its Dockerfile line, its exit code and the tail of its output;
// nothing is stored then. BuildResult::layers lists the layers the Dockerfile added.
BuildResult build_dockerfile(const DockerfileBuildOptions &options);

} // namespace berth
