#!/usr/bin/env bash
# The vfi walkthrough, on a throwaway store: publish a 9-component runtime, expand it, verify
# it with plain git, swap one component, diff, then (examples/assertions.sh) bless, pick, release,
# (examples/deploy.sh) export the release for kustomize and write its release notes,
# (examples/sharing.sh) share the store through a git remote with a teammate, and (examples/compose.sh)
# nest VFIs, assert claims about single images and swap one component in one command.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export VFI_STORE="$work/store"

say "Publish the runtime the team runs today (9 components) on the Runtime lineage"
first=$(vfi add Runtime "$here/runtime.json")
echo "$first"

say "Anyone can expand that reference back into exactly that JSON (here by a short prefix)"
short="${first:0:16}"
vfi show "$short"

say "The id is the git blob id of those bytes: plain git agrees"
printf '$ vfi show %s | git hash-object --stdin\n' "$first" >&2
hashed=$($VFI show "$first" | git hash-object --stdin)
echo "$hashed"
[[ "Runtime@$hashed" == "$first" ]] || { echo "hash mismatch" >&2; exit 1; }

say "The router team ships a fix: swap one component, pinned by digest, and publish"
second=$(vfi set Runtime router=polyverse/router:1.0.3@sha256:8d3f6bb2a1ea6f3f4c3f1c1a0ee2c2b7a6e1e1f0d3a3c7e9b5b1f2f4e6a8c0d2)
echo "$second"

say "What changed between the two?"
vfi diff "$first" "$second"

say "A canary lineage starts from the last known good VFI"
vfi set Canary eventService=polyverse/event-service:v1.0.0-rc1 --from "$first"

say "Every publication is recorded, like git history"
vfi log Runtime
vfi list

bash "$here/assertions.sh"
bash "$here/deploy.sh"
bash "$here/sharing.sh"
bash "$here/compose.sh"

say "The store is a plain bare git repository"
printf '$ git --git-dir "$VFI_STORE" log --oneline refs/vfi/Runtime\n' >&2
git --git-dir "$VFI_STORE" log --oneline refs/vfi/Runtime
vfi fsck
