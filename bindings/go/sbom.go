package berth

/*
#include <stdlib.h>
#include <berth.h>
*/
import "C"

import (
	"context"
	"encoding/json"
	"runtime"
	"time"
)

// SBOMOptions configures [SBOM]. The zero value (or nil) uses the docker
// keychain's credentials and verified TLS.
type SBOMOptions struct {
	// Registry reaches the image's registry.
	Registry RegistryOptions
	// Platform ("os/arch[/variant]") picks the image of an index; "" means
	// [DefaultPlatform].
	Platform string
	// Created sets creationInfo.created (RFC 3339); "" means SOURCE_DATE_EPOCH
	// when set, else now.
	Created string
	Timeout time.Duration // the whole call's time limit; 0: none
}

// SBOM returns an SPDX 2.3 JSON document describing the image ref
// ("docker://REF" or a bare reference, "oci:DIR[:TAG]", "oci-archive:FILE[:TAG]",
// "docker-archive:FILE[:REF]"): every file with SHA1 and SHA256, and the dpkg,
// apk, Python and Go packages installed, with package URLs. Files deleted by an
// upper layer are left out; what could not be read is listed in
// creationInfo.comment. Decode it with encoding/json (see [SPDXDocument]). ctx
// cancels it as for [AWSCredentials].
func SBOM(ctx context.Context, ref string, opts *SBOMOptions) ([]byte, error) {
	if err := CheckABI(); err != nil {
		return nil, err
	}
	if ctx == nil {
		return nil, invalid("SBOM needs a non-nil context (use context.Background())")
	}
	if ref == "" {
		return nil, invalid("SBOM needs a reference")
	}
	if opts == nil {
		opts = &SBOMOptions{}
	}
	if err := checkNUL([]namedString{{"ref", ref}, {"Platform", opts.Platform}, {"Created", opts.Created}}); err != nil {
		return nil, err
	}
	if err := opts.Registry.check("Registry"); err != nil {
		return nil, err
	}
	timeout, err := timeoutMillis("SBOMOptions", opts.Timeout)
	if err != nil {
		return nil, err
	}
	if err := notStarted(ctx, "SBOM"); err != nil {
		return nil, err
	}
	var strs cStrings
	defer strs.free()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cc := cancelOnDone(ctx) // ctx ending stops the call (ECancelled wrapping ctx.Err())
	defer cc.release()
	co := new(C.berth_sbom_options)
	if rc := C.berth_sbom_options_init(co, C.BERTH_SBOM_OPTIONS_VERSION); rc != C.BERTH_OK {
		return nil, lastError(rc)
	}
	if co.registry, err = strs.registry(&opts.Registry); err != nil {
		return nil, err
	}
	co.platform = strs.optional(opts.Platform)
	co.created = strs.optional(opts.Created)
	co.timeout_ms = timeout
	var out *C.char
	rc := C.berth_sbom(&out, strs.add(ref), co)
	raw, err := replyAndError(rc, out)
	if err = cc.wrap(err); err != nil {
		return nil, err
	}
	return []byte(raw), nil
}

// SPDXDocument is the part of the SPDX 2.3 document [SBOM] returns that most
// programs read: packages with their purls, files with their checksums.
type SPDXDocument struct {
	SPDXVersion  string `json:"spdxVersion"`
	Name         string `json:"name"`
	CreationInfo struct {
		Created  string   `json:"created"`
		Creators []string `json:"creators"`
		Comment  string   `json:"comment"`
	} `json:"creationInfo"`
	Packages []struct {
		SPDXID       string `json:"SPDXID"`
		Name         string `json:"name"`
		VersionInfo  string `json:"versionInfo"`
		SourceInfo   string `json:"sourceInfo"`
		ExternalRefs []struct {
			ReferenceType    string `json:"referenceType"`
			ReferenceLocator string `json:"referenceLocator"`
		} `json:"externalRefs"`
	} `json:"packages"`
	Files []struct {
		FileName  string `json:"fileName"`
		Checksums []struct {
			Algorithm     string `json:"algorithm"`
			ChecksumValue string `json:"checksumValue"`
		} `json:"checksums"`
	} `json:"files"`
}

// ParseSPDX decodes what [SBOM] returned.
func ParseSPDX(doc []byte) (*SPDXDocument, error) {
	var d SPDXDocument
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, &Error{Code: EProtocol, Message: "SPDX document: " + err.Error()}
	}
	return &d, nil
}
