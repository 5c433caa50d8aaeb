#include "layer/tar_reader.hpp"

#include "layer/tar_header.hpp"

#include <berth/error.hpp>

#include <cstring>
#include <limits>
#include <utility>
#include <vector>

namespace berth::layer {
namespace {

using namespace tarfmt;

// Old GNU sparse headers: the "isextended" flag of the main header and of each
// extension block, which holds 21 more sparse entries and precedes the data.
constexpr std::size_t kGnuIsExtended = 482;
constexpr std::size_t kGnuExtIsExtended = 504;

std::string at(std::uint64_t offset) {
  return "at offset " + std::to_string(offset);
}

[[noreturn]] void corrupt(const std::string &what) {
  throw Error(Errc::protocol, "corrupt tar archive: " + what);
}

std::uint64_t pax_unsigned(const std::string &key, const std::string &value, std::uint64_t max,
                           std::uint64_t offset) {
  if (value.empty() || value.size() > 20)
    corrupt("bad pax " + key + " '" + value + "' " + at(offset));
  std::uint64_t v = 0;
  for (char c : value) {
    if (c < '0' || c > '9') corrupt("bad pax " + key + " '" + value + "' " + at(offset));
    auto d = static_cast<std::uint64_t>(c - '0');
    if (v > (max - d) / 10) corrupt("pax " + key + " '" + value + "' out of range " + at(offset));
    v = v * 10 + d;
  }
  return v;
}

// "[-]digits[.digits]" -> whole seconds, rounded down.
std::int64_t pax_time(const std::string &value, std::uint64_t offset) {
  std::string s = value;
  bool neg = !s.empty() && s[0] == '-';
  if (neg) s.erase(0, 1);
  std::string frac;
  if (auto dot = s.find('.'); dot != std::string::npos) {
    frac = s.substr(dot + 1);
    s.resize(dot);
    for (char c : frac)
      if (c < '0' || c > '9') corrupt("bad pax mtime '" + value + "' " + at(offset));
  }
  auto secs = static_cast<std::int64_t>(pax_unsigned(
      "mtime", s, static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()), offset));
  if (!neg) return secs;
  bool has_frac = frac.find_first_not_of('0') != std::string::npos;
  return -secs - (has_frac ? 1 : 0);
}

std::uint32_t as_u32(std::int64_t v, const char *what, std::uint64_t offset) {
  if (v < 0 || v > std::numeric_limits<std::uint32_t>::max())
    corrupt(std::string(what) + " " + std::to_string(v) + " out of range " + at(offset));
  return static_cast<std::uint32_t>(v);
}

std::string until_nul(std::string s) {
  if (auto nul = s.find('\0'); nul != std::string::npos) s.resize(nul);
  return s;
}

} // namespace

TarReader::TarReader(std::function<std::size_t(char *, std::size_t)> read)
    : read_(std::move(read)) {}

std::size_t TarReader::read_full(char *buf, std::size_t len) {
  std::size_t got = 0;
  while (got < len) {
    std::size_t n = read_(buf + got, len - got);
    if (n == 0) break;
    if (n > len - got) throw Error(Errc::internal, "tar reader: source returned too many bytes");
    got += n;
    offset_ += n;
  }
  return got;
}

void TarReader::skip(std::uint64_t n, const std::string &what) {
  char scratch[16384];
  while (n > 0) {
    std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(n, sizeof scratch));
    std::size_t got = read_full(scratch, want);
    n -= got;
    if (got < want)
      corrupt("truncated " + what + ": input ends " + at(offset_) + " with " + std::to_string(n) +
              " bytes missing");
  }
}

std::string TarReader::read_meta(std::uint64_t size, const std::string &what) {
  if (size > kMaxMetaBytes)
    throw Error(Errc::too_large, "tar " + what + " " + at(offset_) + " is " + std::to_string(size) +
                                     " bytes, more than the limit of " +
                                     std::to_string(kMaxMetaBytes));
  std::string data(static_cast<std::size_t>(size), '\0');
  if (read_full(data.data(), data.size()) < data.size())
    corrupt("truncated " + what + ": input ends " + at(offset_));
  skip(padding_for(size), what + " padding");
  return data;
}

void TarReader::drain() {
  char scratch[16384];
  while (read_full(scratch, sizeof scratch) > 0) {
  }
}

std::size_t TarReader::read_data(char *buf, std::size_t len) {
  if (remaining_ == 0 || len == 0) return 0;
  std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(len, remaining_));
  std::size_t got = read_full(buf, want);
  remaining_ -= got;
  if (got < want)
    corrupt("truncated data of '" + current_ + "': input ends " + at(offset_) + " with " +
            std::to_string(remaining_) + " bytes missing");
  return got;
}

