package berth_test

// berth.Login / berth.Logout: the file written (read back, and berth finding the
// login with no credentials given), the check against the htpasswd stack's
// registry (copy_test.go's authStack), and the password kept out of every error.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	berth "github.com/berth-project/berth/bindings/go"
)

const (
	loginRegistry = "registry.example.com:5000"
	loginUser     = "go-user"
	loginPass     = "Go-pa55:w0rd!"
)

func readAuths(t *testing.T, path string) map[string]map[string]string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Auths map[string]map[string]string `json:"auths"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("%s: %v\n%s", path, err, raw)
	}
	return doc.Auths
}

func noPassword(t *testing.T, err error, passwords ...string) {
	t.Helper()
	for _, p := range passwords {
		if strings.Contains(err.Error(), p) || strings.Contains(err.Error(), base64.StdEncoding.EncodeToString([]byte(p))) {
			t.Errorf("the password is in the error: %v", err)
		}
		var be *berth.Error
		if errors.As(err, &be) && (strings.Contains(be.Message, p) || strings.Contains(be.RequestID, p)) {
			t.Errorf("the password is in the error's fields: %#v", be)
		}
	}
}

func TestLoginWithoutTheCheckWritesTheFileAndLogoutRemovesIt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new", "auth.json")
	got, err := berth.Login(bg, loginRegistry, loginUser, loginPass,
		&berth.LoginOptions{ConfigPath: path, NoVerify: true})
	if err != nil || got != path {
		t.Fatalf("Login: %q, %v", got, err)
	}
	want := base64.StdEncoding.EncodeToString([]byte(loginUser + ":" + loginPass))
	if a := readAuths(t, path); len(a) != 1 || a[loginRegistry]["auth"] != want {
		t.Errorf("auths: %v, want %s -> %s", a, loginRegistry, want)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("a new file's mode: %v, %v", st.Mode(), err)
	}

	removed, err := berth.Logout(loginRegistry, path)
	if err != nil || !removed {
		t.Fatalf("Logout: %v, %v", removed, err)
	}
	if a := readAuths(t, path); len(a) != 0 {
		t.Errorf("auths after logout: %v", a)
	}
	if removed, err = berth.Logout(loginRegistry, path); err != nil || removed {
		t.Errorf("Logout again: %v, %v (want false, nil)", removed, err)
	}
	none := filepath.Join(t.TempDir(), "none", "config.json")
	if removed, err = berth.Logout(loginRegistry, none); err != nil || removed {
		t.Errorf("Logout without a file: %v, %v", removed, err)
	}
	if _, err := os.Stat(filepath.Dir(none)); !os.IsNotExist(err) {
		t.Errorf("Logout made %s", filepath.Dir(none))
	}
}

func TestLoginKeepsOtherEntries(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(path, []byte(`{"auths":{"other.example":{"auth":"eDp5"}},"credsStore":""}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := berth.Login(bg, loginRegistry, loginUser, loginPass,
		&berth.LoginOptions{ConfigPath: path, NoVerify: true}); err != nil {
		t.Fatal(err)
	}
	if a := readAuths(t, path); a["other.example"]["auth"] != "eDp5" || a[loginRegistry] == nil {
		t.Errorf("auths: %v", a)
	}
	if removed, err := berth.Logout(loginRegistry, path); err != nil || !removed {
		t.Fatalf("Logout: %v, %v", removed, err)
	}
	if a := readAuths(t, path); len(a) != 1 || a["other.example"]["auth"] != "eDp5" {
		t.Errorf("auths after logout: %v", a)
	}

	// Not JSON: EConfig, the file left alone.
	if err := os.WriteFile(path, []byte("not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := berth.Login(bg, loginRegistry, loginUser, loginPass, &berth.LoginOptions{ConfigPath: path, NoVerify: true})
	if !errors.Is(err, berth.ErrConfig) {
		t.Errorf("Login into a file that is not JSON: want EConfig, got %v", err)
	}
	noPassword(t, err, loginPass)
	if _, err := berth.Logout(loginRegistry, path); !errors.Is(err, berth.ErrConfig) {
		t.Errorf("Logout of a file that is not JSON: want EConfig, got %v", err)
	}
}

func TestLoginArguments(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.json")
	noCheck := &berth.LoginOptions{ConfigPath: path, NoVerify: true}
	for name, c := range map[string]struct {
		registry, user, pass string
		opts                 *berth.LoginOptions
	}{
		"empty registry":   {"", loginUser, loginPass, noCheck},
		"empty username":   {loginRegistry, "", loginPass, noCheck},
		"empty password":   {loginRegistry, loginUser, "", noCheck},
		"':' in username":  {loginRegistry, "a:b", loginPass, noCheck},
		"NUL in password":  {loginRegistry, loginUser, loginPass + "\x00", noCheck},
		"NUL in registry":  {loginRegistry + "\x00", loginUser, loginPass, noCheck},
		"NUL in path":      {loginRegistry, loginUser, loginPass, &berth.LoginOptions{ConfigPath: path + "\x00"}},
		"negative timeout": {loginRegistry, loginUser, loginPass, &berth.LoginOptions{ConfigPath: path, Timeout: -time.Second}},
		// Login's own credentials are the ones checked: Creds refused, not ignored.
		"Registry.Creds": {loginRegistry, loginUser, loginPass, &berth.LoginOptions{ConfigPath: path, NoVerify: true,
			Registry: berth.RegistryOptions{Creds: "a:" + loginPass}}},
		"Registry.Mirrors": {loginRegistry, loginUser, loginPass, &berth.LoginOptions{ConfigPath: path, NoVerify: true,
			Registry: berth.RegistryOptions{Mirrors: []string{"docker.io=mirror.example"}}}},
	} {
		_, err := berth.Login(bg, c.registry, c.user, c.pass, c.opts)
		if !errors.Is(err, berth.ErrInvalid) {
			t.Errorf("%s: want EInvalid, got %v", name, err)
			continue
		}
		noPassword(t, err, loginPass)
	}
	if _, err := berth.Login(nil, loginRegistry, loginUser, loginPass, noCheck); !errors.Is(err, berth.ErrInvalid) {
		t.Errorf("nil context: want EInvalid, got %v", err)
	}
	ctx, cancel := context.WithCancel(bg)
	cancel()
	if _, err := berth.Login(ctx, loginRegistry, loginUser, loginPass, noCheck); !errors.Is(err, berth.ErrCancelled) {
		t.Errorf("ended context: want ECancelled, got %v", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("a refused login wrote %s", path)
	}
	if _, err := berth.Logout("", path); !errors.Is(err, berth.ErrInvalid) {
		t.Errorf("Logout(\"\"): want EInvalid, got %v", err)
	}
}

func TestLoginToAnUnreachableRegistryWritesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.json")
	_, err := berth.Login(bg, "127.0.0.1:1", loginUser, loginPass,
		&berth.LoginOptions{ConfigPath: path, Timeout: 20 * time.Second})
	if !errors.Is(err, berth.ErrNetwork) {
		t.Errorf("want ENetwork, got %v", err)
	}
	noPassword(t, err, loginPass)
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("an unchecked login wrote %s", path)
	}
}

