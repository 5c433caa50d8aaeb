package berth

import "unsafe"

// PlayOlderDockerfileLibrary makes BuildDockerfile meet a libberth that knows
// berth_dockerfile_options up to version newest: the real library is asked for
// version 0xFFFF in place of a newer one, so it refuses it as an older library would
// (its last error set). versions receives the version each initialisation asked for;
// undo restores the real function.
func PlayOlderDockerfileLibrary(newest uint32) (versions *[]uint32, undo func()) {
	real := dockerfileOptionsInit
	asked := &[]uint32{}
	dockerfileOptionsInit = func(o unsafe.Pointer, version uint32) int {
		*asked = append(*asked, version)
		if version > newest {
			version = 0xFFFF
		}
		return real(o, version)
	}
	return asked, func() { dockerfileOptionsInit = real }
}
