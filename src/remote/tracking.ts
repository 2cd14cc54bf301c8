/**
 * Remote-tracking refs: what a named remote's vfi refs pointed at when vfi last talked to it,
 * `refs/vfi-remotes/<remote>/vfi/<Name>`, `refs/vfi-remotes/<remote>/vfi-assertions/main` and the
 * same for the trust and policy refs (the refspecs `vfi remote add` writes, so `git fetch <remote>` fills the same refs). They live outside
 * `refs/vfi/`, so they are never lineages; they give the next fetch a commit the server surely has
 * to negotiate from, and keep what was fetched reachable for `git gc`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FileLock, type LockIo } from '../git/lock.js';
import type { Store } from '../store/store.js';

export const TRACKING_PREFIX = 'refs/vfi-remotes/';

export function trackingRef(remote: string, serverRef: string): string {
  return `${TRACKING_PREFIX}${remote}/${serverRef.slice('refs/'.length)}`;
}

/** Point the tracking ref of `serverRef` at `oid` (best effort: it is a hint, never the truth). */
export function recordTracking(store: Store, remote: string | undefined, serverRef: string, oid: string): void {
  if (!remote) return;
  const ref = trackingRef(remote, serverRef);
  for (let i = 0; i < 3; i++) {
    const current = store.refs.read(ref);
    if (current === oid || store.refs.compareAndSwap(ref, current, oid)) return;
  }
}

/** Delete every tracking ref of a remote, loose and packed. */
export function deleteTracking(gitdir: string, remote: string, io: LockIo = {}): void {
  deleteRefsUnder(gitdir, `${TRACKING_PREFIX}${remote}/`, io);
}

/** Delete every ref under `prefix` (ending in "/"), loose and packed. */
export function deleteRefsUnder(gitdir: string, prefix: string, io: LockIo = {}): void {
  fs.rmSync(path.join(gitdir, prefix), { recursive: true, force: true });
  const packed = path.join(gitdir, 'packed-refs');
  if (!fs.existsSync(packed)) return;
  const lock = FileLock.acquire(packed, io);
  try {
    const lines = fs.readFileSync(packed, 'utf8').split('\n');
    const kept: string[] = [];
    let dropPeel = false;
    for (const line of lines) {
      if (line.startsWith('^')) {
        if (!dropPeel) kept.push(line);
        continue;
      }
      dropPeel = line.length > 41 && line.slice(41).startsWith(prefix);
      if (!dropPeel) kept.push(line);
    }
    if (kept.length !== lines.length) lock.commit(kept.join('\n'));
  } finally {
    lock.release();
  }
}
