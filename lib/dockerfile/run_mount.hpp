// RUN --mount=type=...,target=... (BuildKit's commands_runmount.go): CSV fields of
// key=value, checked per mount type.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace berth::dockerfile {

struct Mount {
  std::string type = "bind"; // bind, cache, tmpfs, secret, ssh
  std::string from, source, target;
  bool read_only = true; // bind/secret/ssh default read-only, cache/tmpfs read-write
  std::int64_t size_limit = 0;
  std::string cache_id;
  std::string sharing; // shared, private, locked ("" = BuildKit's default)
  bool required = false;
  std::optional<std::string> env;
  std::optional<std::uint64_t> mode, uid, gid;
};

// Without an expander (parse time) only the syntax and `from` are checked and values
// are not yet taken, as BuildKit defers them; with one (dispatch time) every value is
// expanded and the mount is complete. Throws berth::Error without location.
Mount parse_mount(std::string_view spec,
                  const std::function<std::string(std::string_view)> *expander);

} // namespace berth::dockerfile
