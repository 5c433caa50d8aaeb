package berth_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	berth "github.com/berth-project/berth/bindings/go"
)

// Sign a request with the Authorization header. A fixed Time makes the output
// reproducible; leave Time zero to sign with the current time.
func ExampleSignRequest() {
	signed, err := berth.SignRequest(berth.SignInput{
		Method:    "GET",
		URL:       "https://example.amazonaws.com/",
		Region:    "us-east-1",
		Service:   "service",
		AccessKey: "AKIDEXAMPLE",
		SecretKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
		Time:      time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC),
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(signed.Method, signed.URL)
	for _, h := range signed.Headers {
		fmt.Printf("%s: %s\n", h.Name, h.Value)
	}
	// Output:
	// GET https://example.amazonaws.com/
	// Host: example.amazonaws.com
	// X-Amz-Date: 20150830T123600Z
	// Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31
}

// Presign a URL valid for one hour: the signature travels in the query, so the
// URL can be handed to a client without credentials.
func ExampleSignRequest_presign() {
	signed, err := berth.SignRequest(berth.SignInput{
		Method:         "GET",
		URL:            "https://example.amazonaws.com/",
		Region:         "us-east-1",
		Service:        "service",
		AccessKey:      "AKIDEXAMPLE",
		SecretKey:      "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
		Time:           time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC),
		PresignExpires: time.Hour,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(signed.Signature)
	// Output:
	// e93c787ed7f371d5c6b165c1b38ede9550f4dce4144713e844b25b7192d3865d
}

// Check at program start that the libberth found at run time has the ABI of the
// berth.h this package was compiled against; every call checks it too.
func ExampleCheckABI() {
	if err := berth.CheckABI(); err != nil {
		log.Fatal(err) // an *Error with code EUnsupported
	}
	fmt.Println("ABI", berth.ABIVersion(), "as compiled:", berth.ABIVersion() == berth.HeaderABIVersion)
	// Output:
	// ABI 2 as compiled: true
}

// Build an image from a directory into an OCI layout, with no daemon and no
// network. A fixed Created makes the build reproducible: the same inputs give
// the same digest.
func ExampleBuild() {
	work, err := os.MkdirTemp("", "berth-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(work)
	app := filepath.Join(work, "app")
	if err := os.MkdirAll(app, 0o755); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(app, "run.sh"), []byte("echo hello\n"), 0o755); err != nil {
		log.Fatal(err)
	}

	build := func(layout string) *berth.BuildResult {
		res, err := berth.Build(context.Background(), berth.BuildOptions{
			Output:     "oci:" + filepath.Join(work, layout) + ":v1",
			Layers:     []string{app + ":/opt/app"},
			Entrypoint: []string{"/bin/sh", "/opt/app/run.sh"},
			Platform:   "linux/amd64",
			Created:    time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
		})
		if err != nil {
			log.Fatal(err)
		}
		return res
	}
	first, again := build("layout"), build("again")
	fmt.Println(first.MediaType)
	fmt.Println("layers built:", first.LayersBuilt)
	fmt.Println("same digest:", first.Digest == again.Digest)
	// Output:
	// application/vnd.oci.image.manifest.v1+json
	// layers built: 1
	// same digest: true
}

// Compute image tags from a CI context with docker/metadata-action's rules. A
// nil Context reads the GITHUB_* environment instead.
func ExampleTagsCompute() {
	res, err := berth.TagsCompute(berth.TagOptions{
		Rules: []string{"type=semver,pattern={{version}}", "type=semver,pattern={{major}}.{{minor}}", "type=sha"},
		Context: &berth.CIContext{
			Event: "push", Ref: "refs/tags/v1.2.3", SHA: "0123456789abcdef0123456789abcdef01234567",
			DefaultBranch: "main", Repository: "octo/app", ServerURL: "https://github.com",
			Created: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Tags)
	fmt.Println(res.Version, res.Labels["org.opencontainers.image.source"])
	// Output:
	// [1.2.3 1.2 sha-0123456 latest]
	// 1.2.3 https://github.com/octo/app
}

// Make an ECR lifecycle policy that keeps the last 30 images and expires
// untagged ones after a week, and check it against ECR's rules locally.
func ExampleLifecyclePolicyShorthand() {
	policy, err := berth.LifecyclePolicyShorthand(30, 7)
	if err != nil {
		log.Fatal(err)
	}
	if err := berth.LifecyclePolicyValidate(policy); err != nil {
		log.Fatal(err) // EInvalid names the rule and the field
	}
	var parsed struct {
		Rules []struct {
			Description string `json:"description"`
		} `json:"rules"`
	}
	if err := json.Unmarshal([]byte(policy), &parsed); err != nil {
		log.Fatal(err)
	}
	for _, r := range parsed.Rules {
		fmt.Println(r.Description)
	}
	err = berth.LifecyclePolicyValidate(`{"rules": [{"rulePriority": 0}]}`)
	fmt.Println(errors.Is(err, berth.ErrInvalid))
	// Output:
	// Expire untagged images older than 7 days
	// Keep the last 30 images
	// true
}

// A build cache rule first: cache tags (DockerfileOptions.CacheTo's "buildcache")
// untouched for 14 days expire, and the shorthand's rules never count them.
func ExampleLifecyclePolicyWithBuildCache() {
	policy, err := berth.LifecyclePolicyShorthand(30, 7)
	if err != nil {
		log.Fatal(err)
	}
	policy, err = berth.LifecyclePolicyWithBuildCache(policy, 14, "")
	if err != nil {
		log.Fatal(err)
	}
	var parsed struct {
		Rules []struct {
			RulePriority int    `json:"rulePriority"`
			Description  string `json:"description"`
		} `json:"rules"`
	}
	if err := json.Unmarshal([]byte(policy), &parsed); err != nil {
		log.Fatal(err)
	}
	for _, r := range parsed.Rules {
		fmt.Println(r.RulePriority, r.Description)
	}
	// Output:
	// 1 Expire build caches (buildcache*) not pushed for 14 days
	// 2 Expire untagged images older than 7 days
	// 3 Keep the last 30 images
}

// Log in to a registry as docker login does, then out again. (Not run: it needs a
// registry.)
func ExampleLogin() {
	ctx := context.Background()
	path, err := berth.Login(ctx, "registry.example:5000", "ci", os.Getenv("REGISTRY_TOKEN"),
		&berth.LoginOptions{Timeout: time.Minute})
	if errors.Is(err, berth.ErrAuth) {
		log.Fatal("refused: ", err) // nothing was written; the password is not in err
	} else if err != nil {
		log.Fatal(err)
	}
	fmt.Println("written:", path) // berth.Copy, docker and skopeo now find the login
	if removed, err := berth.Logout("registry.example:5000", ""); err == nil && removed {
		fmt.Println("logged out")
	}
}

// Copy an image from an OCI layout to a registry, printing each finished blob,
// and stop cleanly on Ctrl-C. (Not run: it needs a registry.)
func ExampleCopy() {
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()
	res, err := berth.Copy(ctx, "oci:/tmp/layout:v1", "docker://127.0.0.1:5000/app:v1",
		&berth.CopyOptions{
			// "" leaves the destination's credentials to the docker keychain.
			Dst:  berth.RegistryOptions{Creds: os.Getenv("REGISTRY_CREDS")},
			Jobs: 2 * berth.DefaultJobs,
			Progress: func(p berth.Progress) bool {
				if p.Event == berth.BlobDone || p.Event == berth.BlobSkipped {
					fmt.Printf("%-12v %s %d/%d bytes\n", p.Event, p.Digest, p.OverallBytes, p.OverallTotal)
				}
				return false
			},
		})
	switch {
	case errors.Is(err, context.Canceled):
		log.Fatal("interrupted")
	case err != nil:
		log.Fatal(err)
	}
	fmt.Printf("%s: %d blobs copied, %d already there, %d mounted, %d referrers in %v\n",
		res.Digest, res.BlobsCopied, res.BlobsSkipped, res.BlobsMounted, res.Referrers, res.Duration)
	for _, w := range res.Warnings {
		fmt.Println("warning:", w)
	}
}

// Log docker in to an ECR registry with the credentials the AWS chain finds
// (environment, profile, web identity, ECS, IMDS) used to assume a role, then
// copy an image there with the keychain entry just written. (Not run: it
// needs AWS.)
func ExampleECRLogin() {
	ctx := context.Background()
	const registry = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
	opts := &berth.AWSOptions{
		Profile: "ci", // else AWS_PROFILE, else the environment and the rest of the chain
		RoleARN: "arn:aws:iam::123456789012:role/push", RoleSessionName: "release",
	}

	login, err := berth.ECRLogin(ctx, registry, opts)
	if errors.Is(err, berth.ErrAuth) {
		log.Fatal("no usable AWS credentials: ", err)
	} else if err != nil {
		log.Fatal(err)
	}
	fmt.Println(login) // the password is shown as <redacted>
	fmt.Println("valid until", login.ExpiresAt.Format(time.RFC3339))

	// Or write it into docker's config.json ($DOCKER_CONFIG or ~/.docker), where
	// docker, skopeo and berth.Copy find it.
	path, err := berth.ECRDockerLogin(ctx, registry, "", opts)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("logged in via", path)
	if _, err := berth.Copy(ctx, "oci:/tmp/layout:v1", "docker://"+registry+"/app:v1", nil); err != nil {
		log.Fatal(err)
	}
}

// Call an ECR API operation, decoding the reply into a struct; AWS errors keep
// their code and request id. (Not run: it needs AWS.)
func ExampleECRCall() {
	var reply struct {
		Repositories []struct {
			RepositoryName string `json:"repositoryName"`
			RepositoryURI  string `json:"repositoryUri"`
		} `json:"repositories"`
	}
	_, err := berth.ECRCall(context.Background(), "DescribeRepositories",
		map[string]any{"repositoryNames": []string{"app"}}, &reply,
		&berth.AWSOptions{Region: "eu-west-1"})
	var be *berth.Error
	switch {
	case errors.Is(err, berth.ErrNotFound) && errors.As(err, &be):
		log.Fatalf("%s (request id %s)", be.AWSCode, be.RequestID) // RepositoryNotFoundException
	case err != nil:
		log.Fatal(err)
	}
	for _, r := range reply.Repositories {
		fmt.Println(r.RepositoryName, r.RepositoryURI)
	}
}
