package berth_test

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	berth "github.com/berth-project/berth/bindings/go"
)

func TestVersion(t *testing.T) {
	v := berth.Version()
	if !regexp.MustCompile(`^\d+\.\d+\.\d+`).MatchString(v) {
		t.Fatalf("Version() = %q, want MAJOR.MINOR.PATCH", v)
	}
	var major, minor, patch uint32
	if _, err := fmt.Sscanf(v, "%d.%d.%d", &major, &minor, &patch); err != nil {
		t.Fatalf("parse %q: %v", v, err)
	}
	if n := berth.VersionNumber(); n != major*10000+minor*100+patch {
		t.Errorf("VersionNumber() = %d, Version() = %q", n, v)
	}
}

func TestABIVersion(t *testing.T) {
	if got := berth.ABIVersion(); got != berth.HeaderABIVersion {
		t.Fatalf("ABIVersion() = %d, header BERTH_ABI_VERSION = %d", got, berth.HeaderABIVersion)
	}
	if berth.HeaderABIVersion != 2 {
		t.Errorf("HeaderABIVersion = %d, want 2", berth.HeaderABIVersion)
	}
	if err := berth.CheckABI(); err != nil {
		t.Fatalf("CheckABI() = %v", err)
	}
}

func TestCodeText(t *testing.T) {
	if got := berth.CodeText(berth.EInvalid); got != "invalid argument" {
		t.Errorf("CodeText(EInvalid) = %q", got)
	}
	codes := []int{berth.EInvalid, berth.ENoMem, berth.EIO, berth.ENetwork, berth.ETimeout,
		berth.EAuth, berth.EDenied, berth.ENotFound, berth.EExists, berth.EDigest, berth.EProtocol,
		berth.EUnsupported, berth.ECancelled, berth.ETooLarge, berth.EThrottled, berth.EConfig,
		berth.EUnsafe, berth.EGate, berth.EServer, berth.EBuild, berth.EInternal}
	seen := map[string]int{}
	for _, c := range codes {
		text := berth.CodeText(c)
		if text == "" {
			t.Errorf("CodeText(%d) is empty", c)
		}
		if prev, dup := seen[text]; dup {
			t.Errorf("CodeText(%d) = CodeText(%d) = %q", c, prev, text)
		}
		seen[text] = c
	}
}

func validInput() berth.SignInput {
	return berth.SignInput{
		Method:    "GET",
		URL:       "https://example.amazonaws.com/",
		Region:    "us-east-1",
		Service:   "service",
		AccessKey: "AKIDEXAMPLE",
		SecretKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
		Time:      time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC),
	}
}

func TestErrorBadScheme(t *testing.T) {
	in := validInput()
	in.URL = "ftp://example.amazonaws.com/"
	out, err := berth.SignRequest(in)
	if err == nil {
		t.Fatalf("SignRequest(ftp://) succeeded: %+v", out)
	}
	if out != nil {
		t.Errorf("SignRequest returned a request with an error")
	}
	var be *berth.Error
	if !errors.As(err, &be) {
		t.Fatalf("error %T %v is not a *berth.Error", err, err)
	}
	if be.Code != berth.EInvalid {
		t.Errorf("Code = %d, want EInvalid (%d)", be.Code, berth.EInvalid)
	}
	if !strings.Contains(be.Message, "scheme") {
		t.Errorf("Message = %q, want it to mention the scheme", be.Message)
	}
	if be.HTTPStatus != 0 || be.AWSCode != "" || be.RequestID != "" {
		t.Errorf("unexpected HTTP details: %+v", be)
	}
	if !strings.HasPrefix(err.Error(), "berth: invalid argument: ") || !strings.Contains(err.Error(), be.Message) {
		t.Errorf("Error() = %q", err.Error())
	}

	if !errors.Is(err, &berth.Error{Code: berth.EInvalid}) {
		t.Errorf("errors.Is(err, &Error{Code: EInvalid}) = false")
	}
	if !errors.Is(err, berth.ErrInvalid) {
		t.Errorf("errors.Is(err, ErrInvalid) = false")
	}
	if errors.Is(err, berth.ErrNotFound) || errors.Is(err, &berth.Error{Code: berth.EInternal}) {
		t.Errorf("errors.Is matched a different code")
	}
	wrapped := fmt.Errorf("pushing: %w", err)
	if !errors.Is(wrapped, berth.ErrInvalid) || !errors.As(wrapped, &be) || be.Code != berth.EInvalid {
		t.Errorf("wrapped error lost its code")
	}
}

