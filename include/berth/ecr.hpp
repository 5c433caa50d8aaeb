// AWS and ECR operations for callers of the library: credentials from the AWS chain,
// STS identity, ECR registry logins and any ECR API call.
#pragma once

#include <berth/aws_credentials.hpp>
#include <berth/defaults.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace berth {

struct AwsOptions {
  std::string region;   // "" = AWS_REGION, AWS_DEFAULT_REGION, profile, registry host
  std::string profile;  // "" = AWS_PROFILE or "default"
  std::string role_arn; // assume this role (web identity / GitHub OIDC when available)
  std::string role_session_name;
  std::string external_id;
  std::chrono::seconds role_duration{3600};
  std::string ecr_endpoint; // "" = AWS_ENDPOINT_URL_ECR / AWS_ENDPOINT_URL / regional
  // "" = AWS_ENDPOINT_URL_ECR_PUBLIC / AWS_ENDPOINT_URL / api.ecr-public.us-east-1
  std::string ecr_public_endpoint;
  std::string sts_endpoint; // "" = AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL / regional
  std::string ca_bundle;    // "" = AWS_CA_BUNDLE
};

// The AWS credential chain built from the options (cached provider).
aws::ProviderPtr aws_credentials_provider(const AwsOptions &options);

struct CallerIdentity {
  std::string account, arn, user_id;
};
CallerIdentity aws_caller_identity(const AwsOptions &options);

struct EcrLogin {
  std::string registry; // "<account>.dkr.ecr.<region>.amazonaws.com", "public.ecr.aws"
  std::string username; // "AWS"
  std::string password;
  std::chrono::system_clock::time_point expires_at;
};

// GetAuthorizationToken. registry: an ECR host (its account and region are used),
// or "" for the caller's default registry in options.region; or ECR Public's
// public.ecr.aws / ecr-public.aws.com (ecr-public:GetAuthorizationToken in
// us-east-1, which also needs sts:GetServiceBearerToken).
EcrLogin ecr_login(const AwsOptions &options, const std::string &registry = {});

// Writes "auths[registry] = AWS:<password>" into the docker config.json
// ($DOCKER_CONFIG/config.json or ~/.docker/config.json, or config_path), atomically,
// keeping every other entry. Returns the file written.
std::string ecr_docker_login(const AwsOptions &options, const std::string &registry,
                             const std::string &config_path = {});

// Any ECR API operation with a JSON body; returns the JSON reply.
std::string ecr_call(const AwsOptions &options, const std::string &operation,
                     const std::string &json_body);

// --- Repository set-up --------------------------------------------------------------

struct RepositorySettings {
  bool scan_on_push = false;
  bool immutable = false;
  // ECR WILDCARD tag filters ("latest", "dev-*") that stay mutable in an immutable
  // repository (IMMUTABLE_WITH_EXCLUSION) — or immutable in a mutable one.
  std::vector<std::string> mutability_exclusions;
  std::string encryption; // "" (ECR's default, AES256) | "AES256" | "KMS"
  std::string kms_key;    // with KMS
};

struct EnsureRepositoryResult {
  bool created = false;
  std::string uri;
  // Settings of an existing repository that differ from those asked for, as
  // "scanOnPush: true (wanted false)". Encryption cannot change after creation.
  std::vector<std::string> differences;
  bool updated = false; // differences were applied (apply = true)
};

// {"created","uri","differences","updated"}: the CLI's --json and the C ABI's reply.
std::string to_json(const EnsureRepositoryResult &result);

// DescribeRepositories; CreateRepository when missing. Differences are reported,
// and changed (tag mutability and its exclusions, scan on push) only when apply is set.
EnsureRepositoryResult ecr_ensure_repository(const AwsOptions &options, const std::string &name,
                                             const RepositorySettings &settings,
                                             bool apply = false);

// The settings of an existing repository (DescribeRepositories); Errc::not_found
// when there is none.
RepositorySettings ecr_repository_settings(const AwsOptions &options, const std::string &name);

// --- Pull-through cache rules and repository creation templates ---------------------

struct PullThroughCacheRule {
  std::string prefix;         // ecrRepositoryPrefix: "docker-hub" caches as docker-hub/...
  std::string upstream_url;   // upstreamRegistryUrl: "registry-1.docker.io", "ghcr.io", ...
  std::string credential_arn; // a Secrets Manager ARN, for upstreams that need a login
};

// DescribePullThroughCacheRules; CreatePullThroughCacheRule when missing. An existing
// rule with another upstream is reported (it cannot change); another credential ARN
// is reported, and changed (UpdatePullThroughCacheRule) with apply. uri is
// "<registry>/<prefix>": what --mirror points at.
EnsureRepositoryResult ecr_ensure_pull_through_cache(const AwsOptions &options,
                                                     const PullThroughCacheRule &rule,
                                                     bool apply = false);

// The settings ECR gives repositories it creates itself: on push (CREATE_ON_PUSH),
// for a pull-through cache (PULL_THROUGH_CACHE) or replication (REPLICATION).
struct RepositoryCreationTemplate {
  std::string prefix;                   // "ROOT": every repository without a closer one
  std::vector<std::string> applied_for; // REPLICATION, PULL_THROUGH_CACHE, CREATE_ON_PUSH
  bool immutable = false;
  std::vector<std::string> mutability_exclusions; // as RepositorySettings
  std::string encryption, kms_key;
  std::string lifecycle_policy; // JSON text, validated as for put-lifecycle-policy
  std::string description;
};

// DescribeRepositoryCreationTemplates; CreateRepositoryCreationTemplate when missing;
// differences reported, and applied (UpdateRepositoryCreationTemplate) with apply.
EnsureRepositoryResult ecr_ensure_creation_template(const AwsOptions &options,
                                                    const RepositoryCreationTemplate &t,
                                                    bool apply = false);

