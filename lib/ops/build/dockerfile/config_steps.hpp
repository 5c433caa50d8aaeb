// The Dockerfile instructions that change only the image config, applied as BuildKit's
// dispatcher applies them (frontend/dockerfile/dockerfile2llb), with the history entry
// each writes. RUN, COPY, ADD and WORKDIR's directory are steps with files, elsewhere.
#pragma once

#include "dockerfile/instructions.hpp"
#include "ops/build/dockerfile/stage_image.hpp"

#include <optional>
#include <string>
#include <vector>

namespace berth::ops {

// BuildKit's history comment on every entry a Dockerfile writes.
inline constexpr const char *kDockerfileHistoryComment = "buildkit.dockerfile.v0";

// Applies an expanded ENV, LABEL, MAINTAINER, USER, CMD, ENTRYPOINT, EXPOSE, VOLUME,
// STOPSIGNAL, SHELL, HEALTHCHECK or ONBUILD to the stage's config and returns its
// history text ("ENV A=b", "CMD [\"sh\"]"; "" for ONBUILD, which BuildKit does not
// record); nullopt for any other instruction.
std::optional<std::string> apply_config_step(const dockerfile::Instruction &in, StageImage &img);

// The stage's SHELL (config "Shell"), else ["/bin/sh", "-c"].
std::vector<std::string> stage_shell(const StageImage &img);

// The config's "Env" as KEY=VALUE entries, and one variable's value.
std::vector<std::string> config_env(const StageImage &img);
std::optional<std::string> env_value(const std::vector<std::string> &env, std::string_view key);
void set_config_env(StageImage &img, const std::vector<std::string> &env);

// A string member of the config's "config" object ("" when absent).
std::string config_string(const StageImage &img, const char *key);
void set_config_string(StageImage &img, const char *key, const std::string &value);

// WORKDIR's path as BuildKit records it: an absolute one as written, a relative one
// joined to the current one (and so cleaned, as Go's path.Join does).
std::string resolve_workdir(const std::string &current, const std::string &path);

// Go's fmt %q of a []string: ["a" "b"] (how BuildKit's history prints CMD and the like).
std::string go_quoted_list(const std::vector<std::string> &v);

} // namespace berth::ops
