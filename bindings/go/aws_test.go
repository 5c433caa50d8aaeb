package berth_test

// AWS credentials, STS and ECR against moto on 127.0.0.1. moto
// ("python3 -m moto.server") plays STS and ECR: it starts on a free loopback
// port on first use, the tests wait until it answers, and TestMain stops it.
// Every test runs with no AWS variables, HOME and DOCKER_CONFIG in a temporary
// directory and the instance metadata service disabled (cleanAWSEnv), so
// nothing of the user's reaches libberth and nothing leaves the loopback
// interface. The tests change the environment, so none of them is parallel.
//
// The credentials are test values; even so, the tests compare secrets without
// printing them (sameSecret), as tests handling real ones must.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	berth "github.com/berth-project/berth/bindings/go"
)

const (
	awsAccount    = "123456789012"
	awsRegion     = "us-east-1"
	ecrRegistry   = awsAccount + ".dkr.ecr." + awsRegion + ".amazonaws.com"
	motoPassword  = awsAccount + "-auth-token" // moto's GetAuthorizationToken
	testKeyID     = "AKIDBERTHGOBINDINGTEST"
	testSecret    = "berth/go-binding+test-secret-access-key-0001"
	testToken     = "berth-go-binding-test-session-token-0001"
	profileKeyID  = "AKIDPROFILEKEY"
	profileSecret = "berth-go-binding-profile-secret-0001"
)

// ---------------------------------------------------------------------------
// moto

type motoServer struct {
	once   sync.Once
	cmd    *exec.Cmd
	exited chan struct{} // closed once cmd.Wait returned
	url    string
	log    bytes.Buffer
	skip   string
	err    error
}

var moto = &motoServer{}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// endpoint starts moto on first use and returns its URL; it skips the test
// when moto[server] is not installed.
func (m *motoServer) endpoint(t *testing.T) string {
	t.Helper()
	m.once.Do(func() {
		if out, err := exec.Command("python3", "-c", "import moto.server, flask, werkzeug").CombinedOutput(); err != nil {
			m.skip = "needs python3 with moto[server]: " + strings.TrimSpace(lastLine(string(out)))
			return
		}
		port := strconv.Itoa(freePort(t))
		m.url = "http://127.0.0.1:" + port
		m.cmd = exec.Command("python3", "-m", "moto.server", "-H", "127.0.0.1", "-p", port)
		m.cmd.Stdout, m.cmd.Stderr = &m.log, &m.log
		if err := m.cmd.Start(); err != nil {
			m.err = err
			return
		}
		exited := make(chan struct{})
		m.exited = exited
		go func() { m.cmd.Wait(); close(exited) }()
		client := &http.Client{Timeout: 2 * time.Second}
		for deadline := time.Now().Add(30 * time.Second); ; {
			select {
			case <-exited:
				m.err = fmt.Errorf("moto exited: %s", m.log.String())
				m.cmd = nil
				return
			default:
			}
			if resp, err := client.Post(m.url+"/moto-api/reset", "text/plain", nil); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return
				}
			}
			if time.Now().After(deadline) {
				m.err = fmt.Errorf("moto did not answer on %s within 30 s", m.url)
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	if m.skip != "" {
		t.Skip(m.skip)
	}
	if m.err != nil {
		t.Fatal(m.err)
	}
	return m.url
}

func (m *motoServer) stop() {
	if m.cmd == nil || m.cmd.Process == nil {
		return
	}
	m.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-m.exited:
	case <-time.After(10 * time.Second):
		m.cmd.Process.Kill()
		<-m.exited
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// ---------------------------------------------------------------------------
// Environment

// unsetenv removes a variable for the test and restores it afterwards.
func unsetenv(t *testing.T, name string) {
	t.Helper()
	t.Setenv(name, "") // registers the restore
	os.Unsetenv(name)
}

// cleanAWSEnv leaves the test no AWS configuration of the user's, no metadata
// service and a private HOME and DOCKER_CONFIG. It returns the temporary dir.
func cleanAWSEnv(t *testing.T) string {
	t.Helper()
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "AWS_") || strings.HasPrefix(name, "ACTIONS_ID_TOKEN_") {
			unsetenv(t, name)
		}
	}
	dir := t.TempDir()
	t.Setenv("HOME", filepath.Join(dir, "home"))
	t.Setenv("DOCKER_CONFIG", filepath.Join(dir, "docker"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	return dir
}

// withEnvKeys sets test keys in the environment and returns options that send
// every call to moto.
func withEnvKeys(t *testing.T) *berth.AWSOptions {
	t.Helper()
	url := moto.endpoint(t)
	cleanAWSEnv(t)
	t.Setenv("AWS_ACCESS_KEY_ID", testKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", testSecret)
	return &berth.AWSOptions{Region: awsRegion, ECREndpoint: url, STSEndpoint: url}
}

// sameSecret fails without showing either value.
func sameSecret(t *testing.T, what, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("%s differs from the expected value (values not shown)", what)
	}
}

func assertHidden(t *testing.T, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(text, s) {
			t.Errorf("a secret appears in formatted output (value not shown)")
		}
	}
}

func berthError(t *testing.T, err error, code int) *berth.Error {
	t.Helper()
	var be *berth.Error
	if !errors.As(err, &be) || be.Code != code {
		t.Fatalf("want an *berth.Error with code %d (%s), got %v", code, berth.CodeText(code), err)
	}
	return be
}

func uniqueRepo(t *testing.T) string {
	return "bind-go-" + strconv.FormatInt(time.Now().UnixNano()%1e10, 36) + "-" +
		strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name()))
}