func TestErrorMissingOptions(t *testing.T) {
	for name, mutate := range map[string]func(*berth.SignInput){
		"no region":      func(in *berth.SignInput) { in.Region = "" },
		"no service":     func(in *berth.SignInput) { in.Service = "" },
		"no access key":  func(in *berth.SignInput) { in.AccessKey = "" },
		"no secret key":  func(in *berth.SignInput) { in.SecretKey = "" },
		"relative URL":   func(in *berth.SignInput) { in.URL = "/just/a/path" },
		"NUL in header":  func(in *berth.SignInput) { in.Headers = []berth.Header{{"X-A", "a\x00b"}} },
		"NUL in URL":     func(in *berth.SignInput) { in.URL += "\x00" },
		"negative ttl":   func(in *berth.SignInput) { in.PresignExpires = -time.Second },
		"fractional ttl": func(in *berth.SignInput) { in.PresignExpires = 1500 * time.Millisecond },
		"ttl > 7 days":   func(in *berth.SignInput) { in.PresignExpires = 8 * 24 * time.Hour },
		"epoch time":     func(in *berth.SignInput) { in.Time = time.Unix(0, 0) },
	} {
		t.Run(name, func(t *testing.T) {
			in := validInput()
			mutate(&in)
			_, err := berth.SignRequest(in)
			if !errors.Is(err, berth.ErrInvalid) {
				t.Fatalf("err = %v, want EInvalid", err)
			}
			var be *berth.Error
			if errors.As(err, &be) && be.Message == "" {
				t.Errorf("error has no message: %v", err)
			}
		})
	}
}

func TestErrorFormatting(t *testing.T) {
	e := &berth.Error{Code: berth.EDenied, Message: "no push", HTTPStatus: 403, AWSCode: "AccessDenied", RequestID: "r-1"}
	want := "berth: " + berth.CodeText(berth.EDenied) + ": no push (HTTP 403, AccessDenied, request id r-1)"
	if e.Error() != want {
		t.Errorf("Error() = %q, want %q", e.Error(), want)
	}
	if got := berth.ErrNotFound.Error(); got != "berth: "+berth.CodeText(berth.ENotFound) {
		t.Errorf("ErrNotFound.Error() = %q", got)
	}
	if !errors.Is(e, berth.ErrDenied) || errors.Is(e, berth.ErrAuth) {
		t.Errorf("errors.Is on a constructed error")
	}
}

func TestPresignedURLCarriesSignature(t *testing.T) {
	in := validInput()
	in.PresignExpires = time.Hour
	in.SessionToken = "token/with+specials="
	out, err := berth.SignRequest(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"X-Amz-Algorithm=AWS4-HMAC-SHA256", "X-Amz-Expires=3600",
		"X-Amz-Signature=" + out.Signature, "X-Amz-Security-Token=token%2Fwith%2Bspecials%3D"} {
		if !strings.Contains(out.URL, p) {
			t.Errorf("presigned URL %q lacks %q", out.URL, p)
		}
	}
	if len(out.Signature) != 64 {
		t.Errorf("Signature = %q", out.Signature)
	}
	if out.Get("Authorization") != "" {
		t.Errorf("presigned request has an Authorization header")
	}

	in.PresignExpires = 0
	hdr, err := berth.SignRequest(in)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(hdr.URL, "X-Amz-Signature") {
		t.Errorf("header-signed URL %q carries a signature", hdr.URL)
	}
	if auth := hdr.Get("authorization"); !strings.HasSuffix(auth, "Signature="+hdr.Signature) {
		t.Errorf("Authorization = %q", auth)
	}
	if hdr.Get("X-Amz-Security-Token") != in.SessionToken {
		t.Errorf("X-Amz-Security-Token = %q", hdr.Get("X-Amz-Security-Token"))
	}
}

