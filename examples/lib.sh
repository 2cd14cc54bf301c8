# Sourced by every example script (after it sets $here to examples/): where vfi is, and how a
# script narrates. `say` writes a heading to stderr; `vfi` shows the command on stderr, then runs
# it, so stdout carries only what vfi prints. $VFI is exported for the scripts a script calls.
export VFI=${VFI:-"node $here/../dist/main.js"}

bold=$'\033[1m' plain=$'\033[0m'
if [[ -n "${NO_COLOR:-}" || ! -t 2 ]]; then bold='' plain=''; fi
say() { printf '\n%s# %s%s\n' "$bold" "$*" "$plain" >&2; }
vfi() { printf '%s$ vfi %s%s\n' "$bold" "$*" "$plain" >&2; $VFI "$@"; }