func TestLoginIsCheckedAgainstABasicAuthRegistry(t *testing.T) {
	host := authStack.host(t)
	path := filepath.Join(t.TempDir(), "config.json")
	opts := &berth.LoginOptions{ConfigPath: path, Registry: berth.RegistryOptions{PlainHTTP: true},
		Timeout: time.Minute}

	// A wrong password: EAuth, nothing written, the password in no error.
	_, err := berth.Login(bg, host, authUser, "wrong-"+authPass, opts)
	var be *berth.Error
	if !errors.Is(err, berth.ErrAuth) || !errors.As(err, &be) || be.Code != berth.EAuth {
		t.Fatalf("a wrong password: want EAuth, got %v", err)
	}
	noPassword(t, err, authPass, "wrong-"+authPass)
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("a refused login wrote %s", path)
	}

	// The right one: checked, written.
	got, err := berth.Login(bg, host, authUser, authPass, opts)
	if err != nil || got != path {
		t.Fatalf("Login: %q, %v", got, err)
	}
	want := base64.StdEncoding.EncodeToString([]byte(authUser + ":" + authPass))
	if a := readAuths(t, path); a[host]["auth"] != want {
		t.Errorf("auths: %v", a)
	}

	// berth reads what Login wrote: the catalog needs it, no credentials are given.
	t.Setenv("REGISTRY_AUTH_FILE", filepath.Join(t.TempDir(), "auth.json"))
	if _, err := berth.Catalog(bg, host, nil); !errors.Is(err, berth.ErrAuth) {
		t.Fatalf("catalog before the login: want EAuth, got %v", err)
	}
	def, err := berth.Login(bg, host, authUser, authPass, nil)
	if err != nil || def != os.Getenv("REGISTRY_AUTH_FILE") {
		t.Fatalf("Login to the default file: %q, %v", def, err)
	}
	if _, err := berth.Catalog(bg, host, nil); err != nil {
		t.Errorf("catalog after the login: %v", err)
	}

	// A wrong password later leaves the good login alone.
	if _, err := berth.Login(bg, host, authUser, "nope", opts); !errors.Is(err, berth.ErrAuth) {
		t.Errorf("a wrong password: want EAuth, got %v", err)
	}
	if a := readAuths(t, path); a[host]["auth"] != want {
		t.Errorf("auths after a refused login: %v", a)
	}

	if removed, err := berth.Logout(host, ""); err != nil || !removed {
		t.Fatalf("Logout: %v, %v", removed, err)
	}
	if _, err := berth.Catalog(bg, host, nil); !errors.Is(err, berth.ErrAuth) {
		t.Errorf("catalog after the logout: want EAuth, got %v", err)
	}
}
