// One line of the terminal progress bar, as a pure function of a progress event, so
// that what the bar claims can be tested without a terminal.
#pragma once

#include <berth/progress.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

namespace berth::cli {

// "1.5 MiB" style, binary units.
std::string human_bytes(std::uint64_t n);
// "copied", "exists", ...: what an event did, as the CLI prints it.
const char *event_label(Progress::Event e);
// The first 12 hex digits of "sha256:<hex>" ("" stays "").
std::string short_digest(const std::string &digest);

// The bar line for `p`: at most `width` columns (ASCII only, so bytes are columns),
// without the "\r" and clearing a terminal needs. With a known overall total:
//   [##########..........]  50.0%  1.0 MiB / 2.0 MiB  512.0 KiB/s  copied 0123456789ab
// With an unknown one (overall_total 0 — a layer being built — or exceeded by the
// bytes) there is no bar, percentage or "/ total", only what is known:
//   1.0 MiB  512.0 KiB/s  progress
// bytes_per_second <= 0 leaves the rate out. When the line does not fit, the digest
// goes first, then the event name, then the rate, then the bar shrinks (to 10) and
// goes; what is still too long is cut at `width`. Bytes of no digest and no size
// (a layer being built) are labelled "building".
std::string render_bar(const Progress &p, std::size_t width, double bytes_per_second);

} // namespace berth::cli
