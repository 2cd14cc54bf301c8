#!/usr/bin/env bash
# From release to deploy and to customers: the VFI released on Runtime becomes a kustomize
# Component (the images of a Deployment, by digest), and the release notes say what changed since
# the VFI before it. Runs on the store in $VFI_STORE after examples/assertions.sh has released one.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
: "${VFI_STORE:?set VFI_STORE to a store with a released Runtime (examples/walkthrough.sh makes one)}"
export VFI_STORE

say "The release history: when, by whom, score then and now, still a candidate?"
vfi releases Runtime

say "The VFI released last (find --has released names it, whatever pick would choose today)"
released=$(vfi find --has released Runtime)
echo "$released"

say "Its images for kustomize. A deploy file should name digests, so export refuses tags; these images were never pinned (vfi resolve needs a Docker engine), hence --allow-unpinned"
vfi export "$released" --format kustomize --allow-unpinned

say "Release notes for the customers: what changed since the first VFI, and who vouched for it"
first=$($VFI log Runtime --json | node -e 'const l = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log(`Runtime@${l.at(-1).id}`)')
vfi notes "$first" "$released"
