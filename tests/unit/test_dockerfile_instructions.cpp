// Typed instructions and stages (lib/dockerfile/instructions) against BuildKit's
// instructions package: validation messages, flags, the exec/shell forms, heredoc
// sources, and expansion only where BuildKit's dispatcher expands.
#include <doctest/doctest.h>

#include "dockerfile/instructions.hpp"

#include <berth/error.hpp>

#include <string>
#include <vector>

using namespace berth;
using namespace berth::dockerfile;

namespace {

using V = std::vector<std::string>;

std::string error_of(const std::string &text) {
  try {
    (void)parse_dockerfile(text);
  } catch (const Error &e) {
    CHECK(e.code() == Errc::invalid_argument);
    return e.what();
  }
  return "";
}

template <class T> T only(const std::string &text) {
  auto df = parse_dockerfile(text);
  REQUIRE(df.stages.size() == 1);
  REQUIRE(df.stages[0].commands.size() == 1);
  const T *b = std::get_if<T>(&df.stages[0].commands[0].body);
  REQUIRE(b);
  return *b;
}

} // namespace

TEST_CASE("dockerfile instructions: stages, names, platforms and meta args") {
  const auto df =
      parse_dockerfile("ARG BASE=alpine\nARG V\nFROM --platform=$BUILDPLATFORM ${BASE}:3 AS Build\n"
                       "RUN make\nFROM scratch\nCOPY --from=build /out /\n");
  REQUIRE(df.meta_args.size() == 2);
  REQUIRE(df.stages.size() == 2);
  CHECK(df.stages[0].name == "build"); // lower-cased
  CHECK(df.stages[0].base == "${BASE}:3");
  CHECK(df.stages[0].platform == "$BUILDPLATFORM");
  CHECK(df.stages[0].start_line == 3);
  CHECK(df.stages[0].end_line == 4);
  CHECK(df.stages[1].name.empty());
  CHECK(std::get<CopyInstr>(df.stages[1].commands[0].body).from == "build");

  const EnvList meta =
      meta_arg_values(df.meta_args, {{"V", "1"}, {"BUILDPLATFORM", "linux/arm64"}});
  CHECK(meta.get("BASE") == "alpine");
  CHECK(meta.get("V") == "1");
  Stage st = df.stages[0];
  EnvList with_platform = meta;
  with_platform.set("BUILDPLATFORM", "linux/arm64");
  const auto used = expand_stage(st, with_platform);
  CHECK(st.base == "alpine:3");
  CHECK(st.platform == "linux/arm64");
  CHECK(used.used == std::set<std::string>{"BASE", "BUILDPLATFORM"});

  Stage blank = df.stages[0];
  blank.base = "${NOPE}";
  CHECK_THROWS_WITH(expand_stage(blank, EnvList{}),
                    doctest::Contains("Dockerfile:3: base name (\"${NOPE}\") should not be blank"));
}

TEST_CASE("dockerfile instructions: FROM and stage errors name the line") {
  CHECK(error_of("FROM a AS 1x\n").find("Dockerfile:1: invalid name for build stage") == 0);
  CHECK(error_of("FROM a b\n") == "Dockerfile:1: FROM requires either one or three arguments");
  CHECK(error_of("RUN x\nFROM a\n").find("Dockerfile:1: no build stage") == 0);
  CHECK(error_of("ARG A\n").find("no build stage") != std::string::npos);
  CHECK(error_of("FROM --platfrom=x a\n")
            .find("unknown flag: \"--platfrom\" (did you mean platform?)") != std::string::npos);
}

TEST_CASE("dockerfile instructions: unknown instructions suggest the nearest one") {
  CHECK(error_of("FROM a\n\nCOPPY x y\n") ==
        "Dockerfile:3: unknown instruction \"COPPY\" (did you mean COPY?)");
  CHECK(error_of("FROM a\nFLOOB x\n") == "Dockerfile:2: unknown instruction \"FLOOB\"");
  CHECK(error_of("FROM a\nR\x1bUN x\n").find('\x1b') == std::string::npos);
}

