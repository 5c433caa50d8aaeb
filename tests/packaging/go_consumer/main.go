// A program outside the berth repository that `go get`s the binding, as a user's
// would: it prints the library's version and a SigV4 signature of the AWS test
// suite's get-vanilla request, which must match the suite's.
package main

import (
	"fmt"
	"os"
	"time"

	berth "github.com/berth-project/berth/bindings/go"
)

func main() {
	if err := berth.CheckABI(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	signed, err := berth.SignRequest(berth.SignInput{
		Method: "GET", URL: "https://example.amazonaws.com/",
		Region: "us-east-1", Service: "service",
		AccessKey: "AKIDEXAMPLE", SecretKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
		Time: time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("berth", berth.Version(), "signature", signed.Signature)
}
