// "Did you mean" for mistyped commands and options: the closest name, when close.
#include <doctest/doctest.h>

#include "cli/suggest.hpp"

using berth::cli::closest;
using berth::cli::did_you_mean;

TEST_CASE("suggest: the closest command within two edits") {
  const std::vector<std::string> commands{"copy", "push", "pull", "build", "inspect", "logout"};
  CHECK(closest("pul", commands) == "pull");    // a letter missing
  CHECK(closest("buidl", commands) == "build"); // two letters swapped: one edit
  CHECK(closest("isnpect", commands) == "inspect");
  CHECK(closest("frobnicate", commands).empty()); // nothing close
  CHECK(closest("cp", commands).empty());         // 2 edits on 2 letters is no guess
  CHECK(did_you_mean("pusj", commands) == "; did you mean 'push'?");
  CHECK(did_you_mean("zzz", commands).empty());
}

TEST_CASE("suggest: options with their dashes") {
  const std::vector<std::string> options{"--json", "--quiet", "--jobs", "--tag"};
  CHECK(closest("--jsn", options) == "--json");
  CHECK(closest("--quite", options) == "--quiet");
  CHECK(closest("--nope", options).empty());
}
