// lib/core/split: comma lists split as written (empty items kept) and trimmed on demand.
#include <doctest/doctest.h>

#include "core/split.hpp"

using berth::core::split;
using berth::core::trim;

TEST_CASE("split: items as written, empty ones kept; trim") {
  CHECK(split("") == std::vector<std::string>{""});
  CHECK(split("a,b") == std::vector<std::string>{"a", "b"});
  CHECK(split("a,") == std::vector<std::string>{"a", ""});
  CHECK(split(" a , b") == std::vector<std::string>{" a ", " b"});
  CHECK(split("x;y", ';') == std::vector<std::string>{"x", "y"});
  CHECK(trim(" \ta b\t ") == "a b");
  CHECK(trim("  ") == "");
  CHECK(trim("\tx ", " ") == "\tx");
}
