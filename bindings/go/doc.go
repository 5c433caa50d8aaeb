// Package berth is the Go binding of libberth, a daemonless container-image
// toolkit. It wraps the C ABI in berth.h with cgo; nothing but the installed
// library, its header and its pkg-config file is needed.
//
// # Building
//
// The package finds libberth through pkg-config (#cgo pkg-config: berth). Point
// pkg-config at the installed prefix, and the dynamic loader at its library
// directory when the prefix is not a system one:
//
//	cmake -S . -B build -G Ninja -DCMAKE_INSTALL_PREFIX=$PREFIX
//	ninja -C build && cmake --install build
//	export PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig   # or $PREFIX/lib/x86_64-linux-gnu/pkgconfig
//	export LD_LIBRARY_PATH=$PREFIX/lib             # or $PREFIX/lib/x86_64-linux-gnu
//	go test ./...
//
// CMake's GNUInstallDirs decides whether the library directory is lib or, on
// Debian-style multiarch systems with a /usr prefix, lib/x86_64-linux-gnu; use
// whichever directory holds libberth.so and pkgconfig/berth.pc. berth.pc finds
// the prefix from its own location, so an install copied anywhere works.
//
// With -tags berth_static the package links libberth.a instead, through
// berth-static.pc (next to berth.pc), which also names the libraries libberth
// needs (libcurl, OpenSSL, zstd, zlib, libdeflate, expat, libsodium, libbz2, liblzma,
// libstdc++);
// the program then runs without libberth.so.2 and LD_LIBRARY_PATH:
//
//	go build -tags berth_static ./...
//
// # Versions
//
// [Version] and [ABIVersion] describe the loaded library. Before its first call
// into the library every function checks that the library's ABI version equals
// the BERTH_ABI_VERSION of the header this package was compiled against
// ([HeaderABIVersion]); on a mismatch it returns an [*Error] with code
// [EUnsupported] instead of calling in. [CheckABI] runs the same check
// explicitly, e.g. at program start.
//
// # Errors
//
// Every failure is an [*Error] carrying the BERTH_E* code and the details that
// berth_last_error() reported on the OS thread of the failing call (message,
// HTTP status, AWS error code, request id). Test for a kind of failure with
// errors.Is against the sentinel values, or against any *Error with the code:
// two *Error values match when their codes are equal.
//
//	if errors.Is(err, berth.ErrInvalid) { ... }
//	if errors.Is(err, &berth.Error{Code: berth.EInvalid}) { ... } // the same test
//
// Read the details with errors.As:
//
//	var be *berth.Error
//	if errors.As(err, &be) {
//		log.Printf("code %d (%s), HTTP %d, %s, request %s",
//			be.Code, berth.CodeText(be.Code), be.HTTPStatus, be.AWSCode, be.RequestID)
//	}
//
// # Copying images
//
// [Copy] copies an image or index between registries ("docker://HOST/REPO:TAG",
// or a bare reference) and OCI image layouts ("oci:DIR[:TAG]"), like skopeo
// copy. Blobs the destination has are skipped, blobs in another repository of
// the same registry are mounted, and the destination tag is written last:
//
//	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
//	defer cancel()
//	res, err := berth.Copy(ctx, "oci:/tmp/layout:v1", "docker://registry.example:5000/app:v1",
//		&berth.CopyOptions{
//			Dst:  berth.RegistryOptions{Creds: "user:password"}, // else the docker keychain
//			Jobs: 8,                                             // 0: berth.DefaultJobs
//			Progress: func(p berth.Progress) bool {
//				if p.Event == berth.BlobDone || p.Event == berth.ManifestDone {
//					log.Printf("%v %s %d/%d", p.Event, p.Digest, p.OverallBytes, p.OverallTotal)
//				}
//				return false // true cancels the copy
//			},
//		})
//	switch {
//	case errors.Is(err, context.Canceled):
//		// interrupted: err is an *Error with code ECancelled wrapping ctx.Err()
//	case errors.Is(err, berth.ErrNotFound), errors.Is(err, berth.ErrAuth):
//		// ...
//	case err == nil:
//		log.Printf("%s: %d blobs copied, %d skipped, %d mounted, %d referrers, in %v",
//			res.Digest, res.BlobsCopied, res.BlobsSkipped, res.BlobsMounted, res.Referrers, res.Duration)
//		for _, w := range res.Warnings { // what was left out, e.g. referrers that could not be listed
//			log.Print(w)
//		}
//	}
//
// The Progress func runs on libberth's threads, one call at a time. The context
// is watched through the same progress reports, so a cancelled copy stops at
// the next report (they come with every chunk of a blob moved).
//
// [Pull] is berth pull: a registry image into a destination read as the CLI and
// crane read it ("out.tar" a docker-archive, "./dir" or an existing directory an
// OCI layout, a bare word refused), optionally verified first:
//
//	r, err := berth.Pull(ctx, "registry.example/app:v1", "./app.tar",
//		&berth.PullOptions{VerifyKey: "cosign.pub"}) // nil: no verification
//	// r.Destination == "docker-archive:./app.tar", r.VerifiedDigest the digest pulled
//
// # Registry access
//
// Every call that reaches a registry takes a [RegistryOptions] (the C ABI's
// berth_registry_options): credentials overriding the docker keychain, plain
// HTTP, TLS (Insecure, CABundle), the stall timeout, chunked pushes and
// mirrors. A copy has one per side ([CopyOptions].Src and Dst), as do [Index]
// and [Build] (its base and its output); [Export] has Src; [Inspect] and the
// other inspection calls, [SBOM], [Sign], [Attest] and [Verify] have Registry.
// The zero value means the defaults. Mirrors ("SRC_REGISTRY=HOST[/PREFIX]",
// e.g. an ECR pull-through cache) apply to the source of a copy, replicate or
// index and to a build's base; elsewhere (a copy's Dst, say) they are EInvalid:
//
//	res, err := berth.Copy(ctx, "docker://docker.io/library/alpine:3", "oci:/tmp/alpine:3",
//		&berth.CopyOptions{Src: berth.RegistryOptions{
//			Mirrors: []string{"docker.io=123456789012.dkr.ecr.eu-west-1.amazonaws.com/docker-hub"},
//		}})
//	// res.Mirror names the mirror the image came from, "" when it came from docker.io
//
// # Defaults
//
// A zero option field documented "0 means the default" takes the value of
// berth/defaults.h, which this package reads through cgo: [DefaultJobs],
// [MaxJobs], [DefaultPlatform], [DefaultStallTimeout], [DefaultPageSize],
// [DefaultMaxExportBytes], [DefaultMaxExpansionRatio], [DefaultScanTimeout].
// [Defaults] returns those the loaded library applies.
//
// # Building and pushing images
//
// [Build] stacks layers made from directories or tar files on a base image
// ("scratch" by default), sets the config and writes the image to an OCI layout
// or a registry; a fixed Created gives the same digest for the same inputs
// (time.Unix(0, 0), the epoch, is a valid Created; the zero time.Time means
// SOURCE_DATE_EPOCH, else now).
// [Push] copies an image to a registry tag and adds more tags
// ([CopyOptions].ExtraTags); [TagsCompute] derives tags from CI metadata:
//
//	built, err := berth.Build(ctx, berth.BuildOptions{
//		Output:     "oci:/tmp/layout:app",
//		Layers:     []string{"./rootfs", "./app:/opt/app"},
//		Entrypoint: []string{"/opt/app/run"},
//		Created:    time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
//	})
//	tags, err := berth.TagsCompute(berth.TagOptions{Rules: []string{"type=semver,pattern={{version}}"}})
//	res, err := berth.Push(ctx, "oci:/tmp/layout:app", "registry.example:5000/app", tags.Tags, nil)
//
// [Replicate] sends one image to many destinations reading each blob once,
// [Index] assembles a multi-arch index (with [IndexOptions].Annotations on it)
// and [Export] flattens an image into a directory. [Sign], [Attest] and
// [Verify] make and check cosign signatures and attestations.
//
// # Registry logins
//
// [Login] logs in to any registry as `docker login` does: the credentials are
// checked against the registry (unless [LoginOptions].NoVerify), then written
// where docker, skopeo and berth read them; [Logout] removes them again.
//
// # CI pipeline steps
//
// [ECREnsureRepository], [LifecyclePolicyShorthand], [LifecyclePolicyWithBuildCache],
// [LifecyclePolicyValidate], [ECRLifecyclePreview], [ECRPutLifecyclePolicy] and
// [ECRScanGate] cover a pipeline's repository, retention (build caches included) and
// vulnerability gate. A failed gate returns
// its [ScanGateResult] together with an *Error of code [EGate].
//
// # AWS credentials and ECR
//
// [AWSCredentials] resolves credentials the way the AWS CLI does (environment,
// web identity, GitHub Actions OIDC when a role is set, the shared config
// profile, ECS, IMDSv2), optionally assuming a role; [CallerIdentity] asks STS
// who they belong to. [ECRLogin] gets a registry login from
// ecr:GetAuthorizationToken, [ECRDockerLogin] writes it into docker's
// config.json, and [ECRCall] calls any ECR API operation with a JSON body.
// [AWSOptions] (nil for all defaults) names the region, profile, role and
// endpoints; empty fields leave them to AWS_REGION, AWS_PROFILE,
// AWS_ENDPOINT_URL_ECR and the rest of the AWS environment:
//
//	opts := &berth.AWSOptions{Region: "eu-west-1", RoleARN: "arn:aws:iam::123456789012:role/push"}
//	login, err := berth.ECRLogin(ctx, "123456789012.dkr.ecr.eu-west-1.amazonaws.com", opts)
//	if err != nil {
//		log.Fatal(err) // e.g. ErrAuth: "no AWS credentials found (...)"
//	}
//	log.Print(login) // Registry, Username "AWS", Password <redacted>, ExpiresAt
//	path, err := berth.ECRDockerLogin(ctx, login.Registry, "", opts) // ~/.docker/config.json
//
//	var repos struct{ Repositories []struct{ RepositoryUri string } }
//	_, err = berth.ECRCall(ctx, "DescribeRepositories", map[string]any{"maxResults": 10}, &repos, opts)
//	var be *berth.Error
//	if errors.As(err, &be) && be.AWSCode != "" {
//		log.Printf("%s: %s (request id %s)", be.AWSCode, be.Message, be.RequestID)
//	}
//
// AWS error replies become [*Error] values with the matching code (ENotFound
// for RepositoryNotFoundException, EExists for RepositoryAlreadyExistsException,
// EDenied for AccessDenied, ...), AWSCode and RequestID. [Credentials] and
// [ECRAuthorization] hide their secrets from every fmt verb and from log/slog;
// encoding/json still writes them.
//
// These calls check ctx before calling into libberth only: libberth cannot be
// interrupted once a call runs, so it finishes (or fails by its own network
// timeouts) even when ctx ends meanwhile, and holds its goroutine's OS thread
// until then.
//
// # Inspection
//
// [GetManifest], [Inspect], [ListTags], [Catalog], [Tag], [DeleteManifest] and
// [Validate] are berth manifest, inspect, ls, catalog, tag, rm and validate:
//
//	report, err := berth.Validate(ctx, "registry.example/app:v1", &berth.InspectOptions{Jobs: 8})
//	if err != nil {
//		return err // it could not run: no such image, authentication, network
//	}
//	for _, f := range report.Failures { // report.OK is false when there are any
//		log.Printf("%s %s: %s", f.Kind, f.Digest, f.Message)
//	}
//
// Like the AWS calls they check ctx before calling into libberth only.
//
// # SBOMs
//
// [SBOM] is berth sbom: the SPDX 2.3 JSON document of an image (files with SHA1
// and SHA256; dpkg, apk, Python and Go packages with purls), which [ParseSPDX]
// decodes:
//
//	raw, err := berth.SBOM(ctx, "oci:image:build", nil)
//	doc, err := berth.ParseSPDX(raw)
//	for _, p := range doc.Packages {
//		log.Print(p.Name, " ", p.VersionInfo)
//	}
//
// # Concurrency
//
// All functions may be called from any number of goroutines at once.
package berth
