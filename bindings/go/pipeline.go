package berth

/*
#include <stdlib.h>
#include <berth.h>
*/
import "C"

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"runtime"
	"strconv"
	"time"
)

// ---------------------------------------------------------------------------
// Tags

// CIContext describes the build that [TagsCompute] computes tags for, as
// GitHub Actions' GITHUB_* variables do.
type CIContext struct {
	Event         string // "push", "pull_request", "schedule", ...
	Ref           string // "refs/heads/main", "refs/tags/v1.2.3", ...
	SHA           string
	DefaultBranch string
	Repository    string    // "owner/name"
	ServerURL     string    // "https://github.com"
	Created       time.Time // the image's creation time for labels; zero: now
}

// TagOptions configures [TagsCompute].
type TagOptions struct {
	// Rules are docker/metadata-action tag rules ("type=ref,event=branch",
	// "type=semver,pattern={{version}}", "type=sha", ...); none: its defaults.
	Rules []string
	// Latest is "auto" (""), "true" or "false".
	Latest string
	// Prefix and Suffix wrap every tag.
	Prefix, Suffix string
	// Context describes the build; nil reads the GITHUB_* environment.
	Context *CIContext
}

// TagResult is what [TagsCompute] computed.
type TagResult struct {
	Tags    []string          // in order; the first is the main one
	Version string            // e.g. "1.2.3" for a v1.2.3 tag push
	Labels  map[string]string // org.opencontainers.image.* labels
}

