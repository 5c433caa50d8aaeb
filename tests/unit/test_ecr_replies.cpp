// ECR's JSON replies with values real ECR never sends — wrong types, huge numbers —
// read by the reply readers (ecr/ecr_replies.hpp) and, through a stand-in endpoint,
// by the operations built on them: scan gate, lifecycle preview, ecr login. Each case
// once crashed berth or was undefined behaviour (found by fuzz_ecr_reply).
#include <doctest/doctest.h>

#include "ecr/ecr_replies.hpp"
#include "ecr_stub.hpp"
#include "test_util.hpp"

#include <berth/ecr.hpp>
#include <berth/error.hpp>

#include <climits>
#include <filesystem>
#include <functional>
#include <unistd.h>

using namespace berth;
namespace json = berth::core::json;
using std::chrono::system_clock;

namespace {

Errc code_of(const std::function<void()> &f) {
  try {
    f();
  } catch (const Error &e) {
    return e.code();
  }
  return Errc::ok;
}

constexpr double kYear2100 = 4102444800.0;

double seconds_of(system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

AwsOptions stub_options(const test::EcrStub &stub) {
  AwsOptions o;
  o.region = "us-east-1";
  o.ecr_endpoint = stub.endpoint();
  return o;
}

} // namespace

TEST_CASE("ecr replies: GetAuthorizationToken of the wrong shape") {
  // authorizationData[0] a number: FindMember("expiresAt") on it was undefined.
  for (const char *body : {R"({"authorizationData":[5]})", R"({"authorizationData":[[]]})",
                           R"({"authorizationData":5})", R"({"authorizationData":[]})", "5", "[]",
                           R"({"authorizationData":[{"authorizationToken":7}]})"}) {
    CAPTURE(body);
    CHECK(code_of([&] { (void)ecr::parse_authorization_token(body); }) == Errc::protocol);
  }
  // "AWS:pw"; expiresAt far beyond what the clock holds is clamped, not converted
  // (a double out of the int64 range is undefined behaviour to convert).
  for (const char *exp : {"1e300", "-1e300", "1.8e19", "true"}) {
    CAPTURE(exp);
    auto t = ecr::parse_authorization_token(
        std::string(R"({"authorizationData":[{"authorizationToken":"QVdTOnB3","expiresAt":)") +
        exp + "}]}");
    CHECK(t.username == "AWS");
    CHECK(t.password == "pw");
    CHECK(seconds_of(t.expires_at) >= 0);
    CHECK(seconds_of(t.expires_at) <= kYear2100);
  }
  auto t = ecr::parse_authorization_token(
      R"({"authorizationData":[{"authorizationToken":"QVdTOnB3","expiresAt":1700000000.5,)"
      R"("proxyEndpoint":"https://1.dkr.ecr.us-east-1.amazonaws.com"}]})");
  CHECK(seconds_of(t.expires_at) == doctest::Approx(1700000000.5));
  CHECK(t.proxy_endpoint == "https://1.dkr.ecr.us-east-1.amazonaws.com");
}

TEST_CASE("ecr replies: ecr-public's GetAuthorizationToken (one object, no list)") {
  auto t = ecr::parse_public_authorization_token(
      R"({"authorizationData":{"authorizationToken":"QVdTOnB3","expiresAt":1700000000}})");
  CHECK(t.username == "AWS");
  CHECK(t.password == "pw");
  CHECK(seconds_of(t.expires_at) == doctest::Approx(1700000000));
  for (const char *body :
       {R"({"authorizationData":[{"authorizationToken":"QVdTOnB3"}]})", R"({"authorizationData":5})",
        R"({})", "[]", R"({"authorizationData":{"authorizationToken":"!!"}})",
        R"({"authorizationData":{"authorizationToken":"cHc="}})"}) {
    CAPTURE(body);
    CHECK(code_of([&] { (void)ecr::parse_public_authorization_token(body); }) == Errc::protocol);
  }
}

TEST_CASE("ecr replies: repositories keep their tag mutability exclusion filters") {
  auto doc = json::parse(
      R"({"repositoryName":"r","imageTagMutability":"IMMUTABLE_WITH_EXCLUSION",)"
      R"("imageTagMutabilityExclusionFilters":[{"filterType":"WILDCARD","filter":"latest*"},)"
      R"(5,{"filter":7},{"filterType":"WILDCARD","filter":"dev-*"}]})",
      "repository");
  auto r = ecr::parse_repository(doc);
  CHECK(r.immutable());
  CHECK(r.mutability_exclusions == std::vector<std::string>{"latest*", "", "dev-*"});
  CHECK_FALSE(ecr::parse_repository(json::parse(R"({"imageTagMutability":"MUTABLE"})", "r"))
                  .immutable());
}

TEST_CASE("ecr replies: pages, repositories and images of the wrong shape") {
  // A reply that is no object: FindMember was called before the IsObject check.
  for (const char *body : {"5", "[1]", "\"x\"", R"({"repositories":5,"nextToken":7})"}) {
    CAPTURE(body);
    int items = 0;
    CHECK(ecr::parse_page(body, "r", "repositories", [&](const json::Value &) { ++items; }) == "");
    CHECK(items == 0);
  }
  std::vector<ecr::RepositoryInfo> repos;
  CHECK(ecr::parse_page(
            R"({"repositories":[5,[],{"repositoryName":"a","imageScanningConfiguration":5,)"
            R"("encryptionConfiguration":[1]}],"nextToken":"t"})",
            "r", "repositories",
            [&](const json::Value &v) { repos.push_back(ecr::parse_repository(v)); }) == "t");
  REQUIRE(repos.size() == 3);
  CHECK(repos[0].name.empty());
  CHECK(repos[0].tag_mutability == "MUTABLE");
  CHECK(repos[2].name == "a");
  CHECK_FALSE(repos[2].scan_on_push);
  for (const char *body : {"[]", "5", R"({"x":1})"}) {
    CAPTURE(body);
    CHECK(code_of([&] { (void)ecr::parse_created_repository(body); }) == Errc::protocol);
  }
  CHECK(ecr::parse_created_repository(R"({"repository":5})").name.empty());

  auto doc = json::parse(R"([5,{"imageDigest":"sha256:a","imageTags":["v1",2,"v2"],)"
                         R"("imagePushedAt":1e300},{"imagePushedAt":-1e300},{"imageTags":5}])",
                         "t");
  std::vector<ImageInfo> images;
  for (const auto &v : doc.GetArray())
    images.push_back(ecr::parse_image_detail(v));
  CHECK(images[0].digest.empty());
  CHECK(images[1].tags == std::vector<std::string>{"v1", "v2"});
  CHECK(seconds_of(images[1].pushed_at) == kYear2100);
  CHECK(seconds_of(images[2].pushed_at) == 0);
  CHECK(images[3].tags.empty());
}

TEST_CASE("ecr replies: scan findings of the wrong shape") {
  for (const char *body : {"5", "[]", R"({"imageScanStatus":5,"imageScanFindings":[1]})",
                           R"({"imageScanFindings":{"findingSeverityCounts":[1,2]}})"}) {
    CAPTURE(body);
    auto f = ecr::scan_findings_of(json::parse(body, "scan findings"));
    CHECK(f.status.empty());
    CHECK(f.counts.empty());
  }
  auto f = ecr::scan_findings_of(json::parse(
      R"({"imageScanStatus":{"status":"COMPLETE","description":"d"},"imageScanFindings":)"
      R"({"findingSeverityCounts":{"HIGH":2,"LOW":-3,"MEDIUM":1.5,"CRITICAL":"x","INFORMATIONAL":2147483647}}})",
      "scan findings"));
  CHECK(f.status == "COMPLETE");
  CHECK(f.description == "d");
  CHECK(f.counts == std::map<std::string, int>{{"HIGH", 2}, {"INFORMATIONAL", INT_MAX}});
}

TEST_CASE("ecr replies: the scan gate adds counts without overflowing") {
  // Six severities of INT_MAX findings each: the sum overflowed an int (and a gate
  // with max 0 could have passed on the wrapped, negative total).
  test::StubCredentials creds;
  test::EcrStub stub("DescribeImageScanFindings",
                     R"({"imageScanStatus":{"status":"COMPLETE"},"imageScanFindings":)"
                     R"({"findingSeverityCounts":{"CRITICAL":2147483647,"HIGH":2147483647,)"
                     R"("MEDIUM":2147483647,"LOW":2147483647,"INFORMATIONAL":2147483647,)"
                     R"("UNDEFINED":2147483647}}})");
  ScanGateOptions gate;
  gate.fail_on = "UNDEFINED";
  gate.max = INT_MAX;
  auto r = ecr_scan_gate(stub_options(stub), "app", "v1", gate);
  CHECK(r.status == "COMPLETE");
  CHECK(r.counted == INT_MAX);
  CHECK_FALSE(r.passed);
}

TEST_CASE("ecr replies: the scan gate reads findings of the wrong shape") {
  // Findings, attributes and package details that are no objects: FindMember on them
  // was undefined behaviour. They read as empty.
  test::StubCredentials creds;
  test::EcrStub stub(
      "DescribeImageScanFindings",
      R"({"imageScanStatus":{"status":"COMPLETE"},"imageId":5,"imageScanFindings":)"
      R"({"findingSeverityCounts":{"HIGH":4},"findings":[5,[],{"name":"CVE-1",)"
      R"("severity":"HIGH","attributes":[5,{"key":"package_name","value":"p"}]},)"
      R"({"severity":"HIGH","attributes":5}],"enhancedFindings":[5,{"severity":"HIGH",)"
      R"("packageVulnerabilityDetails":5},{"severity":"HIGH","packageVulnerabilityDetails":)"
      R"({"vulnerabilityId":"CVE-2","vulnerablePackages":[5]}}]}})",
      "BatchGetImage", "[5]");
  ScanGateOptions gate;
  gate.fail_on = "HIGH";
  gate.max = 10;
  auto r = ecr_scan_gate(stub_options(stub), "app", "v1", gate);
  CHECK(r.passed);
  CHECK(r.counted == 4);
  REQUIRE(r.findings.size() == 4);
  CHECK(r.findings[0].id == "CVE-1");
  CHECK(r.findings[0].package == "p");
  CHECK(r.findings[1].package.empty());
  CHECK(r.findings[3].id == "CVE-2");
  CHECK(r.findings[3].package.empty());
  CHECK(r.images.at(0).digest == "v1"); // "imageId":5 names no digest
}

TEST_CASE("ecr replies: the scan gate takes a BatchGetImage reply of the wrong shape as none") {
  test::StubCredentials creds;
  for (const char *batch : {"5", "[]", R"({"images":[5]})", R"({"images":5})"}) {
    CAPTURE(batch);
    test::EcrStub stub("DescribeImageScanFindings",
                       R"({"imageScanStatus":{"status":"COMPLETE"},"imageScanFindings":{}})",
                       "BatchGetImage", batch);
    auto r = ecr_scan_gate(stub_options(stub), "app", "v1", ScanGateOptions{});
    CHECK(r.passed);
    CHECK(r.images.size() == 1);
  }
}

TEST_CASE("ecr replies: DescribeImages feeds the lifecycle preview safely") {
  test::StubCredentials creds;
  // BatchGetImage (for the units of indexes, children and referrers) of every wrong
  // shape: no image relates to another.
  test::EcrStub stub("DescribeImages",
                     R"({"imageDetails":[5,{"imageDigest":"sha256:a","imagePushedAt":-1e300},)"
                     R"({"imageDigest":"sha256:b","imageTags":["v1"],"imagePushedAt":1e300}]})",
                     "BatchGetImage",
                     R"({"images":[5,{"imageId":5},{"imageId":{"imageDigest":"sha256:a"},)"
                     R"("imageManifest":"{\"subject\":7,\"manifests\":[5,{\"digest\":3}]}"},)"
                     R"({"imageId":{"imageDigest":"sha256:a"},"imageManifest":"not json"}]})");
  auto images = ecr_describe_images(stub_options(stub), "app");
  REQUIRE(images.size() == 3);
  for (const auto &i : images)
    CHECK(i.parent.empty());
  const auto now = system_clock::time_point(std::chrono::seconds(1'700'000'000));
  // countNumber up to 2^63-1 days: 24h * n overflowed the clock's nanoseconds.
  for (long long days : {106751LL, 106752LL, 10000000LL, LLONG_MAX}) {
    CAPTURE(days);
    auto policy = R"({"rules":[{"rulePriority":1,"selection":{"tagStatus":"any",)"
                  R"("countType":"sinceImagePushed","countUnit":"days","countNumber":)" +
                  std::to_string(days) + R"(},"action":{"type":"expire"}}]})";
    CHECK(lifecycle_preview(policy, images, now).empty());
  }
  auto expired = lifecycle_preview(lifecycle_policy_from_shorthand(std::nullopt, 1), images, now);
  REQUIRE(expired.size() == 2); // the untagged ones, pushed "in 1970"
  CHECK(expired[0].image.digest.empty());
  CHECK(expired[1].image.digest == "sha256:a");
}

TEST_CASE("ecr login: a config.json with duplicate keys is rewritten, not crashed on") {
  // {"auths":1,"auths":2}: RemoveMember dropped one "auths", AddMember appended an
  // object, and doc["auths"] found the number: RemoveMember on it was undefined.
  test::StubCredentials creds;
  test::EcrStub stub("GetAuthorizationToken",
                     R"({"authorizationData":[{"authorizationToken":"QVdTOnB3",)"
                     R"("expiresAt":1700000000,)"
                     R"("proxyEndpoint":"https://1.dkr.ecr.us-east-1.amazonaws.com"}]})");
  auto dir =
      std::filesystem::temp_directory_path() / ("berth-ecr-login-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = (dir / "config.json").string();
  for (
      const char *before :
      {R"({"auths":1,"auths":2})", R"({"auths":{"a":{"auth":"eDp5"}},"auths":5,"x":1,"x":2})",
       R"({"auths":{"1.dkr.ecr.us-east-1.amazonaws.com":{},"1.dkr.ecr.us-east-1.amazonaws.com":{}}})"}) {
    CAPTURE(before);
    std::ofstream(path, std::ios::trunc) << before;
    CHECK(ecr_docker_login(stub_options(stub), "", path) == path);
    auto doc = json::parse(test::read_file(path), "config.json");
    REQUIRE(json::find(doc, "auths") != nullptr);
    const auto &auths = *json::find(doc, "auths");
    REQUIRE(auths.IsObject());
    CHECK(auths.MemberCount() == 1);
    CHECK(json::get_string(*json::find(auths, "1.dkr.ecr.us-east-1.amazonaws.com"), "auth") ==
          "QVdTOnB3");
  }
  std::filesystem::remove_all(dir);
}
