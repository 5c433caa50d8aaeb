// build_stages, and the expansions of instructions.hpp: where BuildKit's dispatcher
// expands words (the SupportsSingleWordExpansion instructions, ExpandRaw for heredoc
// contents, EXPOSE's words, ARG defaults, FROM with the meta args).
#include "dockerfile/instructions.hpp"

#include "core/quoted.hpp"
#include "dockerfile/instruction_flags.hpp"
#include "dockerfile/text.hpp"

namespace berth::dockerfile {

namespace {

bool valid_stage_name(std::string_view s) {
  if (s.empty() || s[0] < 'a' || s[0] > 'z') return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
      return false;
  return true;
}

Stage parse_from(const Node &n, std::string_view source) {
  Stage st;
  try {
    const auto &a = n.args;
    if (a.size() == 3 && iequals(a[1], "as")) {
      st.name = to_lower(a[2]);
      if (!valid_stage_name(st.name))
        throw Error(Errc::invalid_argument,
                    "invalid name for build stage: " + core::quoted(a[2]) +
                        ", name can't start with a number or contain symbols");
    } else if (a.size() != 1) {
      throw Error(Errc::invalid_argument, "FROM requires either one or three arguments");
    }
    Flags f(n.flags);
    f.add_string("platform");
    f.parse();
    st.platform = f.str("platform");
    st.base = a[0];
  } catch (const Error &e) {
    fail(source, n.start_line, e.what());
  }
  st.original = std::string(trim_space(n.original));
  st.start_line = n.start_line;
  st.end_line = n.end_line;
  return st;
}

struct Expander {
  ShellLex lex;
  const EnvLookup &env;
  ExpandReport &report;
  LexResult run(std::string_view w) {
    auto r = lex.process(w, env);
    report.used.insert(r.matched.begin(), r.matched.end());
    report.unset.insert(r.unmatched.begin(), r.unmatched.end());
    return r;
  }
  void word(std::string &w) { w = run(w).word; }
};

void expand_body(InstructionBody &body, Expander &x, const EnvLookup &env, ExpandReport &report) {
  auto sources = [&](SourcesAndDest &sd) {
    for (auto &p : sd.paths)
      x.word(p);
    x.word(sd.dest);
    // ExpandRaw: the heredoc body keeps its quotes; the escape is always a backslash.
    Expander raw{ShellLex('\\'), env, report};
    raw.lex.options.skip_process_quotes = true;
    for (auto &c : sd.contents)
      if (c.expand) raw.word(c.data);
  };
  std::visit(
      [&](auto &b) {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, EnvInstr> || std::is_same_v<T, LabelInstr>) {
          for (auto &kv : b.pairs)
            x.word(kv.key), x.word(kv.value);
        } else if constexpr (std::is_same_v<T, AddInstr>) {
          x.word(b.chown), x.word(b.chmod), x.word(b.checksum);
          sources(b.sd);
        } else if constexpr (std::is_same_v<T, CopyInstr>) {
          x.word(b.chown), x.word(b.chmod);
          sources(b.sd);
        } else if constexpr (std::is_same_v<T, WorkdirInstr>) {
          x.word(b.path);
        } else if constexpr (std::is_same_v<T, UserInstr>) {
          x.word(b.user);
        } else if constexpr (std::is_same_v<T, StopSignalInstr>) {
          x.word(b.signal);
        } else if constexpr (std::is_same_v<T, VolumeInstr>) {
          for (auto &v : b.volumes)
            x.word(v);
        } else if constexpr (std::is_same_v<T, ExposeInstr>) {
          std::vector<std::string> ports;
          for (const auto &p : b.ports)
            for (auto &w : x.run(p).words)
              ports.push_back(std::move(w));
          b.ports = std::move(ports);
        } else if constexpr (std::is_same_v<T, ArgInstr>) {
          for (auto &a : b.args)
            if (a.value) x.word(*a.value);
        } else if constexpr (std::is_same_v<T, RunInstr>) {
          const std::function<std::string(std::string_view)> fn = [&](std::string_view w) {
            return x.run(w).word;
          };
          b.mounts.clear();
          for (const auto &spec : b.mount_specs)
            b.mounts.push_back(parse_mount(spec, &fn));
        }
      },
      body);
}

} // namespace

Dockerfile build_stages(const ParseResult &parsed) {
  Dockerfile df;
  df.source = parsed.source;
  df.escape = parsed.escape;
  df.directives = parsed.directives;
  df.warnings = parsed.warnings;
  for (const auto &n : parsed.nodes) {
    if (n.keyword == "from") {
      df.stages.push_back(parse_from(n, parsed.source));
      continue;
    }
    Instruction in = parse_instruction(n, parsed.source);
    if (df.stages.empty()) {
      if (!std::holds_alternative<ArgInstr>(in.body))
        fail(parsed.source, n.start_line,
             "no build stage in current context (" + core::quoted(in.keyword) +
                 " before the first FROM)");
      df.meta_args.push_back(std::move(in));
      continue;
    }
    df.stages.back().end_line = n.end_line;
    df.stages.back().commands.push_back(std::move(in));
  }
  if (df.stages.empty()) fail(parsed.source, 0, "no build stage (the file has no FROM)");
  return df;
}

Dockerfile parse_dockerfile(std::string_view text, std::string_view source) {
  return build_stages(parse(text, source));
}

ExpandReport expand(Instruction &instr, const EnvLookup &env, char escape,
                    std::string_view source) {
  ExpandReport report;
  Expander x{ShellLex(escape), env, report};
  try {
    expand_body(instr.body, x, env, report);
  } catch (const Error &e) {
    fail(source, instr.start_line, e.what());
  }
  return report;
}

EnvList meta_arg_values(const std::vector<Instruction> &meta_args,
                        const std::vector<std::pair<std::string, std::string>> &build_args,
                        char escape) {
  EnvList args;
  const ShellLex lex(escape);
  for (const auto &in : meta_args) {
    const auto *a = std::get_if<ArgInstr>(&in.body);
    if (!a) continue;
    for (const auto &p : a->args) {
      std::optional<std::string> value;
      for (const auto &[k, v] : build_args)
        if (k == p.key) value = v;
      if (!value && p.value) value = lex.process_word(*p.value, args.lookup());
      if (value) args.set(p.key, *value);
    }
  }
  return args;
}

ExpandReport expand_stage(Stage &stage, const EnvList &meta, char escape, std::string_view source) {
  ExpandReport report;
  const auto env = meta.lookup();
  Expander x{ShellLex(escape), env, report};
  try {
    const std::string base = stage.base;
    x.word(stage.base);
    if (stage.base.empty())
      throw Error(Errc::invalid_argument,
                  "base name (" + core::quoted(base) + ") should not be blank");
    if (!stage.platform.empty()) {
      const std::string plat = stage.platform;
      x.word(stage.platform);
      if (stage.platform.empty())
        throw Error(Errc::invalid_argument,
                    "empty platform value from expression " + core::quoted(plat));
    }
  } catch (const Error &e) {
    fail(source, stage.start_line, e.what());
  }
  return report;
}

} // namespace berth::dockerfile
