// Image references: "[registry/]repository[:tag][@digest]", parsed and normalized the
// way github.com/distribution/reference (ParseNormalizedNamed) does it: docker.io is
// the default registry, and single-component Docker Hub names gain "library/".
// Parsing does no I/O.
#pragma once

#include <string>
#include <string_view>

namespace berth::image {

struct Reference {
  // Lower-case host[:port]; "docker.io" when none was given (and for
  // "index.docker.io"); an IPv6 literal keeps its brackets: "[::1]:5000".
  std::string registry;
  // Slash-separated path; "library/" is added for single-component docker.io names.
  std::string repository;
  std::string tag;    // "" when none
  std::string digest; // "" when none, else a valid Digest string ("sha256:...")

  // Throws Error(invalid_argument) naming the problem and quoting the input.
  static Reference parse(std::string_view s);

  // The host[:port] to connect to: docker.io and index.docker.io become
  // "registry-1.docker.io"; every other registry is returned as is.
  std::string registry_host() const;
  // The digest if set, else the tag, else "latest": what goes after /manifests/.
  std::string identifier() const;
  // registry + "/" + repository.
  std::string context() const;
  // The normalized reference: context, then ":" + tag and "@" + digest when set.
  std::string str() const;
  // Copies with the tag or digest replaced; both are validated
  // (Error(invalid_argument)).
  Reference with_tag(std::string t) const;
  Reference with_digest(std::string d) const;
  // True when the registry host is localhost, in 127.0.0.0/8 or [::1], where plain
  // HTTP is the sensible default.
  bool is_loopback() const;

  bool operator==(const Reference &) const = default;
};

// [A-Za-z0-9_][A-Za-z0-9._-]{0,127}
bool valid_tag(std::string_view t) noexcept;

} // namespace berth::image