// --- Lifecycle policies -------------------------------------------------------------

// A policy from the shorthand: expire untagged images older than N days (priority 1)
// and keep the last N images of any tag status (last priority).
std::string lifecycle_policy_from_shorthand(std::optional<int> keep_last,
                                            std::optional<int> expire_untagged_days);

// `policy_json` (validated; "" = no rules yet) with a build cache rule first: images
// tagged with `tag_prefix` (berth build --cache-to's default tag "buildcache", or your
// cache tags' prefix) expire when not pushed for `days` days. Each build replaces its
// cache tag, so a cache in use is never that old; one of a branch gone quiet is. As
// priority 1, the rule keeps cache images out of every other rule (a --keep-last N
// never counts them). Error(invalid_argument) for days < 1, an empty or over-long
// prefix, or a policy ECR would refuse.
std::string lifecycle_policy_with_build_cache(const std::string &policy_json, int days,
                                              const std::string &tag_prefix = "buildcache");

// ECR's rules: JSON object with "rules"; unique rulePriority >= 1; tagStatus
// tagged|untagged|any (tagged needs tagPrefixList or tagPatternList; at most one
// "any" rule, with the highest priority number); countType imageCountMoreThan or
// sinceImagePushed (which needs countUnit "days"); countNumber >= 1; action
// {"type":"expire"}; at most 30,720 characters. Throws Error(invalid_argument)
// naming the rule and field.
void validate_lifecycle_policy(const std::string &policy_json);

struct ImageInfo {
  std::string digest;
  std::vector<std::string> tags;
  std::chrono::system_clock::time_point pushed_at;
  std::string media_type; // of the manifest ("" when unknown)
  // The image this one belongs to: the index that lists it, or the subject it is a
  // signature, SBOM or attestation of (OCI subject, or a cosign "sha256-<hex>.*"
  // tag). "" for an image of its own.
  std::string parent;
};

struct ExpiringImage {
  ImageInfo image;
  int rule_priority = 0;
  std::string unit; // the top image of its unit (its own digest for a top image)
};

// Applies a (valid) policy to a list of images, as ECR does: rules in priority
// order, each image claimed by the first rule whose selection it matches. An
// index, its children and the referrers of any of them are one unit: the rules
// judge the top image, and the rest go with it (an untagged child of a tagged index
// is not "untagged", a signature is kept as long as what it signs).
std::vector<ExpiringImage> lifecycle_preview(const std::string &policy_json,
                                             const std::vector<ImageInfo> &images,
                                             std::chrono::system_clock::time_point now);

// DescribeImages of a repository (all pages), with each image's parent found from
// the manifests (BatchGetImage) of its indexes and untagged images, and from cosign's
// "sha256-<hex>.sig|.att|.sbom" tags.
std::vector<ImageInfo> ecr_describe_images(const AwsOptions &options,
                                           const std::string &repository);

// Validates, then PutLifecyclePolicy.
void ecr_put_lifecycle_policy(const AwsOptions &options, const std::string &repository,
                              const std::string &policy_json);

// --- Scan gate ----------------------------------------------------------------------

struct ScanGateOptions {
  // This severity and every one above it count. A comma-separated list
  // ("CRITICAL,HIGH") counts from the lowest severity it names.
  std::string fail_on = "CRITICAL";
  int max = 0; // more counted findings than this fail the gate
  std::chrono::seconds timeout{BERTH_DEFAULT_SCAN_TIMEOUT_S};
  std::chrono::milliseconds poll{5000};
};

// The severity a fail_on list counts from: the lowest it names ("CRITICAL,HIGH" ->
// "HIGH"), case-insensitive, spaces ignored. Error(invalid_argument) for a name that
// is not an ECR severity, or an empty list.
std::string scan_gate_threshold(const std::string &fail_on);

// One finding at or above the gate's severity, for the step summary.
struct ScanFinding {
  std::string image;                      // the digest of the image it was found in
  std::string id;                         // CVE-2024-1234
  std::string severity;                   // CRITICAL, HIGH, ...
  std::string package, version, fixed_in; // "" when the scanner does not say
};

// The scan of one image (a plain image, or one platform of an index).
struct ScanGateImage {
  std::string digest, platform; // platform "" for a plain image
  std::string status;
  std::map<std::string, int> counts;
  int counted = 0;
  bool passed = false;
};

struct ScanGateResult {
  std::string status;                // COMPLETE, FAILED, ... (of the worst image)
  std::map<std::string, int> counts; // severity -> findings, of the worst image
  int counted = 0;                   // findings at or above fail_on, of the worst image
  bool passed = false;               // every image passed
  std::string table;                 // a Markdown table: a row per image, severities
  std::vector<ScanGateImage> images; // one, or each platform of an index
  std::vector<ScanFinding> findings; // at or above fail_on, every image
};

// {"status","counts","counted","passed","table","images":[...],"findings":[...]}: the
// CLI's --json and the C ABI's reply.
std::string to_json(const ScanGateResult &result);

// Starts a scan when none exists, waits for COMPLETE or FAILED (as "aws ecr wait
// image-scan-complete"), then judges the counts. image: a tag or "sha256:..". An
// index (multi-arch) is judged image by image, each child on its own; the worst
// decides (ECR scans images, not indexes).
// Throws Error(timeout) when the scan does not finish in time; returns passed=false
// (the caller turns that into Errc::gate_failed) when findings exceed the limit.
ScanGateResult ecr_scan_gate(const AwsOptions &options, const std::string &repository,
                             const std::string &image, const ScanGateOptions &gate);

} // namespace berth
