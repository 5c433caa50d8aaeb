# Release artifacts. `cpack --config build/CPackConfig.cmake` in a build with the CLI
# makes:
#   berth-<version>-linux-<arch>.tar.gz  one tree of everything: bin (berth and the
#                                        docker-credential-berth link), lib
#                                        (libberth.so*, libberth.a, cmake/berth,
#                                        pkgconfig), include, share (completions)
#   berth_<version>_<arch>.deb           the CLI (it links libberth statically)
#   libberth2_<version>_<arch>.deb       libberth.so.2
#   libberth-dev_<version>_<arch>.deb    headers, libberth.so, libberth.a, the CMake
#                                        package, berth.pc and berth-static.pc
# The Debian split is the usual one for a library: programs depend on libberth2 only,
# and installing the CLI drags in no headers. The .debs install under /usr.
set(CPACK_PACKAGE_NAME berth)
set(CPACK_PACKAGE_VENDOR "The berth project")
set(CPACK_PACKAGE_CONTACT "The berth project <https://github.com/berth-project/berth>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_HOMEPAGE_URL "https://github.com/berth-project/berth")
string(TOLOWER "${CMAKE_SYSTEM_NAME}-${CMAKE_SYSTEM_PROCESSOR}" berth_cpack_platform)
set(CPACK_PACKAGE_FILE_NAME berth-${PROJECT_VERSION}-${berth_cpack_platform})
set(CPACK_GENERATOR TGZ DEB)
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_CHECKSUM SHA256)
# Without the CLI there is nothing for the berth package to hold.
if(BERTH_BUILD_CLI)
  set(CPACK_COMPONENTS_ALL cli runtime dev)
else()
  set(CPACK_COMPONENTS_ALL runtime dev)
endif()
# One archive with every component; one .deb per component.
set(CPACK_ARCHIVE_COMPONENT_INSTALL OFF)
set(CPACK_DEB_COMPONENT_INSTALL ON)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
# Run-time dependencies come from dpkg-shlibdeps on the ELF files of each package
# (libc6, libcurl4, libssl3, libzstd1, zlib1g, libexpat1, libdeflate0, libsodium23, libbz2-1.0, liblzma5,
# libstdc++6, libgcc-s1), with the versions the build system had.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_ENABLE_COMPONENT_DEPENDS ON)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "${CPACK_PACKAGE_HOMEPAGE_URL}")

set(CPACK_DEBIAN_CLI_PACKAGE_NAME berth)
set(CPACK_DEBIAN_CLI_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME libberth${BERTH_ABI_VERSION})
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION libs)
# A shlibs file for the packages holding a shared library (libberth2 only), so that
# dpkg-shlibdeps of programs linking libberth.so.2 finds it. (CPack also adds
# ldconfig to the postinst and postrm of a package with a library in /usr/lib.)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")
set(CPACK_DEBIAN_DEV_PACKAGE_NAME libberth-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
# berth-config.cmake finds these (find_dependency, pkg_check_modules) and the static
# library and berth-static.pc link them; shlibdeps cannot see that.
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
  "libcurl4-openssl-dev | libcurl-dev, libssl-dev, zlib1g-dev, libzstd-dev, libexpat1-dev, libdeflate-dev, libsodium-dev, libbz2-dev, liblzma-dev, pkg-config")

include(CPack)
cpack_add_component(runtime DISPLAY_NAME "libberth"
  DESCRIPTION "libberth.so.2, the shared library with berth's C ABI")
cpack_add_component(dev DISPLAY_NAME "libberth development files" DEPENDS runtime
  DESCRIPTION "Headers (C ABI and C++ API), libberth.a, the CMake package and pkg-config files")
if(BERTH_BUILD_CLI)
  cpack_add_component(cli DISPLAY_NAME "berth command-line tool"
    DESCRIPTION "The berth command, the docker-credential-berth helper and shell completions")
endif()
