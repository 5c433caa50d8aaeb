// COPY/ADD --chmod as BuildKit reads it: an octal mode (0 to 07777), or a symbolic one
// as chmod(1) and BSD's setmode take it ("u+x", "go-w", "a=rX", "g=u", comma-separated
// clauses; no "who" means all, the umask being 0), applied to each copied entry's own
// mode (fsutil's ModeStr).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace berth::ops::copy_detail {

class Chmod {
public:
  // nullopt for ""; Error(invalid_argument) with BuildKit's message for anything else that
  // is neither form.
  static std::optional<Chmod> parse(const std::string &s);

  // The mode (permission, setuid, setgid and sticky bits) a copied entry gets, from its
  // source's st_mode.
  mode_t for_entry(mode_t source_mode) const;
  // The mode of a directory the step creates that copies nothing (a missing parent, the
  // destination of several sources): the octal mode; 0755 for a symbolic one, as fsutil's
  // MkdirAll makes them then.
  mode_t for_created_dir() const;

  struct Action {
    mode_t who = 0;     // the bits the clause may touch
    char op = '+';      // '+', '-' or '='
    mode_t perm = 0;    // r, w, x, s, t as bits of every class (masked by who when applied)
    bool x_if = false;  // X: execute when a directory or already executable
    char copy_from = 0; // 'u', 'g' or 'o': the perm is that class's current bits
  };

private:
  std::optional<mode_t> octal_;
  std::vector<Action> actions_;
};

} // namespace berth::ops::copy_detail
