// AWS error replies: JSON bodies from ECR and the other JSON-protocol services, XML
// from STS and IAM (and moto), plain text from proxies — aws_error() turns each into
// a berth::Error. The x-amzn-ErrorType header counts as well.
#include <berth/error.hpp>

#include "aws/aws_error.hpp"
#include "fuzz_input.hpp"

#include <array>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  if (size == 0) return 0;
  constexpr std::array<int, 8> kStatuses = {400, 401, 403, 404, 429, 500, 503, 200};
  // First byte: the status; then the body, separator, the x-amzn-ErrorType value.
  auto parts = berth::fuzz::split(berth::fuzz::text(data + 1, size - 1), 2);
  berth::http::Response resp;
  resp.status = kStatuses[data[0] % kStatuses.size()];
  resp.body = std::string(parts[0]);
  if (parts.size() > 1) resp.headers.push_back({"x-amzn-ErrorType", std::string(parts[1])});
  auto e = berth::aws::aws_error(resp, "ecr:DescribeImages");
  (void)berth::errc_text(e.code());
  return 0;
}
