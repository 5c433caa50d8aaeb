package berth

/*
#include <stdlib.h>
#include <berth.h>
*/
import "C"

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// AWSOptions says how to find AWS credentials, the region and the endpoints.
// Every field may be left empty: the AWS CLI's chain then applies (environment,
// web identity, GitHub Actions OIDC when a role is set, the shared config
// profile, ECS, IMDSv2), with AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL_ECR,
// AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL and AWS_CA_BUNDLE honoured. A nil
// *AWSOptions means all defaults. It mirrors the keyword arguments of the Python
// binding's berth.aws_credentials, berth.ecr_login, ...
type AWSOptions struct {
	Region  string // e.g. "eu-west-1"; else the environment, the profile or the registry host
	Profile string // shared config profile; else AWS_PROFILE, else "default"
	// RoleARN, when set, is assumed with the credentials the chain finds, with
	// RoleSessionName, ExternalID and RoleDuration (a whole number of seconds;
	// 0 means one hour).
	RoleARN         string
	RoleSessionName string
	ExternalID      string
	RoleDuration    time.Duration
	// ECREndpoint and STSEndpoint override the services' endpoints, e.g.
	// "http://127.0.0.1:5000" for a local emulator.
	ECREndpoint string
	STSEndpoint string
	CABundle    string // PEM file of extra trusted CAs for AWS calls
}

// Credentials are AWS credentials as the chain resolved them.
//
// They hold secrets: String, every fmt verb (%v, %+v, %#v, %s, %d, ...) and
// LogValue (log/slog) show the access key id and hide SecretAccessKey and
// SessionToken. The struct has no MarshalJSON of its own, so encoding/json
// writes every field; do that only where the secrets belong.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string    // "" for long-term keys
	Expiration      time.Time // the zero Time when they do not expire
	// Provider names where they came from: "environment", "static" (keys in a
	// shared config or credentials file profile), "assume role", "web
	// identity", "process", "ecs", "imds", ...
	Provider string
}

const redacted = "<redacted>"

func hide(secret string) string {
	if secret == "" {
		return ""
	}
	return redacted
}

// String describes the credentials without their secrets.
func (c Credentials) String() string {
	var b strings.Builder
	b.WriteString("berth.Credentials{AccessKeyID: ")
	b.WriteString(strconv.Quote(c.AccessKeyID))
	b.WriteString(", SecretAccessKey: " + strconv.Quote(hide(c.SecretAccessKey)))
	b.WriteString(", SessionToken: " + strconv.Quote(hide(c.SessionToken)))
	if !c.Expiration.IsZero() {
		b.WriteString(", Expiration: " + c.Expiration.UTC().Format(time.RFC3339))
	}
	b.WriteString(", Provider: " + strconv.Quote(c.Provider) + "}")
	return b.String()
}

// GoString is String: %#v must not print the secrets either.
func (c Credentials) GoString() string { return c.String() }

// Format writes String for every verb, so that no fmt verb prints the fields
// one by one.
func (c Credentials) Format(f fmt.State, verb rune) { writeRedacted(f, verb, c.String()) }

// LogValue is what log/slog records: the credentials without their secrets.
func (c Credentials) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.String("access_key_id", c.AccessKeyID),
		slog.String("secret_access_key", hide(c.SecretAccessKey)),
		slog.String("session_token", hide(c.SessionToken)),
		slog.String("provider", c.Provider),
	}
	if !c.Expiration.IsZero() {
		attrs = append(attrs, slog.Time("expiration", c.Expiration))
	}
	return slog.GroupValue(attrs...)
}

// AWSIdentity is who credentials belong to, as sts:GetCallerIdentity says.
type AWSIdentity struct {
	Account string // e.g. "123456789012"
	ARN     string // e.g. "arn:aws:sts::123456789012:assumed-role/deploy/ci"
	UserID  string
}

// ECRAuthorization is a docker login for an ECR registry, from
// ecr:GetAuthorizationToken: Username ("AWS") and Password (a token) are valid
// for Registry until ExpiresAt.
//
// String, every fmt verb and LogValue hide the password; encoding/json does not.
type ECRAuthorization struct {
	Registry  string // "ACCOUNT.dkr.ecr.REGION.amazonaws.com"
	Username  string
	Password  string
	ExpiresAt time.Time // the zero Time when the service gave no expiry
}

