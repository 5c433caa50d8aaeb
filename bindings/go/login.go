package berth

/*
#include <stdlib.h>
#include <berth.h>
*/
import "C"

import (
	"context"
	"runtime"
	"time"
)

// LoginOptions configures [Login]. The zero value (or nil) checks the
// credentials over verified TLS and writes the default file.
type LoginOptions struct {
	// ConfigPath is the file written; "" means $REGISTRY_AUTH_FILE, else
	// $DOCKER_CONFIG/config.json, else ~/.docker/config.json (where docker,
	// skopeo and berth read credentials).
	ConfigPath string
	// NoVerify writes the credentials without checking them against the
	// registry (berth login --no-verify).
	NoVerify bool
	// Registry reaches the registry for the check: PlainHTTP, Insecure,
	// CABundle, StallTimeout. Creds and Mirrors are refused with EInvalid: the
	// credentials checked are Login's own, and nothing is read through a
	// mirror.
	Registry RegistryOptions
	// Timeout bounds the check; 0 means none.
	Timeout time.Duration
}

// Login logs in to registry ("HOST[:PORT]") as `docker login` does and returns
// the path of the file written. Unless opts.NoVerify, the registry's /v2/ is
// asked with username and password first (a token registry exchanges them for
// a token); then the registry's "auths" entry, {"auth":
// base64("USERNAME:PASSWORD")}, replaces any entry for the same registry in
// opts.ConfigPath (see [LoginOptions]). The file is replaced atomically,
// keeping its other entries; a new file is made with mode 0600. An ECR
// registry needs no stored password: berth gets a token from the AWS
// credentials when it connects ([ECRDockerLogin] writes one for other tools).
// ctx cancels it as for [AWSCredentials].
//
// Errors are *Error: EAuth when the registry refuses the credentials (nothing
// is written), EInvalid for an empty registry, username or password (or a
// username holding ':'), ENetwork or ETimeout when the registry cannot be
// reached, EConfig when the file is not JSON. The password is in no error's
// text.
func Login(ctx context.Context, registry, username, password string, opts *LoginOptions) (string, error) {
	if err := CheckABI(); err != nil {
		return "", err
	}
	if ctx == nil {
		return "", invalid("Login needs a non-nil context (use context.Background())")
	}
	if opts == nil {
		opts = &LoginOptions{}
	}
	args := []namedString{{"registry", registry}, {"username", username}, {"password", password},
		{"ConfigPath", opts.ConfigPath}}
	if err := checkNUL(args); err != nil {
		return "", err
	}
	switch {
	case registry == "":
		return "", invalid("Login needs a registry (HOST[:PORT])")
	case username == "":
		return "", invalid("Login needs a username")
	case password == "":
		return "", invalid("Login needs a password (not empty)")
	}
	if err := opts.Registry.check("Registry"); err != nil {
		return "", err
	}
	timeout, err := timeoutMillis("LoginOptions", opts.Timeout)
	if err != nil {
		return "", err
	}
	if err := notStarted(ctx, "Login"); err != nil {
		return "", err
	}
	var strs cStrings
	defer strs.free()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cc := cancelOnDone(ctx) // ctx ending stops the call (ECancelled wrapping ctx.Err())
	defer cc.release()
	lo := new(C.berth_login_options)
	if rc := C.berth_login_options_init(lo, C.BERTH_LOGIN_OPTIONS_VERSION); rc != C.BERTH_OK {
		return "", lastError(rc)
	}
	if lo.registry, err = strs.registry(&opts.Registry); err != nil {
		return "", err
	}
	lo.no_verify = cBool(opts.NoVerify)
	lo.timeout_ms = timeout
	var out *C.char
	raw, err := replyAndError(C.berth_registry_login(&out, strs.add(registry), strs.add(username),
		strs.add(password), strs.optional(opts.ConfigPath), lo), out)
	if err = cc.wrap(err); err != nil {
		return "", err
	}
	var r struct {
		Path string `json:"path"`
	}
	if err := decodeReply("Login", raw, &r); err != nil {
		return "", err
	}
	return r.Path, nil
}

// Logout logs out of registry as `docker logout` does: it removes the
// registry's entries (every spelling of its key) from configPath ("" for the
// file [Login] writes by default) and reports whether there were any. It
// reaches no registry.
//
// Errors are *Error: EInvalid for an empty registry, EConfig when the file is
// not JSON.
func Logout(registry, configPath string) (bool, error) {
	if err := checkNUL([]namedString{{"registry", registry}, {"configPath", configPath}}); err != nil {
		return false, err
	}
	if registry == "" {
		return false, invalid("Logout needs a registry (HOST[:PORT])")
	}
	raw, err := localCall([]string{registry, configPath}, func(out **C.char, a []*C.char) C.int {
		return C.berth_registry_logout(out, a[0], a[1])
	})
	if err != nil {
		return false, err
	}
	var r struct {
		Removed *bool `json:"removed"`
	}
	if err := decodeReply("Logout", raw, &r); err != nil {
		return false, err
	}
	if r.Removed == nil {
		return false, &Error{Code: EProtocol, Message: `Logout: libberth's reply has no "removed"`}
	}
	return *r.Removed, nil
}
