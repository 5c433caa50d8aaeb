#!/usr/bin/env zsh
# Prints what zsh offers for command lines, as an interactive zsh with compinit
# does on TAB: zsh_complete.zsh FPATH_DIR 'berth co' 'berth ecr ' ... prints, for
# each line, "== LINE" and then its matches, one a line.
#
# An interactive zsh runs in a pseudo-terminal (zsh/zpty); compadd is wrapped so
# that every match the completion functions add is printed, between two marker
# lines that frame the output. (The technique of zsh-capture-completion, trimmed.)
emulate -L zsh
zmodload zsh/zpty || { print -u2 "zsh/zpty is missing"; exit 2 }
fpath_dir=$1
shift
tmp=$(mktemp -d)
trap 'zpty -d z 2>/dev/null; rm -rf $tmp' EXIT

# The setup runs as one sourced file: once Enter is unbound (so that the line sent
# last is completed, never run), nothing more can be typed.
cat > $tmp/setup.zsh <<SETUP
PROMPT=
fpath=(${(q)fpath_dir} \$fpath)
PATH=${(q)PATH}
autoload -U compinit
compinit -u -d ${(q)tmp}/zcompdump
zstyle ':completion:*' list-grouped false
zstyle ':completion:*' insert-tab false
# _main_complete empties both arrays each time: the functions put themselves back.
frame() { echo -E - '<<frame>>'; compprefuncs=(frame); comppostfuncs=(frame) }
compprefuncs=(frame)
comppostfuncs=(frame)
compadd() {
  # Calls that only collect matches (-O, -A, -D) are internal to the helpers.
  if [[ \${@[1,(i)(-|--)]} == *-(O|A|D)\\ * ]]; then builtin compadd "\$@"; return; fi
  typeset -a __hits
  builtin compadd -A __hits "\$@"
  local h; for h in \$__hits; do echo -E - "MATCH:\$h"; done
}
bindkey '^I' complete-word
bindkey '^U' kill-whole-line
bindkey '^M' undefined
bindkey '^J' undefined
echo setup-done
SETUP
zpty z zsh -f -i
zpty -w z "source ${(q)tmp}/setup.zsh"
local out
repeat 50; do
  zpty -r z out || break
  [[ $out == setup-done* ]] && break
done
[[ $out == setup-done* ]] || { print -u2 "zsh_complete: the interactive zsh did not start"; exit 2 }

integer frames
for line in "$@"; do
  print -r -- "== $line"
  # ^U clears what the previous completion left on the line.
  zpty -w -n z $'\C-u'"$line"$'\t'
  frames=0
  while zpty -r z out; do
    [[ $out == *'<<frame>>'* ]] && { (( ++frames == 2 )) && break; continue }
    (( frames == 1 )) && [[ $out == MATCH:* ]] && print -r -- ${${out#MATCH:}%%$'\r'*}
  done
  (( frames == 2 )) || { print -u2 "zsh_complete: no completion output for '$line'"; exit 2 }
done