var bg = context.Background()

// ---------------------------------------------------------------------------
// Credentials

func TestAWSCredentialsFromEnvironment(t *testing.T) {
	withEnvKeys(t)
	c, err := berth.AWSCredentials(bg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.AccessKeyID != testKeyID || c.Provider != "environment" {
		t.Errorf("AccessKeyID %q, Provider %q", c.AccessKeyID, c.Provider)
	}
	sameSecret(t, "SecretAccessKey", c.SecretAccessKey, testSecret)
	if c.SessionToken != "" || !c.Expiration.IsZero() {
		t.Errorf("long-term keys with a session token or an expiration: %v", c)
	}
}

func TestCredentialsFormattingHidesSecrets(t *testing.T) {
	withEnvKeys(t)
	t.Setenv("AWS_SESSION_TOKEN", testToken)
	c, err := berth.AWSCredentials(bg, &berth.AWSOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sameSecret(t, "SessionToken", c.SessionToken, testToken)
	var js, txt bytes.Buffer
	slog.New(slog.NewJSONHandler(&js, nil)).Info("creds", "c", c, "v", *c)
	slog.New(slog.NewTextHandler(&txt, nil)).Info("creds", "c", c)
	outputs := []string{c.String(), fmt.Sprint(c), fmt.Sprint(*c), fmt.Sprintf("%+v", *c),
		fmt.Sprintf("%#v", c), fmt.Sprintf("%#v", *c), fmt.Sprintf("%s|%q|%x|%d", c, c, *c, *c),
		fmt.Sprintf("%v", []*berth.Credentials{c}), fmt.Sprintf("%+v", struct{ C berth.Credentials }{*c}),
		js.String(), txt.String()}
	for _, s := range outputs {
		assertHidden(t, s, testSecret, testToken)
		if !strings.Contains(s, testKeyID) || !strings.Contains(s, "<redacted>") {
			t.Errorf("want the key id and <redacted> in %s", s)
		}
	}
}

func TestAWSCredentialsFromProfile(t *testing.T) {
	url := moto.endpoint(t)
	dir := cleanAWSEnv(t)
	config, creds := filepath.Join(dir, "config"), filepath.Join(dir, "credentials")
	if err := os.WriteFile(config, []byte("[profile berth-test]\nregion = "+awsRegion+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(creds, []byte("[berth-test]\naws_access_key_id = "+profileKeyID+
		"\naws_secret_access_key = "+profileSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CONFIG_FILE", config)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", creds)

	c, err := berth.AWSCredentials(bg, &berth.AWSOptions{Profile: "berth-test"})
	if err != nil {
		t.Fatal(err)
	}
	// Keys written in a profile are reported as "static" (botocore says
	// "shared-credentials-file").
	if c.AccessKeyID != profileKeyID || c.Provider != "static" {
		t.Errorf("AccessKeyID %q, Provider %q", c.AccessKeyID, c.Provider)
	}
	sameSecret(t, "SecretAccessKey", c.SecretAccessKey, profileSecret)

	// AWS_PROFILE selects it too, and its region serves STS (no Region given).
	t.Setenv("AWS_PROFILE", "berth-test")
	id, err := berth.CallerIdentity(bg, &berth.AWSOptions{STSEndpoint: url})
	if err != nil {
		t.Fatal(err)
	}
	if id.Account != awsAccount {
		t.Errorf("Account %q", id.Account)
	}

	_, err = berth.AWSCredentials(bg, &berth.AWSOptions{Profile: "no-such-profile"})
	// A profile that is named but missing stops the chain (botocore's
	// ProfileNotFound) instead of falling through to other providers.
	if be := berthError(t, err, berth.EConfig); !strings.Contains(be.Message, "no-such-profile") {
		t.Errorf("message %q does not name the profile", be.Message)
	}
}

func TestAWSCredentialsNoneAnywhere(t *testing.T) {
	cleanAWSEnv(t)
	_, err := berth.AWSCredentials(bg, nil)
	be := berthError(t, err, berth.EAuth)
	if !errors.Is(err, berth.ErrAuth) || !strings.HasPrefix(be.Message, "no AWS credentials found") {
		t.Errorf("got %v", err)
	}
	if !strings.Contains(be.Message, "AWS_EC2_METADATA_DISABLED") || be.HTTPStatus != 0 || be.AWSCode != "" {
		t.Errorf("got %+v", be)
	}

	// The calls that need credentials fail the same way before reaching moto.
	url := moto.endpoint(t)
	opts := &berth.AWSOptions{Region: awsRegion, ECREndpoint: url, STSEndpoint: url}
	_, err1 := berth.CallerIdentity(bg, opts)
	_, err2 := berth.ECRLogin(bg, "", opts)
	_, err3 := berth.ECRCall(bg, "DescribeRepositories", nil, nil, opts)
	for _, err := range []error{err1, err2, err3} {
		if be := berthError(t, err, berth.EAuth); !strings.HasPrefix(be.Message, "no AWS credentials found") {
			t.Errorf("got %v", err)
		}
	}
}

func TestAssumeRole(t *testing.T) {
	opts := withEnvKeys(t)
	opts.RoleARN = "arn:aws:iam::" + awsAccount + ":role/berth-binding"
	opts.RoleSessionName = "bind-go"
	opts.RoleDuration = 15 * time.Minute
	c, err := berth.AWSCredentials(bg, opts)
	if err != nil {
		t.Fatal(err)
	}
	if c.Provider != "assume role" || c.AccessKeyID == testKeyID || c.SessionToken == "" ||
		c.Expiration.IsZero() || c.Expiration.Location() != time.UTC {
		t.Errorf("got %v", c)
	}
	assertHidden(t, fmt.Sprintf("%v %+v %#v", c, *c, c), c.SecretAccessKey, c.SessionToken)

	id, err := berth.CallerIdentity(bg, opts)
	if err != nil {
		t.Fatal(err)
	}
	if want := "arn:aws:sts::" + awsAccount + ":assumed-role/berth-binding/bind-go"; id.ARN != want {
		t.Errorf("ARN %q, want %q", id.ARN, want)
	}
}

// ---------------------------------------------------------------------------
// STS and ECR

func TestCallerIdentity(t *testing.T) {
	id, err := berth.CallerIdentity(bg, withEnvKeys(t))
	if err != nil {
		t.Fatal(err)
	}
	if id.Account != awsAccount || !strings.HasPrefix(id.ARN, "arn:aws:sts::"+awsAccount+":") || id.UserID == "" {
		t.Errorf("got %+v", id)
	}
}

func TestECRLogin(t *testing.T) {
	opts := withEnvKeys(t)
	a, err := berth.ECRLogin(bg, "", opts)
	if err != nil {
		t.Fatal(err)
	}
	if a.Registry != ecrRegistry || a.Username != "AWS" || a.ExpiresAt.IsZero() {
		t.Errorf("got %v", a)
	}
	sameSecret(t, "Password", a.Password, motoPassword)
	for _, s := range []string{a.String(), fmt.Sprint(a), fmt.Sprintf("%+v|%#v|%s", *a, a, a)} {
		assertHidden(t, s, motoPassword)
		if !strings.Contains(s, ecrRegistry) || !strings.Contains(s, "<redacted>") {
			t.Errorf("want the registry and <redacted> in %s", s)
		}
	}

	// A named registry: its region serves when none is given.
	named, err := berth.ECRLogin(bg, ecrRegistry, &berth.AWSOptions{ECREndpoint: opts.ECREndpoint})
	if err != nil {
		t.Fatal(err)
	}
	if named.Registry != ecrRegistry {
		t.Errorf("Registry %q", named.Registry)
	}
	sameSecret(t, "Password", named.Password, motoPassword)

	_, err = berth.ECRLogin(bg, "registry.example.com", opts)
	if be := berthError(t, err, berth.EInvalid); !strings.Contains(be.Message, "not an ECR registry") {
		t.Errorf("got %v", err)
	}
}

func TestECREndpointFromEnvironment(t *testing.T) {
	url := moto.endpoint(t)
	withEnvKeys(t)
	t.Setenv("AWS_REGION", awsRegion)
	t.Setenv("AWS_ENDPOINT_URL_ECR", url)
	a, err := berth.ECRLogin(bg, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.Registry != ecrRegistry {
		t.Errorf("Registry %q", a.Registry)
	}
}

func TestECRLoginFromManyGoroutines(t *testing.T) {
	opts := withEnvKeys(t)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			a, err := berth.ECRLogin(bg, "", opts)
			if err == nil && a.Registry != ecrRegistry {
				err = fmt.Errorf("registry %q", a.Registry)
			}
			errs[i] = err
		}(i)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

type repository struct {
	RepositoryName     string `json:"repositoryName"`
	RepositoryURI      string `json:"repositoryUri"`
	RegistryID         string `json:"registryId"`
	ImageTagMutability string `json:"imageTagMutability"`
}

func TestECRCallRoundTrip(t *testing.T) {
	opts := withEnvKeys(t)
	name := uniqueRepo(t)

	var created struct{ Repository repository }
	raw, err := berth.ECRCall(bg, "CreateRepository",
		map[string]any{"repositoryName": name, "imageTagMutability": "IMMUTABLE"}, &created, opts)
	if err != nil {
		t.Fatal(err)
	}
	if created.Repository.RepositoryName != name || created.Repository.RepositoryURI != ecrRegistry+"/"+name {
		t.Errorf("created %+v", created.Repository)
	}
	if !json.Valid(raw) || !bytes.Contains(raw, []byte(name)) {
		t.Errorf("raw reply %s", raw)
	}

	// The body forms: a struct, JSON text as string, []byte and json.RawMessage.
	text := `{"repositoryNames":["` + name + `"]}`
	bodies := []any{
		struct {
			RepositoryNames []string `json:"repositoryNames"`
		}{[]string{name}},
		text, []byte(text), json.RawMessage(text), " \n" + text + "\n",
	}
	for _, body := range bodies {
		var described struct{ Repositories []repository }
		if _, err := berth.ECRCall(bg, "DescribeRepositories", body, &described, opts); err != nil {
			t.Fatalf("body %T: %v", body, err)
		}
		if len(described.Repositories) != 1 || described.Repositories[0].RepositoryName != name ||
			described.Repositories[0].ImageTagMutability != "IMMUTABLE" ||
			described.Repositories[0].RegistryID != awsAccount {
			t.Errorf("body %T: described %+v", body, described.Repositories)
		}
	}

	// No body means {}: every repository; out may be nil.
	raw, err = berth.ECRCall(bg, "DescribeRepositories", nil, nil, opts)
	if err != nil || !bytes.Contains(raw, []byte(`"`+name+`"`)) {
		t.Errorf("all repositories: %v %s", err, raw)
	}
	var nilMap map[string]any // marshals to null: sent as {}
	if _, err := berth.ECRCall(bg, "DescribeRepositories", nilMap, nil, opts); err != nil {
		t.Error(err)
	}

	_, err = berth.ECRCall(bg, "CreateRepository", map[string]string{"repositoryName": name}, nil, opts)
	if be := berthError(t, err, berth.EExists); be.AWSCode != "RepositoryAlreadyExistsException" {
		t.Errorf("got %v", err)
	}

	if _, err := berth.ECRCall(bg, "DeleteRepository", map[string]string{"repositoryName": name}, nil, opts); err != nil {
		t.Error(err)
	}
}

func TestECRCallNotFound(t *testing.T) {
	opts := withEnvKeys(t)
	name := uniqueRepo(t)
	raw, err := berth.ECRCall(bg, "DescribeRepositories", map[string][]string{"repositoryNames": {name}}, nil, opts)
	be := berthError(t, err, berth.ENotFound)
	if raw != nil || !errors.Is(err, berth.ErrNotFound) {
		t.Errorf("got %s, %v", raw, err)
	}
	if be.AWSCode != "RepositoryNotFoundException" || be.HTTPStatus != 400 || len(be.RequestID) < 8 ||
		!strings.Contains(be.Message, name) {
		t.Errorf("got %+v", be)
	}
	if s := err.Error(); !strings.Contains(s, "RepositoryNotFoundException") || !strings.Contains(s, be.RequestID) {
		t.Errorf("Error() = %q", s)
	}
}

func TestECRCallDecodeErrorKeepsTheReply(t *testing.T) {
	opts := withEnvKeys(t)
	var wrong struct{ Repositories string } // the reply has an array there
	raw, err := berth.ECRCall(bg, "DescribeRepositories", nil, &wrong, opts)
	var typeErr *json.UnmarshalTypeError
	if !errors.As(err, &typeErr) || !json.Valid(raw) {
		t.Errorf("got %v, %s", err, raw)
	}
}

func TestECRCallUnreachableEndpoint(t *testing.T) {
	withEnvKeys(t)
	port := freePort(t) // nothing listens there
	_, err := berth.ECRCall(bg, "DescribeRepositories", nil, nil,
		&berth.AWSOptions{Region: awsRegion, ECREndpoint: "http://127.0.0.1:" + strconv.Itoa(port)})
	berthError(t, err, berth.ENetwork)
}

func TestECRDockerLogin(t *testing.T) {
	opts := withEnvKeys(t)
	config := filepath.Join(t.TempDir(), "cfg", "config.json")
	if err := os.MkdirAll(filepath.Dir(config), 0o700); err != nil {
		t.Fatal(err)
	}
	other := base64.StdEncoding.EncodeToString([]byte("someone:else"))
	before := `{"auths":{"registry.example.com":{"auth":"` + other + `"}},"psFormat":"table {{.ID}}"}`
	if err := os.WriteFile(config, []byte(before), 0o600); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ { // the second login replaces the entry
		path, err := berth.ECRDockerLogin(bg, ecrRegistry, config, opts)
		if err != nil {
			t.Fatal(err)
		}
		if path != config {
			t.Errorf("path %q, want %q", path, config)
		}
	}
	raw, err := os.ReadFile(config)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Auths    map[string]struct{ Auth string }
		PsFormat string
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Auths) != 2 || doc.Auths["registry.example.com"].Auth != other || doc.PsFormat != "table {{.ID}}" {
		t.Errorf("other entries were not kept: %d auths, psFormat %q", len(doc.Auths), doc.PsFormat)
	}
	auth, _ := base64.StdEncoding.DecodeString(doc.Auths[ecrRegistry].Auth)
	sameSecret(t, "auth entry", string(auth), "AWS:"+motoPassword)
}

func TestECRDockerLoginDefaultsToDockerConfig(t *testing.T) {
	opts := withEnvKeys(t)
	path, err := berth.ECRDockerLogin(bg, "", "", opts)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(os.Getenv("DOCKER_CONFIG"), "config.json"); path != want {
		t.Errorf("path %q, want %q", path, want)
	}
	raw, _ := os.ReadFile(path)
	var doc struct{ Auths map[string]json.RawMessage }
	if err := json.Unmarshal(raw, &doc); err != nil || len(doc.Auths) != 1 || doc.Auths[ecrRegistry] == nil {
		t.Errorf("config.json has %d auths (%v)", len(doc.Auths), err)
	}
}

// ---------------------------------------------------------------------------
// Context and arguments (checked before libberth is called: no server needed)

func TestAWSContext(t *testing.T) {
	cleanAWSEnv(t)
	t.Setenv("AWS_ACCESS_KEY_ID", testKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", testSecret)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()

	calls := map[string]func(context.Context) error{
		"AWSCredentials": func(c context.Context) error { _, err := berth.AWSCredentials(c, nil); return err },
		"CallerIdentity": func(c context.Context) error { _, err := berth.CallerIdentity(c, nil); return err },
		"ECRLogin":       func(c context.Context) error { _, err := berth.ECRLogin(c, "", nil); return err },
		"ECRDockerLogin": func(c context.Context) error { _, err := berth.ECRDockerLogin(c, "", "", nil); return err },
		"ECRCall": func(c context.Context) error {
			_, err := berth.ECRCall(c, "DescribeRepositories", nil, nil, nil)
			return err
		},
	}
	for name, call := range calls {
		err := call(cancelled)
		berthError(t, err, berth.ECancelled)
		if !errors.Is(err, context.Canceled) || !errors.Is(err, berth.ErrCancelled) {
			t.Errorf("%s: got %v", name, err)
		}
		if err := call(expired); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s: got %v", name, err)
		}
		err = call(nil)
		if be := berthError(t, err, berth.EInvalid); !strings.Contains(be.Message, "context") {
			t.Errorf("%s: got %v", name, err)
		}
	}
	// Credentials resolve without the network: the call itself works.
	if err := calls["AWSCredentials"](context.Background()); err != nil {
		t.Error(err)
	}
}

func TestAWSBadOptions(t *testing.T) {
	cleanAWSEnv(t)
	cases := map[string]berth.AWSOptions{
		"negative duration":   {RoleDuration: -time.Second},
		"fractional duration": {RoleDuration: 1500 * time.Millisecond},
		"NUL in region":       {Region: "us-east-1\x00"},
		"NUL in profile":      {Profile: "a\x00b"},
		"NUL in role":         {RoleARN: "arn\x00"},
		"NUL in endpoint":     {ECREndpoint: "http://x\x00"},
		"NUL in CA bundle":    {CABundle: "/tmp/\x00"},
	}
	for name, opts := range cases {
		opts := opts
		_, err1 := berth.AWSCredentials(bg, &opts)
		_, err2 := berth.CallerIdentity(bg, &opts)
		_, err3 := berth.ECRLogin(bg, "", &opts)
		_, err4 := berth.ECRDockerLogin(bg, "", "", &opts)
		_, err5 := berth.ECRCall(bg, "DescribeRepositories", nil, nil, &opts)
		for i, err := range []error{err1, err2, err3, err4, err5} {
			if !errors.Is(err, berth.ErrInvalid) {
				t.Errorf("%s, call %d: got %v", name, i+1, err)
			}
		}
	}
	_, err := berth.ECRLogin(bg, "a\x00b", nil)
	berthError(t, err, berth.EInvalid)
	_, err = berth.ECRDockerLogin(bg, "", "/tmp/x\x00y", nil)
	berthError(t, err, berth.EInvalid)
}

func TestECRCallBadArguments(t *testing.T) {
	cleanAWSEnv(t)
	var notPointer struct{}
	var nilPointer *struct{}
	cases := []struct {
		name      string
		operation string
		body, out any
	}{
		{"empty operation", "", nil, nil},
		{"space", "Describe Repositories", nil, nil},
		{"header injection", "DescribeRepositories\r\nX-Evil: 1", nil, nil},
		{"non-ASCII", "Désc", nil, nil},
		{"broken JSON", "DescribeRepositories", "{", nil},
		{"array", "DescribeRepositories", "[]", nil},
		{"array bytes", "DescribeRepositories", []byte(`["x"]`), nil},
		{"marshalled array", "DescribeRepositories", []string{"x"}, nil},
		{"number", "DescribeRepositories", 5, nil},
		{"unmarshalable", "DescribeRepositories", map[string]any{"c": make(chan int)}, nil},
		{"empty string", "DescribeRepositories", "", nil},
		{"out not a pointer", "DescribeRepositories", nil, notPointer},
		{"out nil pointer", "DescribeRepositories", nil, nilPointer},
	}
	for _, c := range cases {
		raw, err := berth.ECRCall(bg, c.operation, c.body, c.out, &berth.AWSOptions{Region: awsRegion})
		if !errors.Is(err, berth.ErrInvalid) || raw != nil {
			t.Errorf("%s: got %s, %v", c.name, raw, err)
		}
	}
}
