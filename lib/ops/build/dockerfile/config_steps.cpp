#include "ops/build/dockerfile/config_steps.hpp"

#include <berth/error.hpp>

#include "dockerfile/ignore.hpp"
#include "dockerfile/text.hpp"
#include "ops/build/image_draft.hpp"

#include <algorithm>
#include <cstdio>
#include <set>

namespace berth::ops {

using core::json::Value;
namespace df = dockerfile;

namespace {

Value &config_object(StageImage &img) {
  return member_object(img.config, "config", img.config.GetAllocator());
}

void set_array(StageImage &img, const char *key, const std::vector<std::string> &v) {
  auto &a = img.config.GetAllocator();
  auto &c = config_object(img);
  c.RemoveMember(key);
  c.AddMember(Value(key, a), string_array(v, a), a);
}

// An empty object member {"k":{}} per entry, as ExposedPorts and Volumes are written.
void add_to_set(StageImage &img, const char *key, const std::vector<std::string> &entries) {
  auto &a = img.config.GetAllocator();
  auto &set = member_object(config_object(img), key, a);
  for (const auto &e : entries)
    if (!set.HasMember(e.c_str()))
      set.AddMember(Value(e.c_str(), a), Value(rapidjson::kObjectType), a);
}

std::string joined(const std::vector<std::string> &v) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i)
    out.append(i ? " " : "").append(v[i]);
  return out;
}

// fmt %v of a []string: [a b].
std::string go_list(const std::vector<std::string> &v) {
  return "[" + joined(v) + "]";
}

// The command a CMD or ENTRYPOINT stores: the exec form as is, the shell form through
// the stage's shell (an empty shell form is no command).
std::vector<std::string> command_of(const df::CommandLine &cmd, const StageImage &img) {
  if (!cmd.prepend_shell) return cmd.args;
  std::vector<std::string> out;
  if (cmd.args.empty() || (cmd.args.size() == 1 && cmd.args[0].empty())) return out;
  out = stage_shell(img);
  out.push_back(joined(cmd.args));
  return out;
}

// "80" -> 80/tcp; "53/udp"; "8000-8002" -> each port; as docker's nat.ParsePortSpecs.
std::vector<std::string> port_specs(const std::vector<std::string> &ports) {
  std::set<std::string> out;
  for (const auto &spec : ports) {
    auto slash = spec.find('/');
    std::string range = spec.substr(0, slash);
    std::string proto = slash == std::string::npos ? "tcp" : df::to_lower(spec.substr(slash + 1));
    if (proto != "tcp" && proto != "udp" && proto != "sctp")
      throw Error(Errc::invalid_argument, "invalid proto: " + proto);
    auto dash = range.find('-');
    auto number = [&](const std::string &s) {
      if (s.empty() || s.size() > 5 || s.find_first_not_of("0123456789") != std::string::npos ||
          std::stoi(s) > 65535)
        throw Error(Errc::invalid_argument, "invalid port: " + spec);
      return std::stoi(s);
    };
    int lo = number(range.substr(0, dash));
    int hi = dash == std::string::npos ? lo : number(range.substr(dash + 1));
    if (hi < lo) throw Error(Errc::invalid_argument, "invalid range of ports: " + spec);
    for (int p = lo; p <= hi; ++p)
      out.insert(std::to_string(p) + "/" + proto);
  }
  return {out.begin(), out.end()};
}

// Go's time.Duration.String for whole milliseconds and up ("1m30s", "5s", "0s").
std::string go_duration(std::chrono::nanoseconds d) {
  auto ns = d.count();
  if (ns == 0) return "0s";
  std::string out;
  if (ns < 0) out = "-", ns = -ns;
  if (ns < 1000000000) {
    char buf[32];
    if (ns % 1000000 == 0)
      std::snprintf(buf, sizeof buf, "%lldms", static_cast<long long>(ns / 1000000));
    else
      std::snprintf(buf, sizeof buf, "%lldns", static_cast<long long>(ns));
    return out + buf;
  }
  long long h = ns / 3600000000000LL, m = ns / 60000000000LL % 60;
  long long s = ns / 1000000000LL % 60, frac = ns % 1000000000LL;
  if (h) out += std::to_string(h) + "h";
  if (h || m) out += std::to_string(m) + "m";
  out += std::to_string(s);
  if (frac) {
    char buf[16];
    std::snprintf(buf, sizeof buf, ".%09lld", frac);
    std::string f = buf;
    while (f.back() == '0')
      f.pop_back();
    out += f;
  }
  return out + "s";
}

