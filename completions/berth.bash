# bash completion for berth. Installed as share/bash-completion/completions/berth,
# where bash-completion loads it on first use; or source it from ~/.bashrc.
#
# The commands, their sub-commands and options are read from the berth being
# completed (`berth --help`, `berth COMMAND --help`), so the completion follows the
# CLI as it grows; only the values of a few options are listed here.

# The command names, from the "commands:" list of `berth --help`.
_berth_commands() { # BERTH
  "$1" --help 2>/dev/null | awk '/^commands:/ {on = 1; next} on && /^  [a-z]/ {print $1}'
}

# A command's sub-commands, from its usage lines: "usage: berth ecr login ...",
# "       berth aws whoami ...", "usage: berth credential-helper get|store|erase|list".
_berth_subcommands() { # BERTH COMMAND
  "$1" "$2" --help 2>/dev/null | grep -oE "^(usage:)? +berth $2 [a-z][a-z|-]*" |
    awk '{print $NF}' | tr '|' '\n'
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
  local berth=${words[0]}

  if ((cword == 1)); then
    mapfile -t COMPREPLY < <(compgen -W "$(_berth_commands "$berth") --help --version" -- "$cur")
    return
  fi
  local cmd=${words[1]} sub
  if ((cword == 2)); then
    sub=$(_berth_subcommands "$berth" "$cmd")
    if [[ -n $sub ]]; then
      mapfile -t COMPREPLY < <(compgen -W "$sub --help" -- "$cur")
      return
    fi
  fi

  # Values of the options that take a fixed set or a file.
  local values=
  case $prev in
    --format) [[ $cmd == aws ]] && values="env json" || values="oci docker" ;;
    --compression) values="gzip zstd none" ;;
    --fail-on) values="CRITICAL HIGH MEDIUM LOW" ;;
    --latest) values="auto true false" ;;
    --cache-key) values="metadata content" ;;
    --network) values="host none" ;;
    --progress) values="auto plain" ;;
    --referrers) values="true false" ;;
    --encryption) values="AES256 KMS" ;;
    --type) values="spdxjson cyclonedx slsaprovenance slsaprovenance1 vuln custom" ;;
    --platform) values="linux/amd64 linux/arm64 linux/arm/v7 linux/386 linux/ppc64le linux/s390x" ;;
    --layer | --cache | --body-file | --ca-bundle | --file | -f | --iidfile | --config | --key | --predicate)
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
    opts=$("$berth" "$cmd" --help 2>/dev/null | grep -oE -- '--[a-z0-9][a-z0-9-]*' | sort -u)
    mapfile -t COMPREPLY < <(compgen -W "$opts --help" -- "$cur")
    return
  fi

  # Image locations (the transports, then files and directories), for the commands
  # that take them.
  case $cmd in
    version | sign-request | catalog | aws | ecr | credential-helper | tags) ;;
    *)
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
