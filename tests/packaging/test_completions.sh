#!/usr/bin/env bash
# The bash and zsh completions (completions/): their command lists match the CLI's
# own (`berth --help`, `berth CMD --help`), and a TAB gives what a user expects, in
# bash with and without bash-completion and in an interactive zsh with compinit.
#   test_completions.sh SRC BERTH_BINARY
set -euo pipefail
src=$1
berth=$2
export PATH="$(cd "$(dirname "$berth")" && pwd):$PATH"
[[ $(command -v berth) -ef $berth ]] || { echo "berth on PATH is not $berth"; exit 1; }
bash_file=$src/completions/berth.bash
zsh_dir=$src/completions
failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}
sorted() { tr ' ' '\n' | sed '/^$/d' | LC_ALL=C sort | tr '\n' ' '; }

# 1. The lists in the completion files against the CLI.
cli_commands=$(berth --help | awk '/^commands:/ {on = 1; next} on && /^  [a-z]/ {print $1}' | sorted)
bash_commands=$(bash -c 'source "$1"; echo "$_berth_commands"' _ "$bash_file" | sorted)
zsh_commands=$(awk '/commands=\(/ {on = 1; next} on && /^ *\)/ {exit} on' "$zsh_dir/_berth" |
  grep -oE "^ *'[a-z-]+:" | tr -d " ':" | sorted)
[[ $bash_commands == "$cli_commands" ]] || fail "bash commands [$bash_commands] != berth --help [$cli_commands]"
[[ $zsh_commands == "$cli_commands" ]] || fail "zsh commands [$zsh_commands] != berth --help [$cli_commands]"
declare -A cli_subcommands
for cmd in aws ecr credential-helper tags; do
  # "usage: berth ecr get-login-password ..." / "       berth ecr login ..." /
  # "usage: berth credential-helper get|store|erase|list"
  cli_sub=$(berth "$cmd" --help | grep -oE "^(usage:)? +berth $cmd [a-z|-]+" | awk '{print $NF}' |
    tr '|' ' ' | sorted)
  cli_subcommands[$cmd]=$cli_sub
  bash_sub=$(bash -c 'source "$1"; _berth_subcommands "$2"' _ "$bash_file" "$cmd" | sorted)
  [[ $bash_sub == "$cli_sub" ]] || fail "bash: berth $cmd sub-commands [$bash_sub] != its --help [$cli_sub]"
done

# 2. bash: what TAB gives for a command line (the last word is the one completed).
bash_complete() { # MODE WORD... ; MODE is plain or bash-completion
  local mode=$1
  shift
  bash --norc --noprofile -c '
    mode=$1 file=$2
    shift 2
    if [[ $mode == bash-completion ]]; then source /usr/share/bash-completion/bash_completion; fi
    source "$file"
    COMP_WORDS=("$@")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMP_LINE="$*"
    COMP_POINT=${#COMP_LINE}
    _berth berth "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
    printf "%s\n" "${COMPREPLY[@]}"' _ "$mode" "$bash_file" "$@" | sorted
}
check_bash() { # MODE "EXPECTED" WORD...
  local mode=$1 want
  want=$(echo "$2" | sorted)
  shift 2
  local got
  got=$(bash_complete "$mode" "$@")
  [[ $got == "$want" ]] || fail "bash ($mode): '$*<TAB>' gave [$got], expected [$want]"
}
modes=(plain)
if [[ -f /usr/share/bash-completion/bash_completion ]]; then
  modes+=(bash-completion)
else
  echo "note: bash-completion is not installed; bash tested without it only"
fi
registered=$(bash --norc --noprofile -c 'source "$1"; complete -p berth' _ "$bash_file")
[[ $registered == "complete -F _berth berth" ]] || fail "complete -p berth: $registered"
for mode in "${modes[@]}"; do
  check_bash "$mode" "copy" berth co
  check_bash "$mode" "export ecr" berth e
  check_bash "$mode" "spdxjson" berth attest --type sp
  check_bash "$mode" "put-lifecycle-policy put-replication-configuration" berth ecr put-
  check_bash "$mode" "credentials" berth aws cr
  check_bash "$mode" "get" berth credential-helper g
  check_bash "$mode" "--format" berth copy --for
  check_bash "$mode" "--stall-timeout" berth push --stall
  check_bash "$mode" "oci docker" berth copy --format ""
  check_bash "$mode" "env json" berth aws credentials --format ""
  check_bash "$mode" "gzip zstd none" berth build --compression ""
  check_bash "$mode" "CRITICAL HIGH MEDIUM LOW" berth ecr scan-gate app --fail-on ""
done
# A transport completes as a prefix; with bash-completion the colon stays typed.
check_bash plain "oci-archive:" berth copy oci-a

# 3. zsh, through one interactive shell in a pseudo-terminal.
if command -v zsh >/dev/null; then
  zsh -n "$zsh_dir/_berth" || fail "zsh -n _berth"
  zsh_lines=("berth co" "berth e" "berth attest --type sp" "berth copy --for" "berth copy --format "
    "berth aws credentials --format " "berth build --compression " "berth copy oci-a")
  zsh_want=("copy" "export ecr" "spdxjson" "--format" "oci docker" "env json" "gzip zstd none" "oci-archive:")
  for cmd in aws ecr credential-helper tags; do
    zsh_lines+=("berth $cmd ")
    zsh_want+=("${cli_subcommands[$cmd]}")
  done
  zsh_out=$(timeout 120 zsh "$src/tests/packaging/zsh_complete.zsh" "$zsh_dir" "${zsh_lines[@]}") ||
    fail "zsh: the completion session failed"
  for i in "${!zsh_lines[@]}"; do
    got=$(awk -v line="== ${zsh_lines[$i]}" '$0 == line {on = 1; next} /^== / {on = 0} on' <<<"$zsh_out" | sorted)
    want=$(echo "${zsh_want[$i]}" | sorted)
    [[ $got == "$want" ]] || fail "zsh: '${zsh_lines[$i]}<TAB>' gave [$got], expected [$want]"
  done
else
  fail "zsh is not installed (scripts/setup.sh installs it)"
fi

if ((failures)); then
  echo "completions: $failures failure(s)"
  exit 1
fi
echo "completions: bash (${modes[*]}) and zsh complete commands, sub-commands, options and values"
