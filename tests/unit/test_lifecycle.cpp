// Lifecycle policies: ECR's validation rules and the local preview.
#include <doctest/doctest.h>

#include <berth/ecr.hpp>
#include <berth/error.hpp>

using namespace berth;
using std::chrono::hours;

namespace {

const auto kNow = std::chrono::system_clock::time_point(std::chrono::seconds(1800000000));

ImageInfo img(std::string digest, std::vector<std::string> tags, int days_ago,
              std::string parent = {}) {
  ImageInfo i;
  i.digest = std::move(digest);
  i.tags = std::move(tags);
  i.pushed_at = kNow - hours(24) * days_ago;
  i.parent = std::move(parent);
  return i;
}

std::vector<std::string> digests(const std::vector<ExpiringImage> &v) {
  std::vector<std::string> out;
  for (const auto &e : v)
    out.push_back(e.image.digest);
  return out;
}

} // namespace

TEST_CASE("lifecycle: shorthand policies are valid and ordered") {
  auto p = lifecycle_policy_from_shorthand(10, 7);
  CHECK_NOTHROW(validate_lifecycle_policy(p));
  CHECK(p.find("\"tagStatus\":\"untagged\"") < p.find("\"tagStatus\":\"any\""));
  CHECK_THROWS_AS(lifecycle_policy_from_shorthand(std::nullopt, std::nullopt), Error);
  CHECK_THROWS_AS(lifecycle_policy_from_shorthand(0, std::nullopt), Error);
}

TEST_CASE("lifecycle: a build cache rule goes first and keeps caches out of keep-last") {
  auto p = lifecycle_policy_with_build_cache(lifecycle_policy_from_shorthand(2, 7), 14);
  CHECK_NOTHROW(validate_lifecycle_policy(p));
  CHECK(p.find("{\"rulePriority\":1,\"description\":\"Expire build caches (buildcache*)") == 10);
  CHECK(p.find("\"tagPrefixList\":[\"buildcache\"]") != std::string::npos);
  CHECK(p.find("\"rulePriority\":2") < p.find("\"rulePriority\":3"));
  // Three images and a cache pushed after the last: keep-last 2 expires the oldest
  // image only; the cache, pushed a day ago, stays and is not counted.
  std::vector<ImageInfo> images{img("sha256:a", {"v0"}, 3), img("sha256:b", {"v1"}, 2),
                                img("sha256:c", {"v2"}, 1), img("sha256:f", {"buildcache"}, 1)};
  CHECK(digests(lifecycle_preview(p, images, kNow)) == std::vector<std::string>{"sha256:a"});
  images.back() = img("sha256:f", {"buildcache"}, 15); // a branch gone quiet
  CHECK(digests(lifecycle_preview(p, images, kNow)).size() == 2);
  CHECK_NOTHROW(validate_lifecycle_policy(lifecycle_policy_with_build_cache("", 3, "cache-")));
  CHECK_THROWS_AS(lifecycle_policy_with_build_cache("", 0), Error);
  CHECK_THROWS_AS(lifecycle_policy_with_build_cache("", 3, ""), Error);
  CHECK_THROWS_AS(lifecycle_policy_with_build_cache("[]", 3), Error);
  // Text that is not JSON is the caller's argument, as validate_lifecycle_policy has it.
  try {
    (void)lifecycle_policy_with_build_cache("{not json", 3);
    FAIL("not JSON was taken");
  } catch (const Error &e) {
    CHECK(e.code() == Errc::invalid_argument);
  }
}

TEST_CASE("lifecycle: validation follows ECR's rules") {
  auto rule = [](std::string sel, int prio = 1) {
    return "{\"rulePriority\":" + std::to_string(prio) + ",\"selection\":" + sel +
           ",\"action\":{\"type\":\"expire\"}}";
  };
  const std::string any = R"({"tagStatus":"any","countType":"imageCountMoreThan","countNumber":5})";
  const std::string untagged =
      R"({"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":3})";
  CHECK_NOTHROW(
      validate_lifecycle_policy("{\"rules\":[" + rule(untagged, 1) + "," + rule(any, 2) + "]}"));
  struct Bad {
    std::string policy, phrase;
  };
  std::vector<Bad> bad = {
      {"[]", "JSON object"},
      {"{\"rules\":[]}", "non-empty"},
      {"{\"rules\":[" + rule(any, 1) + "," + rule(untagged, 1) + "]}", "not unique"},
      {"{\"rules\":[" + rule(any, 1) + "," + rule(untagged, 2) + "]}", "highest rulePriority"},
      {"{\"rules\":[" +
           rule(R"({"tagStatus":"tagged","countType":"imageCountMoreThan","countNumber":1})") +
           "]}",
       "tagPrefixList"},
      {"{\"rules\":[" +
           rule(R"({"tagStatus":"any","countType":"sinceImagePushed","countNumber":1})") + "]}",
       "countUnit"},
      {"{\"rules\":[" +
           rule(R"({"tagStatus":"any","countType":"imageCountMoreThan","countNumber":0})") + "]}",
       "countNumber"},
      {"{\"rules\":[" +
           rule(R"({"tagStatus":"maybe","countType":"imageCountMoreThan","countNumber":1})") + "]}",
       "tagStatus"},
      {"{\"rules\":[" + rule(any, 0) + "]}", "rulePriority"},
      {"{\"rules\":[" + std::string(31000, ' ') + rule(any) + "]}", "30720"},
      {"{not json", "not valid JSON"},
  };
  for (const auto &b : bad) {
    CAPTURE(b.phrase);
    try {
      validate_lifecycle_policy(b.policy);
      FAIL("accepted an invalid policy");
    } catch (const Error &e) {
      CHECK(e.code() == Errc::invalid_argument);
      CHECK(std::string(e.what()).find(b.phrase) != std::string::npos);
    }
  }
}

