#include "capi/guard.hpp"

#include <berth/build.hpp>
#include <berth/sign.hpp>

#include "capi/build_fields.hpp"
#include "capi/json_args.hpp"
#include "core/json.hpp"

using namespace berth;
using berth::capi::guard;
using berth::capi::require;
using berth::capi::str;
using berth::capi::string_list;

namespace {

std::vector<std::string> json_string_array(const char *json, const char *what) {
  auto doc = capi::parse_json_argument(json, what);
  if (!doc.IsArray())
    throw Error(Errc::invalid_argument, std::string(what) + " must be a JSON array of strings");
  std::vector<std::string> out;
  for (const auto &v : doc.GetArray()) {
    if (!v.IsString())
      throw Error(Errc::invalid_argument, std::string(what) + " must be a JSON array of strings");
    out.emplace_back(v.GetString());
  }
  return out;
}

std::map<std::string, std::string> key_values(const char *const *items, size_t n,
                                              const char *what) {
  std::map<std::string, std::string> out;
  for (auto &[k, v] : capi::key_value_pairs(items, n, what))
    out[k] = v;
  return out;
}

} // namespace

extern "C" {

BERTH_API int berth_build_options_init(berth_build_options *opts, uint32_t version) {
  return guard([&] {
    capi::init_options(opts, berth_build_options BERTH_BUILD_OPTIONS_INIT, version, 4,
                       BERTH_BUILD_OPTIONS_VERSION, "berth_build_options");
  });
}

BERTH_API int berth_build(char **out_json, const berth_build_options *opts) {
  if (out_json) *out_json = nullptr;
  return guard([&] {
    require(opts != nullptr, "build options are required (BERTH_BUILD_OPTIONS_INIT)");
    capi::check_version(opts->version, 4, BERTH_BUILD_OPTIONS_VERSION, "berth_build_options");
    capi::check_range(opts->jobs, 0, BERTH_MAX_JOBS, "berth_build_options.jobs");
    capi::check_range(opts->level, -1, 22, "berth_build_options.level");
    // -1: unset; 0 is the epoch, the time reproducible builds use.
    capi::check_range(opts->created, -1, 253402300799, "berth_build_options.created");
    require(opts->output != nullptr, "build options: output is required");
    const auto &o = *opts;
    BuildOptions b;
    b.from = o.from ? o.from : "scratch";
    b.layers = string_list(o.layers, o.n_layers, "layers");
    if (o.compression) b.compression = o.compression;
    b.level = o.level;
    if (o.entrypoint_json) b.entrypoint = json_string_array(o.entrypoint_json, "entrypoint_json");
    if (o.cmd_json) b.cmd = json_string_array(o.cmd_json, "cmd_json");
    b.env = string_list(o.env, o.n_env, "env");
    b.labels = key_values(o.labels, o.n_labels, "labels");
    b.annotations = key_values(o.annotations, o.n_annotations, "annotations");
    b.workdir = str(o.workdir);
    b.user = str(o.user);
    b.expose = string_list(o.expose, o.n_expose, "expose");
    b.platform = str(o.platform);
    b.cache_dir = str(o.cache_dir);
    if (o.cache_key) b.cache_key = o.cache_key;
    capi::shared_build_fields(o, b, "berth_build_options");
    capi::set_out(out_json, to_json(build_image(b)));
  });
}

} // extern "C"