// localCall runs a berth function that needs no AWS options, on one locked OS
// thread, and returns the string it gave back through char **out (if any).
func localCall(args []string, call func(out **C.char, args []*C.char) C.int) (string, error) {
	if err := CheckABI(); err != nil {
		return "", err
	}
	var strs cStrings
	defer strs.free()
	cargs := make([]*C.char, len(args))
	for i, a := range args {
		if a != "" {
			cargs[i] = strs.add(a)
		}
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var out *C.char
	rc := call(&out, cargs)
	return replyAndError(rc, out)
}

// TagsCompute computes image tags with docker/metadata-action semantics.
func TagsCompute(opts TagOptions) (*TagResult, error) {
	req := map[string]any{"rules": opts.Rules, "prefix": opts.Prefix, "suffix": opts.Suffix}
	if opts.Rules == nil {
		req["rules"] = []string{}
	}
	if opts.Latest != "" {
		req["latest"] = opts.Latest
	}
	if c := opts.Context; c != nil {
		ctx := map[string]any{"event": c.Event, "ref": c.Ref, "sha": c.SHA,
			"default_branch": c.DefaultBranch, "repository": c.Repository, "server_url": c.ServerURL}
		if !c.Created.IsZero() {
			ctx["created"] = c.Created.Unix()
		}
		req["context"] = ctx
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, invalid("TagsCompute: " + err.Error())
	}
	if err := checkNUL([]namedString{{"TagOptions", string(body)}}); err != nil {
		return nil, err
	}
	raw, err := localCall([]string{string(body)}, func(out **C.char, a []*C.char) C.int {
		return C.berth_tags_compute(out, a[0])
	})
	if err != nil {
		return nil, err
	}
	var r TagResult
	if err := decodeReply("TagsCompute", raw, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// ---------------------------------------------------------------------------
// Lifecycle policies

// LifecyclePolicyShorthand returns an ECR lifecycle policy (JSON text) that
// keeps the keepLast most recent images and expires untagged images older than
// expireUntaggedDays days; 0 leaves a rule out, and one of them is needed.
func LifecyclePolicyShorthand(keepLast, expireUntaggedDays int) (string, error) {
	if keepLast < 0 || keepLast > math.MaxInt32 || expireUntaggedDays < 0 || expireUntaggedDays > math.MaxInt32 {
		return "", invalid("LifecyclePolicyShorthand: counts must be positive (0 leaves the rule out)")
	}
	if keepLast == 0 && expireUntaggedDays == 0 {
		return "", invalid("LifecyclePolicyShorthand needs keepLast or expireUntaggedDays")
	}
	return localCall(nil, func(out **C.char, _ []*C.char) C.int {
		return C.berth_lifecycle_policy_shorthand(out, C.int32_t(keepLast), C.int32_t(expireUntaggedDays))
	})
}

// LifecyclePolicyWithBuildCache returns policy (JSON text; "" for no rules yet)
// with a build cache rule put first: images tagged with tagPrefix ("" means
// "buildcache", the default tag of [DockerfileOptions].CacheTo) expire when not
// pushed for days days. Each build replaces its cache tag, so a cache in use is
// never that old. The other rules' priorities move up by one: as priority 1, the
// rule keeps cache images out of every other rule (a keep-last count never counts
// them). The result is validated; an *Error of code EInvalid for days < 1, an
// over-long prefix, or a policy ECR would refuse.
func LifecyclePolicyWithBuildCache(policy string, days int, tagPrefix string) (string, error) {
	if err := checkNUL([]namedString{{"policy", policy}, {"tagPrefix", tagPrefix}}); err != nil {
		return "", err
	}
	if days < 1 || days > math.MaxInt32 {
		return "", invalid("LifecyclePolicyWithBuildCache: days must be at least 1, not " + strconv.Itoa(days))
	}
	if tagPrefix == "" {
		tagPrefix = "buildcache"
	}
	return localCall([]string{policy, tagPrefix}, func(out **C.char, a []*C.char) C.int {
		return C.berth_lifecycle_policy_with_build_cache(out, a[0], C.int32_t(days), a[1])
	})
}

// LifecyclePolicyValidate checks a lifecycle policy (JSON text) against ECR's
// rules; an *Error of code EInvalid names the rule and field at fault.
func LifecyclePolicyValidate(policy string) error {
	if err := checkNUL([]namedString{{"policy", policy}}); err != nil {
		return err
	}
	if policy == "" {
		return invalid("LifecyclePolicyValidate: the policy is empty")
	}
	_, err := localCall([]string{policy}, func(_ **C.char, a []*C.char) C.int {
		return C.berth_lifecycle_policy_validate(a[0])
	})
	return err
}

// ---------------------------------------------------------------------------
// ECR

// RepositorySettings are what [ECREnsureRepository] creates a repository with
// and compares an existing one against.
type RepositorySettings struct {
	ScanOnPush bool
	Immutable  bool // immutable tags
	// ECR wildcard tag filters ("latest", "dev-*") that keep the other
	// mutability: IMMUTABLE_WITH_EXCLUSION with Immutable.
	MutabilityExclusions []string
	Encryption           string // "AES256" or "KMS"; "" for ECR's default
	KMSKey               string // with Encryption "KMS"
}

// RepositoryStatus is what [ECREnsureRepository] found and did.
type RepositoryStatus struct {
	Created     bool     `json:"created"`
	URI         string   `json:"uri"`
	Differences []string `json:"differences"` // settings of an existing repository that differ
	Updated     bool     `json:"updated"`     // differences were applied
}

// ECREnsureRepository describes the ECR repository name and creates it with
// settings when missing. Differences of an existing repository are reported;
// with apply, the settings that can change (scan on push, tag mutability) are
// updated. ctx cancels it as for [AWSCredentials].
func ECREnsureRepository(ctx context.Context, name string, settings RepositorySettings, apply bool, opts *AWSOptions) (*RepositoryStatus, error) {
	if name == "" {
		return nil, invalid("ECREnsureRepository needs a repository name")
	}
	s := map[string]any{"scanOnPush": settings.ScanOnPush, "immutable": settings.Immutable}
	if settings.Encryption != "" {
		s["encryption"] = settings.Encryption
	}
	if settings.KMSKey != "" {
		s["kmsKey"] = settings.KMSKey
	}
	if len(settings.MutabilityExclusions) > 0 {
		s["mutabilityExclusions"] = settings.MutabilityExclusions
	}
	body, _ := json.Marshal(s)
	if err := checkNUL([]namedString{{"name", name}, {"settings", string(body)}}); err != nil {
		return nil, err
	}
	raw, err := awsCall(ctx, "ECREnsureRepository", opts, []string{name, string(body)},
		func(out **C.char, a []*C.char, o *C.berth_aws_options) C.int {
			return C.berth_ecr_ensure_repository(out, a[0], a[1], cBool(apply), o)
		})
	if err != nil {
		return nil, err
	}
	var r RepositoryStatus
	if err := decodeReply("ECREnsureRepository", raw, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// ensureCall runs one of the ensure-* calls with a JSON request.
func ensureCall(ctx context.Context, what string, request any, opts *AWSOptions,
	call func(out **C.char, req *C.char, o *C.berth_aws_options) C.int) (*RepositoryStatus, error) {
	body, err := json.Marshal(request)
	if err != nil {
		return nil, invalid(what + ": " + err.Error())
	}
	if err := checkNUL([]namedString{{"request", string(body)}}); err != nil {
		return nil, err
	}
	raw, err := awsCall(ctx, what, opts, []string{string(body)},
		func(out **C.char, a []*C.char, o *C.berth_aws_options) C.int { return call(out, a[0], o) })
	if err != nil {
		return nil, err
	}
	var r RepositoryStatus
	if err := decodeReply(what, raw, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// PullThroughCacheRule makes an ECR repository prefix a cache of an upstream
// registry: the first pull of <registry>/<Prefix>/<repository> fetches it.
type PullThroughCacheRule struct {
	Prefix        string `json:"prefix"`                  // "docker-hub", "ghcr", ...
	UpstreamURL   string `json:"upstreamUrl"`             // "registry-1.docker.io", ...
	CredentialARN string `json:"credentialArn,omitempty"` // a Secrets Manager secret
}

// ECREnsurePullThroughCache creates the rule when missing. An existing rule with
// another upstream is reported in Differences (it cannot change); another
// CredentialARN is changed with apply. URI is "<registry>/<prefix>", what a
// mirror points at ([RegistryOptions].Mirrors).
func ECREnsurePullThroughCache(ctx context.Context, rule PullThroughCacheRule, apply bool, opts *AWSOptions) (*RepositoryStatus, error) {
	if rule.Prefix == "" || rule.UpstreamURL == "" {
		return nil, invalid("ECREnsurePullThroughCache needs a Prefix and an UpstreamURL")
	}
	return ensureCall(ctx, "ECREnsurePullThroughCache", rule, opts,
		func(out **C.char, req *C.char, o *C.berth_aws_options) C.int {
			return C.berth_ecr_ensure_pull_through_cache(out, req, cBool(apply), o)
		})
}

// CreationTemplate is the settings ECR gives repositories under Prefix ("ROOT":
// all without a closer template) that it creates itself.
type CreationTemplate struct {
	Prefix string `json:"prefix"`
	// "CREATE_ON_PUSH", "PULL_THROUGH_CACHE", "REPLICATION".
	AppliedFor           []string `json:"appliedFor"`
	Immutable            bool     `json:"immutable"`
	MutabilityExclusions []string `json:"mutabilityExclusions,omitempty"`
	Encryption           string   `json:"encryption,omitempty"`
	KMSKey               string   `json:"kmsKey,omitempty"`
	LifecyclePolicy      string   `json:"lifecyclePolicy,omitempty"` // JSON text
	Description          string   `json:"description,omitempty"`
}

// ECREnsureCreationTemplate creates the template when missing; differences are
// reported and, with apply, changed.
func ECREnsureCreationTemplate(ctx context.Context, t CreationTemplate, apply bool, opts *AWSOptions) (*RepositoryStatus, error) {
	if t.Prefix == "" {
		return nil, invalid("ECREnsureCreationTemplate needs a Prefix (or ROOT)")
	}
	return ensureCall(ctx, "ECREnsureCreationTemplate", t, opts,
		func(out **C.char, req *C.char, o *C.berth_aws_options) C.int {
			return C.berth_ecr_ensure_creation_template(out, req, cBool(apply), o)
		})
}

// ExpiringImage is an image a lifecycle policy would expire.
type ExpiringImage struct {
	Digest       string    `json:"digest"`
	Tags         []string  `json:"tags"`
	PushedAt     time.Time `json:"pushedAt"`
	RulePriority int       `json:"rulePriority"` // the rule that expires it
	// Unit is the top image of its unit: an index for its children, the subject
	// for a signature or SBOM, the image itself otherwise. A unit expires whole.
	Unit string `json:"unit"`
}

// LifecyclePreview is what [ECRLifecyclePreview] found.
type LifecyclePreview struct {
	Images []ExpiringImage `json:"images"`
	Total  int             `json:"total"` // images in the repository
}

func policyArgs(what, repository, policy string) error {
	if repository == "" || policy == "" {
		return invalid(what + " needs a repository and a policy")
	}
	return checkNUL([]namedString{{"repository", repository}, {"policy", policy}})
}

// ECRLifecyclePreview lists the images of repository that policy (JSON text)
// would expire now; nothing is changed. ctx cancels it as for [AWSCredentials].
func ECRLifecyclePreview(ctx context.Context, repository, policy string, opts *AWSOptions) (*LifecyclePreview, error) {
	if err := policyArgs("ECRLifecyclePreview", repository, policy); err != nil {
		return nil, err
	}
	raw, err := awsCall(ctx, "ECRLifecyclePreview", opts, []string{repository, policy},
		func(out **C.char, a []*C.char, o *C.berth_aws_options) C.int {
			return C.berth_ecr_lifecycle_preview(out, a[0], a[1], o)
		})
	if err != nil {
		return nil, err
	}
	var r LifecyclePreview
	if err := decodeReply("ECRLifecyclePreview", raw, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// ECRPutLifecyclePolicy validates policy (EInvalid), then sets it on
// repository. ctx cancels it as for [AWSCredentials].
func ECRPutLifecyclePolicy(ctx context.Context, repository, policy string, opts *AWSOptions) error {
	if err := policyArgs("ECRPutLifecyclePolicy", repository, policy); err != nil {
		return err
	}
	_, err := awsCall(ctx, "ECRPutLifecyclePolicy", opts, []string{repository, policy},
		func(_ **C.char, a []*C.char, o *C.berth_aws_options) C.int {
			return C.berth_ecr_put_lifecycle_policy(a[0], a[1], o)
		})
	return err
}

// ScanGateOptions configures [ECRScanGate].
type ScanGateOptions struct {
	// FailOn is the lowest severity that counts: "CRITICAL" (""), "HIGH",
	// "MEDIUM", "LOW", "INFORMATIONAL" or "UNDEFINED".
	FailOn string
	// Max is how many counted findings pass.
	Max int
	// Timeout bounds the wait for the scan (whole seconds); 0 means
	// [DefaultScanTimeout].
	Timeout time.Duration
}

// ScanGateResult is what [ECRScanGate] found.
type ScanGateResult struct {
	Status  string         `json:"status"` // the scan's, e.g. "COMPLETE" (of the worst image)
	Counts  map[string]int `json:"counts"` // findings per severity (of the worst image)
	Counted int            `json:"counted"`
	Passed  bool           `json:"passed"` // every image passed
	Table   string         `json:"table"`  // a markdown summary
	// Images is the one image, or each platform of an index (ECR scans images,
	// never indexes): each is judged on its own.
	Images []ScanGateImage `json:"images"`
	// Findings at or above the gate's severity, in every image.
	Findings []ScanFinding `json:"findings"`
}

// ScanGateImage is the scan of one image of [ScanGateResult].
type ScanGateImage struct {
	Digest   string         `json:"digest"`
	Platform string         `json:"platform"` // "" for a plain image
	Status   string         `json:"status"`
	Counts   map[string]int `json:"counts"`
	Counted  int            `json:"counted"`
	Passed   bool           `json:"passed"`
}

// ScanFinding is one finding of [ScanGateResult].
type ScanFinding struct {
	Image    string `json:"image"` // the image's digest
	ID       string `json:"id"`    // e.g. CVE-2024-1234
	Severity string `json:"severity"`
	Package  string `json:"package"`
	Version  string `json:"version"`
	FixedIn  string `json:"fixedIn"`
}

// ECRScanGate fails when the scan of image (a tag or "sha256:...") in
// repository has more than gate.Max findings at or above gate.FailOn. It starts
// a scan when none exists and waits up to gate.Timeout (ETimeout after that).
//
// When the gate fails, ECRScanGate returns both the result (Passed false, the
// counts and table) and an *Error of code EGate (errors.Is(err,
// berth.ErrGate)). ctx cancels it as for [AWSCredentials].
func ECRScanGate(ctx context.Context, repository, image string, gate ScanGateOptions, opts *AWSOptions) (*ScanGateResult, error) {
	if repository == "" || image == "" {
		return nil, invalid("ECRScanGate needs a repository and an image")
	}
	if err := checkNUL([]namedString{{"repository", repository}, {"image", image}, {"FailOn", gate.FailOn}}); err != nil {
		return nil, err
	}
	if gate.Max < 0 || gate.Max > math.MaxInt32 {
		return nil, invalid("ScanGateOptions.Max must not be negative, not " + strconv.Itoa(gate.Max))
	}
	if gate.Timeout < 0 || gate.Timeout%time.Second != 0 {
		return nil, invalid("ScanGateOptions.Timeout must be a whole, positive number of seconds (0: " +
			DefaultScanTimeout.String() + ")")
	}
	raw, err := awsCall(ctx, "ECRScanGate", opts, []string{repository, image, gate.FailOn},
		func(out **C.char, a []*C.char, o *C.berth_aws_options) C.int {
			return C.berth_ecr_scan_gate(out, a[0], a[1], a[2], C.int32_t(gate.Max),
				C.int64_t(gate.Timeout/time.Second), o)
		})
	if err != nil && (raw == "" || !errors.Is(err, ErrGate)) {
		return nil, err
	}
	var r ScanGateResult
	if derr := decodeReply("ECRScanGate", raw, &r); derr != nil {
		return nil, derr
	}
	return &r, err
}
