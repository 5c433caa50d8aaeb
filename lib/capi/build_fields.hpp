// What berth_build_options and berth_dockerfile_options share, under the same field
// names, converted once: the time, the output and its tags, both registry sides, jobs,
// progress and the attestations with their signing key.
#pragma once

#include "capi/guard.hpp"
#include "capi/registry_options.hpp"

#include <berth/sign.hpp>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace berth::capi {

// "KEY=VALUE" entries in order (a later KEY is the caller's to resolve);
// Error(invalid_argument) naming `what` for an entry without a key or "=".
inline std::vector<std::pair<std::string, std::string>>
key_value_pairs(const char *const *items, size_t n, const char *what) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto &kv : string_list(items, n, what)) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0)
      throw Error(Errc::invalid_argument,
                  std::string(what) + " entries must be KEY=VALUE, got '" + kv + "'");
    out.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return out;
}

template <class COptions, class Options>
void shared_build_fields(const COptions &c, Options &o, const std::string &name) {
  if (c.created >= 0)
    o.created = std::chrono::system_clock::time_point(std::chrono::seconds(c.created));
  o.output = c.output;
  o.extra_tags = string_list(c.extra_tags, c.n_extra_tags, "extra_tags");
  auto src = to_registry_side(c.src, (name + ".src").c_str(), true, 0);
  o.from_access = src.access;
  o.mirrors = src.mirrors;
  o.output_access = to_registry_side(c.dst, (name + ".dst").c_str(), false, 0).access;
  o.jobs = c.jobs > 0 ? c.jobs : BERTH_DEFAULT_JOBS;
  o.progress = c_progress(c.progress, c.progress_user_data);
  o.attach_sbom = c.sbom != 0;
  o.attach_provenance = c.provenance != 0;
  o.builder_id = str(c.builder_id);
  if (c.sign_key && *c.sign_key) {
    require(o.attach_sbom || o.attach_provenance,
            (name + ".sign_key signs the sbom and provenance: ask for one").c_str());
    // Loaded before anything is built: a wrong password fails the call at once.
    o.signer = load_signing_key(c.sign_key, str(c.sign_key_password));
  }
}

} // namespace berth::capi
