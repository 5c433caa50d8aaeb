// Typed Dockerfile instructions and stages from the parser's nodes, with BuildKit's
// validation (frontend/dockerfile/instructions/parse.go) and errors naming the line:
// "Dockerfile:12: unknown instruction \"COPPY\" (did you mean COPY?)".
// Words are kept unexpanded; expand() does what BuildKit's dispatcher does with the
// environment of the step, only for the instructions BuildKit expands.
#pragma once

#include "dockerfile/parser.hpp"
#include "dockerfile/run_mount.hpp"
#include "dockerfile/shell_lexer.hpp"

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

namespace berth::dockerfile {

struct KeyValue {
  std::string key, value;
  bool no_delim = false; // the legacy "ENV k v" form
};

struct ArgPair {
  std::string key;
  std::optional<std::string> value; // "ARG name" has none
};

struct SourceContent { // a heredoc source of COPY/ADD
  std::string path;    // the heredoc's name
  std::string data;    // tabs already chomped for <<-
  bool expand = true;
};

struct SourcesAndDest {
  std::vector<std::string> paths;
  std::vector<SourceContent> contents;
  std::string dest;
};

struct CommandLine {
  std::vector<std::string> args; // exec form: the array; shell form: one joined string
  bool prepend_shell = true;     // false for the exec (JSON) form
  std::vector<Heredoc> files;    // RUN heredocs (content not chomped)
};

struct EnvInstr {
  std::vector<KeyValue> pairs;
};
struct LabelInstr {
  std::vector<KeyValue> pairs;
};
struct MaintainerInstr {
  std::string maintainer;
};
struct AddInstr {
  SourcesAndDest sd;
  std::string chown, chmod, checksum;
  bool link = false;
  std::optional<bool> keep_git_dir, unpack;
  std::vector<std::string> excludes;
};
struct CopyInstr {
  SourcesAndDest sd;
  std::string from, chown, chmod;
  bool link = false, parents = false;
  std::vector<std::string> excludes;
};
struct RunInstr {
  CommandLine cmd;
  std::vector<std::string> mount_specs; // the --mount values as written
  std::vector<Mount> mounts;            // parsed; final after expand()
  std::string network = "default";      // default, none, host
  std::string security = "sandbox";     // sandbox, insecure
  std::vector<std::string> flags_used;  // names of the flags given
};
struct CmdInstr {
  CommandLine cmd;
};
struct EntrypointInstr {
  CommandLine cmd;
}; // an empty shell form is no arguments
struct HealthcheckInstr {
  std::vector<std::string> test; // {"NONE"}, {"CMD", ...} or {"CMD-SHELL", "..."}
  std::chrono::nanoseconds interval{0}, timeout{0}, start_period{0}, start_interval{0};
  int retries = 0;
};
struct ExposeInstr {
  std::vector<std::string> ports;
}; // sorted, as BuildKit does
struct UserInstr {
  std::string user;
};
struct VolumeInstr {
  std::vector<std::string> volumes;
};
struct StopSignalInstr {
  std::string signal;
};
struct ArgInstr {
  std::vector<ArgPair> args;
};
struct ShellInstr {
  std::vector<std::string> shell;
};
struct WorkdirInstr {
  std::string path;
};
struct OnbuildInstr {
  std::string expression;
}; // the trigger's text (and heredocs)

using InstructionBody =
    std::variant<EnvInstr, LabelInstr, MaintainerInstr, AddInstr, CopyInstr, RunInstr, CmdInstr,
                 EntrypointInstr, HealthcheckInstr, ExposeInstr, UserInstr, VolumeInstr,
                 StopSignalInstr, ArgInstr, ShellInstr, WorkdirInstr, OnbuildInstr>;

struct Instruction {
  std::string keyword;  // upper case: "RUN"
  std::string original; // the text as written (history's created_by)
  int start_line = 0, end_line = 0;
  InstructionBody body;
};

struct Stage {
  std::string name;     // lower case, "" when unnamed
  std::string base;     // FROM's image or stage, unexpanded
  std::string platform; // --platform, unexpanded
  std::string original;
  int start_line = 0, end_line = 0;
  std::vector<Instruction> commands;
};

struct Dockerfile {
  std::string source;
  char escape = '\\';
  std::vector<Directive> directives;
  std::vector<ParseWarning> warnings;
  std::vector<Instruction> meta_args; // ARGs before the first FROM
  std::vector<Stage> stages;
};

// One parsed node -> an instruction; FROM is not one (see build_stages).
Instruction parse_instruction(const Node &node, std::string_view source = "Dockerfile");

// The whole file: meta ARGs, then stages. An instruction before any FROM (other than
// ARG) is an error, as is a file without FROM.
Dockerfile build_stages(const ParseResult &parsed);
Dockerfile parse_dockerfile(std::string_view text, std::string_view source = "Dockerfile");

// What an expansion looked up: the variables found (a step's build-arg dependencies
// for cache keys) and those that were unset.
struct ExpandReport {
  std::set<std::string> used, unset;
};

// Expands the instruction's words in place with the step's environment, where BuildKit
// does: ENV, LABEL, ADD/COPY (sources, destination, --chown, --chmod, ADD --checksum;
// heredoc contents without quote processing when their delimiter was unquoted),
// WORKDIR, USER, VOLUME, STOPSIGNAL, EXPOSE (each word split), RUN (--mount values),
// ARG (default values only). RUN/CMD/ENTRYPOINT/SHELL/HEALTHCHECK/ONBUILD/MAINTAINER
// are left as written. Throws berth::Error naming the line.
ExpandReport expand(Instruction &instr, const EnvLookup &env, char escape = '\\',
                    std::string_view source = "Dockerfile");

// The meta ARGs' values (BuildKit's buildMetaArgs): build args given by the user win,
// defaults are expanded with the meta args before them. Only FROM lines see these.
EnvList meta_arg_values(const std::vector<Instruction> &meta_args,
                        const std::vector<std::pair<std::string, std::string>> &build_args,
                        char escape = '\\');

// FROM's base name and platform expanded with the meta args; an empty base name is an
// error. Returns the variables used.
ExpandReport expand_stage(Stage &stage, const EnvList &meta, char escape = '\\',
                          std::string_view source = "Dockerfile");

} // namespace berth::dockerfile
