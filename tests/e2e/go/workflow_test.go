// The CI workflow of scripts/demo.sh as a Go test, through the Go binding.
//
// TestMain starts tests/ecr_stack (moto with IAM auth on, OIDC endpoint, the ECR
// front with TLS) and two plain docker-registry instances (tests/servers) with their
// CLIs, and stops them at the end. TestWorkflow then runs the steps in order:
// OIDC token -> AssumeRoleWithWebIdentity -> ECR token -> ensure repository ->
// build -> push with computed tags (through an expired ECR token) -> scan gate ->
// lifecycle policy -> replicate -> pull back everywhere and verify the digest.
//
// The binding is used where it has the function (AWSCredentials, CallerIdentity,
// ECRLogin, ECRCall, Copy); build, tags, ensure-repository, scan-gate,
// put-lifecycle-policy and replicate run the berth CLI (BERTH_CLI, else
// build-e2e/bin/berth or build/bin/berth of the checkout) until the binding has them.
//
// Build against an installed prefix:
//
//	PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig LD_LIBRARY_PATH=$PREFIX/lib go test ./...
package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	berth "github.com/berth-project/berth/bindings/go"
)

const (
	sha = "860c1904a1ce19322e91ac35af1ab07466440c37"
)

var (
	repoRoot  string
	workDir   string
	ecrState  map[string]any
	regions   []string // host:port of the two plain registries
	berthCLI  string
	adminKey  [2]string
	roleCreds *berth.Credentials
	fallbacks = map[string]bool{}
	ruleArgs  = []string{"--tag-rule", "type=ref,event=branch", "--tag-rule", "type=sha",
		"--tag-rule", "type=raw,value=build-42",
		"--tag-rule", "type=raw,value=latest,enable={{is_default_branch}}"}
	expectedTags = []string{"main", "sha-860c190", "build-42", "latest"}
)

// ---------------------------------------------------------------------------------
// the stack

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	_, file, _, _ := runtime.Caller(0)
	repoRoot = filepath.Clean(filepath.Join(filepath.Dir(file), "..", "..", ".."))
	var err error
	if workDir, err = os.MkdirTemp("", "berth-e2e-go-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(workDir)
	berthCLI = os.Getenv("BERTH_CLI")
	if berthCLI == "" {
		for _, d := range []string{"build-e2e", "build"} {
			c := filepath.Join(repoRoot, d, "bin", "berth")
			if _, err := os.Stat(c); err == nil {
				berthCLI = c
				break
			}
		}
	}
	t0 := time.Now()
	ecrDir := filepath.Join(workDir, "ecr")
	stop := []func(){}
	defer func() {
		for i := len(stop) - 1; i >= 0; i-- {
			stop[i]()
		}
	}()
	py := func(args ...string) (string, error) {
		cmd := exec.Command("python3", args...)
		cmd.Dir = repoRoot
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return "", fmt.Errorf("python3 %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		return strings.TrimSpace(string(out)), nil
	}
	ecrPy := filepath.Join(repoRoot, "tests", "ecr_stack", "ecr_stack.py")
	srvPy := filepath.Join(repoRoot, "tests", "servers", "stack.py")
	stop = append(stop, func() { py(ecrPy, "down", "--state-dir", ecrDir) })
	if _, err := py(ecrPy, "up", "--state-dir", ecrDir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := readJSON(filepath.Join(ecrDir, "ecr_stack.json"), &ecrState); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for _, r := range []string{"region2", "region3"} {
		dir := filepath.Join(workDir, r)
		stop = append(stop, func() { py(srvPy, "down", "--state-dir", dir) })
		if _, err := py(srvPy, "up", "--kind", "plain", "--state-dir", dir); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		var s map[string]any
		if err := readJSON(filepath.Join(dir, "stack.json"), &s); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		regions = append(regions, str(s, "registry", "hostport"))
	}
	fmt.Fprintf(os.Stderr, "[e2e go] stack up in %.1fs\n", time.Since(t0).Seconds())

	// A clean AWS environment, as in scripts/demo.sh.
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AWS_") || strings.HasPrefix(k, "GITHUB_") || strings.HasPrefix(k, "ACTIONS_") {
			os.Unsetenv(k)
		}
	}
	home := filepath.Join(workDir, "home")
	os.MkdirAll(home, 0o700)
	setenv := map[string]string{
		"HOME": home, "DOCKER_CONFIG": filepath.Join(home, ".docker"),
		"AWS_REGION": str(ecrState, "region"), "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_ENDPOINT_URL":  str(ecrState, "aws_endpoint_url"),
		"BERTH_CONNECT_TO":  str(ecrState, "front", "connect_to_all"),
		"SSL_CERT_FILE":     str(ecrState, "tls", "ca_file"),
		"SOURCE_DATE_EPOCH": "1767225600",
	}
	for k, v := range setenv {
		os.Setenv(k, v)
	}
	adminKey = [2]string{str(ecrState, "users", "admin", "access_key_id"),
		str(ecrState, "users", "admin", "secret_access_key")}
	rc := m.Run()
	names := []string{}
	for k := range fallbacks {
		names = append(names, k)
	}
	sort.Strings(names)
	fmt.Fprintf(os.Stderr, "[e2e go] %.1fs; through the CLI (not in the Go binding): %s\n",
		time.Since(t0).Seconds(), strings.Join(names, ", "))
	return rc
}

