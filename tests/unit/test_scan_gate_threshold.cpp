// --fail-on as a list: counted from the lowest severity it names, whatever the order.
// The CLI used to take the last one listed ("HIGH,CRITICAL" counted CRITICAL only),
// while its help says the lowest; the rule now lives in the library, for every front
// end.
#include <doctest/doctest.h>

#include <berth/ecr.hpp>
#include <berth/error.hpp>

using namespace berth;

TEST_CASE("scan gate: a fail-on list counts from its lowest severity") {
  CHECK(scan_gate_threshold("CRITICAL") == "CRITICAL");
  CHECK(scan_gate_threshold("CRITICAL,HIGH") == "HIGH");
  CHECK(scan_gate_threshold("HIGH,CRITICAL") == "HIGH");
  CHECK(scan_gate_threshold("medium, critical") == "MEDIUM");
  CHECK(scan_gate_threshold("LOW,HIGH,CRITICAL") == "LOW");
  CHECK(scan_gate_threshold("INFORMATIONAL,UNDEFINED") == "UNDEFINED");
  for (const char *bad : {"", ",", "SEVERE", "HIGH,,CRITICAL", "HIGH;LOW"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS((void)scan_gate_threshold(bad), Error);
  }
}