TEST_CASE("dockerfile instructions: RUN forms, mounts, network and security") {
  const auto run = only<RunInstr>("FROM a\nRUN --mount=type=cache,target=/root/.cache,id=$ID "
                                  "--mount=type=secret,id=tok --network=none echo hi\n");
  CHECK(run.cmd.args == V{"echo hi"});
  CHECK(run.cmd.prepend_shell);
  CHECK(run.network == "none");
  CHECK(run.mount_specs.size() == 2);
  CHECK(run.flags_used == V{"mount", "network"});
  CHECK(only<RunInstr>("FROM a\nRUN [\"a\", \"b c\"]\n").cmd.args == V{"a", "b c"});
  CHECK_FALSE(only<RunInstr>("FROM a\nRUN [\"a\"]\n").cmd.prepend_shell);
  CHECK(error_of("FROM a\nRUN --network=bridge x\n") ==
        "Dockerfile:2: invalid network mode \"bridge\"");
  CHECK(error_of("FROM a\nRUN --security=x y\n") == "Dockerfile:2: security \"x\" is not valid");
  CHECK(error_of("FROM a\nRUN --mount=from=$X,target=/a y\n")
            .find("doesn't support variable expansion") != std::string::npos);
  CHECK(error_of("FROM a\nRUN --network x\n") ==
        "Dockerfile:2: missing a value on flag: \"--network\"");

  Instruction in =
      parse_dockerfile("FROM a\nRUN --mount=type=cache,target=/c,id=$ID,sharing=locked x\n")
          .stages[0]
          .commands[0];
  EnvList env;
  env.set("ID", "go");
  const auto rep = expand(in, env.lookup());
  const auto &m = std::get<RunInstr>(in.body).mounts.at(0);
  CHECK(m.type == "cache");
  CHECK(m.cache_id == "go");
  CHECK(m.sharing == "locked");
  CHECK_FALSE(m.read_only);
  CHECK(rep.used == std::set<std::string>{"ID"});
  CHECK(std::get<RunInstr>(in.body).cmd.args == V{"x"}); // the command itself is the shell's
}

TEST_CASE("dockerfile instructions: mount checks per type (commands_runmount)") {
  auto fn = std::function<std::string(std::string_view)>(
      [](std::string_view s) { return std::string(s); });
  CHECK(parse_mount("type=bind,source=/a,target=/b", &fn).read_only);
  CHECK_FALSE(parse_mount("type=bind,target=/b,rw", &fn).read_only);
  CHECK(parse_mount("type=tmpfs,target=/t,size=64m", &fn).size_limit == 64 * 1024 * 1024);
  CHECK(parse_mount("type=secret,id=a,required", &fn).required);
  CHECK(*parse_mount("type=cache,target=/c,mode=0755,uid=1", &fn).mode == 0755);
  CHECK(parse_mount("\"type=bind\",\"target=/a,b\"", &fn).target == "/a,b");
  CHECK_THROWS_WITH(parse_mount("type=bind,mode=0600", &fn),
                    "mode not allowed for \"bind\" type mounts");
  CHECK_THROWS_WITH(parse_mount("type=secret", &fn),
                    "invalid secret mount. one of source, target required");
  CHECK_THROWS_WITH(parse_mount("type=bind,sharing=shared", &fn),
                    "invalid cache sharing set for bind mount");
  CHECK_THROWS_AS(parse_mount("type=volume", &fn), Error);
  CHECK_THROWS_AS(parse_mount("type=bind,bogus=1", &fn), Error);
  CHECK_THROWS_AS(parse_mount("type=bind,required", &fn), Error);
}

TEST_CASE("dockerfile instructions: COPY and ADD flags, sources and heredoc sources") {
  const auto c = only<CopyInstr>("FROM a\nCOPY --from=b --chown=1:2 --chmod=755 --link --parents "
                                 "--exclude=*.md --exclude=x a b /dst/\n");
  CHECK(c.from == "b");
  CHECK(c.chown == "1:2");
  CHECK(c.chmod == "755");
  CHECK(c.link);
  CHECK(c.parents);
  CHECK(c.excludes == V{"*.md", "x"});
  CHECK(c.sd.paths == V{"a", "b"});
  CHECK(c.sd.dest == "/dst/");
  const auto add =
      only<AddInstr>("FROM a\nADD --checksum=sha256:abc --keep-git-dir=false https://x/y.tgz /z\n");
  CHECK(add.checksum == "sha256:abc");
  REQUIRE(add.keep_git_dir);
  CHECK_FALSE(*add.keep_git_dir);
  CHECK_FALSE(add.unpack);
  const auto h =
      only<CopyInstr>("FROM a\nCOPY <<-EOF <<'RAW' /dest/\n\tone $X\nEOF\ntwo $X\nRAW\n");
  REQUIRE(h.sd.contents.size() == 2);
  CHECK(h.sd.contents[0].data == "one $X\n"); // chomped
  CHECK(h.sd.contents[0].expand);
  CHECK_FALSE(h.sd.contents[1].expand);
  CHECK(h.sd.paths.empty());
  CHECK(error_of("FROM a\nCOPY x\n").find("Dockerfile:2: COPY requires at least two arguments") ==
        0);
  CHECK(error_of("FROM a\nCOPY x <<EOF\nEOF\n") ==
        "Dockerfile:2: COPY cannot accept a heredoc as a destination");
  CHECK(error_of("FROM a\nCOPY --link=maybe a b\n").find("expecting boolean value") !=
        std::string::npos);
  CHECK(error_of("FROM a\nCOPY --checksum=x a b\n").find("unknown flag") != std::string::npos);
  CHECK(error_of("FROM a\nCOPY --from=a --from=b x y\n").find("duplicate flag") !=
        std::string::npos);
}