func TestSignOptions(t *testing.T) {
	body := []byte("hello")
	const helloSHA = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"

	in := validInput()
	in.Method = "PUT"
	in.Body = body
	in.ContentSHA256Header = true
	out, err := berth.SignRequest(in)
	if err != nil {
		t.Fatal(err)
	}
	if out.Get("x-amz-content-sha256") != helloSHA || !strings.HasSuffix(out.CanonicalRequest, "\n"+helloSHA) {
		t.Errorf("body hash missing: %q / %q", out.Get("x-amz-content-sha256"), out.CanonicalRequest)
	}

	// A precomputed hash gives the same signature without the body.
	pre := in
	pre.Body = nil
	pre.PayloadHash = helloSHA
	if out2, err := berth.SignRequest(pre); err != nil || out2.Signature != out.Signature {
		t.Errorf("PayloadHash: %v, signature %v vs %v", err, out2, out.Signature)
	}

	un := in
	un.UnsignedPayload = true
	if out3, err := berth.SignRequest(un); err != nil || !strings.HasSuffix(out3.CanonicalRequest, "\nUNSIGNED-PAYLOAD") {
		t.Errorf("UnsignedPayload: %v %+v", err, out3)
	}

	// S3 style paths: neither normalised nor encoded twice.
	s3 := validInput()
	s3.URL = "https://example.amazonaws.com/a//b/../c%2Fd"
	def, err := berth.SignRequest(s3)
	if err != nil {
		t.Fatal(err)
	}
	s3.NoNormalizePath, s3.NoDoubleEncode = true, true
	raw, err := berth.SignRequest(s3)
	if err != nil {
		t.Fatal(err)
	}
	defPath := strings.Split(def.CanonicalRequest, "\n")[1]
	rawPath := strings.Split(raw.CanonicalRequest, "\n")[1]
	if defPath != "/a/c%252Fd" || rawPath != "/a//b/../c%2Fd" {
		t.Errorf("canonical paths: default %q, S3 style %q", defPath, rawPath)
	}

	// The zero Time means now.
	now := validInput()
	now.Time = time.Time{}
	out4, err := berth.SignRequest(now)
	if err != nil {
		t.Fatal(err)
	}
	date, err := time.Parse("20060102T150405Z", out4.Get("X-Amz-Date"))
	if err != nil || time.Since(date).Abs() > time.Minute {
		t.Errorf("X-Amz-Date = %q for the zero Time", out4.Get("X-Amz-Date"))
	}
}

// Eight goroutines sign at once, half of them failing with their own message:
// each must see its own result and its own error (berth_last_error is per thread).
func TestConcurrentSigning(t *testing.T) {
	const goroutines, rounds = 8, 200
	want, err := berth.SignRequest(validInput())
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				in := validInput()
				if (g+i)%2 == 1 {
					in.URL = fmt.Sprintf("ftp://example.amazonaws.com/g%d/r%d", g, i)
					_, err := berth.SignRequest(in)
					var be *berth.Error
					if !errors.As(err, &be) || be.Code != berth.EInvalid || !strings.Contains(be.Message, in.URL) {
						errs <- fmt.Errorf("goroutine %d round %d: err = %v", g, i, err)
						return
					}
					continue
				}
				out, err := berth.SignRequest(in)
				if err != nil {
					errs <- fmt.Errorf("goroutine %d round %d: %v", g, i, err)
					return
				}
				if out.Signature != want.Signature || out.CanonicalRequest != want.CanonicalRequest {
					errs <- fmt.Errorf("goroutine %d round %d: signature %s, want %s", g, i, out.Signature, want.Signature)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
