# What the berth executable brings along when installed (component "cli").

# docker, skopeo and podman run a credential helper named docker-credential-<name>;
# started under that name, berth speaks the helper protocol (lib/cli/main.cpp looks
# at argv[0]). A relative symlink, so it keeps working wherever the tree is unpacked.
# It is made in the build tree's bin/ too; install(FILES) copies a symlink as one.
file(MAKE_DIRECTORY ${PROJECT_BINARY_DIR}/bin)
file(CREATE_LINK berth ${PROJECT_BINARY_DIR}/bin/docker-credential-berth SYMBOLIC)
install(FILES ${PROJECT_BINARY_DIR}/bin/docker-credential-berth
  DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT cli)

# Shell completions, where bash-completion and zsh look by default under a prefix:
# bash-completion searches <dir>/bash-completion/completions for each XDG_DATA_DIRS
# entry (/usr/local/share and /usr/share by default); zsh has <prefix>/share/zsh/
# site-functions on its $fpath. Debian's zsh has /usr/local/share/zsh/site-functions
# but, for packages, /usr/share/zsh/vendor-completions instead of the /usr one: a
# link there makes the .deb's completion load too.
install(FILES ${PROJECT_SOURCE_DIR}/completions/berth.bash
  DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME berth COMPONENT cli)
install(FILES ${PROJECT_SOURCE_DIR}/completions/_berth
  DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/site-functions COMPONENT cli)
file(MAKE_DIRECTORY ${PROJECT_BINARY_DIR}/completions)
file(CREATE_LINK ../site-functions/_berth ${PROJECT_BINARY_DIR}/completions/_berth SYMBOLIC)
install(FILES ${PROJECT_BINARY_DIR}/completions/_berth
  DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions COMPONENT cli)
