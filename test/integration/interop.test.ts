/**
 * A vfi store is a plain git repository for other git implementations too: isomorphic-git (the
 * JavaScript git a team's own tooling may use) walks a lineage and reads its VFIs, loose and after
 * `git gc` packed them, and finds exactly what vfi says.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as isogit from 'isomorphic-git';
import { describe, expect, it } from 'vitest';
import { git, runtimeVfi, tempDir, vfi } from '../helpers/cli.js';

describe('isomorphic-git reads a vfi store', () => {
  const dir = tempDir();
  const store = path.join(dir, 'store');

  it.each(['loose', 'packed'])('%s: the lineage, each VFI and the assertion records', async (layout) => {
    if (!fs.existsSync(store)) {
      vfi(store, ['add', 'Runtime', '-'], { input: JSON.stringify(runtimeVfi()) });
      for (const v of ['1.0.3', '1.0.4', '1.0.5']) vfi(store, ['set', 'Runtime', `router=polyverse/router:${v}`]);
      vfi(store, ['assert', 'Runtime', 'tests-passed', 'reviewed']);
    }
    if (layout === 'packed') expect(git(store, ['gc', '-q']).code).toBe(0);
    const ours = JSON.parse(vfi(store, ['log', 'Runtime', '--json']).stdout) as { id: string; commit: string }[];
    const theirs = await isogit.log({ fs, gitdir: store, ref: 'refs/vfi/Runtime' });
    expect(theirs.map((c) => c.oid)).toEqual(ours.map((e) => e.commit));
    for (const entry of ours) {
      const { blob } = await isogit.readBlob({ fs, gitdir: store, oid: entry.commit, filepath: 'vfi.json' });
      expect(Buffer.from(blob).toString('utf8')).toBe(vfi(store, ['show', `Runtime@${entry.id}`]).stdout);
    }
    const records = JSON.parse(vfi(store, ['assertions', 'Runtime', '--json']).stdout).records as { claim: string }[];
    const head = await isogit.resolveRef({ fs, gitdir: store, ref: 'refs/vfi-assertions/main' });
    const files = await isogit.listFiles({ fs, gitdir: store, ref: head });
    expect(files.filter((f) => f.startsWith(`${ours[0]!.id.slice(0, 2)}/${ours[0]!.id.slice(2)}/`))).toHaveLength(records.length);
  });
});
