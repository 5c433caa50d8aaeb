// The RUN step of a Dockerfile build: the command BuildKit would run (shell or exec
// form, heredocs), in a sandbox over the stage's layers with the stage's ENV, USER,
// WORKDIR and the build args in scope — nothing of berth's own environment.
#pragma once

#include "dockerfile/instructions.hpp"
#include "ops/build/dockerfile/stage_image.hpp"
#include "sandbox/run.hpp"

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::ops {

struct RunStepOptions {
  // ARG values in scope, KEY=VALUE in declaration order; each overrides the ENV of its
  // name (the builder leaves out an ARG that an ENV came after, as BuildKit's order does).
  std::vector<std::string> build_args;
  // Every ARG the stage declared, in order, with or without a value: the history names
  // them all ("|2 A=1 UNSET= ..."). Empty: the names of build_args.
  std::vector<std::string> declared_args;
  // BuildKit's predefined proxy args (HTTP_PROXY, https_proxy, ...) given as build args:
  // every RUN sees them, in both spellings, without an ARG; they are kept out of the
  // history and the cache key.
  std::vector<std::string> proxy_env;
  // RUN --mount, made ready by prepare_mounts (run_mounts.hpp), and the environment its
  // secrets add (env=). Without them a RUN with --mount is refused.
  std::vector<sandbox::BindMount> mounts;
  std::vector<std::string> mount_env;
  bool mounts_prepared = false;
  std::string network = "host";      // the build's --network; RUN --network overrides it
  std::string source = "Dockerfile"; // the file's name in errors
  std::function<void(std::string_view)> output;
  std::function<bool()> cancelled;
};

// The command line and environment the sandbox gets (exposed for tests and the cache
// key): argv, env (ENV, then build args not shadowed by ENV), and the history text
// BuildKit writes ("RUN |1 A=b /bin/sh -c make").
struct RunCommand {
  std::vector<std::string> argv, env;
  std::string history;
  // A heredoc run as a script (it starts with #!): its content, mounted read-only and
  // executable at `script_path` (/dev/pipes/<name>), as BuildKit does.
  std::string script_path, script;
};
RunCommand run_command(const dockerfile::Instruction &in, const StageImage &img,
                       const RunStepOptions &o);

// Runs the instruction with its changes landing in `upper` (work: the sandbox's scratch
// directory, on the same file system). A non-zero exit is Error(build_failed) naming the
// line, the instruction, the exit code and the end of the output; RUN --mount and
// --security=insecure are Error(unsupported) for now.
sandbox::RunResult run_step(const dockerfile::Instruction &in, const StageImage &img,
                            const RunStepOptions &o, const std::string &upper,
                            const std::string &work);

} // namespace berth::ops
