// The JSON credentials the ECS agent and the instance metadata service serve
// (AccessKeyId, SecretAccessKey, Token, Expiration), read by credentials_from_json.
#include <berth/error.hpp>

#include "aws/credentials_json.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  try {
    auto doc = berth::core::json::parse(berth::fuzz::text(data, size), "ecs: credentials reply");
    (void)berth::aws::credentials_from_json(doc, "ecs");
  } catch (const berth::Error &) {
  }
  return 0;
}