// Go's %q of an int (strconv.QuoteRune): 'a', '\x03'.
std::string go_quote_rune(int r) {
  char buf[16];
  if (r >= 0x20 && r < 0x7f && r != '\'' && r != '\\')
    std::snprintf(buf, sizeof buf, "'%c'", r);
  else if (r == '\'' || r == '\\')
    std::snprintf(buf, sizeof buf, "'\\%c'", r);
  else
    std::snprintf(buf, sizeof buf, r < 0x80 ? "'\\x%02x'" : "'\\u%04x'", r);
  return buf;
}

std::string healthcheck(const df::HealthcheckInstr &h, StageImage &img) {
  auto &a = img.config.GetAllocator();
  auto &c = config_object(img);
  c.RemoveMember("Healthcheck");
  Value hc(rapidjson::kObjectType);
  hc.AddMember("Test", string_array(h.test, a), a);
  const std::pair<const char *, std::chrono::nanoseconds> times[] = {
      {"Interval", h.interval},
      {"Timeout", h.timeout},
      {"StartPeriod", h.start_period},
      {"StartInterval", h.start_interval}};
  for (const auto &[key, value] : times)
    if (value.count() != 0) hc.AddMember(Value(key, a), Value(std::int64_t(value.count())), a);
  if (h.retries != 0) hc.AddMember("Retries", h.retries, a);
  c.AddMember("Healthcheck", hc, a);
  // fmt %q of the *HealthConfig, as BuildKit writes it.
  std::string text = "HEALTHCHECK &{" + go_quoted_list(h.test);
  for (const auto &[key, value] : times)
    text += " " + df::go_quote(go_duration(value));
  return text + " " + go_quote_rune(h.retries) + "}";
}

std::string key_values(const char *name, const std::vector<df::KeyValue> &pairs) {
  std::string text = name;
  for (const auto &kv : pairs)
    text += " " + kv.key + "=" + kv.value;
  return text;
}

} // namespace

std::vector<std::string> stage_shell(const StageImage &img) {
  const auto &cfg = img.config;
  if (cfg.IsObject() && cfg.HasMember("config") && cfg["config"].IsObject()) {
    const auto &c = cfg["config"];
    if (c.HasMember("Shell") && c["Shell"].IsArray() && !c["Shell"].Empty()) {
      std::vector<std::string> out;
      for (const auto &v : c["Shell"].GetArray())
        if (v.IsString()) out.emplace_back(v.GetString());
      return out;
    }
  }
  return {"/bin/sh", "-c"};
}

std::vector<std::string> config_env(const StageImage &img) {
  std::vector<std::string> out;
  const auto &cfg = img.config;
  if (cfg.IsObject() && cfg.HasMember("config") && cfg["config"].IsObject() &&
      cfg["config"].HasMember("Env") && cfg["config"]["Env"].IsArray())
    for (const auto &v : cfg["config"]["Env"].GetArray())
      if (v.IsString()) out.emplace_back(v.GetString());
  return out;
}

std::optional<std::string> env_value(const std::vector<std::string> &env, std::string_view key) {
  for (auto it = env.rbegin(); it != env.rend(); ++it)
    if (it->size() > key.size() && it->compare(0, key.size(), key) == 0 && (*it)[key.size()] == '=')
      return it->substr(key.size() + 1);
  return std::nullopt;
}

void set_config_env(StageImage &img, const std::vector<std::string> &env) {
  set_array(img, "Env", env);
}

std::string config_string(const StageImage &img, const char *key) {
  const auto &cfg = img.config;
  if (cfg.IsObject() && cfg.HasMember("config") && cfg["config"].IsObject() &&
      cfg["config"].HasMember(key) && cfg["config"][key].IsString())
    return cfg["config"][key].GetString();
  return {};
}