TEST_CASE("dockerfile instructions: expansion happens where BuildKit expands") {
  auto df = parse_dockerfile("FROM a\nENV A=\"x y\" B=${A}z\nCOPY --chown=$U ${SRC} \"$DST\"\n"
                             "COPY <<EOF <<'RAW' /d\n'$U' \"${U}\"\nEOF\n$U\nRAW\n"
                             "WORKDIR $DST/w\nUSER ${U:-root}\nEXPOSE $P 9000/udp\nVOLUME $DST\n"
                             "STOPSIGNAL SIG$S\nRUN echo $U\nCMD echo $U\nLABEL l=$U\n");
  EnvList env;
  for (auto [k, v] : std::vector<std::pair<const char *, const char *>>{{"A", "x y"},
                                                                        {"U", "app"},
                                                                        {"SRC", "src"},
                                                                        {"DST", "/dst"},
                                                                        {"P", "80 443"},
                                                                        {"S", "TERM"}})
    env.set(k, v);
  auto &cmds = df.stages[0].commands;
  for (auto &c : cmds)
    expand(c, env.lookup());
  const auto &e = std::get<EnvInstr>(cmds[0].body);
  CHECK(e.pairs[0].value == "x y");
  CHECK(e.pairs[1].value == "x yz"); // the step's env, not the same line's
  const auto &cp = std::get<CopyInstr>(cmds[1].body);
  CHECK(cp.chown == "app");
  CHECK(cp.sd.paths == V{"src"});
  CHECK(cp.sd.dest == "/dst");
  const auto &hd = std::get<CopyInstr>(cmds[2].body);
  CHECK(hd.sd.contents[0].data == "'app' \"app\"\n"); // quotes kept, variables expanded
  CHECK(hd.sd.contents[1].data == "$U\n");            // quoted delimiter: as written
  CHECK(std::get<WorkdirInstr>(cmds[3].body).path == "/dst/w");
  CHECK(std::get<UserInstr>(cmds[4].body).user == "app");
  CHECK(std::get<ExposeInstr>(cmds[5].body).ports == V{"80", "443", "9000/udp"});
  CHECK(std::get<VolumeInstr>(cmds[6].body).volumes == V{"/dst"});
  CHECK(std::get<StopSignalInstr>(cmds[7].body).signal == "SIGTERM");
  CHECK(std::get<RunInstr>(cmds[8].body).cmd.args == V{"echo $U"});
  CHECK(std::get<CmdInstr>(cmds[9].body).cmd.args == V{"echo $U"});
  CHECK(std::get<LabelInstr>(cmds[10].body).pairs[0].value == "app");

  Instruction bad = parse_dockerfile("FROM a\n\nWORKDIR ${X:?set it}\n").stages[0].commands[0];
  CHECK_THROWS_WITH(expand(bad, empty_env()), doctest::Contains("Dockerfile:3: failed to process"));
  Instruction unset = parse_dockerfile("FROM a\nUSER $NOPE:$G\n").stages[0].commands[0];
  EnvList g;
  g.set("G", "");
  const auto rep = expand(unset, g.lookup());
  CHECK(rep.unset == std::set<std::string>{"NOPE"});
  CHECK(rep.used == std::set<std::string>{"G"});
}

