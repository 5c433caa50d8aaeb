package berth_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"os/signal"
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

// Copy an image from an OCI layout to a registry, printing each finished blob,
// and stop cleanly on Ctrl-C. (Not run: it needs a registry.)
func ExampleCopy() {
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()
	res, err := berth.Copy(ctx, "oci:/tmp/layout:v1", "docker://127.0.0.1:5000/app:v1",
		&berth.CopyOptions{
			Jobs: 4,
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
	fmt.Printf("%s: %d blobs copied, %d already there, %d mounted\n",
		res.Digest, res.BlobsCopied, res.BlobsSkipped, res.BlobsMounted)
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
