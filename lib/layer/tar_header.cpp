#include "layer/tar_header.hpp"

#include <berth/error.hpp>

#include <algorithm>
#include <cstring>

namespace berth::layer::tarfmt {
namespace {

constexpr std::int64_t octal_limit(std::size_t width) {
  // 8^(width-1): width-1 octal digits; fields are at most 12 bytes wide.
  return std::int64_t{1} << (3 * (width - 1));
}

[[noreturn]] void bad_field(const Field &f, const std::string &where, const std::string &why) {
  throw Error(Errc::protocol, "corrupt tar header" + (where.empty() ? "" : " " + where) + ": " +
                                  why + " in the " + f.label + " field");
}

void put_string(char *block, const Field &f, std::string_view s) {
  std::memcpy(block + f.offset, s.data(), std::min(s.size(), f.width));
}

std::string decimal(std::int64_t v) {
  return std::to_string(v);
}

} // namespace

bool fits_octal(std::int64_t value, std::size_t width) {
  return value >= 0 && value < octal_limit(width);
}

void put_octal(char *field, std::size_t width, std::uint64_t value) {
  field[width - 1] = '\0';
  for (std::size_t i = width - 1; i-- > 0;) {
    field[i] = static_cast<char>('0' + (value & 7));
    value >>= 3;
  }
}

void put_base256(char *field, std::size_t width, std::int64_t value) {
  auto v = static_cast<std::uint64_t>(value);
  const bool negative = value < 0;
  for (std::size_t i = width; i-- > 0;) {
    field[i] = static_cast<char>(v & 0xff);
    // Sign-extend by hand: shifting a negative value right is what we want, but do it
    // on the unsigned form to stay clear of implementation-defined behaviour.
    v = (v >> 8) | (negative ? (std::uint64_t{0xff} << 56) : 0);
  }
  field[0] = static_cast<char>(static_cast<unsigned char>(field[0]) | 0x80);
}

bool put_numeric(char *field, std::size_t width, std::int64_t value) {
  if (fits_octal(value, width)) {
    put_octal(field, width, static_cast<std::uint64_t>(value));
    return true;
  }
  put_base256(field, width, value);
  return false;
}

std::int64_t parse_numeric(const char *block, const Field &f, const std::string &where) {
  const auto *b = reinterpret_cast<const unsigned char *>(block + f.offset);
  const std::size_t n = f.width;
  if (b[0] & 0x80) {
    const unsigned char inv = (b[0] & 0x40) ? 0xff : 0x00;
    std::uint64_t x = 0;
    for (std::size_t i = 0; i < n; ++i) {
      unsigned char c = static_cast<unsigned char>(b[i] ^ inv);
      if (i == 0) c &= 0x7f;
      if ((x >> 56) != 0) bad_field(f, where, "base-256 number out of range");
      x = (x << 8) | c;
    }
    if ((x >> 63) != 0) bad_field(f, where, "base-256 number out of range");
    return inv ? ~static_cast<std::int64_t>(x) : static_cast<std::int64_t>(x);
  }
  std::size_t begin = 0, end = n;
  while (begin < end && (b[begin] == ' ' || b[begin] == 0))
    ++begin;
  while (end > begin && (b[end - 1] == ' ' || b[end - 1] == 0))
    --end;
  std::int64_t v = 0;
  for (std::size_t i = begin; i < end; ++i) {
    if (b[i] < '0' || b[i] > '7') {
      std::string shown;
      for (std::size_t j = 0; j < n; ++j)
        shown += (b[j] >= 0x20 && b[j] < 0x7f) ? static_cast<char>(b[j]) : '?';
      bad_field(f, where, "bad octal number '" + shown + "'");
    }
    if (v > (INT64_MAX >> 3)) bad_field(f, where, "octal number out of range");
    v = (v << 3) | (b[i] - '0');
  }
  return v;
}

std::string field_string(const char *block, const Field &f) {
  const char *p = block + f.offset;
  const void *nul = std::memchr(p, '\0', f.width);
  return std::string(p,
                     nul ? static_cast<std::size_t>(static_cast<const char *>(nul) - p) : f.width);
}

std::uint32_t checksum_unsigned(const char *block) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i < kBlockSize; ++i) {
    bool in_chksum = i >= kChksum.offset && i < kChksum.offset + kChksum.width;
    sum += in_chksum ? std::uint32_t{' '} : static_cast<unsigned char>(block[i]);
  }
  return sum;
}

