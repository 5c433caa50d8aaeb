// STS query-protocol replies (AssumeRole, AssumeRoleWithWebIdentity): the XML goes
// through parse_sts_credentials, expat underneath.
#include <berth/error.hpp>

#include "aws/sts.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  try {
    (void)berth::aws::parse_sts_credentials(std::string(berth::fuzz::text(data, size)),
                                            "assume role");
  } catch (const berth::Error &) {
  }
  return 0;
}
