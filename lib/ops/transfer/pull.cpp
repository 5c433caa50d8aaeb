// pull: copy from a registry into a local destination named as crane and the CLI
// take it (pull_destination), optionally verified first.
#include <berth/copy.hpp>
#include <berth/error.hpp>
#include <berth/reference.hpp>
#include <berth/sign.hpp>

#include "ops/transfer/location.hpp"

#include <filesystem>
#include <string_view>

namespace berth {

std::string pull_destination(const std::string &dst) {
  if (dst.empty()) throw Error(Errc::invalid_argument, "pull needs a destination");
  for (const char *t : {"oci:", "oci-archive:", "docker-archive:", "docker://"})
    if (dst.rfind(t, 0) == 0) return dst;
  // Not "~/...": nothing here expands it (a shell does, unquoted), and a layout under
  // a literal "./~" would not be where the caller looks.
  if (dst.rfind('~', 0) == 0)
    throw Error(Errc::invalid_argument,
                "destination '" + dst +
                    "': '~' is not expanded here (a shell expands it unquoted): write the path "
                    "out, such as $HOME" +
                    dst.substr(dst.find('/') == std::string::npos ? dst.size() : dst.find('/')));
  const bool pathy = dst == "." || dst == ".." || dst.rfind("./", 0) == 0 ||
                     dst.rfind("../", 0) == 0 || dst.rfind('/', 0) == 0;
  std::error_code ec;
  const bool is_dir = std::filesystem::is_directory(dst, ec);
  auto ends_with = [&](std::string_view s) {
    return dst.size() >= s.size() && dst.compare(dst.size() - s.size(), s.size(), s) == 0;
  };
  if (ends_with(".tar") && !is_dir) return "docker-archive:" + dst;
  if (is_dir || pathy) return "oci:" + dst;
  const auto slash = dst.find('/');
  const auto host = dst.substr(0, slash);
  if (slash != std::string::npos &&
      (host.find_first_of(".:") != std::string::npos || host == "localhost"))
    return dst; // a registry: the same as copy
  throw Error(
      Errc::invalid_argument,
      "destination '" + dst + "' is neither a path nor a registry reference: write oci:" + dst +
          " (a directory), docker-archive:" + dst + ".tar or oci-archive:" + dst + ".tar (a file)");
}

PullResult pull_image(const std::string &ref, const std::string &dst, const CopyOptions &options,
                      const std::string &verify_key) {
  auto src = ops::Location::parse(ref);
  if (src.kind != ops::Location::Kind::registry)
    throw Error(Errc::invalid_argument,
                "pull reads from a registry, not '" + ref + "'; copy takes other sources");
  PullResult r;
  r.destination = pull_destination(dst);
  std::string from = ref;
  if (!verify_key.empty()) {
    // Verified first, then pulled by the digest that verified: nothing is written when
    // verification fails.
    VerifyOptions vo;
    vo.access = options.src;
    auto v = verify_image(ref, verify_key, vo);
    from = "docker://" + src.ref.registry + "/" + src.ref.repository + "@" + v.digest;
    r.verified_digest = v.digest;
    r.signatures_verified = v.valid;
  }
  r.copy = copy_image(from, r.destination, options);
  return r;
}

} // namespace berth
