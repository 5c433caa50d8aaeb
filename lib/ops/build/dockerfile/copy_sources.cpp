// Sources of a COPY/ADD step as items to copy: literal paths and glob matches resolved
// in the source root (fsutil's ResolveWildcards), URLs, heredocs.
#include "ops/build/dockerfile/add_url.hpp"
#include "ops/build/dockerfile/copy_glob.hpp"
#include "ops/build/dockerfile/copy_step_impl.hpp"

#include "dockerfile/ignore.hpp"

#include <berth/error.hpp>

#include <dirent.h>

#include <algorithm>
#include <memory>

namespace berth::ops::copy_detail {

using dockerfile::clean_path;

void Step::glob(const std::string &src, std::vector<Item> &out) const {
  // fsutil's splitWildcards: the components before the first one with a wildcard are
  // resolved (symlinks followed), the rest is matched below them.
  auto parts = split_path(clean_path("/" + src));
  std::string fixed, pattern;
  std::size_t depth = 0;
  bool found = false;
  for (const auto &p : parts) {
    if (!found && has_wildcards(p)) found = true;
    if (found)
      pattern = join_rel(pattern, p), ++depth;
    else
      fixed = join_rel(fixed, p);
  }
  std::string base = src_.resolve(fixed, true);
  auto base_node = src_.lookup(base);
  // BuildKit walks the fixed part: a missing one fails the step, even beside other
  // sources that match (a file there just matches nothing).
  if (!base_node)
    throw Error(Errc::not_found, verb() + " source \"" + src + "\": \"/" + base + "\" not found");
  if (!S_ISDIR(base_node->st.st_mode)) return;
  // Breadth by depth: only entries `depth` components down can match, as * never
  // matches "/". A matched directory is not descended (filepath.SkipDir).
  std::vector<std::string> level{""};
  for (std::size_t d = 1; d <= depth; ++d) {
    std::vector<std::string> next;
    for (const auto &dir : level) {
      std::string host = src_.host(join_rel(base, dir));
      std::unique_ptr<DIR, int (*)(DIR *)> dp(::opendir(host.c_str()), ::closedir);
      if (!dp) continue;
      std::vector<std::string> names;
      while (auto *e = ::readdir(dp.get())) {
        std::string n = e->d_name;
        if (n != "." && n != "..") names.push_back(n);
      }
      std::sort(names.begin(), names.end());
      for (const auto &n : names) {
        std::string rel = join_rel(dir, n);
        std::string full = join_rel(base, rel);
        auto node = src_.lookup(full);
        if (!node) continue;
        if (d == depth) {
          // --exclude also drops matches (as BuildKit documents: COPY --exclude=*.txt hom*).
          if (glob_match(pattern, rel) && !(excludes_ && excludes_->matches(full))) {
            // A match is followed within the root; a link to nothing is a missing source.
            std::string followed = src_.resolve(full, true);
            if (!src_.lookup(followed))
              throw Error(Errc::not_found, verb() + " source \"/" + full + "\" (matched by \"" +
                                               src + "\"): it resolves to \"/" + followed +
                                               "\", which is not found");
            out.push_back({full, std::move(followed), nullptr, {}, {}});
          }
        } else if (S_ISDIR(node->st.st_mode)) {
          next.push_back(rel);
        }
      }
    }
    level = std::move(next);
  }
}

std::vector<Item> Step::expand_sources() const {
  std::vector<Item> items;
  for (const auto &s : req_.sources) {
    const std::size_t first = items.size();
    expand_source(s, items);
    // COPY --parents keeps each match's path below a "/./" in its source, else all of it.
    if (req_.parents) {
      auto pv = s.find("/./");
      const std::string pivot = pv == std::string::npos ? std::string() : root_rel(s.substr(0, pv));
      for (std::size_t i = first; i < items.size(); ++i)
        items[i].pivot = pivot;
    }
  }
  for (const auto &c : req_.contents)
    items.push_back({c.path, c.path, &c, {}, {}});
  return items;
}

// One source: a URL, the matches of a glob, or a path in the root.
void Step::expand_source(const std::string &s, std::vector<Item> &items) const {
  if (is_url(s)) {
    if (!req_.http)
      throw Error(Errc::unsupported, "ADD " + s +
                                         ": URL sources need an HTTP client, which this "
                                         "build has none of");
    items.push_back({url_file_name(s), {}, nullptr, s, {}});
    return;
  }
  if (!req_.checksum.empty())
    throw Error(Errc::invalid_argument, "checksum requires HTTP(S) or Git sources");
  if (has_wildcards(s)) {
    glob(s, items); // matching nothing is fine (BuildKit's AllowEmptyWildcard)
    return;
  }
  std::string rel = root_rel(s);
  std::string followed = src_.resolve(rel, true);
  if (!src_.lookup(followed))
    throw Error(Errc::not_found,
                verb() + " source \"/" + rel + "\": not found" +
                    (rel != followed ? " (it resolves to \"/" + followed + "\")" : std::string()));
  items.push_back({rel, followed, nullptr, {}, {}});
}

} // namespace berth::ops::copy_detail
