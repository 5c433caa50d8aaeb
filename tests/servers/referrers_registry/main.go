// Command referrers-registry serves go-containerregistry's in-memory registry with
// the OCI 1.1 referrers API turned on (`crane registry serve` leaves it off). The
// registries berth's tests otherwise use — Debian's distribution 2.8 and
// distribution v3.1 — have no referrers API, so this is the one that has it.
//
//	referrers-registry --address 127.0.0.1:5000
package main

import (
	"flag"
	"log"
	"net/http"
	"os"

	"github.com/google/go-containerregistry/pkg/registry"
)

func main() {
	addr := flag.String("address", "127.0.0.1:5000", "host:port to listen on")
	flag.Parse()
	handler := registry.New(registry.WithReferrersSupport(true),
		registry.Logger(log.New(os.Stderr, "", log.LstdFlags)))
	log.Printf("serving on %s", *addr)
	log.Fatal(http.ListenAndServe(*addr, handler))
}
