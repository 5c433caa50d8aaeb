// tool writes its architecture and $TARGETARCH to the file named by its argument.
package main

import (
	"os"
	"runtime"
)

func main() {
	if len(os.Args) < 2 {
		os.Exit(2)
	}
	data := runtime.GOARCH + " " + os.Getenv("TARGETARCH") + "\n"
	if err := os.WriteFile(os.Args[1], []byte(data), 0o644); err != nil {
		os.Exit(1)
	}
}
