// ECR lifecycle policies: shorthand, validation against ECR's rules, and a local
// preview that applies a policy to DescribeImages output the way ECR evaluates it.
#include <berth/ecr.hpp>
#include <berth/error.hpp>

#include "core/json.hpp"
#include "ecr/ecr_replies.hpp"
#include "ops/ecr/lifecycle_units.hpp"
#include "ops/ecr/session.hpp"

#include <algorithm>
#include <set>

namespace berth {
namespace {

constexpr std::size_t kMaxPolicyChars = 30720;

struct Rule {
  int priority = 0;
  std::string tag_status; // tagged | untagged | any
  std::vector<std::string> prefixes, patterns;
  std::string count_type; // imageCountMoreThan | sinceImagePushed
  long long count = 0;
};

std::vector<std::string> string_list(const core::json::Value &sel, const char *name,
                                     const std::string &where) {
  std::vector<std::string> out;
  auto it = sel.FindMember(name);
  if (it == sel.MemberEnd()) return out;
  if (!it->value.IsArray())
    throw Error(Errc::invalid_argument, where + ": " + name + " must be an array of strings");
  for (const auto &v : it->value.GetArray()) {
    if (!v.IsString() || v.GetStringLength() == 0)
      throw Error(Errc::invalid_argument, where + ": " + name + " must hold non-empty strings");
    out.emplace_back(v.GetString());
  }
  return out;
}

std::vector<Rule> parse_policy(const std::string &json) {
  if (json.size() > kMaxPolicyChars)
    throw Error(Errc::invalid_argument, "lifecycle policy is " + std::to_string(json.size()) +
                                            " characters; ECR allows at most 30720");
  core::json::Document doc;
  try {
    doc = core::json::parse(json, "lifecycle policy");
  } catch (const Error &e) {
    throw Error(Errc::invalid_argument, e.what());
  }
  if (!doc.IsObject())
    throw Error(Errc::invalid_argument, "lifecycle policy must be a JSON object");
  auto rules_it = doc.FindMember("rules");
  if (rules_it == doc.MemberEnd() || !rules_it->value.IsArray() || rules_it->value.Empty())
    throw Error(Errc::invalid_argument, "lifecycle policy needs a non-empty \"rules\" array");
  std::vector<Rule> rules;
  std::set<int> priorities;
  for (const auto &rv : rules_it->value.GetArray()) {
    std::string where = "rule " + std::to_string(rules.size() + 1);
    if (!rv.IsObject()) throw Error(Errc::invalid_argument, where + " is not an object");
    Rule r;
    auto p = rv.FindMember("rulePriority");
    if (p == rv.MemberEnd() || !p->value.IsInt() || p->value.GetInt() < 1)
      throw Error(Errc::invalid_argument, where + ": rulePriority must be an integer >= 1");
    r.priority = p->value.GetInt();
    where = "rule with rulePriority " + std::to_string(r.priority);
    if (!priorities.insert(r.priority).second)
      throw Error(Errc::invalid_argument, where + ": rulePriority is not unique");
    if (auto d = rv.FindMember("description"); d != rv.MemberEnd() && !d->value.IsString())
      throw Error(Errc::invalid_argument, where + ": description must be a string");
    auto sel = rv.FindMember("selection");
    if (sel == rv.MemberEnd() || !sel->value.IsObject())
      throw Error(Errc::invalid_argument, where + ": selection is required");
    const auto &s = sel->value;
    r.tag_status = core::json::get_string(s, "tagStatus");
    if (r.tag_status != "tagged" && r.tag_status != "untagged" && r.tag_status != "any")
      throw Error(Errc::invalid_argument, where + ": tagStatus must be tagged, untagged or any");
    r.prefixes = string_list(s, "tagPrefixList", where);
    r.patterns = string_list(s, "tagPatternList", where);
    if (r.tag_status == "tagged" && r.prefixes.empty() && r.patterns.empty())
      throw Error(Errc::invalid_argument,
                  where + ": tagStatus tagged needs tagPrefixList or tagPatternList");
    if (!r.prefixes.empty() && !r.patterns.empty())
      throw Error(Errc::invalid_argument,
                  where + ": use tagPrefixList or tagPatternList, not both");
    if (r.tag_status != "tagged" && (!r.prefixes.empty() || !r.patterns.empty()))
      throw Error(Errc::invalid_argument,
                  where + ": tag lists are only allowed with tagStatus tagged");
    r.count_type = core::json::get_string(s, "countType");
    if (r.count_type != "imageCountMoreThan" && r.count_type != "sinceImagePushed")
      throw Error(Errc::invalid_argument,
                  where + ": countType must be imageCountMoreThan or sinceImagePushed");
    auto unit = core::json::get_string(s, "countUnit");
    if (r.count_type == "sinceImagePushed" && unit != "days")
      throw Error(Errc::invalid_argument, where + ": sinceImagePushed needs countUnit \"days\"");
    if (r.count_type == "imageCountMoreThan" && s.HasMember("countUnit"))
      throw Error(Errc::invalid_argument, where + ": imageCountMoreThan takes no countUnit");
    auto n = s.FindMember("countNumber");
    if (n == s.MemberEnd() || !n->value.IsInt64() || n->value.GetInt64() < 1)
      throw Error(Errc::invalid_argument, where + ": countNumber must be an integer >= 1");
    r.count = n->value.GetInt64();
    auto action = rv.FindMember("action");
    if (action == rv.MemberEnd() || core::json::get_string(action->value, "type") != "expire")
      throw Error(Errc::invalid_argument, where + ": action must be {\"type\":\"expire\"}");
    rules.push_back(std::move(r));
  }
  std::sort(rules.begin(), rules.end(),
            [](const Rule &a, const Rule &b) { return a.priority < b.priority; });
  for (std::size_t i = 0; i + 1 < rules.size(); ++i)
    if (rules[i].tag_status == "any")
      throw Error(Errc::invalid_argument,
                  "the rule with tagStatus any must have the highest rulePriority");
  return rules;
}

// ECR's wildcard: '*' matches any run of characters; everything else literally.
bool wildcard_match(const std::string &pattern, const std::string &s) {
  std::size_t p = 0, t = 0, star = std::string::npos, mark = 0;
  while (t < s.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.size() && pattern[p] == s[t]) {
      ++p;
      ++t;
    } else if (star != std::string::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*')
    ++p;
  return p == pattern.size();
}

// countNumber goes up to 2^63-1, and 24h * n in the clock's nanoseconds overflows past
// 106,751 days; no age the clock can hold is longer, so such a rule expires nothing.
bool older_than_days(std::chrono::system_clock::duration age, long long days) {
  constexpr long long kMaxDays =
      std::chrono::duration_cast<std::chrono::hours>(std::chrono::system_clock::duration::max())
          .count() /
      24;
  return days <= kMaxDays && age > std::chrono::hours(24) * days;
}

bool selects(const Rule &r, const ImageInfo &img) {
  if (r.tag_status == "any") return true;
  if (r.tag_status == "untagged") return img.tags.empty();
  for (const auto &t : img.tags) {
    for (const auto &p : r.prefixes)
      if (t.rfind(p, 0) == 0) return true;
    for (const auto &p : r.patterns)
      if (wildcard_match(p, t)) return true;
  }
  return false;
}

} // namespace

void validate_lifecycle_policy(const std::string &policy_json) {
  parse_policy(policy_json);
}

std::string lifecycle_policy_with_build_cache(const std::string &policy_json, int days,
                                              const std::string &tag_prefix) {
  if (days < 1) throw Error(Errc::invalid_argument, "the build cache's days must be >= 1");
  if (tag_prefix.empty() || tag_prefix.size() > 128 ||
      tag_prefix.find_first_of("*\"") != std::string::npos)
    throw Error(Errc::invalid_argument, "the build cache's tag prefix must be 1-128 characters "
                                        "of a tag, not \"" +
                                            tag_prefix + "\"");
  core::json::Document doc;
  try {
    // Not JSON is the caller's argument at fault, as for validate_lifecycle_policy.
    doc = core::json::parse(policy_json.empty() ? std::string("{\"rules\":[]}") : policy_json,
                            "lifecycle policy");
  } catch (const Error &e) {
    throw Error(Errc::invalid_argument, e.what());
  }
  if (!doc.IsObject() || !doc.HasMember("rules") || !doc["rules"].IsArray())
    throw Error(Errc::invalid_argument, "a lifecycle policy is an object with \"rules\"");
  auto &a = doc.GetAllocator();
  auto &rules = doc["rules"];
  for (auto &r : rules.GetArray())
    if (r.IsObject() && r.HasMember("rulePriority") && r["rulePriority"].IsInt())
      r["rulePriority"].SetInt(r["rulePriority"].GetInt() + 1);
  core::json::Value rule(rapidjson::kObjectType), sel(rapidjson::kObjectType),
      prefixes(rapidjson::kArrayType), action(rapidjson::kObjectType);
  const std::string text =
      "Expire build caches (" + tag_prefix + "*) not pushed for " + std::to_string(days) + " days";
  rule.AddMember("rulePriority", 1, a);
  rule.AddMember("description", core::json::Value(text.c_str(), a), a);
  sel.AddMember("tagStatus", "tagged", a);
  prefixes.PushBack(core::json::Value(tag_prefix.c_str(), a), a);
  sel.AddMember("tagPrefixList", prefixes, a);
  sel.AddMember("countType", "sinceImagePushed", a);
  sel.AddMember("countUnit", "days", a);
  sel.AddMember("countNumber", days, a);
  rule.AddMember("selection", sel, a);
  action.AddMember("type", "expire", a);
  rule.AddMember("action", action, a);
  rules.PushBack(rule, a);
  // Rules are listed by priority: the new first one moves to the front.
  for (auto i = rules.Size() - 1; i > 0; --i)
    rules[i].Swap(rules[i - 1]);
  core::json::StringWriter w;
  doc.Accept(w.writer);
  auto out = w.str();
  validate_lifecycle_policy(out);
  return out;
}

std::string lifecycle_policy_from_shorthand(std::optional<int> keep_last,
                                            std::optional<int> expire_untagged_days) {
  if (!keep_last && !expire_untagged_days)
    throw Error(Errc::invalid_argument, "give --keep-last N and/or --expire-untagged-after DAYS");
  std::string rules;
  int priority = 1;
  if (expire_untagged_days) {
    if (*expire_untagged_days < 1)
      throw Error(Errc::invalid_argument, "--expire-untagged-after must be >= 1");
    rules += "{\"rulePriority\":" + std::to_string(priority++) +
             ",\"description\":\"Expire untagged images older than " +
             std::to_string(*expire_untagged_days) +
             " days\",\"selection\":{\"tagStatus\":\"untagged\",\"countType\":\"sinceImagePushed\","
             "\"countUnit\":\"days\",\"countNumber\":" +
             std::to_string(*expire_untagged_days) + "},\"action\":{\"type\":\"expire\"}}";
  }
  if (keep_last) {
    if (*keep_last < 1) throw Error(Errc::invalid_argument, "--keep-last must be >= 1");
    if (!rules.empty()) rules += ",";
    rules += "{\"rulePriority\":" + std::to_string(priority) + ",\"description\":\"Keep the last " +
             std::to_string(*keep_last) +
             " images\",\"selection\":{\"tagStatus\":\"any\",\"countType\":\"imageCountMoreThan\","
             "\"countNumber\":" +
             std::to_string(*keep_last) + "},\"action\":{\"type\":\"expire\"}}";
  }
  return "{\"rules\":[" + rules + "]}";
}

std::vector<ExpiringImage> lifecycle_preview(const std::string &policy_json,
                                             const std::vector<ImageInfo> &images,
                                             std::chrono::system_clock::time_point now) {
  auto rules = parse_policy(policy_json);
  // The rules judge the top image of each unit; the rest of the unit follows it.
  auto roots = ops::unit_roots(images);
  std::vector<bool> claimed(images.size(), false);
  std::vector<int> expired_by(images.size(), 0); // of roots: the rule, 0 = kept
  for (const auto &r : rules) {
    // Images this rule selects, newest first; an image selected by a higher
    // priority rule is never evaluated by a lower one, expired or not.
    std::vector<std::size_t> selected;
    for (std::size_t i = 0; i < images.size(); ++i)
      if (roots[i] == i && !claimed[i] && selects(r, images[i])) selected.push_back(i);
    std::stable_sort(selected.begin(), selected.end(), [&](std::size_t a, std::size_t b) {
      return images[a].pushed_at > images[b].pushed_at;
    });
    for (std::size_t k = 0; k < selected.size(); ++k) {
      std::size_t i = selected[k];
      claimed[i] = true;
      bool expire = r.count_type == "imageCountMoreThan"
                        ? k >= static_cast<std::size_t>(r.count)
                        : older_than_days(now - images[i].pushed_at, r.count);
      if (expire) expired_by[i] = r.priority;
    }
  }
  std::vector<ExpiringImage> out;
  for (std::size_t i = 0; i < images.size(); ++i)
    if (int rule = expired_by[roots[i]]; rule != 0)
      out.push_back({images[i], rule, images[roots[i]].digest});
  return out;
}

std::vector<ImageInfo> ecr_describe_images(const AwsOptions &options,
                                           const std::string &repository) {
  auto client = ops::ecr_client(options);
  std::vector<ImageInfo> out;
  core::json::StringWriter w;
  w.writer.StartObject();
  w.member("repositoryName", repository);
  w.writer.EndObject();
  client.paginate("DescribeImages", w.str(), "imageDetails",
                  [&](const core::json::Value &d) { out.push_back(ecr::parse_image_detail(d)); });
  ops::find_parents(client, repository, out);
  return out;
}

void ecr_put_lifecycle_policy(const AwsOptions &options, const std::string &repository,
                              const std::string &policy_json) {
  validate_lifecycle_policy(policy_json);
  core::json::StringWriter w;
  w.writer.StartObject();
  w.writer.Key("repositoryName");
  w.writer.String(repository.c_str(), static_cast<rapidjson::SizeType>(repository.size()));
  w.writer.Key("lifecyclePolicyText");
  w.writer.String(policy_json.c_str(), static_cast<rapidjson::SizeType>(policy_json.size()));
  w.writer.EndObject();
  ops::ecr_client(options).call("PutLifecyclePolicy", w.str());
}

} // namespace berth