TEST_CASE("dockerfile instructions: ENV, LABEL, ARG and the simple ones") {
  const auto env = only<EnvInstr>("FROM a\nENV k some value\n");
  CHECK(env.pairs.size() == 1);
  CHECK(env.pairs[0].value == "some value");
  CHECK(env.pairs[0].no_delim);
  const auto arg = only<ArgInstr>("FROM a\nARG a b=1 c=\n");
  REQUIRE(arg.args.size() == 3);
  CHECK_FALSE(arg.args[0].value);
  CHECK(arg.args[1].value == "1");
  CHECK(arg.args[2].value == "");
  CHECK(error_of("FROM a\nARG =x\n") == "Dockerfile:2: ARG names can not be blank");
  CHECK(error_of("FROM a\nENV\n") == "Dockerfile:2: ENV requires at least one argument");
  CHECK(error_of("FROM a\nWORKDIR\n") == "Dockerfile:2: WORKDIR requires exactly one argument");
  CHECK(error_of("FROM a\nUSER --x=1 me\n").find("unknown flag") != std::string::npos);
  CHECK(only<ExposeInstr>("FROM a\nEXPOSE 9000 5000 6000\n").ports == V{"5000", "6000", "9000"});
  CHECK(only<VolumeInstr>("FROM a\nVOLUME [\"/a\", \"/b\"]\n").volumes == V{"/a", "/b"});
  CHECK(error_of("FROM a\nVOLUME [\"\"]\n") ==
        "Dockerfile:2: VOLUME specified can not be an empty string");
  CHECK(only<ShellInstr>("FROM a\nSHELL [\"pwsh\", \"-c\"]\n").shell == V{"pwsh", "-c"});
  CHECK(error_of("FROM a\nSHELL bash -c\n") ==
        "Dockerfile:2: SHELL requires the arguments to be in JSON form");
  CHECK(only<EntrypointInstr>("FROM a\nENTRYPOINT []\n").cmd.args.empty());
  CHECK(only<MaintainerInstr>("FROM a\nMAINTAINER me <m@e>\n").maintainer == "me <m@e>");
}

TEST_CASE("dockerfile instructions: HEALTHCHECK (health testfile and parseHealthcheck)") {
  const auto h = only<HealthcheckInstr>("FROM a\nHEALTHCHECK --interval=5s --timeout=1m30s "
                                        "--start-period=250ms --retries=3 CMD /check --quiet\n");
  CHECK(h.test == V{"CMD-SHELL", "/check --quiet"});
  CHECK(h.interval == std::chrono::seconds(5));
  CHECK(h.timeout == std::chrono::seconds(90));
  CHECK(h.start_period == std::chrono::milliseconds(250));
  CHECK(h.retries == 3);
  CHECK(only<HealthcheckInstr>("FROM a\nHEALTHCHECK CMD [\"foo\", \"bar\"]\n").test ==
        V{"CMD", "foo", "bar"});
  CHECK(only<HealthcheckInstr>("FROM a\nHEALTHCHECK NONE\n").test == V{"NONE"});
  CHECK(only<HealthcheckInstr>("FROM a\nHEALTHCHECK --interval=0s CMD x\n").interval.count() == 0);
  CHECK(error_of("FROM a\nHEALTHCHECK NONE x\n") ==
        "Dockerfile:2: HEALTHCHECK NONE takes no arguments");
  CHECK(error_of("FROM a\nHEALTHCHECK CMD\n") ==
        "Dockerfile:2: Missing command after HEALTHCHECK CMD");
  CHECK(error_of("FROM a\nHEALTHCHECK CONNECT TCP 7000\n").find("Unknown type \"CONNECT\"") !=
        std::string::npos);
  CHECK(error_of("FROM a\nHEALTHCHECK --interval=1us CMD x\n").find("cannot be less than 1ms") !=
        std::string::npos);
  CHECK(error_of("FROM a\nHEALTHCHECK --retries=-1 CMD x\n").find("--retries cannot be negative") !=
        std::string::npos);
  CHECK(error_of("FROM a\nHEALTHCHECK --timeout=5 CMD x\n").find("missing unit") !=
        std::string::npos);
}

TEST_CASE("dockerfile instructions: ONBUILD triggers") {
  CHECK(only<OnbuildInstr>("FROM a\nonbuild   RUN echo hi\n").expression == "RUN echo hi");
  CHECK(only<OnbuildInstr>("FROM a\nONBUILD RUN <<EOF\nx\nEOF\n").expression ==
        "RUN <<EOF\nx\nEOF");
  CHECK(error_of("FROM a\nONBUILD ONBUILD RUN x\n") ==
        "Dockerfile:2: Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
  CHECK(error_of("FROM a\nONBUILD FROM b\n") ==
        "Dockerfile:2: FROM isn't allowed as an ONBUILD trigger");
  CHECK(error_of("FROM a\nONBUILD maintainer me\n") ==
        "Dockerfile:2: MAINTAINER isn't allowed as an ONBUILD trigger");
  CHECK(error_of("FROM a\nONBUILD\n") == "Dockerfile:2: ONBUILD requires at least one argument");
}
