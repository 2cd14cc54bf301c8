/**
 * The lineage cache after a daily pull: the new publications are put after the cached rows as
 * bytes (lineageIndex appendPublished), without loading the 13 MB cache of a long lineage. What
 * that leaves must be byte for byte what a rebuild from git writes, whatever state the cache was
 * in before (current, from before the row count, damaged, its publication file gone).
 * The remote is a path (git's local transport): the cache does not depend on the transport.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ok, publishRuntimes, tempDir } from '../helpers/cli.js';

const cacheOf = (store: string) => path.join(store, 'vfi-cache', 'lineages');

/** The caches a store rebuilds from git alone (a copy without vfi-cache, asked for its log). */
function rebuilt(store: string): { json: Buffer; pub: Buffer; log: string } {
  const copy = `${store}-cold`;
  fs.rmSync(copy, { recursive: true, force: true });
  fs.cpSync(store, copy, { recursive: true });
  fs.rmSync(path.join(copy, 'vfi-cache'), { recursive: true, force: true });
  const log = ok(copy, ['log', 'Runtime', '--json']);
  return { json: fs.readFileSync(path.join(cacheOf(copy), 'Runtime.json')), pub: fs.readFileSync(path.join(cacheOf(copy), 'Runtime.pub')), log };
}

describe('vfi pull and the lineage cache', () => {
  const dir = tempDir();
  const team = path.join(dir, 'team');
  const mine = path.join(dir, 'mine');
  let round = 0;

  /** The team publishes `n` more, the store pulls; its caches must be a rebuild's. */
  function publishAndPull(n: number, before?: () => void): void {
    for (let i = 0; i < n; i++) ok(team, ['set', 'Runtime', `router=polyverse/router:3.0.${round++}`]);
    before?.();
    expect(ok(mine, ['pull', team])).toBe('');
    const cold = rebuilt(mine);
    expect(fs.readFileSync(path.join(cacheOf(mine), 'Runtime.json')).toString()).toBe(cold.json.toString());
    expect(fs.readFileSync(path.join(cacheOf(mine), 'Runtime.pub')).equals(cold.pub)).toBe(true);
    expect(ok(mine, ['log', 'Runtime', '--json'])).toBe(cold.log);
    expect(ok(mine, ['log', 'Runtime', '--json'])).toBe(ok(team, ['log', 'Runtime', '--json']));
  }

  it('is what a rebuild from git writes after each pull, whatever the cache held before', () => {
    publishRuntimes(team, ['1.0.1', '1.0.2']);
    ok(mine, ['pull', team]);
    const json = path.join(cacheOf(mine), 'Runtime.json');
    // The header states the rows, which the daily pull appends to.
    expect(fs.readFileSync(json, 'utf8')).toMatch(/^\{"v":1,"head":"[0-9a-f]{40}","n":3,"rows":\[\[/);
    publishAndPull(1);
    publishAndPull(3);
    expect(fs.readFileSync(json, 'utf8')).toMatch(/^\{"v":1,"head":"[0-9a-f]{40}","n":7,"rows":/);
    // A cache written before the row count was stated: taken the whole way, and stated again.
    publishAndPull(1, () => fs.writeFileSync(json, fs.readFileSync(json, 'utf8').replace(/"n":\d+,/, '')));
    // A damaged cache; a publication file gone.
    publishAndPull(1, () => fs.writeFileSync(json, fs.readFileSync(json).subarray(0, 300)));
    publishAndPull(2, () => fs.rmSync(path.join(cacheOf(mine), 'Runtime.pub')));
  });
});
