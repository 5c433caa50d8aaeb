#include "cli/suggest.hpp"

#include "cli/options.hpp"

#include "core/untrusted_text.hpp"

#include <algorithm>
#include <cstdio>

namespace berth::cli {
namespace {

std::size_t distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i)
    d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j)
    d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i)
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.size()][b.size()];
}

} // namespace

std::string closest(std::string_view typed, const std::vector<std::string> &candidates) {
  std::string best;
  std::size_t best_d = 3;
  for (const auto &c : candidates) {
    const auto d = distance(typed, c);
    if (d < best_d && d * 3 <= std::max(typed.size(), c.size())) best = c, best_d = d;
  }
  return best;
}

std::string did_you_mean(std::string_view typed, const std::vector<std::string> &candidates) {
  auto c = closest(typed, candidates);
  return c.empty() ? std::string() : "; did you mean '" + c + "'?";
}

void print_usage_error(const std::string &who, const std::string &message,
                       const CommandHelp &help) {
  std::string synopsis = help.text ? help.text : "";
  synopsis = synopsis.substr(0, synopsis.find("\n\n"));
  if (!synopsis.empty() && synopsis.back() != '\n') synopsis += '\n';
  std::fprintf(stderr, "%s: %s\n%ssee '%s --help'\n", who.c_str(), core::printable(message).c_str(),
               synopsis.c_str(), who.c_str());
}

} // namespace berth::cli
