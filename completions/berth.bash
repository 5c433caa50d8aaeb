# bash completion for berth. Installed as share/bash-completion/completions/berth,
# where bash-completion loads it on first use; or source it from ~/.bashrc.
#
# Commands and sub-commands are listed here (tests/packaging/test_completions.sh
# compares them with `berth --help`); each command's options come from its own
# `berth COMMAND --help` when asked for, so they never fall behind the CLI.

_berth_commands="version sign-request copy push pull replicate index export sign verify attest build aws ecr credential-helper tags"

_berth_subcommands() {
  case $1 in
    aws) echo "credentials whoami" ;;
    ecr) echo "get-login-password ensure-repository put-lifecycle-policy scan-gate put-replication-configuration login call" ;;
    credential-helper) echo "get store erase list" ;;
    tags) echo "compute" ;;
  esac
}

_berth() {
  local cur prev words cword
  if declare -F _init_completion >/dev/null 2>&1; then
    # bash-completion: keep "oci:DIR" and "--opt=value" as one word.
    _init_completion -n =: || return
  else
    words=("${COMP_WORDS[@]}")
    cword=$COMP_CWORD
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD - 1]}
  fi

  if ((cword == 1)); then
    mapfile -t COMPREPLY < <(compgen -W "$_berth_commands --help --version" -- "$cur")
    return
  fi
  local cmd=${words[1]} sub
  sub=$(_berth_subcommands "$cmd")
  if [[ -n $sub ]] && ((cword == 2)); then
    mapfile -t COMPREPLY < <(compgen -W "$sub --help" -- "$cur")
    return
  fi

  # Values of the options that take a fixed set or a file.
  local values=
  case $prev in
    --format) [[ $cmd == aws ]] && values="env json" || values="oci docker" ;;
    --compression) values="gzip zstd none" ;;
    --fail-on) values="CRITICAL HIGH MEDIUM LOW" ;;
    --latest) values="auto true false" ;;
    --cache-key) values="metadata content" ;;
    --referrers) values="true false" ;;
    --encryption) values="AES256 KMS" ;;
    --platform) values="linux/amd64 linux/arm64 linux/arm/v7 linux/386 linux/ppc64le linux/s390x" ;;
    --type) values="spdxjson cyclonedx slsaprovenance slsaprovenance1 vuln custom" ;;
    --layer | --cache | --body-file | --ca-bundle | --file | --config | --key | --predicate)
      compopt -o filenames 2>/dev/null
      mapfile -t COMPREPLY < <(compgen -f -- "$cur")
      return
      ;;
  esac
  if [[ -n $values ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$values" -- "$cur")
    return
  fi

  if [[ $cur == -* ]]; then
    local opts
    opts=$("${words[0]}" "$cmd" --help 2>/dev/null | grep -oE -- '--[a-z0-9][a-z0-9-]*' | sort -u)
    mapfile -t COMPREPLY < <(compgen -W "$opts --help" -- "$cur")
    return
  fi

  # Image locations: the transports, then files and directories.
  case $cmd in
    copy | push | pull | replicate | index | export | build | sign | verify | attest)
      compopt -o filenames 2>/dev/null
      mapfile -t COMPREPLY < <(compgen -W "docker:// oci: oci-archive: docker-archive:" -- "$cur"
        compgen -f -- "$cur")
      # A transport is a prefix to go on typing after, not a word of its own.
      if ((${#COMPREPLY[@]} == 1)) && [[ ${COMPREPLY[0]} == *: || ${COMPREPLY[0]} == *// ]]; then
        compopt -o nospace 2>/dev/null
      fi
      if declare -F __ltrim_colon_completions >/dev/null 2>&1; then
        __ltrim_colon_completions "$cur"
      fi
      ;;
  esac
}

complete -F _berth berth
