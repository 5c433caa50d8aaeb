// TarReader: a pull-style tar reader over any byte source. It understands ustar, pax
// ('x' and 'g' extended headers), GNU long names and link targets ('L'/'K'), GNU
// base-256 numbers and v7 headers. Memory stays bounded: entry data is streamed, and
// extended headers are capped at kMaxMetaBytes (Error(too_large) beyond).
//
// Corrupt or truncated input is Error(protocol) with the archive offset in the message:
// bad checksum, short header, short data, bad octal, malformed pax records.
// A stream that ends cleanly at a header boundary without the two zero blocks is taken
// as a complete archive, as GNU tar and Go's archive/tar do.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

namespace berth::layer {

struct TarEntry {
  // `other`: GNU sparse files, volume labels, dump directories and unknown typeflags;
  // their data can be read but is not a plain file's content.
  enum class Type { file, dir, symlink, hardlink, fifo, chardev, blockdev, other };
  Type type = Type::file;
  std::string path;       // as stored (pax/GNU long name applied), trailing '/' removed
  std::string link;       // symlink target or hardlink target path
  std::uint32_t mode = 0; // permission bits (07777)
  std::uint64_t size = 0; // bytes of data; 0 for links, directories, fifos and devices
  std::int64_t mtime = 0;
  std::uint32_t uid = 0, gid = 0, devmajor = 0, devminor = 0;
  std::map<std::string, std::string> xattrs; // from SCHILY.xattr.<name> pax records
};

class TarReader {
public:
  // Largest pax extended header or GNU long name/link accepted.
  static constexpr std::size_t kMaxMetaBytes = 1 << 20;

  // `read` fills up to len bytes and returns how many; 0 means end of input. It may
  // return fewer bytes than asked for at any time. Exceptions it throws pass through.
  explicit TarReader(std::function<std::size_t(char *, std::size_t)> read);

  // The next member, skipping whatever data of the current one was not read; nullopt at
  // the end of the archive (the rest of the input is then drained, so a digest
  // computed over the source sees every byte).
  std::optional<TarEntry> next();

  // Reads the current entry's data; 0 once it is all read.
  std::size_t read_data(char *buf, std::size_t len);

  // Archive bytes consumed so far.
  std::uint64_t offset() const noexcept { return offset_; }

private:
  std::size_t read_full(char *buf, std::size_t len);
  void skip(std::uint64_t n, const std::string &what);
  std::string read_meta(std::uint64_t size, const std::string &what);
  void drain();

  std::function<std::size_t(char *, std::size_t)> read_;
  std::uint64_t offset_ = 0;
  std::uint64_t remaining_ = 0; // data bytes of the current entry not yet read
  std::uint64_t padding_ = 0;   // zero bytes after them
  bool done_ = false;
  std::string current_;                       // path of the current entry, for messages
  std::map<std::string, std::string> global_; // pax 'g' records in force
};

} // namespace berth::layer
