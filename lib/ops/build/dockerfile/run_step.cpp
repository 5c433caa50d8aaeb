#include "ops/build/dockerfile/run_step.hpp"

#include <berth/error.hpp>

#include <algorithm>

#include "core/file.hpp"
#include "core/untrusted_text.hpp"
#include "dockerfile/text.hpp"
#include "ops/build/dockerfile/config_steps.hpp"
#include "sandbox/user.hpp"

namespace berth::ops {

namespace df = dockerfile;

namespace {

const df::RunInstr &run_body(const df::Instruction &in) {
  const auto *run = std::get_if<df::RunInstr>(&in.body);
  if (!run) throw Error(Errc::internal, "run_step given " + in.keyword);
  return *run;
}

std::string where(const df::Instruction &in, const RunStepOptions &o) {
  return o.source + ":" + std::to_string(in.start_line);
}

// The shell form's command text: heredocs are given back to the shell as written
// (it reads them itself); a RUN that is nothing but one heredoc runs its content, or,
// when it starts with #!, runs it as a script (BuildKit's dispatchRun).
std::vector<std::string> shell_argv(const df::RunInstr &run, const StageImage &img, RunCommand &c) {
  auto argv = stage_shell(img);
  std::string text;
  for (std::size_t i = 0; i < run.cmd.args.size(); ++i)
    text.append(i ? " " : "").append(run.cmd.args[i]);
  if (run.cmd.files.empty()) {
    argv.push_back(text);
    return argv;
  }
  const auto trimmed = std::string(df::trim_space(text));
  if (run.cmd.files.size() == 1 && df::parse_heredoc(trimmed) &&
      df::parse_heredoc(trimmed)->name == run.cmd.files[0].name) {
    const auto &doc = run.cmd.files[0];
    const std::string content = doc.chomp ? df::chomp_heredoc(doc.content) : doc.content;
    if (content.rfind("#!", 0) == 0) {
      c.script_path = "/dev/pipes/" + doc.name;
      c.script = content;
      argv.push_back(c.script_path);
    } else {
      argv.push_back(content);
    }
    return argv;
  }
  for (const auto &doc : run.cmd.files)
    text.append("\n").append(doc.content).append(doc.name);
  argv.push_back(text);
  return argv;
}

std::string joined(const std::vector<std::string> &v) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i)
    out.append(i ? " " : "").append(v[i]);
  return out;
}

std::vector<std::string> declared_names(const RunStepOptions &o) {
  if (!o.declared_args.empty()) return o.declared_args;
  std::vector<std::string> names;
  for (const auto &kv : o.build_args)
    names.push_back(kv.substr(0, kv.find('=')));
  return names;
}

} // namespace

RunCommand run_command(const df::Instruction &in, const StageImage &img, const RunStepOptions &o) {
  const auto &run = run_body(in);
  RunCommand c;
  c.argv = run.cmd.prepend_shell ? shell_argv(run, img, c) : run.cmd.args;
  if (c.argv.empty()) throw Error(Errc::invalid_argument, where(in, o) + ": RUN has no command");
  c.env = config_env(img);
  // An ARG's value overrides the ENV of its name (build_args holds only ARGs declared
  // after any such ENV).
  for (const auto &kv : o.build_args) {
    const auto key = kv.substr(0, kv.find('=') + 1);
    auto it = std::find_if(c.env.begin(), c.env.end(), [&](const std::string &e) {
      return e.compare(0, key.size(), key) == 0;
    });
    if (it != c.env.end())
      *it = kv;
    else
      c.env.push_back(kv);
  }
  // BuildKit's history names every ARG declared, each with the value the RUN sees
  // ("" where unset): "RUN |2 A=1 B= <command>".
  std::vector<std::string> shown;
  for (const auto &name : declared_names(o)) {
    auto v = env_value(c.env, name);
    shown.push_back(name + "=" + v.value_or(""));
  }
  c.history = "RUN ";
  if (!shown.empty()) c.history += "|" + std::to_string(shown.size()) + " " + joined(shown) + " ";
  c.history += joined(c.argv);
  return c;
}

