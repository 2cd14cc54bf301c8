#!/usr/bin/env bash
# Blessing and releasing: CI records assertions about the newest VFIs of Runtime, a smoke test
# fails on one of them, `vfi pick --explain` chooses the release candidate and `vfi release`
# records the choice. Runs on the store in $VFI_STORE, whose Runtime lineage needs at least three
# VFIs (examples/walkthrough.sh makes such a store and then calls this script).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
VFI=${VFI:-"node $here/../dist/main.js"}
: "${VFI_STORE:?set VFI_STORE to a store with a Runtime lineage (examples/walkthrough.sh makes one)}"
export VFI_STORE

bold=$'\033[1m' plain=$'\033[0m'
if [[ -n "${NO_COLOR:-}" || ! -t 2 ]]; then bold='' plain=''; fi
say() { printf '\n%s# %s%s\n' "$bold" "$*" "$plain" >&2; }
vfi() { printf '%s$ vfi %s%s\n' "$bold" "$*" "$plain" >&2; $VFI "$@"; }

if (( $($VFI log Runtime --no-headers | wc -l) < 3 )); then
  say "Publish one more Runtime so that there are three to choose from"
  vfi set Runtime nsq=nsqio/nsq:v1.2.1
fi

say "CI: the test suite passes on the three newest VFIs of Runtime"
vfi assert Runtime~2 tests-passed --by ci --evidence https://ci.example.com/runtime/101
vfi assert Runtime~1 tests-passed --by ci --evidence https://ci.example.com/runtime/102
vfi assert Runtime tests-passed --by ci --evidence https://ci.example.com/runtime/103

say "A reviewer blesses two of them (bless is another name for assert)"
vfi bless Runtime~2 reviewed --by alice
vfi bless Runtime reviewed --by alice

say "Smoke tests on staging: Runtime~1 passes, the newest one fails"
vfi assert Runtime~1 smoke-verified --by smoke-bot --evidence https://ci.example.com/smoke/76
vfi assert Runtime smoke-verified --fail --by smoke-bot --note "router answers 502 under load" \
  --evidence https://ci.example.com/smoke/77

say "Everything recorded about the newest VFI, oldest first, and its score"
vfi assertions Runtime

say "Which VFI do we release? The ranking goes to stderr, the pick alone to stdout"
candidate=$(vfi pick Runtime --require tests-passed --explain)
echo "$candidate"

say "The newest VFI that passed its smoke test"
vfi find --has smoke-verified Runtime

say "Release it: the release is an assertion too"
vfi release "$candidate" --by release-manager --note "rolled out to production"

say "Assertions are plain git: one commit per vfi assert, on refs/vfi-assertions/main"
printf '$ git --git-dir "$VFI_STORE" log --oneline -3 refs/vfi-assertions/main\n' >&2
git --git-dir "$VFI_STORE" log --oneline -3 refs/vfi-assertions/main

say "and each record is an in-toto Statement about the VFI (here the release, as .intoto.jsonl)"
vfi assertions "$candidate" --format intoto | tail -n 1
