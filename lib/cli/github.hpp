// GitHub Actions integration: step outputs, exported variables, the step summary and
// log masking. Each is a no-op outside Actions (GITHUB_ACTIONS != "true").
//
// Workflow commands (::add-mask::) go to stderr: stdout carries only a command's
// result, so that `berth ecr get-login-password | skopeo login --password-stdin` and
// `berth aws credentials --format json | jq` work the same inside a runner. Runners
// read workflow commands from both streams.
#pragma once

#include <berth/tags.hpp>

#include <string>

namespace berth::cli {

bool in_github_actions();
// Appends NAME to $GITHUB_OUTPUT: "name=value", or the runner's delimiter form
// (name<<DELIM ... DELIM) when the value holds a line break or other control
// character, so no value can start another variable.
void github_output(const std::string &name, const std::string &value);
// Appends NAME to $GITHUB_ENV, always in the delimiter form (the file is read by every
// later step: a value must never be able to add a variable). Throws Error(config)
// when $GITHUB_ENV is unset.
void github_env(const std::string &name, const std::string &value);
// Appends Markdown to $GITHUB_STEP_SUMMARY.
void github_summary(const std::string &markdown);
// "::add-mask::" for each line of the secret, on stderr, so the runner redacts it
// from every later log line.
void github_mask(const std::string &secret);

// Why the tag rules gave no tag for ctx: no CI context (which variables were read), or
// none of the rules applies to its event and ref.
std::string why_no_tags(const CiContext &ctx);

// The text of a file command entry; exposed for tests. `delimiter` must not occur in
// value as a line; callers pass "" to have a random one chosen.
std::string file_command_entry(const std::string &name, const std::string &value,
                               bool force_delimiter, std::string delimiter = {});
// The "::add-mask::" lines for a secret (one per line of it, escaped as the runner
// unescapes command data); exposed for tests.
std::string mask_commands(const std::string &secret);

} // namespace berth::cli