void set_config_string(StageImage &img, const char *key, const std::string &value) {
  set_string(config_object(img), key, value, img.config.GetAllocator());
}

std::string resolve_workdir(const std::string &current, const std::string &path) {
  if (!path.empty() && path.front() == '/') return path;
  return df::clean_path((current.empty() ? std::string("/") : current) + "/" + path);
}

std::string go_quoted_list(const std::vector<std::string> &v) {
  std::string out = "[";
  for (std::size_t i = 0; i < v.size(); ++i)
    out.append(i ? " " : "").append(df::go_quote(v[i]));
  return out + "]";
}

std::optional<std::string> apply_config_step(const df::Instruction &in, StageImage &img) {
  auto &a = img.config.GetAllocator();
  return std::visit(
      [&](const auto &body) -> std::optional<std::string> {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, df::EnvInstr>) {
          auto env = config_env(img);
          for (const auto &kv : body.pairs) {
            const std::string prefix = kv.key + "=";
            auto it = std::find_if(env.begin(), env.end(), [&](const std::string &e) {
              return e.compare(0, prefix.size(), prefix) == 0;
            });
            if (it != env.end())
              *it = prefix + kv.value;
            else
              env.push_back(prefix + kv.value);
          }
          set_array(img, "Env", env);
          return key_values("ENV", body.pairs);
        } else if constexpr (std::is_same_v<T, df::LabelInstr>) {
          auto &labels = member_object(config_object(img), "Labels", a);
          for (const auto &kv : body.pairs)
            set_string(labels, kv.key.c_str(), kv.value, a);
          return key_values("LABEL", body.pairs);
        } else if constexpr (std::is_same_v<T, df::MaintainerInstr>) {
          set_string(img.config, "author", body.maintainer, a);
          return "MAINTAINER " + body.maintainer;
        } else if constexpr (std::is_same_v<T, df::UserInstr>) {
          set_config_string(img, "User", body.user);
          return "USER " + body.user;
        } else if constexpr (std::is_same_v<T, df::CmdInstr>) {
          auto cmd = command_of(body.cmd, img);
          set_array(img, "Cmd", cmd);
          img.cmd_set = true;
          return "CMD " + go_quoted_list(cmd);
        } else if constexpr (std::is_same_v<T, df::EntrypointInstr>) {
          auto ep = command_of(body.cmd, img);
          set_array(img, "Entrypoint", ep);
          // An ENTRYPOINT drops the CMD it inherited; one given in this stage stays.
          if (!img.cmd_set) config_object(img).RemoveMember("Cmd");
          return "ENTRYPOINT " + go_quoted_list(ep);
        } else if constexpr (std::is_same_v<T, df::ExposeInstr>) {
          auto ports = port_specs(body.ports);
          add_to_set(img, "ExposedPorts", ports);
          return "EXPOSE " + go_list(ports);
        } else if constexpr (std::is_same_v<T, df::VolumeInstr>) {
          for (const auto &v : body.volumes)
            if (v.empty())
              throw Error(Errc::invalid_argument, "VOLUME specified can not be an empty string");
          add_to_set(img, "Volumes", body.volumes);
          return "VOLUME " + go_list(body.volumes);
        } else if constexpr (std::is_same_v<T, df::StopSignalInstr>) {
          set_config_string(img, "StopSignal", body.signal);
          return "STOPSIGNAL " + body.signal;
        } else if constexpr (std::is_same_v<T, df::ShellInstr>) {
          set_array(img, "Shell", body.shell);
          return "SHELL " + go_list(body.shell);
        } else if constexpr (std::is_same_v<T, df::HealthcheckInstr>) {
          return healthcheck(body, img);
        } else if constexpr (std::is_same_v<T, df::OnbuildInstr>) {
          auto &c = config_object(img);
          if (!c.HasMember("OnBuild") || !c["OnBuild"].IsArray()) {
            c.RemoveMember("OnBuild");
            c.AddMember("OnBuild", Value(rapidjson::kArrayType), a);
          }
          c["OnBuild"].PushBack(Value(body.expression.c_str(), a), a);
          return std::string(); // BuildKit records no history for ONBUILD
        } else {
          return std::nullopt;
        }
      },
      in.body);
}

} // namespace berth::ops
