// Progress totals that are right or absent: the CLI's bar line (cli/progress_bar),
// the reporter's unknown totals (ops/progress_reporter) and what build_image
// reports while its layers stream (their size is known only at the end).
#include <doctest/doctest.h>

#include <berth/build.hpp>
#include <berth/error.hpp>

#include "cli/progress_bar.hpp"
#include "ops/transfer/progress_reporter.hpp"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using berth::Progress;
using berth::cli::render_bar;

namespace {

Progress event(Progress::Event e, std::uint64_t bytes, std::uint64_t total,
               std::string digest =
                   "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef") {
  Progress p;
  p.event = e;
  p.digest = std::move(digest);
  p.bytes = p.overall_bytes = bytes;
  p.total = p.overall_total = total;
  return p;
}

constexpr std::uint64_t MiB = 1024 * 1024;

bool contains(const std::string &s, const std::string &part) {
  return s.find(part) != std::string::npos;
}

} // namespace

TEST_CASE("progress bar: a known total gives bar, percentage, bytes / total, rate, event") {
  auto line = render_bar(event(Progress::Event::blob_done, 1 * MiB, 2 * MiB), 120, 512 * 1024);
  CHECK(line == "[###############...............]  50.0%  1.0 MiB / 2.0 MiB  512.0 KiB/s  ETA 2s  "
                "copied sha256:0123456789ab");
  // Rounded down: not 100% before the last byte.
  auto almost = render_bar(event(Progress::Event::blob_progress, 2 * MiB - 1, 2 * MiB), 120, 0);
  CHECK(contains(almost, " 99.9%"));
  CHECK_FALSE(contains(almost, "/s")); // no rate known yet
  CHECK(contains(render_bar(event(Progress::Event::manifest_done, 2 * MiB, 2 * MiB), 120, 1),
                 "[##############################] 100.0%"));
}

TEST_CASE("progress bar: an unknown total shows bytes and rate, no total, no percentage") {
  // What `berth build` used to show on a terminal: "2.9 MiB / 0 B".
  auto building = event(Progress::Event::blob_progress, 3 * MiB - 100 * 1024, 0, "");
  auto line = render_bar(building, 120, 1.5 * MiB);
  CHECK(line == "2.9 MiB  1.5 MiB/s  building");
  CHECK_FALSE(contains(line, "/ "));
  CHECK_FALSE(contains(line, "%"));
  CHECK_FALSE(contains(line, "["));
  // Bytes beyond the total: that total is wrong, so it is not shown either.
  auto over = render_bar(event(Progress::Event::blob_done, 5 * MiB, 3 * MiB), 120, 0);
  CHECK(over == "5.0 MiB  copied sha256:0123456789ab");
  // Nothing moved and nothing to move (a re-run): no fake 100% either.
  CHECK(render_bar(event(Progress::Event::manifest_done, 0, 0), 80, 0) ==
        "0 B  manifest written sha256:0123456789ab");
}

TEST_CASE("progress bar: the line fits the width, dropping the least useful parts first") {
  auto p = event(Progress::Event::blob_progress, 700 * 1024, 2 * MiB);
  for (std::size_t w = 0; w <= 130; ++w) {
    CAPTURE(w);
    auto line = render_bar(p, w, 3 * MiB);
    CHECK(line.size() <= w);
  }
  auto wide = render_bar(p, 120, 3 * MiB);
  CHECK(contains(wide, "0123456789ab"));
  auto medium = render_bar(p, 60, 3 * MiB); // the digest goes, the bar stays
  CHECK_FALSE(contains(medium, "0123456789ab"));
  CHECK(contains(medium, "["));
  CHECK(contains(medium, "34.1%  700.0 KiB / 2.0 MiB"));
  auto narrow = render_bar(p, 30, 3 * MiB); // no room for a bar: the numbers
  CHECK(narrow == " 34.1%  700.0 KiB / 2.0 MiB");
  CHECK(render_bar(p, 10, 0) == " 34.1%  70");
}

