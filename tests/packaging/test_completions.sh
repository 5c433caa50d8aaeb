#!/usr/bin/env bash
# The bash and zsh completions (completions/): a TAB gives what a user expects, in
# bash with and without bash-completion and in an interactive zsh with compinit.
# The commands and sub-commands offered must be exactly those `berth --help` and
# `berth COMMAND --help` list (the completions read them from there).
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

# What the CLI itself lists, parsed here independently of the completion files.
cli_commands=$(berth --help | awk '/^commands:/ {on = 1; next} on && /^  [a-z]/ {print $1}' | sorted)
[[ $(wc -w <<<"$cli_commands") -ge 20 ]] || { echo "berth --help lists too few commands: $cli_commands"; exit 1; }
declare -A cli_subcommands
for cmd in $cli_commands; do
  sub=$(berth "$cmd" --help | sed -nE "s/^(usage:)? +berth $cmd ([a-z][a-z|-]*).*/\2/p" | tr '|' ' ' | sorted)
  [[ -z $sub ]] || cli_subcommands[$cmd]=$sub
done
[[ ${cli_subcommands[ecr]:-} == *put-lifecycle-policy* && ${cli_subcommands[credential-helper]:-} == "erase get list store " ]] ||
  { echo "unexpected sub-commands parsed from berth's help: ${cli_subcommands[*]}"; exit 1; }

# bash: what TAB gives for a command line (the last word is the one completed).
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
  check_bash "$mode" "$cli_commands --help --version" berth ""
  for cmd in "${!cli_subcommands[@]}"; do
    check_bash "$mode" "${cli_subcommands[$cmd]} --help" berth "$cmd" ""
  done
  check_bash "$mode" "copy" berth co
  check_bash "$mode" "export ecr" berth e
  check_bash "$mode" "put-lifecycle-policy put-replication-configuration" berth ecr put-
  check_bash "$mode" "--format" berth copy --for
  check_bash "$mode" "--stall-timeout" berth push --stall
  check_bash "$mode" "oci docker" berth copy --format ""
  check_bash "$mode" "env json" berth aws credentials --format ""
  check_bash "$mode" "gzip zstd none" berth build --compression ""
  check_bash "$mode" "spdxjson" berth attest --type sp
  check_bash "$mode" "CRITICAL HIGH MEDIUM LOW" berth ecr scan-gate app --fail-on ""
done
# A transport completes as a prefix; with bash-completion the colon stays typed.
check_bash plain "oci-archive:" berth copy oci-a

# zsh, through one interactive shell in a pseudo-terminal.
if command -v zsh >/dev/null; then
  zsh -n "$zsh_dir/_berth" || fail "zsh -n _berth"
  zsh_lines=("berth " "berth co" "berth e" "berth copy --for" "berth copy --format "
    "berth aws credentials --format " "berth build --compression " "berth attest --type sp"
    "berth copy oci-a")
  zsh_want=("$cli_commands" "copy" "export ecr" "--format" "oci docker" "env json" "gzip zstd none"
    "spdxjson" "oci-archive:")
  for cmd in "${!cli_subcommands[@]}"; do
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
echo "completions: bash (${modes[*]}) and zsh offer the $(wc -w <<<"$cli_commands") commands of berth --help," \
  "the sub-commands of ${!cli_subcommands[*]}, options and values"
