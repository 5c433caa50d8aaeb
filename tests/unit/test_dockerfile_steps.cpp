// The config steps and RUN command lines of Dockerfile builds, as BuildKit's dispatcher
// writes them (frontend/dockerfile/dockerfile2llb): config fields, history texts, the
// shell and exec forms, heredocs, build args in RUN's environment and history.
#include <doctest/doctest.h>

#include "dockerfile/instructions.hpp"
#include "ops/build/dockerfile/config_steps.hpp"
#include "ops/build/dockerfile/run_step.hpp"
#include "ops/build/dockerfile/stage_base.hpp"
#include "ops/build/image_draft.hpp"

#include <berth/error.hpp>
#include <berth/manifest.hpp>

using namespace berth;
namespace df = berth::dockerfile;

namespace {

// The instructions of "FROM scratch\n<lines>", each expanded with the stage's ENV.
std::vector<df::Instruction> parse_steps(const std::string &lines) {
  auto file = df::parse_dockerfile("FROM scratch\n" + lines);
  return file.stages.at(0).commands;
}

// Applies each step; what they return (their history texts) in `history`.
ops::StageImage apply_all(const std::string &lines, std::vector<std::string> *history = nullptr) {
  auto img = ops::scratch_stage(image::Platform::parse("linux/amd64"));
  for (auto in : parse_steps(lines)) {
    const auto env = ops::config_env(img);
    df::expand(in, [&](std::string_view k) { return ops::env_value(env, k); });
    auto text = ops::apply_config_step(in, img);
    REQUIRE(text);
    if (history) history->push_back(*text);
  }
  return img;
}

std::vector<std::string> strings(const core::json::Value &v) {
  std::vector<std::string> out;
  for (const auto &s : v.GetArray())
    out.emplace_back(s.GetString());
  return out;
}

const core::json::Value &config(const ops::StageImage &img) {
  return img.config["config"];
}

} // namespace

