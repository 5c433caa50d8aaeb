package berth

/*
#include <berth.h>
*/
import "C"

import (
	"fmt"
	"sync"
)

// HeaderABIVersion is the BERTH_ABI_VERSION of the berth.h this package was
// compiled against. The loaded library must report the same [ABIVersion].
const HeaderABIVersion uint32 = C.BERTH_ABI_VERSION

// Version returns the loaded library's version as text, e.g. "0.1.0".
func Version() string {
	return C.GoString(C.berth_version_string())
}

// VersionNumber returns the loaded library's version as
// MAJOR*10000 + MINOR*100 + PATCH (0.1.0 is 100).
func VersionNumber() uint32 {
	return uint32(C.berth_version())
}

// ABIVersion returns the ABI version of the loaded library.
func ABIVersion() uint32 {
	return uint32(C.berth_abi_version())
}

var (
	abiOnce sync.Once
	abiErr  error
)

// CheckABI reports whether the loaded library speaks the ABI this package was
// compiled for. It returns nil when [ABIVersion] equals [HeaderABIVersion] and an
// [*Error] with code [EUnsupported] otherwise. Every other function performs
// this check itself before its first call into the library; calling CheckABI at
// program start only surfaces a mismatch earlier.
func CheckABI() error {
	abiOnce.Do(func() {
		if got := ABIVersion(); got != HeaderABIVersion {
			abiErr = &Error{
				Code: EUnsupported,
				Message: fmt.Sprintf("libberth %s has ABI version %d but this Go package was built for ABI version %d; "+
					"rebuild the package against the installed berth.h or install a matching libberth",
					Version(), got, HeaderABIVersion),
			}
		}
	})
	return abiErr
}