TEST_CASE("progress bar: words a user knows, never internal event names (issue 24)") {
  using berth::cli::kPulling;
  using berth::cli::kPushing;
  auto moving = event(Progress::Event::blob_progress, 1 * MiB, 4 * MiB);
  auto pulling = render_bar(moving, 160, MiB, kPulling);
  CHECK(contains(pulling, "pulling sha256:0123456789ab"));
  CHECK_FALSE(contains(pulling, "progress"));
  CHECK(contains(render_bar(event(Progress::Event::blob_done, MiB, 4 * MiB), 160, 0, kPushing),
                 "pushed sha256:0123456789ab"));
  CHECK(contains(render_bar(event(Progress::Event::blob_skipped, MiB, 4 * MiB), 160, 0),
                 "already there sha256:"));
  CHECK_FALSE(
      contains(render_bar(event(Progress::Event::blob_skipped, MiB, 4 * MiB), 160, 0), "exists"));
  CHECK(berth::cli::event_name(Progress::Event::blob_done) == std::string("blob_done"));
  CHECK(berth::cli::event_name(Progress::Event::manifest_done) == std::string("manifest_done"));
}

TEST_CASE("progress rate: over the recent window, not an average since the start") {
  using Clock = std::chrono::steady_clock;
  using namespace std::chrono_literals;
  berth::cli::RateMeter meter(5s);
  const auto t0 = Clock::time_point{} + 1h;
  CHECK(meter.rate(t0) == 0);
  // 30 s at 1 MiB/s, then 10 s at 10 MiB/s: the average since the start is 3.25
  // MiB/s, the last 5 s moved at 10.
  std::uint64_t bytes = 0;
  auto t = t0;
  for (int i = 0; i < 300; ++i, t += 100ms)
    meter.add(t, bytes += MiB / 10);
  CHECK(meter.rate(t) == doctest::Approx(1.0 * MiB).epsilon(0.05));
  for (int i = 0; i < 100; ++i, t += 100ms)
    meter.add(t, bytes += MiB);
  CHECK(meter.rate(t) == doctest::Approx(10.0 * MiB).epsilon(0.05));
  // Samples closer than 100 ms do not crowd the window out.
  for (int i = 0; i < 1000; ++i, t += 1ms)
    meter.add(t, bytes += MiB / 100);
  CHECK(meter.rate(t) == doctest::Approx(10.0 * MiB).epsilon(0.05));
  // A stall brings it down: nothing for 4 s.
  CHECK(meter.rate(t + 4s) < 3.0 * MiB);
  // Too short a window is no rate at all.
  berth::cli::RateMeter fresh;
  fresh.add(t0, 0);
  fresh.add(t0 + 100ms, MiB);
  CHECK(fresh.rate(t0 + 100ms) == 0);
}

TEST_CASE("progress ETA: what is left at the recent rate, only with a known total") {
  using berth::cli::eta_seconds;
  using berth::cli::format_eta;
  auto p = event(Progress::Event::blob_progress, 10 * MiB, 100 * MiB);
  CHECK(eta_seconds(p, 1.0 * MiB) == doctest::Approx(90));
  CHECK(eta_seconds(p, 0) < 0);
  CHECK(eta_seconds(event(Progress::Event::blob_progress, MiB, 0), MiB) < 0);
  CHECK(format_eta(7) == "7s");
  CHECK(format_eta(6.2) == "7s");
  CHECK(format_eta(65) == "1m05s");
  CHECK(format_eta(2 * 3600 + 3 * 60) == "2h03m");
  CHECK(format_eta(-1).empty());
}

TEST_CASE("progress heartbeat: bytes so far of the total, rate and ETA in one line") {
  using berth::cli::heartbeat_line;
  auto p = event(Progress::Event::blob_progress, 112 * MiB, 210 * MiB);
  CHECK(heartbeat_line(p, 14 * MiB, berth::cli::kPulling) ==
        "pulling: 112.0 MiB / 210.0 MiB (53.3%), 14.0 MiB/s, ETA 7s");
  CHECK(heartbeat_line(p, 0, berth::cli::kPulling) == "pulling: 112.0 MiB / 210.0 MiB (53.3%)");
  auto building = event(Progress::Event::blob_progress, 3 * MiB, 0, "");
  CHECK(heartbeat_line(building, MiB, berth::cli::kWriting) == "building: 3.0 MiB, 1.0 MiB/s");
}

