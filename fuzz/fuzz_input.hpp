// Helpers the fuzz targets share: the input as text, inputs made of several parts,
// and a scratch directory for parsers whose entry point reads files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <unistd.h>
#include <vector>

namespace berth::fuzz {

inline std::string_view text(const std::uint8_t *data, std::size_t size) {
  return {reinterpret_cast<const char *>(data), size};
}

// Targets that need several inputs at once (a file and what to look up in it) take
// them from one fuzz input, split at this separator line. Seeds and dictionaries use
// the same separator, so the fuzzer learns it quickly.
inline constexpr std::string_view kSeparator = "\n=====\n";

inline std::vector<std::string_view> split(std::string_view in, std::size_t max_parts) {
  std::vector<std::string_view> parts;
  while (parts.size() + 1 < max_parts) {
    auto at = in.find(kSeparator);
    if (at == std::string_view::npos) break;
    parts.push_back(in.substr(0, at));
    in.remove_prefix(at + kSeparator.size());
  }
  parts.push_back(in);
  return parts;
}

// A directory private to this process, on tmpfs when there is one (targets that
// write files per input run far faster there), removed at exit.
inline const std::filesystem::path &scratch_dir() {
  struct Dir {
    std::filesystem::path path;
    Dir() {
      std::filesystem::path base = std::filesystem::is_directory("/dev/shm")
                                       ? std::filesystem::path("/dev/shm")
                                       : std::filesystem::temp_directory_path();
      path = base / ("berth-fuzz-" + std::to_string(::getpid()));
      std::filesystem::remove_all(path);
      std::filesystem::create_directories(path);
    }
    ~Dir() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  };
  static const Dir dir;
  return dir.path;
}

inline void write_file(const std::filesystem::path &p, std::string_view bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

} // namespace berth::fuzz