// ---------------------------------------------------------------------------------
// helpers

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// str walks a JSON object by keys and returns the string (or number) at the end.
func str(m map[string]any, keys ...string) string {
	var cur any = m
	for _, k := range keys {
		mm, ok := cur.(map[string]any)
		if !ok {
			return ""
		}
		cur = mm[k]
	}
	switch v := cur.(type) {
	case string:
		return v
	case float64:
		return fmt.Sprint(int64(v))
	}
	return ""
}

func repositoryURI() string { return str(ecrState, "repository_uri") }
func repository() string    { return str(ecrState, "repository") }
func frontControl() string  { return str(ecrState, "front", "control_url") }

// withEnv sets (value != "") or unsets (value == "") variables around fn.
func withEnv(vars map[string]string, fn func()) {
	saved := map[string]*string{}
	for k, v := range vars {
		if old, ok := os.LookupEnv(k); ok {
			o := old
			saved[k] = &o
		} else {
			saved[k] = nil
		}
		if v == "" {
			os.Unsetenv(k)
		} else {
			os.Setenv(k, v)
		}
	}
	defer func() {
		for k, v := range saved {
			if v == nil {
				os.Unsetenv(k)
			} else {
				os.Setenv(k, *v)
			}
		}
	}()
	fn()
}

func asAdmin(fn func()) {
	withEnv(map[string]string{"AWS_ACCESS_KEY_ID": adminKey[0], "AWS_SECRET_ACCESS_KEY": adminKey[1],
		"AWS_SESSION_TOKEN": ""}, fn)
}

type cliResult struct {
	code           int
	stdout, stderr string
}

