#!/usr/bin/env bash
# Compositions all the way down: a claim about one image counts in every VFI that ships it, a
# Platform VFI nests the released Runtime, the daily swap is one command, and a broken image is
# traced to the releases that shipped it. Runs on the store in $VFI_STORE after
# examples/assertions.sh (which releases a Runtime).
#
# No Docker engine is needed: every image here is pinned by digest already, so `--resolve` has
# nothing to ask the engine (given a tag, it would pin it through the engine in the same publication).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
: "${VFI_STORE:?set VFI_STORE to a store with a released Runtime (examples/walkthrough.sh makes one)}"
export VFI_STORE

router=polyverse/router:1.0.3@sha256:8d3f6bb2a1ea6f3f4c3f1c1a0ee2c2b7a6e1e1f0d3a3c7e9b5b1f2f4e6a8c0d2
web=nginx:1.27.3@sha256:6f1a2c3e4d5b6a7980f1e2d3c4b5a69788f9e0d1c2b3a4958677e8f9a0b1c2d3
keys="$(dirname "$VFI_STORE")/keys"
web_next=nginx:1.27.4@sha256:0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9

say "A claim about one image, by digest: it holds in every VFI that contains that image"
vfi assert "$router" tests-passed --by router-ci --evidence https://ci.example.com/router/31 --sign "$keys/vfi.key"

say "A Platform VFI nests the released Runtime (a VFI inside a VFI) beside a web server"
runtime=$($VFI find --has released Runtime)
platform=$(printf '{"runtime": {"type": "vfi", "address": "%s"}, "web": {"type": "dockerImage", "address": "%s"}}' "$runtime" "$web" | vfi add Platform -)
echo "$platform"
vfi assert Platform tests-passed --by ci --sign "$keys/vfi.key"   # CI signs: the store trusts only its key (examples/assertions.sh)

say "show --expand inlines the nested VFI (plain show stays the stored bytes)"
vfi show Platform --expand | head -n 8

say "The daily swap, one publication: start from what pick chooses, swap web, pin it"
swapped=$(vfi set Platform web="$web_next" --from-best --require tests-passed --resolve)
echo "$swapped"

say "The new nginx fails its smoke test: every VFI shipping it stops being a candidate"
vfi assert "$web_next" smoke-verified --fail --by smoke-bot --note "502 on /healthz" --sign "$keys/vfi.key"
# (signed by CI's key: the store trusts only it, and an unsigned failure would not count inside a VFI either)
vfi assertions "$swapped" | tail -n 1
vfi pick Platform --explain

say "Which VFIs ship that image? (a CVE, say); and which ship the released Runtime?"
vfi contains "$web_next"
vfi contains "$runtime"