// String describes the login without its password.
func (a ECRAuthorization) String() string {
	s := "berth.ECRAuthorization{Registry: " + strconv.Quote(a.Registry) +
		", Username: " + strconv.Quote(a.Username) + ", Password: " + strconv.Quote(hide(a.Password))
	if !a.ExpiresAt.IsZero() {
		s += ", ExpiresAt: " + a.ExpiresAt.UTC().Format(time.RFC3339)
	}
	return s + "}"
}

// GoString is String: %#v must not print the password either.
func (a ECRAuthorization) GoString() string { return a.String() }

// Format writes String for every verb.
func (a ECRAuthorization) Format(f fmt.State, verb rune) { writeRedacted(f, verb, a.String()) }

// LogValue is what log/slog records: the login without its password.
func (a ECRAuthorization) LogValue() slog.Value {
	return slog.GroupValue(slog.String("registry", a.Registry), slog.String("username", a.Username),
		slog.String("password", hide(a.Password)), slog.Time("expires_at", a.ExpiresAt))
}

func writeRedacted(f fmt.State, verb rune, s string) {
	if verb == 'q' {
		s = strconv.Quote(s)
	}
	fmt.Fprint(f, s)
}

// validate refuses what the C ABI cannot express or would silently misread.
func (o *AWSOptions) validate() error {
	for _, f := range []struct{ name, v string }{
		{"Region", o.Region}, {"Profile", o.Profile}, {"RoleARN", o.RoleARN},
		{"RoleSessionName", o.RoleSessionName}, {"ExternalID", o.ExternalID},
		{"ECREndpoint", o.ECREndpoint}, {"STSEndpoint", o.STSEndpoint}, {"CABundle", o.CABundle},
	} {
		if strings.IndexByte(f.v, 0) >= 0 {
			return invalid("AWSOptions." + f.name + " contains a NUL byte")
		}
	}
	if o.RoleDuration < 0 {
		return invalid("AWSOptions.RoleDuration must not be negative (0 means one hour)")
	}
	if o.RoleDuration%time.Second != 0 {
		return invalid("AWSOptions.RoleDuration must be a whole number of seconds")
	}
	return nil
}

// awsCall runs one berth_aws_* / berth_ecr_* function that returns a string
// through char **out, with the options filled in, and returns that string (also
// on failure, when the function set it). The
// call and the read of its error happen on one locked OS thread, since
// berth_last_error() is thread-local.
func awsCall(ctx context.Context, what string, opts *AWSOptions, args []string,
	call func(out **C.char, args []*C.char, o *C.berth_aws_options) C.int) (string, error) {
	if err := CheckABI(); err != nil {
		return "", err
	}
	if ctx == nil {
		return "", invalid(what + " needs a non-nil context (use context.Background())")
	}
	if opts == nil {
		opts = &AWSOptions{}
	}
	if err := opts.validate(); err != nil {
		return "", err
	}
	if err := notStarted(ctx, what); err != nil {
		return "", err
	}

	var strs cStrings
	defer strs.free()
	cargs := make([]*C.char, len(args))
	for i, a := range args {
		cargs[i] = strs.optional(a)
	}

	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cc := cancelOnDone(ctx) // ctx ending stops the call (ECancelled wrapping ctx.Err())
	defer cc.release()

	var co C.berth_aws_options
	if rc := C.berth_aws_options_init(&co, C.BERTH_AWS_OPTIONS_VERSION); rc != C.BERTH_OK {
		return "", lastError(rc)
	}
	co.region = strs.optional(opts.Region)
	co.profile = strs.optional(opts.Profile)
	co.role_arn = strs.optional(opts.RoleARN)
	co.role_session_name = strs.optional(opts.RoleSessionName)
	co.external_id = strs.optional(opts.ExternalID)
	co.role_duration_seconds = C.int64_t(opts.RoleDuration / time.Second)
	co.ecr_endpoint = strs.optional(opts.ECREndpoint)
	co.sts_endpoint = strs.optional(opts.STSEndpoint)
	co.ca_bundle = strs.optional(opts.CABundle)

	var out *C.char
	rc := call(&out, cargs, &co)
	raw, err := replyAndError(rc, out)
	return raw, cc.wrap(err)
}

func decodeReply(what, raw string, v any) error {
	if err := json.Unmarshal([]byte(raw), v); err != nil {
		return &Error{Code: EProtocol, Message: what + ": libberth returned malformed JSON: " + err.Error()}
	}
	return nil
}

