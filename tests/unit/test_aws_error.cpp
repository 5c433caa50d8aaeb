// AWS error replies in every shape berth meets (JSON __type forms, XML ErrorResponse,
// moto's XML on the JSON API, plain text, HTML), the codes they map to, STS
// credential replies and ISO 8601 timestamps.
#include <doctest/doctest.h>

#include "aws/aws_error.hpp"
#include "aws/sts.hpp"
#include "core/time.hpp"

#include <berth/error.hpp>

#include <string>

using berth::Errc;
using berth::Error;
using namespace berth;

namespace {

http::Response reply(int status, std::string body, http::Headers headers = {}) {
  http::Response r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

} // namespace

TEST_CASE("aws error: JSON __type forms") {
  SUBCASE("plain code") {
    auto e = aws::aws_error(reply(400,
                                  R"({"__type":"RepositoryNotFoundException",)"
                                  R"("message":"The repository with name 'x' does not exist"})",
                                  {{"x-amzn-RequestId", "req-1"}}),
                            "ecr:DescribeRepositories");
    CHECK(e.code() == Errc::not_found);
    CHECK(e.aws_code() == "RepositoryNotFoundException");
    CHECK(e.http_status() == 400);
    CHECK(e.request_id() == "req-1");
    CHECK(std::string(e.what()) ==
          "ecr:DescribeRepositories: RepositoryNotFoundException: The repository with name 'x' "
          "does not exist (request id req-1)");
  }
  SUBCASE("namespace#Code") {
    auto e = aws::aws_error(
        reply(400, R"({"__type":"com.amazonaws.ecr#RepositoryAlreadyExistsException",)"
                   R"("message":"exists"})"),
        "ecr:CreateRepository");
    CHECK(e.code() == Errc::exists);
    CHECK(e.aws_code() == "RepositoryAlreadyExistsException");
    CHECK(std::string(e.what()) ==
          "ecr:CreateRepository: RepositoryAlreadyExistsException: exists");
  }
  SUBCASE("aws.protocoljson prefix, Message with a capital M") {
    auto e =
        aws::aws_error(reply(400, R"({"__type":"com.amazon.coral.service#AccessDeniedException",)"
                                  R"("Message":"User: arn:aws:iam::1:user/u is not authorized"})"),
                       "ecr:CreateRepository");
    CHECK(e.code() == Errc::denied);
    CHECK(e.aws_code() == "AccessDeniedException");
    CHECK(std::string(e.what()).find("is not authorized") != std::string::npos);
  }
  SUBCASE("code from x-amzn-ErrorType when the body has none") {
    auto e = aws::aws_error(
        reply(400, "{}",
              {{"x-amzn-ErrorType",
                "ThrottlingException:http://internal.amazon.com/coral/com.amazon.coral.service/"}}),
        "ecr:GetAuthorizationToken");
    CHECK(e.code() == Errc::throttled);
    CHECK(e.aws_code() == "ThrottlingException");
  }
  SUBCASE("the auth family") {
    for (const char *code :
         {"UnrecognizedClientException", "InvalidSignatureException", "ExpiredTokenException",
          "com.amazonaws.ecr#UnrecognizedClientException"}) {
      CAPTURE(code);
      auto e = aws::aws_error(reply(400, std::string(R"({"__type":")") + code + R"("})"), "ecr:X");
      CHECK(e.code() == Errc::auth);
      CHECK(std::string(e.what()).find("ecr:X: ") == 0);
    }
  }
}

TEST_CASE("aws error: awsJson1_1 error codes as the Smithy protocol tests write them") {
  // aws-protocol-tests, awsJson1_1 errors: the code is before the first ':' and after
  // the '#', whether it comes in x-amzn-ErrorType, "__type" or "code".
  const std::string uri = ":http://internal.amazon.com/coral/com.amazon.coral.validate/";
  struct Case {
    http::Headers headers;
    std::string body;
  };
  const Case cases[] = {
      {{{"X-Amzn-Errortype", "FooError"}}, "{}"},
      {{{"X-Amzn-Errortype", "FooError" + uri}}, "{}"},
      {{{"X-Amzn-Errortype", "aws.protocoltests.restjson#FooError" + uri}}, "{}"},
      {{}, R"({"code":"FooError"})"},
      {{}, R"({"code":"aws.protocoltests.json#FooError"})"},
      {{}, R"({"code":"aws.protocoltests.json#FooError)" + uri + R"("})"},
      {{}, R"({"__type":"FooError"})"},
      {{}, R"({"__type":"aws.protocoltests.json#FooError"})"},
      {{}, R"({"__type":"aws.protocoltests.json#FooError)" + uri + R"("})"},
  };
  for (const auto &c : cases) {
    CAPTURE(c.body);
    auto e = aws::aws_error(reply(400, c.body, c.headers), "x:Op");
    CHECK(e.aws_code() == "FooError");
    CHECK(std::string(e.what()) == "x:Op: FooError");
  }
  auto e = aws::aws_error(reply(400, R"({"__type":"com.amazon.coral.validate#ValidationException)" +
                                         uri + R"(","message":"1 validation error detected"})"),
                          "ecr:PutImage");
  CHECK(e.code() == Errc::invalid_argument);
  CHECK(std::string(e.what()) == "ecr:PutImage: ValidationException: 1 validation error detected");
}

TEST_CASE("aws error: XML replies") {
  SUBCASE("STS ErrorResponse with RequestId") {
    auto e = aws::aws_error(
        reply(403, R"(<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error>
    <Type>Sender</Type>
    <Code>AccessDenied</Code>
    <Message>User: arn:aws:iam::123456789012:user/u is not authorized to perform: sts:AssumeRole</Message>
  </Error>
  <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>
</ErrorResponse>)"),
        "sts:AssumeRole");
    CHECK(e.code() == Errc::denied);
    CHECK(e.aws_code() == "AccessDenied");
    CHECK(e.request_id() == "c6104cbe-af31-11e0-8154-cbc7ccf896c7");
    CHECK(std::string(e.what()) ==
          "sts:AssumeRole: AccessDenied: User: arn:aws:iam::123456789012:user/u is not authorized "
          "to perform: sts:AssumeRole (request id c6104cbe-af31-11e0-8154-cbc7ccf896c7)");
  }
  SUBCASE("moto's IAM refusal on the JSON ECR API (XML, Errors wrapper, no request id)") {
    // Captured from moto 5.2 with INITIAL_NO_AUTH_ACTION_COUNT=0.
    auto e = aws::aws_error(
        reply(403,
              "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<ErrorResponse><Errors><Error><Code>"
              "SignatureDoesNotMatch</Code><Message>The request signature we calculated does not "
              "match the signature you provided. Check your AWS Secret Access Key and signing "
              "method. Consult the service documentation for details.</Message><Type>Sender</Type>"
              "</Error></Errors></ErrorResponse>",
              {{"x-amzn-requestid", "moto-req"}}),
        "ecr:GetAuthorizationToken");
    CHECK(e.code() == Errc::auth);
    CHECK(e.aws_code() == "SignatureDoesNotMatch");
    CHECK(e.request_id() == "moto-req");
    CHECK(std::string(e.what()).find("ecr:GetAuthorizationToken: SignatureDoesNotMatch: The "
                                     "request signature we calculated") == 0);
  }
  SUBCASE("moto's AccessDenied names the action") {
    auto e = aws::aws_error(
        reply(403, "<ErrorResponse><Errors><Error><Code>AccessDenied</Code><Message>User: "
                   "arn:aws:iam::123456789012:user/pull is not authorized to perform: "
                   "ecr:CreateRepository</Message></Error></Errors></ErrorResponse>"),
        "ecr:CreateRepository");
    CHECK(e.code() == Errc::denied);
    CHECK(std::string(e.what()).find("AccessDenied") != std::string::npos);
    CHECK(std::string(e.what()).find("ecr:CreateRepository") != std::string::npos);
  }
  SUBCASE("InvalidClientTokenId") {
    auto e = aws::aws_error(reply(403, "<ErrorResponse><Errors><Error><Code>InvalidClientTokenId"
                                       "</Code><Message>The security token included in the "
                                       "request is invalid.</Message></Error></Errors>"
                                       "</ErrorResponse>"),
                            "sts:GetCallerIdentity");
    CHECK(e.code() == Errc::auth);
  }
  SUBCASE("S3-style <Error> root with RequestID") {
    auto e = aws::aws_error(reply(404, "<Error><Code>NoSuchEntity</Code><Message>gone</Message>"
                                       "<RequestID>r-2</RequestID></Error>"),
                            "iam:GetRole");
    CHECK(e.code() == Errc::not_found);
    CHECK(e.request_id() == "r-2");
    CHECK(std::string(e.what()) == "iam:GetRole: NoSuchEntity: gone (request id r-2)");
  }
}

TEST_CASE("aws error: bodies that are not AWS errors") {
  SUBCASE("plain text (ECR's data plane, proxies)") {
    auto e = aws::aws_error(reply(403, "Your authorization token has expired.\n"), "ecr:X");
    CHECK(e.code() == Errc::denied);
    CHECK(e.aws_code().empty());
    CHECK(std::string(e.what()) == "ecr:X: HTTP 403: Your authorization token has expired.");
  }
  SUBCASE("HTML error page: the status decides, the text is bounded") {
    std::string html = "<!doctype html>\n<html lang=en><title>500 Internal Server Error</title>" +
                       std::string(1000, 'x') + "</html>";
    auto e = aws::aws_error(reply(500, html), "sts:AssumeRoleWithWebIdentity");
    CHECK(e.code() == Errc::server);
    CHECK(std::string(e.what()).find("sts:AssumeRoleWithWebIdentity: HTTP 500") == 0);
    CHECK(std::string(e.what()).size() < 400);
  }
  SUBCASE("malformed JSON") {
    auto e = aws::aws_error(reply(400, "{\"__type\": "), "ecr:X");
    CHECK(e.code() == Errc::invalid_argument);
    CHECK(std::string(e.what()).find("ecr:X: HTTP 400") == 0);
  }
  SUBCASE("empty bodies map by status") {
    CHECK(aws::aws_error(reply(401, ""), "x").code() == Errc::auth);
    CHECK(aws::aws_error(reply(403, ""), "x").code() == Errc::denied);
    CHECK(aws::aws_error(reply(404, ""), "x").code() == Errc::not_found);
    CHECK(aws::aws_error(reply(429, ""), "x").code() == Errc::throttled);
    CHECK(aws::aws_error(reply(503, ""), "x").code() == Errc::server);
    CHECK(aws::aws_error(reply(400, ""), "x").code() == Errc::invalid_argument);
    CHECK(std::string(aws::aws_error(reply(503, ""), "sts:X").what()) == "sts:X: HTTP 503");
  }
}

TEST_CASE("aws error: code table") {
  CHECK(aws::errc_for_aws_code("ImageNotFoundException", 400) == Errc::not_found);
  CHECK(aws::errc_for_aws_code("ImageTagAlreadyExistsException", 400) == Errc::exists);
  CHECK(aws::errc_for_aws_code("LayerPartTooSmallException", 400) == Errc::invalid_argument);
  CHECK(aws::errc_for_aws_code("LimitExceededException", 400) == Errc::too_large);
  CHECK(aws::errc_for_aws_code("RequestLimitExceeded", 400) == Errc::throttled);
  CHECK(aws::errc_for_aws_code("ServerException", 500) == Errc::server);
  CHECK(aws::errc_for_aws_code("InvalidIdentityToken", 400) == Errc::auth);
  CHECK(aws::errc_for_aws_code("ExpiredToken", 400) == Errc::auth);
  CHECK(aws::errc_for_aws_code("SomethingNew", 400) == Errc::invalid_argument);
  CHECK(aws::errc_for_aws_code("SomethingNew", 502) == Errc::server);
}

TEST_CASE("aws sts: credentials from AssumeRole* replies") {
  auto r = aws::parse_sts_credentials(
      R"(<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <Credentials>
      <SessionToken>FwoGZXIvYXdzEXAMPLE</SessionToken>
      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY</SecretAccessKey>
      <Expiration>2026-11-27T13:00:00Z</Expiration>
      <AccessKeyId>ASIAEXAMPLE</AccessKeyId>
    </Credentials>
  </AssumeRoleWithWebIdentityResult>
</AssumeRoleWithWebIdentityResponse>)",
      "web identity");
  CHECK(r.provider == "web identity");
  CHECK(r.credentials.access_key_id == "ASIAEXAMPLE");
  CHECK(r.credentials.secret_access_key == "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
  CHECK(r.credentials.session_token == "FwoGZXIvYXdzEXAMPLE");
  REQUIRE(r.expiration);
  CHECK(core::format_iso8601(*r.expiration) == "2026-11-27T13:00:00Z");

  for (const char *bad :
       {"<AssumeRoleResponse/>", "<R><Credentials><AccessKeyId>A</AccessKeyId></Credentials></R>",
        "not xml"}) {
    CAPTURE(bad);
    try {
      aws::parse_sts_credentials(bad, "assume role");
      FAIL("no error");
    } catch (const Error &e) {
      CHECK(e.code() == Errc::protocol);
    }
  }
}

TEST_CASE("iso 8601: the forms AWS writes") {
  using namespace std::chrono;
  auto base = core::parse_iso8601("2026-11-27T12:00:00Z");
  CHECK(duration_cast<seconds>(base.time_since_epoch()).count() == 1795780800);
  CHECK(core::parse_iso8601("2026-11-27T12:00:00.123Z") == base);
  CHECK(core::parse_iso8601("2026-11-27T12:00:00.123456789Z") == base);
  CHECK(core::parse_iso8601("2026-11-27T12:00:00z") == base);
  CHECK(core::parse_iso8601("2026-11-27T12:00:00+00:00") == base);
  CHECK(core::parse_iso8601("2026-11-27T12:00:00") == base); // no zone: UTC
  CHECK(core::parse_iso8601("2026-11-27T14:30:00+02:30") == base);
  CHECK(core::parse_iso8601("2026-11-27T07:00:00-05:00") == base);
  CHECK(core::parse_iso8601("2026-11-27T12:00:00.5-00:00") == base);
  CHECK(core::parse_iso8601("2024-02-29T00:00:00Z") ==
        core::parse_iso8601("2024-02-28T00:00:00Z") + hours(24));
  CHECK(core::format_iso8601(base) == "2026-11-27T12:00:00Z");
  CHECK(core::format_iso8601(core::parse_iso8601("1970-01-01T00:00:00Z")) ==
        "1970-01-01T00:00:00Z");

  for (const char *bad :
       {"", "yesterday", "2026-11-27", "2026-11-27 12:00:00Z", "2026-11-27T12:00Z",
        "2026-11-27T12:00:00+0200", "2026-11-27T12:00:00 Z", "2026-11-27T12:00:00UTC",
        "2026-11-27T12:00:00+02:00junk", "1795780800"}) {
    CAPTURE(bad);
    try {
      core::parse_iso8601(bad);
      FAIL("accepted");
    } catch (const Error &e) {
      CHECK(e.code() == Errc::protocol);
    }
  }
}

TEST_CASE("iso8601: years the clock cannot hold are clamped (fuzz_credentials_json)") {
  // "3557-01-01T00:00:00Z" in an ECS reply overflowed from_time_t's nanoseconds.
  CHECK(core::format_iso8601(core::parse_iso8601("9999-12-31T23:59:59Z")) ==
        "2200-01-01T00:00:00Z");
  CHECK(core::format_iso8601(core::parse_iso8601("3557-01-01T00:00:00Z")) ==
        "2200-01-01T00:00:00Z");
  CHECK(core::format_iso8601(core::parse_iso8601("0000-01-01T00:00:00+23:59")) ==
        "1900-01-01T00:00:00Z");
  CHECK(core::format_iso8601(core::parse_iso8601("2199-12-31T23:59:59Z")) ==
        "2199-12-31T23:59:59Z");
}

TEST_CASE("iso8601: out-of-range and unpadded fields are refused") {
  CHECK_THROWS_AS(berth::core::parse_iso8601("2026-13-45T99:99:99Z"), berth::Error);
  CHECK_THROWS_AS(berth::core::parse_iso8601("2026-1-5T1:2:3Z"), berth::Error);
  CHECK(berth::core::format_iso8601(berth::core::parse_iso8601("2026-11-27T12:00:00Z")) ==
        "2026-11-27T12:00:00Z");
}

TEST_CASE("aws error: AWS's words are quoted, never obeyed") {
  auto e = aws::aws_error(
      reply(400, R"({"__type":"ValidationException","message":"bad\n::stop-commands::t\u001b[2J"})",
            {{"x-amzn-RequestId", "id\x1b[1m"}}),
      "ecr:X");
  CHECK(e.code() == Errc::invalid_argument);
  CHECK(e.aws_code() == "ValidationException");
  CHECK(std::string(e.what()) ==
        "ecr:X: ValidationException: bad\\n::stop-commands::t\\x1b[2J (request id id\\x1b[1m)");
  auto x = aws::aws_error(reply(403, "<Error><Code>::error::x</Code><Message>m\n##[add-mask]"
                                     "</Message></Error>"),
                          "sts:X");
  CHECK(std::string(x.what()) == "sts:X: :\\x3aerror::x: m\\n#\\x23[add-mask]");
}
