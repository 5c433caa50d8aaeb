package berth_test

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	berth "github.com/berth-project/berth/bindings/go"
)

// The AWS SigV4 test suite (aws-c-auth's copy, see tests/data/sigv4/README.md),
// found relative to this package's directory in the berth repository.
// BERTH_SIGV4_SUITE names another copy of its v4 directory.
func suiteDir(t *testing.T) string {
	if dir := os.Getenv("BERTH_SIGV4_SUITE"); dir != "" {
		return dir
	}
	dir := filepath.Join("..", "..", "tests", "data", "sigv4", "v4")
	if _, err := os.Stat(dir); err != nil {
		// Only outside a berth checkout (e.g. from a module cache).
		t.Skipf("SigV4 suite not found at %s (set BERTH_SIGV4_SUITE): %v", dir, err)
	}
	return dir
}

type httpMessage struct {
	method, target string
	headers        []berth.Header
	body           []byte
}

// parseMessage reads request.txt and *-signed-request.txt: "METHOD target
// HTTP/1.1" (the target may hold spaces), Name:value lines where a line starting
// with whitespace continues the previous value, an empty line, then the body.
func parseMessage(t *testing.T, text string) httpMessage {
	var m httpMessage
	first, rest, _ := strings.Cut(text, "\n")
	method, target, ok := strings.Cut(first, " ")
	target, ok2 := strings.CutSuffix(target, " HTTP/1.1")
	if !ok || !ok2 {
		t.Fatalf("bad request line %q", first)
	}
	m.method, m.target = method, target
	for rest != "" {
		var line string
		line, rest, _ = strings.Cut(rest, "\n")
		if line == "" {
			m.body = []byte(rest)
			break
		}
		if (line[0] == ' ' || line[0] == '\t') && len(m.headers) > 0 {
			m.headers[len(m.headers)-1].Value += "\n" + line
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			t.Fatalf("bad header line %q", line)
		}
		m.headers = append(m.headers, berth.Header{Name: name, Value: value})
	}
	return m
}

