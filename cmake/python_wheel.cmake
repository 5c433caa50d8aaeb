# The Python wheel (pyproject.toml, scikit-build-core installs the "python"
# component): libberth.so goes into the package directory, where the ctypes binding
# (bindings/python/berth/_discover.py) looks before the build tree and the system.
#
# One file named by the soname, libberth.so.2: a wheel stores symlinks as copies, so
# the usual libberth.so -> .so.2 -> .so.2.x.y chain would triple it, and auditwheel
# expects a library under its soname. VERSION equal to SOVERSION gives exactly that
# file; NAMELINK_SKIP leaves out libberth.so. TARGETS (not FILES) so that the
# backend's install.strip applies.
set_target_properties(berth PROPERTIES VERSION ${BERTH_ABI_VERSION})
install(TARGETS berth LIBRARY DESTINATION berth COMPONENT python NAMELINK_SKIP)