std::optional<TarEntry> TarReader::next() {
  if (done_) return std::nullopt;
  skip(remaining_, "data of '" + current_ + "'");
  remaining_ = 0;
  if (padding_ > 0) {
    // umoci 0.4 writes layers that end right after the last file's data, without its
    // block padding or the end-of-archive blocks. Input ending exactly there is taken
    // as the end of the archive; input ending inside the padding is still corrupt.
    char scratch[kBlockSize];
    std::size_t got = read_full(scratch, static_cast<std::size_t>(padding_));
    if (got == 0) {
      padding_ = 0;
      done_ = true;
      return std::nullopt;
    }
    if (got < padding_)
      corrupt("truncated padding of '" + current_ + "': input ends " + at(offset_));
    padding_ = 0;
  }

  std::vector<std::pair<std::string, std::string>> local; // 'x' records for this entry
  std::optional<std::string> long_name, long_link;
  for (;;) {
    const std::uint64_t start = offset_;
    char block[kBlockSize];
    std::size_t n = read_full(block, kBlockSize);
    if (n == 0 || (n == kBlockSize && is_zero_block(block))) {
      if (!local.empty() || long_name || long_link)
        corrupt("archive ends " + at(start) + " right after an extended header");
      done_ = true;
      if (n != 0) drain();
      return std::nullopt;
    }
    if (n < kBlockSize)
      corrupt("truncated header " + at(start) + " (" + std::to_string(n) + " of 512 bytes)");

    const std::string where = at(start);
    const std::int64_t stored = parse_numeric(block, kChksum, where);
    if (stored != checksum_unsigned(block) && stored != checksum_signed(block))
      corrupt("bad header checksum " + where + " (stored " + std::to_string(stored) +
              ", computed " + std::to_string(checksum_unsigned(block)) + ")");

    const bool posix = std::memcmp(block + kMagic.offset, "ustar\0", 6) == 0;
    const bool gnu = std::memcmp(block + kMagic.offset, "ustar  \0", 8) == 0;
    const char type = block[kTypeflag.offset];
    const std::int64_t raw_size = parse_numeric(block, kSize, where);
    if (raw_size < 0) corrupt("negative size " + where);
    const auto hsize = static_cast<std::uint64_t>(raw_size);

    if (type == kTypePaxLocal || type == kTypePaxGlobal) {
      auto records = parse_pax_records(read_meta(hsize, "pax header"));
      if (type == kTypePaxLocal) {
        local.insert(local.end(), records.begin(), records.end());
      } else {
        for (auto &[k, v] : records)
          if (v.empty())
            global_.erase(k);
          else
            global_[k] = v;
      }
      continue;
    }
    if (type == kTypeGnuLongName) {
      long_name = until_nul(read_meta(hsize, "GNU long name"));
      continue;
    }
    if (type == kTypeGnuLongLink) {
      long_link = until_nul(read_meta(hsize, "GNU long link name"));
      continue;
    }

    std::map<std::string, std::string> pax = global_;
    for (auto &[k, v] : local)
      if (v.empty())
        pax.erase(k);
      else
        pax[k] = v;

    TarEntry e;
    std::string name = field_string(block, kName);
    if (posix) {
      std::string prefix = field_string(block, kPrefix);
      if (!prefix.empty()) name = prefix + "/" + name;
    }
    e.path = long_name ? *long_name : name;
    e.link = long_link ? *long_link : field_string(block, kLinkname);
    e.mode = static_cast<std::uint32_t>(parse_numeric(block, kMode, where) & 07777);
    e.uid = as_u32(parse_numeric(block, kUid, where), "uid", start);
    e.gid = as_u32(parse_numeric(block, kGid, where), "gid", start);
    e.mtime = parse_numeric(block, kMtime, where);
    if (posix || gnu) {
      e.devmajor = as_u32(parse_numeric(block, kDevmajor, where), "devmajor", start);
      e.devminor = as_u32(parse_numeric(block, kDevminor, where), "devminor", start);
    }
    std::uint64_t size = hsize;
    bool sparse = false;
    constexpr std::uint64_t u32max = std::numeric_limits<std::uint32_t>::max();
    for (auto &[k, v] : pax) {
      if (k == "path")
        e.path = v;
      else if (k == "linkpath")
        e.link = v;
      else if (k == "size")
        size = pax_unsigned(k, v, static_cast<std::uint64_t>(INT64_MAX), start);
      else if (k == "uid")
        e.uid = static_cast<std::uint32_t>(pax_unsigned(k, v, u32max, start));
      else if (k == "gid")
        e.gid = static_cast<std::uint32_t>(pax_unsigned(k, v, u32max, start));
      else if (k == "mtime")
        e.mtime = pax_time(v, start);
      else if (k.rfind("SCHILY.xattr.", 0) == 0)
        e.xattrs[k.substr(13)] = v;
      else if (k.rfind("GNU.sparse.", 0) == 0)
        sparse = true;
    }
    if (sparse && pax.count("GNU.sparse.name")) e.path = pax["GNU.sparse.name"];

    bool header_only = true;
    switch (type) {
    case kTypeFile:
    case kTypeFileOld:
    case kTypeContiguous:
      e.type = TarEntry::Type::file;
      header_only = false;
      // Pre-POSIX archives mark directories by a trailing slash only.
      if (type == kTypeFileOld && !e.path.empty() && e.path.back() == '/')
        e.type = TarEntry::Type::dir;
      break;
    case kTypeHardlink: e.type = TarEntry::Type::hardlink; break;
    case kTypeSymlink: e.type = TarEntry::Type::symlink; break;
    case kTypeChar: e.type = TarEntry::Type::chardev; break;
    case kTypeBlock: e.type = TarEntry::Type::blockdev; break;
    case kTypeDir: e.type = TarEntry::Type::dir; break;
    case kTypeFifo: e.type = TarEntry::Type::fifo; break;
    default:
      e.type = TarEntry::Type::other;
      header_only = false;
      break;
    }
    if (sparse) e.type = TarEntry::Type::other;
    if (type == 'S' && gnu && block[kGnuIsExtended] != 0) {
      // Old GNU sparse map continues in extension blocks before the data.
      char ext[kBlockSize];
      do {
        if (read_full(ext, kBlockSize) < kBlockSize)
          corrupt("truncated GNU sparse header " + at(offset_));
      } while (ext[kGnuExtIsExtended] != 0);
    }
    if (e.type == TarEntry::Type::dir)
      while (e.path.size() > 1 && e.path.back() == '/')
        e.path.pop_back();

    // POSIX: links, devices, fifos and directories have no data, whatever size says.
    e.size = header_only ? 0 : size;
    remaining_ = e.size;
    padding_ = padding_for(e.size);
    current_ = e.path;
    return e;
  }
}

} // namespace berth::layer
