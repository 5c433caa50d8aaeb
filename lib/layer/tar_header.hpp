// The tar header format shared by TarWriter and TarReader: 512-byte ustar blocks
// (POSIX.1-1988 as extended by POSIX.1-2001 pax), octal and GNU base-256 numbers,
// header checksums, the ustar prefix/name split and pax extended-header records.
//
// The writer always produces POSIX pax archives: a plain ustar header when every field
// fits, preceded by one 'x' extended header when some value does not (long or
// non-ASCII names and link targets, sizes >= 8 GiB, large uid/gid, mtimes outside
// 0..8^11-1, xattrs). Numeric fields that overflow octal also get the GNU base-256
// form, so readers that skip pax records still see the right value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth::layer::tarfmt {

inline constexpr std::size_t kBlockSize = 512;

// Typeflags.
inline constexpr char kTypeFile = '0';
inline constexpr char kTypeFileOld = '\0'; // pre-POSIX regular file
inline constexpr char kTypeHardlink = '1';
inline constexpr char kTypeSymlink = '2';
inline constexpr char kTypeChar = '3';
inline constexpr char kTypeBlock = '4';
inline constexpr char kTypeDir = '5';
inline constexpr char kTypeFifo = '6';
inline constexpr char kTypeContiguous = '7'; // read as a regular file
inline constexpr char kTypePaxLocal = 'x';
inline constexpr char kTypePaxGlobal = 'g';
inline constexpr char kTypeGnuLongName = 'L';
inline constexpr char kTypeGnuLongLink = 'K';

// One field of the 512-byte header: byte offset and width.
struct Field {
  std::size_t offset;
  std::size_t width;
  const char *label; // for error messages
};
inline constexpr Field kName{0, 100, "name"};
inline constexpr Field kMode{100, 8, "mode"};
inline constexpr Field kUid{108, 8, "uid"};
inline constexpr Field kGid{116, 8, "gid"};
inline constexpr Field kSize{124, 12, "size"};
inline constexpr Field kMtime{136, 12, "mtime"};
inline constexpr Field kChksum{148, 8, "checksum"};
inline constexpr Field kTypeflag{156, 1, "typeflag"};
inline constexpr Field kLinkname{157, 100, "linkname"};
inline constexpr Field kMagic{257, 6, "magic"};
inline constexpr Field kVersion{263, 2, "version"};
inline constexpr Field kUname{265, 32, "uname"};
inline constexpr Field kGname{297, 32, "gname"};
inline constexpr Field kDevmajor{329, 8, "devmajor"};
inline constexpr Field kDevminor{337, 8, "devminor"};
inline constexpr Field kPrefix{345, 155, "prefix"};

// Bytes of zero padding after `size` bytes of data, up to the next block boundary.
constexpr std::size_t padding_for(std::uint64_t size) {
  return static_cast<std::size_t>((kBlockSize - size % kBlockSize) % kBlockSize);
}

// Whether `value` fits a `width`-byte octal field: width-1 digits and a NUL.
bool fits_octal(std::int64_t value, std::size_t width);
// Zero-padded octal, width-1 digits then NUL. Precondition: fits_octal().
void put_octal(char *field, std::size_t width, std::uint64_t value);
// GNU base-256: big-endian two's complement with the top bit of the first byte set.
// Precondition: the value fits in width*8-1 bits (always true for 8 and 12-byte fields
// holding 32-bit ids or 64-bit values that need at most 63 bits).
void put_base256(char *field, std::size_t width, std::int64_t value);
// Octal when it fits, else base-256. Returns false when base-256 was needed (so the
// caller knows a pax record should carry the value too).
bool put_numeric(char *field, std::size_t width, std::int64_t value);

// Decodes a numeric field: octal (leading spaces or NULs, digits, then NULs or spaces)
// or base-256. An all-NUL/space field is 0. Error(protocol) naming `f.label` and
// `where` for anything else or for values beyond int64.
std::int64_t parse_numeric(const char *block, const Field &f, const std::string &where);

// The text of a string field, up to its first NUL.
std::string field_string(const char *block, const Field &f);

// Sum of all header bytes, the checksum field counted as spaces (POSIX: unsigned).
std::uint32_t checksum_unsigned(const char *block);
// The same with bytes read as signed char: some historic writers used it.
std::int64_t checksum_signed(const char *block);
// Fills the checksum field of a complete header ("%06o\0 ").
void put_checksum(char *block);

bool is_zero_block(const char *block);
bool is_ascii(std::string_view s);
bool is_valid_utf8(std::string_view s);

// Splits a path longer than 100 bytes into ustar prefix (<= 155) and name (<= 100,
// non-empty) at a '/'. False when no split works (or the path fits the name field).
bool split_ustar_path(std::string_view path, std::string_view &prefix, std::string_view &name);

// One pax record: "<len> <key>=<value>\n" where <len> counts the whole record,
// including its own digits.
std::string pax_record(std::string_view key, std::string_view value);
// Parses a pax extended header's data into (key, value) pairs in order. Trailing NUL
// padding is tolerated. Error(protocol) for a malformed record.
std::vector<std::pair<std::string, std::string>> parse_pax_records(std::string_view data);

// What one archive member looks like, as TarWriter hands it to encode_header().
struct HeaderSpec {
  char typeflag = kTypeFile;
  std::string path; // relative, '/'-separated; directories end in '/'
  std::string link; // hardlink or symlink target
  std::uint32_t mode = 0644;
  std::uint64_t uid = 0;
  std::uint64_t gid = 0;
  std::uint64_t size = 0;
  std::int64_t mtime = 0;
  std::uint32_t devmajor = 0;
  std::uint32_t devminor = 0;
  // Extra pax records (e.g. "SCHILY.xattr.security.capability"); always written.
  std::vector<std::pair<std::string, std::string>> extra_pax;
};

// The bytes that precede the member's data: an optional pax 'x' member (header,
// records, padding) and the member's ustar header. Deterministic: depends on `spec`
// only; pax records are sorted by key and the pax member is named
// "<dir>/PaxHeaders/<base>" like GNU tar's default.
std::string encode_header(const HeaderSpec &spec);

} // namespace berth::layer::tarfmt
