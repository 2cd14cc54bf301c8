/**
 * A pack vfi wrote itself (git/packWriter.ts: objects stored, not compressed, so that a large
 * import stays fast) packed again by git's pack-objects, compressed: git keeps and sends packed
 * objects as they are, so without this a push or a clone carries the objects uncompressed. Not
 * deltified (--window=0): a million-record batch on a store of 100,000 imported VFIs reads those
 * VFIs back, and resolving delta chains took it from 71 s and 284 MiB to 91-103 s and 443-476 MiB,
 * past both of its bars; compressed alone the pack is 40% of what vfi wrote (52 MB of 129), git's
 * deltified packing 20%. The new pack is in place before the old one goes, as in `git repack`; if
 * git cannot do it, the old pack stays, as good as before.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repositoryFreeEnv } from './env.js';

export function recompress(gitdir: string, env: NodeJS.ProcessEnv, packFile: string | undefined): void {
  if (packFile === undefined) return;
  const dir = path.join(gitdir, 'objects', 'pack');
  const r = spawnSync('git', ['--no-replace-objects', '--git-dir', gitdir, 'pack-objects', '--stdin-packs', '--no-reuse-object', '--window=0', '-q', path.join(dir, 'pack')],
    { env: repositoryFreeEnv(env), input: `${packFile}\n`, encoding: 'utf8' });
  const made = /^[0-9a-f]{40,64}$/m.exec(r.stdout ?? '')?.[0];
  if (r.status !== 0 || !made || !fs.existsSync(path.join(dir, `pack-${made}.idx`)) || `pack-${made}.pack` === packFile) return;
  const base = path.join(dir, packFile.replace(/\.pack$/, ''));
  // the idx first: readers find a pack by its idx
  for (const ext of ['.idx', '.rev', '.pack']) fs.rmSync(`${base}${ext}`, { force: true });
}
