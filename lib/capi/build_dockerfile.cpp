// The C ABI of Dockerfile builds: berth_build_dockerfile over build_dockerfile().
#include "capi/build_fields.hpp"
#include "capi/guard.hpp"

#include <berth/dockerfile.hpp>
#include <berth/sign.hpp>

#include <cstddef>

using namespace berth;
using berth::capi::guard;
using berth::capi::require;
using berth::capi::str;
using berth::capi::string_list;

namespace {

DockerfileBuildOptions to_options(const berth_dockerfile_options &o) {
  capi::check_range(o.jobs, 0, BERTH_MAX_JOBS, "berth_dockerfile_options.jobs");
  capi::check_range(o.level, -1, 22, "berth_dockerfile_options.level");
  capi::check_range(o.created, -1, 253402300799, "berth_dockerfile_options.created");
  require(o.output != nullptr, "berth_dockerfile_options: output is required");
  DockerfileBuildOptions d;
  if (o.context) d.context = o.context;
  d.dockerfile = str(o.dockerfile);
  if (o.dockerfile_text) d.dockerfile_text = o.dockerfile_text;
  d.build_args = capi::key_value_pairs(o.build_args, o.n_build_args, "build_args");
  d.target = str(o.target);
  for (auto &[k, v] : capi::key_value_pairs(o.labels, o.n_labels, "labels"))
    d.labels[k] = v;
  d.platform = str(o.platform);
  if (o.network) d.network = o.network;
  require(d.network == "host" || d.network == "none",
          "berth_dockerfile_options.network is \"host\" or \"none\"");
  d.state_dir = str(o.state_dir);
  d.no_cache = o.no_cache != 0;
  if (o.compression) d.compression = o.compression;
  d.level = o.level;
  capi::shared_build_fields(o, d, "berth_dockerfile_options");
  if (o.version >= 2) d.secrets = string_list(o.secrets, o.n_secrets, "secrets");
  if (o.version >= 3) {
    d.cache_from = string_list(o.cache_from, o.n_cache_from, "cache_from");
    d.cache_to = str(o.cache_to);
  }
  if (o.log) {
    auto fn = o.log;
    void *user = o.log_user_data;
    d.log = [fn, user](std::string_view s) { fn(s.data(), s.size(), user); };
  }
  return d;
}

} // namespace

extern "C" {

BERTH_API int berth_dockerfile_options_init(berth_dockerfile_options *opts, uint32_t version) {
  return guard([&] {
    // An older caller's struct ends where its version's fields do (version 1 before
    // `secrets`, version 2 before `cache_from`): nothing past it is written.
    const std::size_t size = version == 1   ? offsetof(berth_dockerfile_options, secrets)
                             : version == 2 ? offsetof(berth_dockerfile_options, cache_from)
                                            : sizeof(berth_dockerfile_options);
    capi::init_options_prefix(opts, berth_dockerfile_options BERTH_DOCKERFILE_OPTIONS_INIT, version,
                              1, BERTH_DOCKERFILE_OPTIONS_VERSION, "berth_dockerfile_options",
                              size);
  });
}

BERTH_API int berth_build_dockerfile(char **out_json, const berth_dockerfile_options *opts) {
  if (out_json) *out_json = nullptr;
  return guard([&] {
    require(opts != nullptr, "dockerfile options are required (BERTH_DOCKERFILE_OPTIONS_INIT)");
    capi::check_version(opts->version, 1, BERTH_DOCKERFILE_OPTIONS_VERSION,
                        "berth_dockerfile_options");
    capi::set_out(out_json, to_json(build_dockerfile(to_options(*opts))));
  });
}

} // extern "C"
