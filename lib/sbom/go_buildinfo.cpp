#include "sbom/go_buildinfo.hpp"

#include "sbom/purl.hpp"

#include <cstring>

namespace berth::sbom {

namespace {

constexpr std::string_view kMagic("\xff Go buildinf:", 14);
constexpr std::size_t kHeader = 32;
constexpr unsigned char kFlagsVersionInline = 0x2;
// runtime/debug wraps modinfo in 16-byte sentinels so the linker can find it.
constexpr std::size_t kSentinel = 16;

// Longest Go version string read ("go1.22.1 X:boringcrypto" is the long kind).
constexpr std::size_t kMaxVersion = 512;

// One uvarint-prefixed string at `pos`, at most `max` bytes (invalid beyond). need_more
// when the bytes stop first.
GoParse read_string(std::string_view b, std::size_t &pos, std::string &out, std::size_t max) {
  std::uint64_t n = 0;
  for (int shift = 0;; shift += 7) {
    if (pos >= b.size()) return GoParse::need_more;
    if (shift > 63) return GoParse::invalid;
    auto c = static_cast<unsigned char>(b[pos++]);
    n |= static_cast<std::uint64_t>(c & 0x7f) << shift;
    if (!(c & 0x80)) break;
  }
  if (n > max) return GoParse::invalid;
  if (b.size() - pos < n) return GoParse::need_more;
  out.assign(b.substr(pos, n));
  pos += n;
  return GoParse::ok;
}

std::vector<std::string_view> split_tabs(std::string_view line) {
  std::vector<std::string_view> out;
  while (true) {
    auto t = line.find('\t');
    out.push_back(line.substr(0, t));
    if (t == std::string_view::npos) break;
    line.remove_prefix(t + 1);
  }
  return out;
}

GoModule module_of(const std::vector<std::string_view> &f) {
  GoModule m;
  if (f.size() > 1) m.path = f[1];
  if (f.size() > 2) m.version = f[2];
  if (f.size() > 3) m.sum = f[3];
  return m;
}

bool plausible(std::string_view s) {
  if (s.empty() || s.size() > 512) return false;
  for (unsigned char c : s)
    if (c <= ' ' || c >= 0x7f) return false;
  return true;
}

} // namespace

GoBuildInfo parse_go_modinfo(std::string_view mod) {
  GoBuildInfo info;
  GoModule *last = nullptr;
  while (!mod.empty()) {
    auto nl = mod.find('\n');
    auto line = mod.substr(0, nl);
    mod.remove_prefix(nl == std::string_view::npos ? mod.size() : nl + 1);
    auto f = split_tabs(line);
    if (f[0] == "path" && f.size() > 1) {
      info.path = f[1];
    } else if (f[0] == "mod") {
      info.main = module_of(f);
      last = &info.main;
    } else if (f[0] == "dep") {
      if (info.deps.size() >= kMaxGoDeps) {
        last = nullptr; // and its "=>" line, if any, with it
        continue;
      }
      info.deps.push_back(module_of(f));
      last = &info.deps.back();
    } else if (f[0] == "=>" && last) {
      *last = module_of(f); // the replacement is what was built
      last = nullptr;
    }
  }
  return info;
}

GoParse parse_go_buildinfo(std::string_view b, GoBuildInfo &out) {
  if (b.size() < kHeader) return GoParse::need_more;
  if (b.substr(0, kMagic.size()) != kMagic) return GoParse::invalid;
  auto ptr_size = static_cast<unsigned char>(b[14]);
  auto flags = static_cast<unsigned char>(b[15]);
  if (ptr_size != 4 && ptr_size != 8) return GoParse::invalid;
  // Before Go 1.18 the header held pointers into the data segment: reading them needs
  // the program headers, which a streamed file has already passed.
  if (!(flags & kFlagsVersionInline)) return GoParse::invalid;
  std::size_t pos = kHeader;
  std::string version, mod;
  // The version is checked before the module text is waited for: a header claiming a
  // huge or bogus version is rejected at once, so the scanner never captures megabytes
  // only to give up and rescan them (quadratic on a file of such headers).
  if (auto r = read_string(b, pos, version, kMaxVersion); r != GoParse::ok) return r;
  if (version.rfind("go", 0) != 0 || !plausible(version)) return GoParse::invalid;
  if (auto r = read_string(b, pos, mod, GoBuildInfoScanner::kMaxBlob); r != GoParse::ok) return r;
  // As debug/buildinfo: strip the sentinels when the text ends in a newline.
  if (mod.size() >= 2 * kSentinel + 1 && mod[mod.size() - kSentinel - 1] == '\n')
    mod = mod.substr(kSentinel, mod.size() - 2 * kSentinel);
  else
    mod.clear();
  out = parse_go_modinfo(mod);
  out.go_version = version;
  return GoParse::ok;
}

void GoBuildInfoScanner::update(const char *data, std::size_t len) {
  std::string_view chunk(data, len);
  if (done_ || len == 0) {
    offset_ += len;
    return;
  }
  if (capturing_) {
    blob_.append(chunk);
    offset_ += len;
    switch (try_parse(blob_)) {
    case GoParse::ok: return;
    case GoParse::need_more:
      if (blob_.size() > kMaxBlob + kHeader + 20) {
        capturing_ = false;
        done_ = true;
        problem_ = "Go build info larger than " + std::to_string(kMaxBlob) + " bytes, skipped";
        blob_.clear();
      }
      return;
    case GoParse::invalid: {
      // Not a header after all: look on past that magic.
      capturing_ = false;
      std::string window = std::move(blob_);
      blob_.clear();
      scan(window, blob_start_, 1);
      return;
    }
    }
    return;
  }
  std::string window = tail_;
  window.append(chunk);
  auto start = offset_ - tail_.size();
  offset_ += len;
  scan(window, start, 0);
}

GoParse GoBuildInfoScanner::try_parse(std::string_view blob) {
  GoBuildInfo info;
  auto r = parse_go_buildinfo(blob, info);
  if (r == GoParse::ok) {
    found_ = std::move(info);
    done_ = true;
    capturing_ = false;
    blob_.clear();
  } else if (r == GoParse::invalid && blob.size() > 15 &&
             !(static_cast<unsigned char>(blob[15]) & 0x2)) {
    problem_ = "Go build info in the pre-1.18 format, which berth does not read";
  }
  return r;
}

void GoBuildInfoScanner::scan(std::string_view window, std::uint64_t start, std::size_t from) {
  // The section is 16-byte aligned in the file (its address is, and file offsets of
  // loaded sections are congruent to their addresses); debug/buildinfo checks the
  // same alignment, which keeps a stray copy of the magic in rodata from matching.
  while (true) {
    auto at = window.find(kMagic, from);
    if (at == std::string_view::npos) break;
    from = at + 1;
    if ((start + at) % 16 != 0) continue;
    // Parsed in place: only a header that needs the next chunk is copied.
    auto r = try_parse(window.substr(at));
    if (r == GoParse::ok) return;
    if (r == GoParse::need_more) {
      capturing_ = true;
      blob_.assign(window.substr(at));
      blob_start_ = start + at;
      tail_.clear();
      return;
    }
  }
  auto keep = std::min(window.size(), kMagic.size() - 1);
  tail_.assign(window.substr(window.size() - keep));
}

std::optional<GoBuildInfo> GoBuildInfoScanner::finish() {
  if (capturing_ && !found_) problem_ = "Go build info cut short (truncated file?)";
  return found_;
}

std::vector<Package> go_packages(const GoBuildInfo &info, const std::string &path) {
  std::vector<Package> out;
  auto add = [&](const GoModule &m, bool main) {
    if (!plausible(m.path)) return;
    Package p;
    p.ecosystem = "golang";
    p.name = m.path;
    // "(devel)": built from a work tree, no module version to name.
    p.version = m.version == "(devel)" || !plausible(m.version) ? "" : m.version;
    p.found_in = path;
    auto slash = m.path.rfind('/');
    auto ns =
        slash == std::string::npos ? std::string_view{} : std::string_view(m.path).substr(0, slash);
    auto name = slash == std::string::npos ? m.path : m.path.substr(slash + 1);
    p.purl = make_purl("golang", ns, name, p.version);
    if (main) p.source = info.go_version; // shown as the package's build toolchain
    out.push_back(std::move(p));
  };
  add(info.main, true);
  for (const auto &d : info.deps)
    add(d, false);
  // The standard library linked in, as "stdlib" at the toolchain's version (syft's
  // convention, which vulnerability scanners match Go advisories against). A binary
  // of the Go distribution itself (cmd/go) has no module but still has this.
  if (info.go_version.rfind("go", 0) == 0 && plausible(info.go_version)) {
    Package p;
    p.ecosystem = "golang";
    p.name = "stdlib";
    p.version = info.go_version;
    p.found_in = path;
    p.purl = make_purl("golang", "", "stdlib", info.go_version.substr(2));
    out.push_back(std::move(p));
  }
  return out;
}

} // namespace berth::sbom