// AWSCredentials resolves AWS credentials the way the AWS CLI does (see
// [AWSOptions]). With opts.RoleARN the credentials found are used to assume
// that role through STS.
//
// When ctx ends (deadline or cancel) the running call stops within about a
// second, a stalled registry included, and fails with ECancelled unwrapping to
// ctx.Err() (errors.Is(err, context.DeadlineExceeded) holds). The goroutine
// holds its OS thread while the call runs.
//
// Errors are *Error: EAuth when no provider has credentials (the message
// starts with "no AWS credentials found" and gives each provider's reason) or
// a configured one fails, EDenied, EConfig (a malformed config file), ...
func AWSCredentials(ctx context.Context, opts *AWSOptions) (*Credentials, error) {
	raw, err := awsCall(ctx, "AWSCredentials", opts, nil,
		func(out **C.char, _ []*C.char, o *C.berth_aws_options) C.int {
			return C.berth_aws_credentials(out, o)
		})
	if err != nil {
		return nil, err
	}
	var d struct {
		AccessKeyID     string `json:"AccessKeyId"`
		SecretAccessKey string `json:"SecretAccessKey"`
		SessionToken    string `json:"SessionToken"`
		Expiration      string `json:"Expiration"`
		Provider        string `json:"Provider"`
	}
	if err := decodeReply("AWSCredentials", raw, &d); err != nil {
		return nil, err
	}
	c := &Credentials{AccessKeyID: d.AccessKeyID, SecretAccessKey: d.SecretAccessKey,
		SessionToken: d.SessionToken, Provider: d.Provider}
	if d.Expiration != "" {
		t, err := time.Parse(time.RFC3339, d.Expiration)
		if err != nil {
			return nil, &Error{Code: EProtocol, Message: "AWSCredentials: Expiration " +
				strconv.Quote(d.Expiration) + " is not an RFC 3339 time"}
		}
		c.Expiration = t.UTC()
	}
	return c, nil
}

// CallerIdentity calls sts:GetCallerIdentity with the credentials the chain
// resolves. ctx cancels it as for [AWSCredentials].
//
// Errors are *Error: EAuth (no or rejected credentials), EDenied, ENetwork,
// ..., with AWSCode and RequestID set when STS answered.
func CallerIdentity(ctx context.Context, opts *AWSOptions) (*AWSIdentity, error) {
	raw, err := awsCall(ctx, "CallerIdentity", opts, nil,
		func(out **C.char, _ []*C.char, o *C.berth_aws_options) C.int {
			return C.berth_aws_caller_identity(out, o)
		})
	if err != nil {
		return nil, err
	}
	var d struct{ Account, Arn, UserId string }
	if err := decodeReply("CallerIdentity", raw, &d); err != nil {
		return nil, err
	}
	return &AWSIdentity{Account: d.Account, ARN: d.Arn, UserID: d.UserId}, nil
}

// ECRLogin gets a docker login for an ECR registry (ecr:GetAuthorizationToken).
// registry is an ECR registry host ("ACCOUNT.dkr.ecr.REGION.amazonaws.com"),
// whose region is used unless opts.Region is set; "" means the caller's own
// registry in the region. ctx cancels it as for
// [AWSCredentials].
//
// Errors are *Error: EInvalid (not an ECR registry host), EConfig (no region),
// EAuth, EDenied, ...
func ECRLogin(ctx context.Context, registry string, opts *AWSOptions) (*ECRAuthorization, error) {
	if strings.IndexByte(registry, 0) >= 0 {
		return nil, invalid("registry contains a NUL byte")
	}
	raw, err := awsCall(ctx, "ECRLogin", opts, []string{registry},
		func(out **C.char, args []*C.char, o *C.berth_aws_options) C.int {
			return C.berth_ecr_login(out, args[0], o)
		})
	if err != nil {
		return nil, err
	}
	var d struct {
		Registry  string `json:"registry"`
		Username  string `json:"username"`
		Password  string `json:"password"`
		ExpiresAt int64  `json:"expiresAt"`
	}
	if err := decodeReply("ECRLogin", raw, &d); err != nil {
		return nil, err
	}
	a := &ECRAuthorization{Registry: d.Registry, Username: d.Username, Password: d.Password}
	if d.ExpiresAt != 0 {
		a.ExpiresAt = time.Unix(d.ExpiresAt, 0).UTC()
	}
	return a, nil
}

