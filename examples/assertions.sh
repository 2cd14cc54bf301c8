#!/usr/bin/env bash
# Blessing and releasing: CI records assertions about the newest VFIs of Runtime, a smoke test
# fails on one of them, `vfi pick --explain` chooses the release candidate and `vfi release`
# records the choice. CI signs its records and the store trusts CI's key. Runs on the store in $VFI_STORE, whose Runtime lineage needs at least three
# VFIs (examples/walkthrough.sh makes such a store and then calls this script).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
: "${VFI_STORE:?set VFI_STORE to a store with a Runtime lineage (examples/walkthrough.sh makes one)}"
export VFI_STORE

say "A release is pinned: every image by digest (vfi resolve asks the registry; here the digests are written out)"
vfi set Runtime \
  etcd=quay.io/coreos/etcd:v3.5.9@sha256:1111111111111111111111111111111111111111111111111111111111111111 \
  nsq=nsqio/nsq:v0.3.8@sha256:2222222222222222222222222222222222222222222222222222222222222222 \
  polyverse=polyverse/polyverse:72e5e550d1835013832f64597cb1368b7155bd53@sha256:3333333333333333333333333333333333333333333333333333333333333333 \
  status=polyverse/status:5c0fd5d38f55b49565253c8d469beb9f3fcf9003@sha256:4444444444444444444444444444444444444444444444444444444444444444 \
  supervisor=polyverse/supervisor:v1.4.0@sha256:5555555555555555555555555555555555555555555555555555555555555555 \
  containerManager=polyverse/container-manager:v2.1.0@sha256:6666666666666666666666666666666666666666666666666666666666666666 \
  eventService=polyverse/event-service:v0.9.1@sha256:7777777777777777777777777777777777777777777777777777777777777777
vfi set Runtime nsq=nsqio/nsq:v1.2.1@sha256:8888888888888888888888888888888888888888888888888888888888888888

say "CI signs what it records: a key pair (the private key stays with CI), and the store trusts its public key"
keys="$(dirname "$VFI_STORE")/keys"
vfi key generate --out "$keys"
vfi trust add ci "$keys/vfi.pub"
vfi trust list
export VFI_SIGNING_KEY="$keys/vfi.key"

say "CI: the test suite passes on the three newest VFIs of Runtime (signed, as VFI_SIGNING_KEY is set)"
vfi assert Runtime~2 tests-passed --by ci --evidence https://ci.example.com/runtime/101
vfi assert Runtime~1 tests-passed --by ci --evidence https://ci.example.com/runtime/102
vfi assert Runtime tests-passed --by ci --evidence https://ci.example.com/runtime/103

say "A reviewer blesses two of them from a laptop, unsigned: shown, but not counted while the store trusts keys"
VFI_SIGNING_KEY= vfi bless Runtime~2 reviewed --by alice
VFI_SIGNING_KEY= vfi bless Runtime reviewed --by alice

say "Smoke tests on staging: Runtime~1 passes, the newest one fails"
vfi assert Runtime~1 smoke-verified --by smoke-bot --evidence https://ci.example.com/smoke/76
vfi assert Runtime smoke-verified --fail --by smoke-bot --note "router answers 502 under load" \
  --evidence https://ci.example.com/smoke/77

say "Everything recorded about the newest VFI, oldest first, and its score"
vfi assertions Runtime

say "Which VFI do we release? The ranking goes to stderr, the pick alone to stdout"
candidate=$(vfi pick Runtime --require tests-passed --explain)
echo "$candidate"

say "The deploy gate: the pick as JSON, then the policy the team agreed for Runtime"
vfi pick Runtime --json | head -n 3
vfi policy set Runtime --require tests-passed,smoke-verified

say "The newest VFI that passed its smoke test"
vfi find --has smoke-verified Runtime

say "Release it: the release is an assertion too"
vfi release "$candidate" --by release-manager --note "rolled out to production"

say "Assertions are plain git: one commit per vfi assert, on refs/vfi-assertions/main"
printf '$ git --git-dir "$VFI_STORE" log --oneline -3 refs/vfi-assertions/main\n' >&2
git --git-dir "$VFI_STORE" log --oneline -3 refs/vfi-assertions/main

say "and each signed record is a DSSE envelope around an in-toto Statement about the VFI (here the release, as .intoto.jsonl)"
vfi assertions "$candidate" --format intoto | tail -n 1
