// Registry error replies ({"errors":[{"code","message","detail"}]}, or whatever a
// proxy sends): registry_error() turns each into a berth::Error.
#include <berth/error.hpp>

#include "fuzz_input.hpp"
#include "registry/errors.hpp"

#include <array>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  if (size == 0) return 0;
  constexpr std::array<int, 9> kStatuses = {400, 401, 403, 404, 409, 413, 429, 500, 502};
  berth::http::Response resp;
  resp.status = kStatuses[data[0] % kStatuses.size()];
  resp.body = std::string(berth::fuzz::text(data + 1, size - 1));
  auto e = berth::registry::registry_error(resp, "GET manifest localhost:5000/app:1");
  (void)berth::errc_text(e.code());
  return 0;
}