func cli(t *testing.T, fallback string, args ...string) cliResult {
	t.Helper()
	if fallback != "" {
		fallbacks[fallback] = true
	}
	if berthCLI == "" {
		t.Fatal("no berth CLI (set BERTH_CLI)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, berthCLI, args...)
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	err := cmd.Run()
	r := cliResult{stdout: so.String(), stderr: se.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		r.code = ee.ExitCode() // -1: killed by a signal
		if r.code < 0 {
			r.stderr += "\n(" + err.Error() + ")"
		}
	} else if err != nil {
		t.Fatalf("berth %s: %v", strings.Join(args, " "), err)
	}
	return r
}

func mustCLI(t *testing.T, fallback string, args ...string) string {
	t.Helper()
	r := cli(t, fallback, args...)
	if r.code != 0 {
		t.Fatalf("berth %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

func httpDo(t *testing.T, method, url, ctype string, body []byte, out any) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s: %d %s", method, url, resp.StatusCode, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, url, err, raw)
		}
	}
}

type frontRecord struct {
	Method, Path, Kind, Auth string
	Action                   *string
	Status                   int
	Authorization            bool
	Range                    *string
	Headers                  map[string]string
}

func frontRequests(t *testing.T) []frontRecord {
	var recs []frontRecord
	httpDo(t, "GET", frontControl()+"/requests", "", nil, &recs)
	return recs
}

func s3Requests(t *testing.T) []frontRecord {
	var recs []frontRecord
	httpDo(t, "GET", frontControl()+"/s3-requests", "", nil, &recs)
	return recs
}

func clearFront(t *testing.T) { httpDo(t, "DELETE", frontControl()+"/requests", "", nil, nil) }

func writeRandom(t *testing.T, path string, n int) {
	b := make([]byte, n)
	rand.Read(b)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// ---------------------------------------------------------------------------------
// the workflow

func TestWorkflow(t *testing.T) {
	ctx := context.Background()
	var digest string
	var tags []string
	step := func(name string, fn func(t *testing.T)) {
		if t.Failed() {
			t.Logf("skipping %s: an earlier step failed", name)
			return
		}
		t0 := time.Now()
		t.Run(name, fn)
		t.Logf("%s: %.2fs", name, time.Since(t0).Seconds())
	}

	step("01_oidc_web_identity", func(t *testing.T) {
		role := str(ecrState, "roles", "ci_pusher", "arn")
		var err error
		withEnv(map[string]string{
			"ACTIONS_ID_TOKEN_REQUEST_URL":   str(ecrState, "oidc", "request_url"),
			"ACTIONS_ID_TOKEN_REQUEST_TOKEN": str(ecrState, "oidc", "request_token"),
		}, func() {
			// AssumeRoleWithWebIdentity is unsigned: let exactly one through moto.
			httpDo(t, "POST", str(ecrState, "moto", "reset_auth_url"), "text/plain", []byte("1"), nil)
			roleCreds, err = berth.AWSCredentials(ctx, &berth.AWSOptions{RoleARN: role, RoleSessionName: "berth-e2e-go"})
		})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(roleCreds.AccessKeyID, "ASIA") || roleCreds.SessionToken == "" || roleCreds.Expiration.IsZero() {
			t.Fatalf("not temporary credentials: %v", roleCreds)
		}
		if !strings.Contains(roleCreds.Provider, "web identity") {
			t.Errorf("provider %q", roleCreds.Provider)
		}
		if s := fmt.Sprintf("%v %+v %#v", roleCreds, roleCreds, roleCreds); strings.Contains(s, roleCreds.SecretAccessKey) {
			t.Error("secret in the formatted credentials")
		}
		var oidcReqs []map[string]any
		httpDo(t, "GET", str(ecrState, "oidc", "requests_url"), "", nil, &oidcReqs)
		if len(oidcReqs) == 0 || oidcReqs[len(oidcReqs)-1]["audience"] != "sts.amazonaws.com" {
			t.Errorf("OIDC requests: %v", oidcReqs)
		}
		os.Setenv("AWS_ACCESS_KEY_ID", roleCreds.AccessKeyID)
		os.Setenv("AWS_SECRET_ACCESS_KEY", roleCreds.SecretAccessKey)
		os.Setenv("AWS_SESSION_TOKEN", roleCreds.SessionToken)
		who, err := berth.CallerIdentity(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if who.Account != str(ecrState, "account") || !strings.Contains(who.ARN, "assumed-role/ci-pusher/") {
			t.Errorf("caller %+v", who)
		}
	})

	step("02_ecr_token", func(t *testing.T) {
		login, err := berth.ECRLogin(ctx, str(ecrState, "front", "host"), nil)
		if err != nil {
			t.Fatal(err)
		}
		if login.Username != "AWS" || login.Password != str(ecrState, "front", "password") ||
			login.Registry != str(ecrState, "front", "host") {
			t.Errorf("login %v", login)
		}
		if strings.Contains(fmt.Sprint(login), login.Password) {
			t.Error("password in the formatted login")
		}
	})

	step("03_repository", func(t *testing.T) {
		var desc struct {
			Repositories []struct {
				RepositoryURI              string `json:"repositoryUri"`
				ImageScanningConfiguration struct {
					ScanOnPush bool `json:"scanOnPush"`
				} `json:"imageScanningConfiguration"`
			} `json:"repositories"`
		}
		asAdmin(func() {
			mustCLI(t, "ECREnsureRepository", "ecr", "ensure-repository", repository(), "--scan-on-push", "--apply")
			if _, err := berth.ECRCall(ctx, "DescribeRepositories",
				map[string]any{"repositoryNames": []string{repository()}}, &desc, nil); err != nil {
				t.Fatal(err)
			}
		})
		if len(desc.Repositories) != 1 || desc.Repositories[0].RepositoryURI != repositoryURI() ||
			!desc.Repositories[0].ImageScanningConfiguration.ScanOnPush {
			t.Errorf("repository %+v", desc)
		}
		// ci-pusher may not create repositories.
		_, err := berth.ECRCall(ctx, "CreateRepository", map[string]any{"repositoryName": "berth/other"}, nil, nil)
		var be *berth.Error
		if !errors.As(err, &be) || be.AWSCode != "AccessDenied" || be.HTTPStatus != 403 || be.Code != berth.EDenied {
			t.Errorf("CreateRepository as ci-pusher: %v", err)
		}
		r := cli(t, "", "ecr", "ensure-repository", "berth/other")
		if r.code == 0 || !strings.Contains(r.stderr, "AccessDenied") {
			t.Errorf("ensure-repository as ci-pusher: exit %d, %s", r.code, r.stderr)
		}
	})

	step("04_build", func(t *testing.T) {
		w := workDir
		for _, d := range []string{"base/etc", "base/usr/share/demo", "app/static"} {
			os.MkdirAll(filepath.Join(w, d), 0o755)
		}
		os.WriteFile(filepath.Join(w, "base/etc/passwd"), []byte("demo:x:1000:1000::/app:/bin/sh\n"), 0o644)
		writeRandom(t, filepath.Join(w, "base/usr/share/demo/runtime.bin"), 3_000_000)
		os.WriteFile(filepath.Join(w, "app/server"), []byte("#!/bin/sh\necho \"hello from berth\"\n"), 0o755)
		// over berth's 16 MiB monolithic limit: this layer goes up in PATCHes
		writeRandom(t, filepath.Join(w, "app/static/assets.bin"), 18_000_000)
		base := "oci:" + w + "/base-image:1"
		mustCLI(t, "Build", "build", "--layer", w+"/base", "--platform", "linux/amd64", "--output", base, "--quiet")
		build := func(out string) string {
			return strings.TrimSpace(mustCLI(t, "Build", "build", "--from", base, "--layer", w+"/app:/app",
				"--compression", "gzip", "--entrypoint", `["/app/server"]`, "--env", "APP_ENV=production",
				"--workdir", "/app", "--user", "1000", "--expose", "8080",
				"--label", "org.opencontainers.image.source=https://github.com/org/app",
				"--output", out, "--quiet"))
		}
		d1 := build("oci:" + w + "/image:build")
		d2 := build("oci:" + w + "/image-again:build")
		if !strings.HasPrefix(d1, "sha256:") || len(d1) != 71 || d1 != d2 {
			t.Fatalf("build digests %q %q", d1, d2)
		}
		digest = d1
	})

	step("05_push_with_tags_through_expired_token", func(t *testing.T) {
		event := filepath.Join(workDir, "event.json")
		os.WriteFile(event, []byte(`{"repository":{"default_branch":"main"}}`), 0o644)
		withEnv(map[string]string{"GITHUB_EVENT_NAME": "push", "GITHUB_REF": "refs/heads/main",
			"GITHUB_SHA": sha, "GITHUB_REPOSITORY": "org/app", "GITHUB_EVENT_PATH": event}, func() {
			var res struct{ Tags []string }
			if err := json.Unmarshal([]byte(mustCLI(t, "TagsCompute", append([]string{"tags", "compute", "--json"}, ruleArgs...)...)), &res); err != nil {
				t.Fatal(err)
			}
			tags = res.Tags
		})
		if strings.Join(tags, ",") != strings.Join(expectedTags, ",") {
			t.Fatalf("tags %v", tags)
		}
		clearFront(t)
		httpDo(t, "POST", frontControl()+"/expired", "application/json", []byte(`{"next": 1}`), nil)
		src := "oci:" + workDir + "/image:build"
		for i, tag := range tags {
			r, err := berth.Copy(ctx, src, "docker://"+repositoryURI()+":"+tag, nil)
			if err != nil {
				t.Fatalf("push %s: %v", tag, err)
			}
			if r.Digest != digest {
				t.Errorf("pushed %s, built %s", r.Digest, digest)
			}
			if i == 0 && r.BlobsCopied < 3 || i > 0 && r.BlobsCopied != 0 {
				t.Errorf("push %s: %+v", tag, r)
			}
		}
		recs := frontRequests(t)
		expired := -1
		for i, r := range recs {
			if r.Auth == "expired" {
				if expired >= 0 {
					t.Errorf("two expired answers")
				}
				expired = i
				if r.Status != 403 {
					t.Errorf("expired answer %d", r.Status)
				}
			}
		}
		if expired < 0 {
			t.Fatal("the front never answered 'token has expired'")
		}
		okAfter := 0
		for _, r := range recs[expired+1:] {
			if r.Auth == "ok" && r.Status < 300 {
				okAfter++
			}
		}
		if okAfter == 0 {
			t.Error("no success after the expired-token 403")
		}
		patches, manifestPuts := 0, 0
		for _, r := range recs {
			if r.Method == "PATCH" {
				patches++
				if r.Status != 201 {
					t.Errorf("PATCH %s answered %d", r.Path, r.Status)
				}
			}
			if r.Kind == "manifest" && r.Method == "PUT" {
				manifestPuts++
				if r.Status != 201 {
					t.Errorf("manifest PUT %s answered %d", r.Path, r.Status)
				}
			}
		}
		if patches == 0 || manifestPuts < len(tags) {
			t.Errorf("%d PATCHes, %d manifest PUTs", patches, manifestPuts)
		}
		// DescribeImages (moto, as the admin) sees the image with every tag.
		var images struct {
			ImageDetails []struct {
				ImageDigest string   `json:"imageDigest"`
				ImageTags   []string `json:"imageTags"`
			} `json:"imageDetails"`
		}
		asAdmin(func() {
			if _, err := berth.ECRCall(ctx, "DescribeImages", map[string]any{"repositoryName": repository()}, &images, nil); err != nil {
				t.Fatal(err)
			}
		})
		seen := map[string]bool{}
		for _, d := range images.ImageDetails {
			if d.ImageDigest == digest {
				for _, tg := range d.ImageTags {
					seen[tg] = true
				}
			}
		}
		for _, tg := range tags {
			if !seen[tg] {
				t.Errorf("DescribeImages: tag %s missing (%+v)", tg, images)
			}
		}
	})

	step("06_scan_gate", func(t *testing.T) {
		ref := repositoryURI() + ":main"
		gate := func(failOn string) cliResult {
			var r cliResult
			asAdmin(func() {
				r = cli(t, "ECRScanGate", "ecr", "scan-gate", ref, "--fail-on", failOn, "--max", "0",
					"--timeout", "60s", "--poll-ms", "500")
			})
			if r.code != 0 && r.code != 4 {
				t.Fatalf("scan-gate: exit %d: %s", r.code, r.stderr)
			}
			return r
		}
		if r := gate("CRITICAL"); r.code != 0 {
			t.Fatalf("CRITICAL gate failed: %s %s", r.stdout, r.stderr)
		}
		findings := map[string]any{
			"region": str(ecrState, "region"),
			"results": []any{map[string]any{
				"registryId": str(ecrState, "account"), "repositoryName": repository(),
				"imageId":         map[string]string{"imageDigest": digest},
				"imageScanStatus": map[string]string{"status": "COMPLETE", "description": "The scan was completed successfully."},
				"imageScanFindings": map[string]any{
					"findingSeverityCounts": map[string]int{"HIGH": 3, "MEDIUM": 2},
					"findings": []any{
						map[string]any{"name": "CVE-2099-H1", "severity": "HIGH", "uri": "https://example.invalid/1"},
						map[string]any{"name": "CVE-2099-H2", "severity": "HIGH", "uri": "https://example.invalid/2"},
						map[string]any{"name": "CVE-2099-H3", "severity": "HIGH", "uri": "https://example.invalid/3"},
						map[string]any{"name": "CVE-2099-M1", "severity": "MEDIUM", "uri": "https://example.invalid/4"},
						map[string]any{"name": "CVE-2099-M2", "severity": "MEDIUM", "uri": "https://example.invalid/5"},
					},
				},
			}},
		}
		body, _ := json.Marshal(findings)
		httpDo(t, "POST", str(ecrState, "moto", "scan_findings_url"), "application/json", body, nil)
		if r := gate("HIGH"); r.code != 4 || !strings.Contains(r.stdout+r.stderr, "3") {
			t.Errorf("HIGH gate should fail with 3 findings: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		if r := gate("CRITICAL"); r.code != 0 {
			t.Errorf("CRITICAL gate with HIGH/MEDIUM findings failed: %s %s", r.stdout, r.stderr)
		}
	})

	step("07_lifecycle_policy", func(t *testing.T) {
		var back struct {
			LifecyclePolicyText string `json:"lifecyclePolicyText"`
		}
		asAdmin(func() {
			mustCLI(t, "ECRPutLifecyclePolicy", "ecr", "put-lifecycle-policy", repository(), "--keep-last", "10",
				"--expire-untagged-after", "7")
			if _, err := berth.ECRCall(ctx, "GetLifecyclePolicy", map[string]any{"repositoryName": repository()}, &back, nil); err != nil {
				t.Fatal(err)
			}
		})
		var pol struct {
			Rules []struct {
				RulePriority int `json:"rulePriority"`
				Selection    struct {
					TagStatus   string `json:"tagStatus"`
					CountType   string `json:"countType"`
					CountNumber int    `json:"countNumber"`
				} `json:"selection"`
				Action struct{ Type string } `json:"action"`
			} `json:"rules"`
		}
		if err := json.Unmarshal([]byte(back.LifecyclePolicyText), &pol); err != nil {
			t.Fatalf("%v: %s", err, back.LifecyclePolicyText)
		}
		sort.Slice(pol.Rules, func(i, j int) bool { return pol.Rules[i].RulePriority < pol.Rules[j].RulePriority })
		if len(pol.Rules) != 2 ||
			pol.Rules[0].Selection.TagStatus != "untagged" || pol.Rules[0].Selection.CountType != "sinceImagePushed" ||
			pol.Rules[0].Selection.CountNumber != 7 ||
			pol.Rules[1].Selection.TagStatus != "any" || pol.Rules[1].Selection.CountType != "imageCountMoreThan" ||
			pol.Rules[1].Selection.CountNumber != 10 || pol.Rules[1].Action.Type != "expire" {
			t.Errorf("policy read back: %s", back.LifecyclePolicyText)
		}
	})

	step("08_replicate_and_pull_back", func(t *testing.T) {
		src := repositoryURI() + ":main"
		dsts := []string{regions[0] + "/org/app:main", regions[1] + "/org/app:main"}
		clearFront(t)
		out := mustCLI(t, "Replicate", append(append([]string{"replicate", src}, dsts...), "--quiet")...)
		if !strings.Contains(out, digest) {
			t.Errorf("replicate printed %q", out)
		}
		checkRedirects(t)
		clearFront(t)
		for i, ref := range append([]string{src}, dsts...) {
			dir := filepath.Join(workDir, fmt.Sprintf("pulled-%d", i))
			r, err := berth.Copy(ctx, "docker://"+ref, "oci:"+dir+":main", nil)
			if err != nil {
				t.Fatalf("pull %s: %v", ref, err)
			}
			if r.Digest != digest {
				t.Errorf("%s: %s, built %s", ref, r.Digest, digest)
			}
			var idx struct {
				Manifests []struct{ Digest string } `json:"manifests"`
			}
			if err := readJSON(filepath.Join(dir, "index.json"), &idx); err != nil || len(idx.Manifests) != 1 || idx.Manifests[0].Digest != digest {
				t.Errorf("%s: index.json %+v %v", ref, idx, err)
			}
		}
		if n := checkRedirects(t); n != 3 {
			t.Errorf("the ECR pull made %d blob GETs, want 3", n)
		}
	})

	step("09_pull_through_cache_mirror", func(t *testing.T) {
		// The first plain registry stands for an upstream (Docker Hub, GHCR): a
		// pull-through cache rule in ECR, then a pull of the upstream's name
		// through it (the cache fetches on that first pull), by digest.
		ecrOpts := &berth.AWSOptions{ECREndpoint: str(ecrState, "control_plane", "url")}
		asAdmin(func() {
			rule := berth.PullThroughCacheRule{Prefix: "upstream-cache", UpstreamURL: regions[0]}
			made, err := berth.ECREnsurePullThroughCache(ctx, rule, false, ecrOpts)
			if err != nil || !made.Created || made.URI != str(ecrState, "front", "host")+"/upstream-cache" {
				t.Fatalf("pull-through cache rule: %+v, %v", made, err)
			}
			again, err := berth.ECREnsurePullThroughCache(ctx, rule, false, ecrOpts)
			if err != nil || again.Created || len(again.Differences) != 0 {
				t.Fatalf("again: %+v, %v", again, err)
			}
			tpl, err := berth.ECREnsureCreationTemplate(ctx, berth.CreationTemplate{Prefix: "upstream-cache",
				AppliedFor: []string{"PULL_THROUGH_CACHE"}, Immutable: true}, false, ecrOpts)
			if err != nil || !tpl.Created {
				t.Fatalf("creation template: %+v, %v", tpl, err)
			}
			dir := filepath.Join(workDir, "pulled-through")
			r, err := berth.Copy(ctx, "docker://"+regions[0]+"/org/app:main", "oci:"+dir+":main",
				&berth.CopyOptions{Src: berth.RegistryOptions{Mirrors: []string{regions[0] + "=" + made.URI}}})
			if err != nil || r.Digest != digest {
				t.Fatalf("pull through the cache: %+v, %v", r, err)
			}
			var desc struct {
				Repositories []struct{ ImageTagMutability string }
			}
			if _, err := berth.ECRCall(ctx, "DescribeRepositories",
				map[string]any{"repositoryNames": []string{"upstream-cache/org/app"}}, &desc, nil); err != nil {
				t.Fatalf("the cache made no repository: %v", err)
			}
			if len(desc.Repositories) != 1 || desc.Repositories[0].ImageTagMutability != "IMMUTABLE" {
				t.Errorf("cache repository %+v: want the template's IMMUTABLE", desc)
			}
		})
	})

	step("10_copy_into_a_new_repository", func(t *testing.T) {
		// ECR has no create-on-push: without CreateRepository the copy meets
		// NAME_UNKNOWN; with it, the repository is made with the source's settings.
		dst := "docker://" + str(ecrState, "front", "host") + "/berth/go-created:main"
		asAdmin(func() {
			_, err := berth.Copy(ctx, "docker://"+repositoryURI()+":main", dst, nil)
			if !errors.Is(err, berth.ErrNotFound) {
				t.Fatalf("copy into a missing repository: %v", err)
			}
			r, err := berth.Copy(ctx, "docker://"+repositoryURI()+":main", dst, &berth.CopyOptions{CreateRepository: true})
			if err != nil || r.Digest != digest {
				t.Fatalf("copy with CreateRepository: %+v, %v", r, err)
			}
			var desc struct {
				Repositories []struct {
					ImageScanningConfiguration struct{ ScanOnPush bool }
				}
			}
			if _, err := berth.ECRCall(ctx, "DescribeRepositories",
				map[string]any{"repositoryNames": []string{"berth/go-created"}}, &desc, nil); err != nil {
				t.Fatal(err)
			}
			if len(desc.Repositories) != 1 || !desc.Repositories[0].ImageScanningConfiguration.ScanOnPush {
				t.Errorf("created %+v: want the source's scan-on-push", desc)
			}
		})
	})
}

// checkRedirects: every whole-blob GET at the front was a 307 to the S3 side, and the
// S3 side saw no Authorization header. Returns the number of blob GETs.
func checkRedirects(t *testing.T) int {
	t.Helper()
	n := 0
	for _, r := range frontRequests(t) {
		if r.Kind != "blob" || r.Method != "GET" || r.Headers["range"] != "" {
			continue
		}
		n++
		if r.Action == nil || *r.Action != "redirect" || r.Status != 307 {
			t.Errorf("blob GET %s: status %d action %v", r.Path, r.Status, r.Action)
		}
	}
	s3 := s3Requests(t)
	if len(s3) == 0 {
		t.Error("nothing was read from the S3 side")
	}
	for _, r := range s3 {
		if r.Authorization || (r.Status != 200 && r.Status != 206) {
			t.Errorf("S3 %s: authorization %v status %d", r.Path, r.Authorization, r.Status)
		}
	}
	return n
}