TEST_CASE("lifecycle: preview applies rules in priority order, each image claimed once") {
  std::vector<ImageInfo> images = {
      img("sha256:u-old", {}, 30),          img("sha256:u-new", {}, 1),
      img("sha256:prod-1", {"prod-1"}, 40), img("sha256:prod-2", {"prod-2"}, 20),
      img("sha256:prod-3", {"prod-3"}, 2),  img("sha256:dev-1", {"dev-1"}, 50),
      img("sha256:dev-2", {"dev-2"}, 10),
  };
  std::string policy = R"({"rules":[
    {"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":7},"action":{"type":"expire"}},
    {"rulePriority":2,"selection":{"tagStatus":"tagged","tagPrefixList":["prod"],"countType":"imageCountMoreThan","countNumber":2},"action":{"type":"expire"}},
    {"rulePriority":3,"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]})";
  auto expiring = lifecycle_preview(policy, images, kNow);
  // Rule 1 claims both untagged images and expires the old one; rule 2 claims the
  // prod images and expires all but the newest two; rule 3 sees only dev-1 and
  // dev-2 (u-new is claimed although kept) and keeps the newest.
  CHECK(digests(expiring) ==
        std::vector<std::string>{"sha256:u-old", "sha256:prod-1", "sha256:dev-1"});
  REQUIRE(expiring.size() == 3);
  CHECK(expiring[0].rule_priority == 1);
  CHECK(expiring[1].rule_priority == 2);
  CHECK(expiring[2].rule_priority == 3);
}

TEST_CASE("lifecycle: tag patterns use ECR's wildcard") {
  std::vector<ImageInfo> images = {img("sha256:a", {"release-1.0-final"}, 5),
                                   img("sha256:b", {"release-2.0"}, 1)};
  std::string policy =
      R"({"rules":[{"rulePriority":1,"selection":{"tagStatus":"tagged","tagPatternList":["release-*-final"],"countType":"sinceImagePushed","countUnit":"days","countNumber":1},"action":{"type":"expire"}}]})";
  CHECK(digests(lifecycle_preview(policy, images, kNow)) == std::vector<std::string>{"sha256:a"});
}

TEST_CASE("lifecycle: an index, its children and its referrers expire as one unit") {
  // "index" (tagged) lists two untagged children; "sig" is a cosign signature of the
  // index (tagged sha256-....sig); "lone" is an untagged image of its own.
  std::vector<ImageInfo> images = {img("index", {"v1"}, 2),      img("amd64", {}, 2, "index"),
                                   img("arm64", {}, 2, "index"), img("sig", {"s.sig"}, 2, "index"),
                                   img("sbom", {}, 2, "amd64"),  img("lone", {}, 2)};
  const std::string untagged =
      R"({"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":1},"action":{"type":"expire"}}]})";
  // ECR alone would take the children and the SBOM; as units only "lone" goes.
  auto kept_children = lifecycle_preview(untagged, images, kNow);
  CHECK(digests(kept_children) == std::vector<std::string>{"lone"});
  CHECK(kept_children[0].unit == "lone");
  const std::string by_tag =
      R"({"rules":[{"rulePriority":1,"selection":{"tagStatus":"tagged","tagPrefixList":["v"],"countType":"sinceImagePushed","countUnit":"days","countNumber":1},"action":{"type":"expire"}}]})";
  auto whole = lifecycle_preview(by_tag, images, kNow);
  CHECK(digests(whole) == std::vector<std::string>{"index", "amd64", "arm64", "sig", "sbom"});
  for (const auto &e : whole)
    CHECK(e.unit == "index");
  // "any" counts units, not manifests: keep the last 2 keeps both units whole.
  const std::string keep2 =
      R"({"rules":[{"rulePriority":1,"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":2},"action":{"type":"expire"}}]})";
  CHECK(lifecycle_preview(keep2, images, kNow).empty());
  // A parent that is not in the repository, and a cycle, end the walk.
  std::vector<ImageInfo> odd = {img("orphan", {}, 2, "gone"), img("a", {}, 2, "b"),
                                img("b", {}, 2, "a")};
  auto r = lifecycle_preview(untagged, odd, kNow);
  CHECK(r.size() == 3);
}
