#include "ops/build/dockerfile/chmod_mode.hpp"

#include <berth/error.hpp>

#include <sys/stat.h>

#include <algorithm>

namespace berth::ops::copy_detail {
namespace {

constexpr mode_t kUser = S_ISUID | S_IRWXU;
constexpr mode_t kGroup = S_ISGID | S_IRWXG;
constexpr mode_t kOther = S_IRWXO;
constexpr mode_t kAll = kUser | kGroup | kOther; // not the sticky bit: only 't' adds it

std::string octal_error(const std::string &s) {
  return "invalid chmod parameter: '" + s + "'. it should be octal string and between 0 and 07777";
}

// One class's rwx bits (0..7) from `mode`.
mode_t class_bits(mode_t mode, char cls) {
  return cls == 'u' ? (mode >> 6) & 7 : cls == 'g' ? (mode >> 3) & 7 : mode & 7;
}

// rwx bits v (0..7) spread to every class.
mode_t in_every_class(mode_t v) {
  return (v << 6) | (v << 3) | v;
}

std::vector<Chmod::Action> parse_symbolic(const std::string &s) {
  const auto bad = [&] {
    return Error(Errc::invalid_argument,
                 "invalid chmod parameter: '" + s +
                     "': not an octal mode nor a symbolic one "
                     "([ugoa]*[-+=][rwxXst]* or [-+=][ugo], comma-separated)");
  };
  std::vector<Chmod::Action> out;
  std::size_t i = 0;
  for (;;) {
    mode_t who = 0;
    for (; i < s.size() && std::string_view("ugoa").find(s[i]) != std::string_view::npos; ++i)
      who |= s[i] == 'u' ? kUser : s[i] == 'g' ? kGroup : s[i] == 'o' ? kOther : kAll;
    const bool who_given = who != 0;
    if (!who_given) who = kAll;
    if (i == s.size() || std::string_view("+-=").find(s[i]) == std::string_view::npos) throw bad();
    while (i < s.size() && std::string_view("+-=").find(s[i]) != std::string_view::npos) {
      Chmod::Action a;
      a.op = s[i++];
      a.who = who;
      if (i < s.size() && std::string_view("ugo").find(s[i]) != std::string_view::npos) {
        a.copy_from = s[i++];
      } else {
        for (; i < s.size() && std::string_view("rwxXst").find(s[i]) != std::string_view::npos;
             ++i) {
          switch (s[i]) {
          case 'r': a.perm |= in_every_class(4); break;
          case 'w': a.perm |= in_every_class(2); break;
          case 'x': a.perm |= in_every_class(1); break;
          case 'X': a.x_if = true; break;
          case 's': a.perm |= S_ISUID | S_ISGID; break;
          case 't':
            // The sticky bit, unless the clause names only others (BSD setmode).
            if (!who_given || (who & ~kOther) != 0) {
              a.perm |= S_ISVTX;
              a.who |= S_ISVTX;
            }
            break;
          }
        }
      }
      out.push_back(a);
    }
    if (i == s.size()) break;
    if (s[i] != ',') throw bad();
    if (++i == s.size()) throw bad();
  }
  return out;
}

} // namespace

std::optional<Chmod> Chmod::parse(const std::string &s) {
  if (s.empty()) return std::nullopt;
  Chmod c;
  if (std::all_of(s.begin(), s.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
    unsigned long v = 0;
    for (char ch : s) {
      if (ch > '7') throw Error(Errc::invalid_argument, octal_error(s));
      v = v * 8 + static_cast<unsigned long>(ch - '0');
      if (v > 07777) throw Error(Errc::invalid_argument, octal_error(s));
    }
    c.octal_ = static_cast<mode_t>(v);
    return c;
  }
  c.actions_ = parse_symbolic(s);
  return c;
}

mode_t Chmod::for_entry(mode_t source_mode) const {
  if (octal_) return *octal_;
  const mode_t original = source_mode & 07777;
  const bool dir = S_ISDIR(source_mode);
  mode_t m = original;
  for (const auto &a : actions_) {
    mode_t bits = a.perm;
    if (a.copy_from) bits = in_every_class(class_bits(m, a.copy_from));
    // X looks at the mode the entry came with, not at what earlier clauses made of it;
    // taken away, it is x.
    if (a.x_if && (a.op == '-' || dir || (original & 0111) != 0)) bits |= in_every_class(1);
    bits &= a.who;
    if (a.op == '+') {
      m |= bits;
    } else if (a.op == '-') {
      m &= ~bits;
    } else {
      m = (m & ~(a.who & ~S_ISVTX)) | bits; // '=' keeps the sticky bit unless 't' is named
    }
  }
  return m;
}

mode_t Chmod::for_created_dir() const {
  return octal_ ? *octal_ : 0755;
}

} // namespace berth::ops::copy_detail
