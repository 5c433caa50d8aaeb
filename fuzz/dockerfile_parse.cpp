// Dockerfiles and .dockerignore files as users write them: dockerfile::parse,
// build_stages, expand() of every instruction, the meta args and FROM expansion, the
// shell lexer on every argument, and the ignore matcher. Nothing may crash, and every
// error is a berth::Error whose message holds no raw control character.
#include <berth/error.hpp>

#include "dockerfile/ignore.hpp"
#include "dockerfile/instructions.hpp"
#include "dockerfile/shell_lexer.hpp"

#include "fuzz_input.hpp"

namespace {

void check_message(const berth::Error &e) {
  for (const char c : std::string(e.what()))
    if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) __builtin_trap();
}

void lex_all(const berth::dockerfile::ParseResult &parsed, const berth::dockerfile::EnvList &env) {
  berth::dockerfile::ShellLex lex(parsed.escape);
  for (const auto &n : parsed.nodes)
    for (const auto &a : n.args) {
      try {
        (void)lex.process(a, env.lookup());
      } catch (const berth::Error &e) {
        check_message(e);
      }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  using namespace berth::dockerfile;
  const auto parts = berth::fuzz::split(berth::fuzz::text(data, size), 2);
  EnvList env;
  env.set("A", "a b");
  env.set("EMPTY", "");
  env.set("PATH", "/usr/bin:/bin");
  try {
    const ParseResult parsed = parse(parts[0]);
    lex_all(parsed, env);
    Dockerfile df = build_stages(parsed);
    const EnvList meta = meta_arg_values(df.meta_args, {{"A", "1"}}, df.escape);
    for (auto &stage : df.stages) {
      try {
        (void)expand_stage(stage, meta, df.escape);
      } catch (const berth::Error &e) {
        check_message(e);
      }
      for (auto &in : stage.commands) {
        try {
          (void)expand(in, env.lookup(), df.escape);
        } catch (const berth::Error &e) {
          check_message(e);
        }
      }
    }
  } catch (const berth::Error &e) {
    check_message(e);
  }
  if (parts.size() > 1) {
    try {
      const IgnoreMatcher m(read_ignore_patterns(parts[1]));
      for (const char *p : {"a", "a/b/c", "src/main.go", ".git/HEAD", "node_modules/x"}) {
        (void)m.matches(p);
        (void)m.may_contain_exceptions(p);
      }
    } catch (const berth::Error &e) {
      check_message(e);
    }
  }
  return 0;
}