sandbox::RunResult run_step(const df::Instruction &in, const StageImage &img,
                            const RunStepOptions &o, const std::string &upper,
                            const std::string &work) {
  const auto &run = run_body(in);
  if ((!run.mounts.empty() || !run.mount_specs.empty()) && !o.mounts_prepared)
    throw Error(Errc::internal, where(in, o) + ": RUN --mount without its mounts prepared");
  if (run.security == "insecure")
    throw Error(Errc::unsupported, where(in, o) + ": RUN --security=insecure is not supported");
  auto cmd = run_command(in, img, o);
  sandbox::RunSpec spec;
  if (!cmd.script_path.empty()) {
    // Beside the work dir (the step's scratch space), never in the upper dir.
    const std::string script = work + ".script";
    core::write_file_atomic(script, cmd.script, 0755);
    spec.mounts.push_back({script, cmd.script_path, true});
  }
  spec.mounts.insert(spec.mounts.end(), o.mounts.begin(), o.mounts.end());
  spec.lower_dirs = img.lowers();
  spec.upper_dir = upper;
  spec.work_dir = work;
  spec.argv = std::move(cmd.argv);
  spec.env = std::move(cmd.env);
  // As written (/a/./b/../c/ too): the sandbox makes it as runc does under BuildKit.
  spec.cwd = config_string(img, "WorkingDir");
  if (spec.cwd.empty()) spec.cwd = "/";
  for (const auto &kv : o.mount_env) { // a secret's env= wins over ENV and ARG, as in BuildKit
    const auto key = kv.substr(0, kv.find('=') + 1);
    std::erase_if(spec.env,
                  [&](const std::string &e) { return e.compare(0, key.size(), key) == 0; });
    spec.env.push_back(kv);
  }
  for (const auto &kv : o.proxy_env)
    if (!env_value(spec.env, std::string_view(kv).substr(0, kv.find('=')))) spec.env.push_back(kv);
  spec.user = config_string(img, "User");
  spec.hostname = "buildkitsandbox";  // what a RUN sees under BuildKit
  spec.keep_kernel_mount_dirs = true; // as BuildKit's runc leaves them in the layer
  // runc (under BuildKit) sets HOME from the image's /etc/passwd when the environment
  // has none ("/" for a user it does not list).
  if (!env_value(spec.env, "HOME")) {
    const std::size_t max = 4u << 20;
    const auto u =
        sandbox::resolve_user(spec.user.empty() ? "0" : spec.user,
                              sandbox::read_from_lowers(spec.lower_dirs, "etc/passwd", max),
                              sandbox::read_from_lowers(spec.lower_dirs, "etc/group", max));
    spec.env.push_back("HOME=" + u.home);
  }
  const std::string network = run.network == "default" ? o.network : run.network;
  spec.network = network == "none" ? sandbox::Network::none : sandbox::Network::host;
  spec.output = o.output;
  spec.cancelled = o.cancelled;
  auto r = sandbox::run(spec);
  if (r.exit_code != 0) {
    std::string what = in.original.size() > 200 ? in.original.substr(0, 200) + "..." : in.original;
    std::string msg = where(in, o) + ": " + what + ": ";
    msg += r.signal ? "killed by signal " + std::to_string(r.signal)
                    : "exit code " + std::to_string(r.exit_code);
    if (!r.tail.empty()) {
      // The last lines of what the command printed: outside text, made safe to print
      // line by line (a line cannot start a workflow command or move the cursor).
      std::string_view tail(r.tail);
      if (tail.size() > 2000) tail = tail.substr(tail.size() - 2000);
      while (!tail.empty()) {
        auto nl = tail.find('\n');
        msg += "\n  " + core::printable(tail.substr(0, nl));
        tail = nl == std::string_view::npos ? std::string_view() : tail.substr(nl + 1);
      }
    }
    throw Error(Errc::build_failed, msg);
  }
  return r;
}

} // namespace berth::ops