// ECRDockerLogin logs docker in to an ECR registry, like "aws ecr
// get-login-password | docker login": it writes the registry's auths entry
// (user "AWS" and the token) into docker's config.json — configPath, else
// $DOCKER_CONFIG/config.json, else ~/.docker/config.json — atomically, keeping
// the file's other entries, and returns the path written. registry is as for
// [ECRLogin] ("" for the caller's default registry). ctx cancels it as for
// [AWSCredentials].
func ECRDockerLogin(ctx context.Context, registry, configPath string, opts *AWSOptions) (string, error) {
	if strings.IndexByte(registry, 0) >= 0 {
		return "", invalid("registry contains a NUL byte")
	}
	if strings.IndexByte(configPath, 0) >= 0 {
		return "", invalid("configPath contains a NUL byte")
	}
	raw, err := awsCall(ctx, "ECRDockerLogin", opts, []string{registry, configPath},
		func(out **C.char, args []*C.char, o *C.berth_aws_options) C.int {
			return C.berth_ecr_docker_login(out, args[0], args[1], o)
		})
	if err != nil {
		return "", err
	}
	var d struct {
		Path string `json:"path"`
	}
	if err := decodeReply("ECRDockerLogin", raw, &d); err != nil {
		return "", err
	}
	return d.Path, nil
}

// ECRCall calls any ECR API operation ("DescribeRepositories",
// "CreateRepository", "PutLifecyclePolicy", ...) and returns its JSON reply.
//
// body is the request: nil for {}, a []byte, json.RawMessage or string of JSON
// text (it must be a JSON object), or any other value, which is
// json.Marshal'ed. out, when not nil, must be a non-nil pointer; the reply is
// json.Unmarshal'ed into it. If that fails, ECRCall returns the reply together
// with the decoding error (the operation itself succeeded).
//
// AWS errors are *Error with the matching code, AWSCode and RequestID, e.g.
// ENotFound with AWSCode "RepositoryNotFoundException". ctx cancels it as for
// [AWSCredentials].
func ECRCall(ctx context.Context, operation string, body any, out any, opts *AWSOptions) (json.RawMessage, error) {
	if operation == "" {
		return nil, invalid("ECRCall needs an operation such as \"DescribeRepositories\"")
	}
	for _, c := range []byte(operation) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return nil, invalid("operation " + strconv.Quote(operation) + " is not an ECR API name")
		}
	}
	text, err := requestBody(body)
	if err != nil {
		return nil, err
	}
	if out != nil {
		if v := reflect.ValueOf(out); v.Kind() != reflect.Pointer || v.IsNil() {
			return nil, invalid(fmt.Sprintf("ECRCall: out must be nil or a non-nil pointer, not %T", out))
		}
	}
	args := []string{operation, text}
	raw, err := awsCall(ctx, "ECRCall", opts, args,
		func(out **C.char, args []*C.char, o *C.berth_aws_options) C.int {
			return C.berth_ecr_call(out, args[0], args[1], o)
		})
	if err != nil {
		return nil, err
	}
	reply := json.RawMessage(raw)
	if out != nil {
		if err := json.Unmarshal(reply, out); err != nil {
			return reply, fmt.Errorf("berth: ECRCall %s: decoding the reply into %T: %w", operation, out, err)
		}
	}
	return reply, nil
}

// requestBody turns ECRCall's body into JSON text; "" stands for NULL ({}).
func requestBody(body any) (string, error) {
	var text []byte
	switch b := body.(type) {
	case nil:
		return "", nil
	case []byte:
		text = b
	case json.RawMessage:
		text = b
	case string:
		text = []byte(b)
	default:
		var err error
		if text, err = json.Marshal(body); err != nil {
			return "", invalid("ECRCall: body cannot be sent as JSON: " + err.Error())
		}
		if string(text) == "null" { // a nil map or pointer
			return "", nil
		}
	}
	// ECR takes a JSON object; libberth passes the text on as it is.
	trimmed := bytes.TrimSpace(text)
	if !json.Valid(trimmed) {
		return "", invalid("ECRCall: body is not valid JSON")
	}
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return "", invalid("ECRCall: body must be a JSON object")
	}
	if bytes.IndexByte(trimmed, 0) >= 0 {
		return "", invalid("ECRCall: body contains a NUL byte")
	}
	return string(trimmed), nil
}