TEST_CASE("dockerfile steps: scratch is BuildKit's empty image") {
  auto img = ops::scratch_stage(image::Platform::parse("linux/arm64/v8"));
  CHECK(std::string(img.config["architecture"].GetString()) == "arm64");
  CHECK(std::string(img.config["variant"].GetString()) == "v8");
  CHECK(ops::config_string(img, "WorkingDir") == "/");
  CHECK(ops::config_env(img) ==
        std::vector<std::string>{
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"});
  CHECK(img.config["rootfs"]["diff_ids"].Empty());
}

TEST_CASE("dockerfile steps: ENV replaces by name, keeps order, expands earlier values") {
  std::vector<std::string> h;
  auto img = apply_all("ENV A=1 B=2\nENV A=3\nENV C $A-x\n", &h);
  auto env = ops::config_env(img);
  REQUIRE(env.size() == 4);
  CHECK(env[1] == "A=3");
  CHECK(env[2] == "B=2");
  CHECK(env[3] == "C=3-x");
  CHECK(h.at(0) == "ENV A=1 B=2");
  CHECK(h.at(2) == "ENV C=3-x");
}

TEST_CASE("dockerfile steps: CMD and ENTRYPOINT, shell and exec forms, and the CMD reset") {
  auto img = apply_all("CMD [\"a\", \"b c\"]\n");
  CHECK(strings(config(img)["Cmd"]) == std::vector<std::string>{"a", "b c"});
  // A CMD from this stage survives a later ENTRYPOINT.
  img = apply_all("CMD [\"x\"]\nENTRYPOINT run me\n");
  CHECK(strings(config(img)["Entrypoint"]) == std::vector<std::string>{"/bin/sh", "-c", "run me"});
  CHECK(strings(config(img)["Cmd"]) == std::vector<std::string>{"x"});
  // An inherited CMD does not.
  img.cmd_set = false;
  auto in = parse_steps("ENTRYPOINT [\"/e\"]\n").at(0);
  CHECK(*ops::apply_config_step(in, img) == "ENTRYPOINT [\"/e\"]");
  CHECK_FALSE(config(img).HasMember("Cmd"));
  // SHELL changes what the shell form is wrapped in.
  std::vector<std::string> h;
  img = apply_all("SHELL [\"/bin/bash\", \"-xc\"]\nCMD echo hi\n", &h);
  CHECK(strings(config(img)["Cmd"]) == std::vector<std::string>{"/bin/bash", "-xc", "echo hi"});
  CHECK(h.at(1) == "CMD [\"/bin/bash\" \"-xc\" \"echo hi\"]");
  CHECK(h.at(0) == "SHELL [/bin/bash -xc]");
}

TEST_CASE("dockerfile steps: EXPOSE, VOLUME, LABEL, USER, STOPSIGNAL, MAINTAINER, ONBUILD") {
  std::vector<std::string> h;
  auto img = apply_all("EXPOSE 80 53/udp 8000-8001\nVOLUME /data /logs\n"
                       "LABEL a=1 \"b c\"=\"d e\"\nUSER app:app\nSTOPSIGNAL SIGTERM\n"
                       "MAINTAINER someone\nONBUILD RUN make\n",
                       &h);
  const auto &c = config(img);
  for (const char *p : {"80/tcp", "53/udp", "8000/tcp", "8001/tcp"})
    CHECK(c["ExposedPorts"].HasMember(p));
  CHECK(c["Volumes"].HasMember("/data"));
  CHECK(std::string(c["Labels"]["b c"].GetString()) == "d e");
  CHECK(ops::config_string(img, "User") == "app:app");
  CHECK(ops::config_string(img, "StopSignal") == "SIGTERM");
  CHECK(std::string(img.config["author"].GetString()) == "someone");
  CHECK(strings(c["OnBuild"]) == std::vector<std::string>{"RUN make"});
  CHECK(h.at(0) == "EXPOSE [53/udp 80/tcp 8000/tcp 8001/tcp]");
  CHECK(h.at(1) == "VOLUME [/data /logs]");
  CHECK(h.at(2) == "LABEL a=1 b c=d e");
  CHECK(h.at(6).empty()); // no history entry, as in BuildKit
  CHECK_THROWS_AS(apply_all("EXPOSE 70000\n"), Error);
}

TEST_CASE("dockerfile steps: HEALTHCHECK as BuildKit stores and prints it") {
  std::vector<std::string> h;
  auto img =
      apply_all("HEALTHCHECK --interval=30s --timeout=1m30s --retries=3 CMD curl -f x\n", &h);
  const auto &hc = config(img)["Healthcheck"];
  CHECK(strings(hc["Test"]) == std::vector<std::string>{"CMD-SHELL", "curl -f x"});
  CHECK(hc["Interval"].GetInt64() == 30000000000LL);
  CHECK(hc["Timeout"].GetInt64() == 90000000000LL);
  CHECK(hc["Retries"].GetInt() == 3);
  CHECK_FALSE(hc.HasMember("StartPeriod"));
  CHECK(h.at(0) ==
        "HEALTHCHECK &{[\"CMD-SHELL\" \"curl -f x\"] \"30s\" \"1m30s\" \"0s\" \"0s\" '\\x03'}");
}

TEST_CASE("dockerfile steps: WORKDIR resolves against the current one") {
  CHECK(ops::resolve_workdir("/", "app") == "/app");
  CHECK(ops::resolve_workdir("/a", "b/../c") == "/a/c");
  CHECK(ops::resolve_workdir("/a", "/x/") == "/x/");
  CHECK(ops::resolve_workdir("/a/./b/../c/", "d") == "/a/c/d");
  CHECK(ops::resolve_workdir("/", "/a/./b/../c/") == "/a/./b/../c/");
  CHECK(ops::resolve_workdir("", "rel") == "/rel");
}

TEST_CASE("dockerfile steps: RUN's command line, environment and history") {
  auto img = ops::scratch_stage(image::Platform::parse("linux/amd64"));
  ops::RunStepOptions o;
  o.build_args = {"VERSION=1.2", "PATH=/shadowed"};
  auto in = parse_steps("RUN make all\n").at(0);
  auto c = ops::run_command(in, img, o);
  CHECK(c.argv == std::vector<std::string>{"/bin/sh", "-c", "make all"});
  // An ARG in scope overrides the ENV of its name (BuildKit: the later one wins, and the
  // builder passes only ARGs declared after the ENV); the others join the environment.
  CHECK(c.env == std::vector<std::string>{"PATH=/shadowed", "VERSION=1.2"});
  CHECK(c.history == "RUN |2 VERSION=1.2 PATH=/shadowed /bin/sh -c make all");
  // Every declared ARG is in the history, one without a value as "NAME=".
  o.declared_args = {"VERSION", "UNSET", "PATH"};
  c = ops::run_command(in, img, o);
  CHECK(c.history == "RUN |3 VERSION=1.2 UNSET= PATH=/shadowed /bin/sh -c make all");

  in = parse_steps("RUN [\"/bin/echo\", \"a b\"]\n").at(0);
  c = ops::run_command(in, img, {});
  CHECK(c.argv == std::vector<std::string>{"/bin/echo", "a b"});
  CHECK(c.history == "RUN /bin/echo a b");

  // A RUN that is one heredoc runs its content with the shell.
  in = parse_steps("RUN <<EOF\necho one\necho two\nEOF\n").at(0);
  c = ops::run_command(in, img, {});
  CHECK(c.argv == std::vector<std::string>{"/bin/sh", "-c", "echo one\necho two\n"});
  // A heredoc fed to a command goes back to the shell as written.
  in = parse_steps("RUN cat > /f <<EOF\nx\nEOF\n").at(0);
  c = ops::run_command(in, img, {});
  CHECK(c.argv.at(2) == "cat > /f <<EOF\nx\nEOF");
}
