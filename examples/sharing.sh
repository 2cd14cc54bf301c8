#!/usr/bin/env bash
# Sharing: push the store in $VFI_STORE to an ordinary git remote (here a bare repository on
# disk; an http(s) URL of GitHub, GitLab or `git http-backend` works the same), then a teammate's
# first pull makes their own store, where the same references expand to the same bytes and the
# same VFI is picked. examples/walkthrough.sh calls this after examples/assertions.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
: "${VFI_STORE:?set VFI_STORE to a store with a Runtime lineage (examples/walkthrough.sh makes one)}"
work=$(dirname "$VFI_STORE")
# The CI key examples/assertions.sh made: the teammate's CI signs with it too.
[[ -f "$work/keys/vfi.key" ]] && export VFI_SIGNING_KEY="$work/keys/vfi.key"

say "The team's remote is any git repository; here an empty bare one on disk"
printf '$ git init --bare team.git\n' >&2
git init --bare --quiet "$work/team.git"
vfi remote add origin "$work/team.git"
vfi push

say "A teammate's first pull makes their store and remembers the remote as origin"
teammate="$work/teammate"
vfi --store "$teammate" pull "$work/team.git"

say "They expand the released VFI to exactly the same bytes, and pick the same candidate"
released=$($VFI find --has released Runtime)
printf '$ vfi --store %s show %s | git hash-object --stdin\n' "$teammate" "$released" >&2
hashed=$($VFI --store "$teammate" show "$released" | git hash-object --stdin)
echo "$hashed"
[[ "Runtime@$hashed" == "$released" ]] || { echo "hash mismatch" >&2; exit 1; }
ours=$($VFI pick Runtime --require tests-passed)
theirs=$(vfi --store "$teammate" pick Runtime --require tests-passed)
echo "$theirs"
[[ "$ours" == "$theirs" ]] || { echo "the two stores pick differently: $ours / $theirs" >&2; exit 1; }

say "The teammate's CI records an assertion and pushes; we pull it"
vfi --store "$teammate" assert "$released" soak-tested --by soak-bot --note "72 h in production"
vfi --store "$teammate" push
vfi pull
vfi assertions "$released"