std::int64_t checksum_signed(const char *block) {
  std::int64_t sum = 0;
  for (std::size_t i = 0; i < kBlockSize; ++i) {
    bool in_chksum = i >= kChksum.offset && i < kChksum.offset + kChksum.width;
    sum += in_chksum ? std::int64_t{' '} : static_cast<signed char>(block[i]);
  }
  return sum;
}

void put_checksum(char *block) {
  char *f = block + kChksum.offset;
  std::memset(f, ' ', kChksum.width);
  std::uint32_t sum = checksum_unsigned(block);
  put_octal(f, 7, sum); // six digits and a NUL ...
  f[7] = ' ';           // ... then a space, as every tar since V7 writes it
}

bool is_zero_block(const char *block) {
  for (std::size_t i = 0; i < kBlockSize; ++i)
    if (block[i] != 0) return false;
  return true;
}

bool is_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

bool is_valid_utf8(std::string_view s) {
  const auto *p = reinterpret_cast<const unsigned char *>(s.data());
  const std::size_t n = s.size();
  for (std::size_t i = 0; i < n;) {
    unsigned char c = p[i];
    std::size_t len;
    std::uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      len = 2;
      cp = c & 0x1fu;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3;
      cp = c & 0x0fu;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4;
      cp = c & 0x07u;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (std::size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (p[i + k] & 0x3fu);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    static constexpr std::uint32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_for_len[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += len;
  }
  return true;
}

bool split_ustar_path(std::string_view path, std::string_view &prefix, std::string_view &name) {
  const std::size_t n = path.size();
  if (n <= kName.width || n > kPrefix.width + 1 + kName.width) return false;
  // The longest prefix that leaves a non-empty name of at most 100 bytes.
  for (std::size_t i = std::min(kPrefix.width, n - 2); i >= 1; --i) {
    if (path[i] != '/') continue;
    if (n - i - 1 > kName.width) return false; // shorter prefixes only lengthen the name
    prefix = path.substr(0, i);
    name = path.substr(i + 1);
    return true;
  }
  return false;
}

std::string pax_record(std::string_view key, std::string_view value) {
  const std::size_t body = key.size() + value.size() + 3; // ' ', '=', '\n'
  std::size_t len = body + std::to_string(body).size();
  // Adding the digits can add a digit (e.g. 99 -> 101).
  while (body + std::to_string(len).size() != len)
    len = body + std::to_string(len).size();
  std::string out = std::to_string(len);
  out += ' ';
  out.append(key);
  out += '=';
  out.append(value);
  out += '\n';
  return out;
}

std::vector<std::pair<std::string, std::string>> parse_pax_records(std::string_view data) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t pos = 0;
  auto bad = [&](const std::string &why) -> Error {
    return Error(Errc::protocol,
                 "corrupt pax extended header: " + why + " at byte " + std::to_string(pos));
  };
  while (pos < data.size()) {
    if (data[pos] == '\0') {
      if (data.find_first_not_of('\0', pos) != std::string_view::npos)
        throw bad("data after NUL padding");
      break;
    }
    std::size_t len = 0, i = pos;
    while (i < data.size() && data[i] >= '0' && data[i] <= '9') {
      if (len > data.size()) throw bad("record length out of range");
      len = len * 10 + static_cast<std::size_t>(data[i] - '0');
      ++i;
    }
    if (i == pos || i >= data.size() || data[i] != ' ') throw bad("record without a length");
    if (len > data.size() - pos || len < (i - pos) + 4) throw bad("bad record length");
    std::string_view record = data.substr(pos, len);
    if (record.back() != '\n') throw bad("record not ending in a newline");
    std::string_view kv = record.substr(i - pos + 1, len - (i - pos + 1) - 1);
    auto eq = kv.find('=');
    if (eq == std::string_view::npos || eq == 0) throw bad("record without a key");
    out.emplace_back(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
    pos += len;
  }
  return out;
}

std::string encode_header(const HeaderSpec &spec) {
  char block[kBlockSize] = {};
  std::vector<std::pair<std::string, std::string>> pax = spec.extra_pax;

  // Names: the ustar fields when they hold the bytes exactly and are ASCII, otherwise a
  // pax record (the fields then keep a truncated copy for pax-unaware readers).
  bool path_in_pax = false, link_in_pax = false;
  std::string_view prefix, name;
  if (spec.path.size() <= kName.width) {
    put_string(block, kName, spec.path);
    path_in_pax = !is_ascii(spec.path);
  } else if (split_ustar_path(spec.path, prefix, name)) {
    put_string(block, kPrefix, prefix);
    put_string(block, kName, name);
    path_in_pax = !is_ascii(spec.path);
  } else {
    put_string(block, kName, spec.path);
    path_in_pax = true;
  }
  if (path_in_pax) pax.emplace_back("path", spec.path);
  put_string(block, kLinkname, spec.link);
  if (spec.link.size() > kLinkname.width || !is_ascii(spec.link)) {
    link_in_pax = true;
    pax.emplace_back("linkpath", spec.link);
  }
  if ((path_in_pax && !is_valid_utf8(spec.path)) || (link_in_pax && !is_valid_utf8(spec.link)))
    pax.emplace_back("hdrcharset", "BINARY");

  put_octal(block + kMode.offset, kMode.width, spec.mode & 07777);
  if (!put_numeric(block + kUid.offset, kUid.width, static_cast<std::int64_t>(spec.uid)))
    pax.emplace_back("uid", decimal(static_cast<std::int64_t>(spec.uid)));
  if (!put_numeric(block + kGid.offset, kGid.width, static_cast<std::int64_t>(spec.gid)))
    pax.emplace_back("gid", decimal(static_cast<std::int64_t>(spec.gid)));
  if (!put_numeric(block + kSize.offset, kSize.width, static_cast<std::int64_t>(spec.size)))
    pax.emplace_back("size", std::to_string(spec.size));
  if (!put_numeric(block + kMtime.offset, kMtime.width, spec.mtime))
    pax.emplace_back("mtime", decimal(spec.mtime));
  put_numeric(block + kDevmajor.offset, kDevmajor.width, spec.devmajor);
  put_numeric(block + kDevminor.offset, kDevminor.width, spec.devminor);
  block[kTypeflag.offset] = spec.typeflag;
  std::memcpy(block + kMagic.offset, "ustar", 6); // with its NUL
  std::memcpy(block + kVersion.offset, "00", 2);
  put_checksum(block);

  if (pax.empty()) return std::string(block, kBlockSize);

  std::sort(pax.begin(), pax.end());
  std::string records;
  for (const auto &[k, v] : pax)
    records += pax_record(k, v);

  std::string_view p = spec.path;
  while (!p.empty() && p.back() == '/')
    p.remove_suffix(1);
  auto slash = p.rfind('/');
  std::string pax_name =
      slash == std::string_view::npos
          ? "PaxHeaders/" + std::string(p)
          : std::string(p.substr(0, slash)) + "/PaxHeaders/" + std::string(p.substr(slash + 1));
  std::string ascii_name;
  for (char c : pax_name)
    if (static_cast<unsigned char>(c) < 0x80) ascii_name += c;

  char xblock[kBlockSize] = {};
  put_string(xblock, kName, ascii_name);
  put_octal(xblock + kMode.offset, kMode.width, 0644);
  put_octal(xblock + kUid.offset, kUid.width, 0);
  put_octal(xblock + kGid.offset, kGid.width, 0);
  put_numeric(xblock + kSize.offset, kSize.width, static_cast<std::int64_t>(records.size()));
  put_octal(xblock + kMtime.offset, kMtime.width,
            fits_octal(spec.mtime, kMtime.width) ? static_cast<std::uint64_t>(spec.mtime) : 0);
  put_octal(xblock + kDevmajor.offset, kDevmajor.width, 0);
  put_octal(xblock + kDevminor.offset, kDevminor.width, 0);
  xblock[kTypeflag.offset] = kTypePaxLocal;
  std::memcpy(xblock + kMagic.offset, "ustar", 6);
  std::memcpy(xblock + kVersion.offset, "00", 2);
  put_checksum(xblock);

  std::string out(xblock, kBlockSize);
  out += records;
  out.append(padding_for(records.size()), '\0');
  out.append(block, kBlockSize);
  return out;
}

} // namespace berth::layer::tarfmt
