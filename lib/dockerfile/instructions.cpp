#include "dockerfile/instructions.hpp"

#include "core/quoted.hpp"
#include "dockerfile/duration.hpp"
#include "dockerfile/instruction_flags.hpp"
#include "dockerfile/text.hpp"

#include <algorithm>

namespace berth::dockerfile {

namespace {

[[noreturn]] void bad(const std::string &why) {
  throw Error(Errc::invalid_argument, why);
}

const std::vector<std::string> kInstructions = {
    "ADD",    "ARG",   "CMD",         "COPY",  "ENTRYPOINT", "ENV",
    "EXPOSE", "FROM",  "HEALTHCHECK", "LABEL", "MAINTAINER", "ONBUILD",
    "RUN",    "SHELL", "STOPSIGNAL",  "USER",  "VOLUME",     "WORKDIR"};

std::string at_least_one(const char *cmd) {
  return std::string(cmd) + " requires at least one argument";
}
std::string exactly_one(const char *cmd) {
  return std::string(cmd) + " requires exactly one argument";
}

std::vector<KeyValue> kvps(const std::vector<std::string> &args, const char *cmd) {
  if (args.empty()) bad(at_least_one(cmd));
  if (args.size() % 3 != 0) bad(std::string("Bad input to ") + cmd + ", too many arguments");
  std::vector<KeyValue> out;
  for (std::size_t i = 0; i < args.size(); i += 3) {
    if (args[i].empty()) bad(std::string(cmd) + " names can not be blank");
    out.push_back({args[i], args[i + 1], args[i + 2].empty()});
  }
  return out;
}

CommandLine command_line(const Node &n, bool empty_as_none) {
  CommandLine c;
  c.files = n.heredocs;
  c.prepend_shell = !n.json;
  if (n.json) {
    c.args = n.args;
  } else if (!n.args.empty()) {
    std::string joined;
    for (std::size_t i = 0; i < n.args.size(); ++i)
      joined += (i ? " " : "") + n.args[i];
    c.args = {joined};
  }
  (void)empty_as_none; // an empty vector is "none" here either way
  return c;
}

SourcesAndDest sources_and_dest(const Node &n, const char *cmd) {
  SourcesAndDest sd;
  sd.dest = n.args.back();
  auto heredoc = [](const std::string &w) -> std::optional<Heredoc> {
    try {
      return parse_heredoc(w);
    } catch (const Error &) {
      return std::nullopt; // MustParseHeredoc
    }
  };
  if (heredoc(sd.dest)) bad(std::string(cmd) + " cannot accept a heredoc as a destination");
  for (std::size_t i = 0; i + 1 < n.args.size(); ++i) {
    auto h = heredoc(n.args[i]);
    if (!h) {
      sd.paths.push_back(n.args[i]);
      continue;
    }
    std::string data;
    for (const auto &doc : n.heredocs)
      if (doc.name == h->name) data = doc.content; // the last of that name, as a map would
    sd.contents.push_back({h->name, h->chomp ? chomp_heredoc(data) : data, h->expand});
  }
  return sd;
}

AddInstr parse_add(const Node &n) {
  if (n.args.size() < 2)
    bad("ADD requires at least two arguments, but only one was provided. Destination could not "
        "be determined");
  Flags f(n.flags);
  f.add_string("chown"), f.add_string("chmod"), f.add_bool("link"), f.add_bool("keep-git-dir");
  f.add_string("checksum"), f.add_bool("unpack"), f.add_strings("exclude");
  f.parse();
  AddInstr a;
  a.sd = sources_and_dest(n, "ADD");
  a.chown = f.str("chown"), a.chmod = f.str("chmod"), a.checksum = f.str("checksum");
  a.link = f.on("link");
  if (f.used("keep-git-dir")) a.keep_git_dir = f.on("keep-git-dir");
  if (f.used("unpack")) a.unpack = f.on("unpack");
  a.excludes = f.all("exclude");
  return a;
}

CopyInstr parse_copy(const Node &n) {
  if (n.args.size() < 2)
    bad("COPY requires at least two arguments, but only one was provided. Destination could "
        "not be determined");
  Flags f(n.flags);
  f.add_string("chown"), f.add_string("from"), f.add_string("chmod"), f.add_bool("link");
  f.add_strings("exclude"), f.add_bool("parents");
  f.parse();
  CopyInstr c;
  c.sd = sources_and_dest(n, "COPY");
  c.from = f.str("from"), c.chown = f.str("chown"), c.chmod = f.str("chmod");
  c.link = f.on("link"), c.parents = f.on("parents");
  c.excludes = f.all("exclude");
  return c;
}

RunInstr parse_run(const Node &n) {
  Flags f(n.flags);
  f.add_strings("mount"), f.add_string("network", "default"), f.add_string("security", "sandbox");
  f.add_strings("device");
  f.parse();
  RunInstr r;
  r.flags_used = f.used_names();
  r.cmd = command_line(n, false);
  r.mount_specs = f.all("mount");
  for (const auto &spec : r.mount_specs)
    r.mounts.push_back(parse_mount(spec, nullptr));
  r.network = f.str("network");
  if (r.network != "default" && r.network != "none" && r.network != "host")
    bad("invalid network mode " + core::quoted(r.network));
  r.security = f.str("security");
  if (r.security != "sandbox" && r.security != "insecure")
    bad("security " + core::quoted(r.security) + " is not valid");
  return r;
}

std::chrono::nanoseconds interval(const Flags &f, const char *name) {
  const std::string &v = f.str(name);
  if (v.empty()) return std::chrono::nanoseconds(0);
  const auto d = parse_go_duration(v);
  if (d.count() != 0 && d < std::chrono::milliseconds(1))
    bad(std::string("Interval \"") + name + "\" cannot be less than 1ms");
  return d;
}

HealthcheckInstr parse_healthcheck(const Node &n) {
  if (n.args.empty()) bad(at_least_one("HEALTHCHECK"));
  HealthcheckInstr h;
  const std::string type = to_upper(n.args[0]);
  if (type == "NONE") {
    if (n.args.size() != 1) bad("HEALTHCHECK NONE takes no arguments");
    h.test = {"NONE"};
    return h;
  }
  Flags f(n.flags);
  for (const char *name : {"interval", "timeout", "start-period", "start-interval", "retries"})
    f.add_string(name);
  f.parse();
  if (type != "CMD") bad("Unknown type " + core::quoted(type) + " in HEALTHCHECK (try CMD)");
  Node rest = n;
  rest.args.erase(rest.args.begin());
  const auto cmd = command_line(rest, false).args;
  if (cmd.empty()) bad("Missing command after HEALTHCHECK CMD");
  h.test = {n.json ? "CMD" : "CMD-SHELL"};
  h.test.insert(h.test.end(), cmd.begin(), cmd.end());
  h.interval = interval(f, "interval"), h.timeout = interval(f, "timeout");
  h.start_period = interval(f, "start-period"), h.start_interval = interval(f, "start-interval");
  if (const std::string &r = f.str("retries"); !r.empty()) {
    const auto v = parse_go_int32(r);
    if (!v) bad("invalid --retries value " + core::quoted(r));
    if (*v < 0) bad("--retries cannot be negative (" + std::to_string(*v) + ")");
    h.retries = *v;
  }
  return h;
}

std::string onbuild_expression(const Node &n) {
  // (?i)^\s*ONBUILD\s* removed from the original line
  std::string_view o = n.original;
  std::size_t i = 0;
  auto sp = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'; };
  while (i < o.size() && sp(o[i]))
    ++i;
  if (iequals(o.substr(i, 7), "onbuild")) {
    i += 7;
    while (i < o.size() && sp(o[i]))
      ++i;
    o.remove_prefix(i);
  }
  std::string out(o);
  for (const auto &h : n.heredocs)
    out += "\n" + h.content + h.name;
  return out;
}

InstructionBody parse_body(const Node &n);

InstructionBody parse_simple(const Node &n) {
  const std::string &k = n.keyword;
  auto one = [&](const char *cmd) {
    if (n.args.size() != 1) bad(exactly_one(cmd));
    Flags f(n.flags);
    f.parse();
    return n.args[0];
  };
  if (k == "workdir") return WorkdirInstr{one("WORKDIR")};
  if (k == "user") return UserInstr{one("USER")};
  if (k == "maintainer") return MaintainerInstr{one("MAINTAINER")};
  if (k == "stopsignal") {
    if (n.args.size() != 1) bad(exactly_one("STOPSIGNAL"));
    return StopSignalInstr{n.args[0]}; // BuildKit does not check its flags
  }
  if (k == "arg") {
    if (n.args.empty()) bad(at_least_one("ARG"));
    ArgInstr a;
    for (const auto &w : n.args) {
      const auto eq = w.find('=');
      if (eq == 0) bad("ARG names can not be blank");
      if (eq == std::string::npos)
        a.args.push_back({w, std::nullopt});
      else
        a.args.push_back({w.substr(0, eq), w.substr(eq + 1)});
    }
    return a;
  }
  Flags f(n.flags);
  if (k == "expose") {
    if (n.args.empty()) bad(at_least_one("EXPOSE"));
    f.parse();
    ExposeInstr e{n.args};
    std::sort(e.ports.begin(), e.ports.end());
    return e;
  }
  if (k == "volume") {
    if (n.args.empty()) bad(at_least_one("VOLUME"));
    f.parse();
    VolumeInstr v;
    for (const auto &a : n.args) {
      auto t = trim_space(a);
      if (t.empty()) bad("VOLUME specified can not be an empty string");
      v.volumes.emplace_back(t);
    }
    return v;
  }
  if (k == "shell") {
    f.parse();
    auto c = command_line(n, false);
    if (c.args.empty()) bad(at_least_one("SHELL"));
    if (!n.json) bad("SHELL requires the arguments to be in JSON form");
    return ShellInstr{c.args};
  }
  if (k == "onbuild") {
    if (n.args.empty()) bad(at_least_one("ONBUILD"));
    f.parse();
    const std::string trigger = to_upper(trim_space(n.args[0]));
    if (trigger == "ONBUILD") bad("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
    if (trigger == "MAINTAINER" || trigger == "FROM")
      bad(trigger + " isn't allowed as an ONBUILD trigger");
    return OnbuildInstr{onbuild_expression(n)};
  }
  return parse_body(n);
}

InstructionBody parse_body(const Node &n) {
  const std::string &k = n.keyword;
  Flags f(n.flags);
  if (k == "env" || k == "label") {
    f.parse();
    auto pairs = kvps(n.args, k == "env" ? "ENV" : "LABEL");
    if (k == "env") return EnvInstr{std::move(pairs)};
    return LabelInstr{std::move(pairs)};
  }
  if (k == "add") return parse_add(n);
  if (k == "copy") return parse_copy(n);
  if (k == "run") return parse_run(n);
  if (k == "cmd" || k == "entrypoint") {
    f.parse();
    if (k == "cmd") return CmdInstr{command_line(n, false)};
    return EntrypointInstr{command_line(n, true)};
  }
  if (k == "healthcheck") return parse_healthcheck(n);
  std::string msg = "unknown instruction " + core::quoted(n.name);
  if (auto s = suggest(n.name, kInstructions)) msg += " (did you mean " + *s + "?)";
  bad(msg);
}

} // namespace

Instruction parse_instruction(const Node &node, std::string_view source) {
  Instruction in;
  in.keyword = to_upper(node.name);
  in.original = node.original;
  in.start_line = node.start_line;
  in.end_line = node.end_line;
  try {
    if (node.keyword == "from") bad("FROM starts a stage; it is not an instruction of one");
    in.body = parse_simple(node);
  } catch (const Error &e) {
    fail(source, node.start_line, e.what());
  }
  return in;
}

} // namespace berth::dockerfile