type suiteContext struct {
	Credentials struct {
		AccessKeyID     string `json:"access_key_id"`
		SecretAccessKey string `json:"secret_access_key"`
		Token           string `json:"token"`
	} `json:"credentials"`
	ExpirationInSeconds int64  `json:"expiration_in_seconds"`
	Normalize           bool   `json:"normalize"`
	Region              string `json:"region"`
	Service             string `json:"service"`
	SignBody            bool   `json:"sign_body"`
	Timestamp           string `json:"timestamp"`
	OmitSessionToken    bool   `json:"omit_session_token"`
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func expected(t *testing.T, path string) string {
	return strings.TrimRight(readFile(t, path), "\r\n")
}

// headerSet lower-cases names and sorts, since header order does not matter.
func headerSet(hs []berth.Header) []string {
	out := make([]string, 0, len(hs))
	for _, h := range hs {
		out = append(out, strings.ToLower(h.Name)+":"+h.Value)
	}
	sort.Strings(out)
	return out
}

// queryParams decodes and sorts "k=v" pairs, since their order does not matter.
func queryParams(t *testing.T, query string) []string {
	out := []string{}
	for _, p := range strings.Split(query, "&") {
		if p == "" {
			continue
		}
		d, err := url.PathUnescape(p)
		if err != nil {
			t.Fatalf("query %q: %v", query, err)
		}
		out = append(out, d)
	}
	sort.Strings(out)
	return out
}

func TestSigV4Suite(t *testing.T) {
	dir := suiteDir(t)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var cases []string
	for _, e := range entries {
		if e.IsDir() {
			cases = append(cases, e.Name())
		}
	}
	if len(cases) != 38 {
		t.Fatalf("found %d cases in %s, want 38", len(cases), dir)
	}
	for _, name := range cases {
		caseDir := filepath.Join(dir, name)
		for _, mode := range []string{"header", "query"} {
			mode := mode // go 1.21 semantics: one variable per loop
			t.Run(name+"/"+mode, func(t *testing.T) {
				t.Parallel()
				runCase(t, caseDir, mode)
			})
		}
	}
}

func runCase(t *testing.T, dir, mode string) {
	var ctx suiteContext
	if err := json.Unmarshal([]byte(readFile(t, filepath.Join(dir, "context.json"))), &ctx); err != nil {
		t.Fatal(err)
	}
	ts, err := time.Parse(time.RFC3339, ctx.Timestamp)
	if err != nil {
		t.Fatal(err)
	}
	req := parseMessage(t, readFile(t, filepath.Join(dir, "request.txt")))
	host := ""
	for _, h := range req.headers {
		if h.Name == "Host" {
			host = h.Value
		}
	}
	in := berth.SignInput{
		Method:               req.method,
		URL:                  "https://" + host + req.target,
		Headers:              req.headers,
		Body:                 req.body,
		Region:               ctx.Region,
		Service:              ctx.Service,
		AccessKey:            ctx.Credentials.AccessKeyID,
		SecretKey:            ctx.Credentials.SecretAccessKey,
		SessionToken:         ctx.Credentials.Token,
		Time:                 ts,
		NoNormalizePath:      !ctx.Normalize,
		UnsignedSessionToken: ctx.OmitSessionToken,
		// sign_body: header mode adds and signs x-amz-content-sha256; query mode
		// only hashes the body (which berth always does).
		ContentSHA256Header: ctx.SignBody && mode == "header",
	}
	if mode == "query" {
		in.PresignExpires = time.Duration(ctx.ExpirationInSeconds) * time.Second
	}
	out, err := berth.SignRequest(in)
	if err != nil {
		t.Fatalf("SignRequest: %v", err)
	}

	if want := expected(t, filepath.Join(dir, mode+"-canonical-request.txt")); out.CanonicalRequest != want {
		t.Errorf("canonical request:\n got %q\nwant %q", out.CanonicalRequest, want)
	}
	if want := expected(t, filepath.Join(dir, mode+"-string-to-sign.txt")); out.StringToSign != want {
		t.Errorf("string to sign:\n got %q\nwant %q", out.StringToSign, want)
	}
	if want := expected(t, filepath.Join(dir, mode+"-signature.txt")); out.Signature != want {
		t.Errorf("signature: got %s, want %s", out.Signature, want)
	}

	// The signed request: method, headers as a set, path, and query as a set.
	want := parseMessage(t, readFile(t, filepath.Join(dir, mode+"-signed-request.txt")))
	if out.Method != want.method {
		t.Errorf("method %q, want %q", out.Method, want.method)
	}
	if got, exp := headerSet(out.Headers), headerSet(want.headers); !reflect.DeepEqual(got, exp) {
		t.Errorf("signed headers:\n got %q\nwant %q", got, exp)
	}
	rest, ok := strings.CutPrefix(out.URL, "https://"+host)
	if !ok {
		t.Fatalf("signed URL %q does not start with https://%s", out.URL, host)
	}
	gotPath, gotQuery, _ := strings.Cut(rest, "?")
	wantPath, wantQuery, _ := strings.Cut(want.target, "?")
	if p, err := url.PathUnescape(gotPath); err != nil || p != wantPath {
		t.Errorf("signed URL path %q (decoded %q, %v), want %q", gotPath, p, err, wantPath)
	}
	if got, exp := queryParams(t, gotQuery), queryParams(t, wantQuery); !reflect.DeepEqual(got, exp) {
		t.Errorf("signed URL query:\n got %q\nwant %q", got, exp)
	}
	if mode == "query" && !strings.Contains(gotQuery, "X-Amz-Signature="+out.Signature) {
		t.Errorf("presigned URL %q lacks X-Amz-Signature", out.URL)
	}
}