TEST_CASE("human_bytes") {
  using berth::cli::human_bytes;
  CHECK(human_bytes(0) == "0 B");
  CHECK(human_bytes(1023) == "1023 B");
  CHECK(human_bytes(1024) == "1.0 KiB");
  CHECK(human_bytes(3 * MiB - 100 * 1024) == "2.9 MiB");
  CHECK(human_bytes(5ull << 40) == "5.0 TiB");
}

TEST_CASE("progress reporter: the overall total is 0 (unknown) while an unsized item is open") {
  std::vector<Progress> seen;
  berth::ops::ProgressReporter r([&](const Progress &p) {
    seen.push_back(p);
    return false;
  });
  r.add_total(100);
  r.item(Progress::Event::blob_done, "sha256:a", 100, 100, 100);
  CHECK(seen.back().overall_total == 100);
  {
    berth::ops::ProgressReporter::Unsized item(r);
    r.item(Progress::Event::blob_progress, "", 40, 0, 40);
    CHECK(seen.back().overall_bytes == 140);
    CHECK(seen.back().overall_total == 0);
    item.end(50);
  }
  r.item(Progress::Event::blob_done, "sha256:b", 50, 50, 10);
  CHECK(seen.back().overall_bytes == 150);
  CHECK(seen.back().overall_total == 150);
  {
    berth::ops::ProgressReporter::Unsized abandoned(r); // a failed build adds nothing
  }
  r.item(Progress::Event::manifest_done, "sha256:m", 1, 1, 0);
  CHECK(seen.back().overall_total == 150);
}

namespace {

struct BuildDir {
  fs::path path;
  BuildDir() {
    std::string tmpl = (fs::temp_directory_path() / "berth-progress-test-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path = tmpl;
    fs::create_directories(path / "tree");
    // Random bytes do not compress: the layer is about 1 MiB, several reports.
    std::mt19937_64 rng(42);
    std::string data(1 << 20, '\0');
    for (auto &c : data)
      c = static_cast<char>(rng());
    std::ofstream(path / "tree" / "data.bin", std::ios::binary) << data;
  }
  ~BuildDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

} // namespace

TEST_CASE("build progress: totals are right or absent, and the last one is complete") {
  BuildDir dir;
  for (bool cache : {false, true}) {
    CAPTURE(cache);
    std::vector<Progress> seen;
    berth::BuildOptions o;
    o.layers = {(dir.path / "tree").string()};
    o.output = "oci:" + (dir.path / (cache ? "cached" : "plain")).string() + ":v1";
    if (cache) o.cache_dir = (dir.path / "cache").string();
    o.progress = [&](const Progress &p) {
      seen.push_back(p);
      return false;
    };
    auto r = berth::build_image(o);
    REQUIRE_FALSE(seen.empty());
    int streaming = 0;
    for (const auto &p : seen) {
      // Never a total the bytes have passed.
      if (p.overall_total != 0) CHECK(p.overall_bytes <= p.overall_total);
      if (p.event == Progress::Event::blob_progress && p.digest.empty()) {
        ++streaming;
        CHECK(p.total == 0);
        CHECK(p.overall_total == 0); // the layer's size is not known yet
      }
    }
    CHECK(streaming >= 2);
    // Once the layer is done its size is part of the total, and it all moved.
    const auto &last = seen.back();
    CHECK(last.event == Progress::Event::manifest_done);
    CHECK(last.digest == r.digest);
    CHECK(last.overall_total > 0);
    CHECK(last.overall_bytes == last.overall_total);
    CHECK(last.overall_total >= r.layers.at(0).size);
  }
}

TEST_CASE("build progress: a callback can cancel while a layer streams") {
  BuildDir dir;
  berth::BuildOptions o;
  o.layers = {(dir.path / "tree").string()};
  o.output = "oci:" + (dir.path / "out").string() + ":v1";
  o.progress = [](const Progress &p) { return p.event == Progress::Event::blob_progress; };
  try {
    berth::build_image(o);
    FAIL("the build was not cancelled");
  } catch (const berth::Error &e) {
    CHECK(e.code() == berth::Errc::cancelled);
  }
  // Nothing was tagged.
  std::ifstream in(dir.path / "out" / "index.json");
  std::string index((std::istreambuf_iterator<char>(in)), {});
  CHECK_FALSE(contains(index, "\"v1\""));
}
