/** `vfi contains` and its reverse index (vfi-cache/contains/): caught up after publications, remade when a lineage's history changes or a shard is damaged. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { git, ok, tempDir, vfi } from '../helpers/cli.js';

const D1 = '1'.repeat(64);
const D2 = '2'.repeat(64);
const ETCD = `quay.io/coreos/etcd@sha256:${'e'.repeat(64)}`;

const rows = (store: string, subject: string): [string, string[], string[]][] =>
  JSON.parse(ok(store, ['contains', subject, '--json'])).map((r: { ref: string; lineages: string[]; paths: string[] }) => [r.ref, r.lineages, r.paths]);

describe('contains and its index', () => {
  const store = path.join(tempDir(), 'store');
  const index = path.join(store, 'vfi-cache', 'contains');
  let rt1 = '';
  let rt2 = '';
  beforeAll(() => {
    rt1 = ok(store, ['add', 'Runtime', '-'], { input: JSON.stringify({ router: { type: 'dockerImage', address: `polyverse/router@sha256:${D1}` }, etcd: { type: 'dockerImage', address: ETCD } }) }).trim();
  });

  it('answers from an index it catches up as VFIs are published', () => {
    expect(rows(store, `polyverse/router@sha256:${D1}`)).toEqual([[rt1, ['Runtime'], ['router']]]);
    expect(fs.existsSync(path.join(index, 'heads.json'))).toBe(true);
    rt2 = ok(store, ['set', 'Runtime', `router=polyverse/router@sha256:${D2}`]).trim();
    const pf = ok(store, ['add', 'Platform', '-'], { input: JSON.stringify({ runtime: { type: 'vfi', address: rt2 }, etcd: { type: 'dockerImage', address: ETCD } }) }).trim();
    expect(rows(store, `polyverse/router@sha256:${D2}`)).toEqual([[pf, ['Platform'], ['runtime/router']], [rt2, ['Runtime'], ['router']]]);
    // the same image directly and through the nested VFI; newest publication first within a lineage
    expect(rows(store, ETCD)).toEqual([[pf, ['Platform'], ['etcd', 'runtime/etcd']], [rt2, ['Runtime'], ['etcd']], [rt1, ['Runtime'], ['etcd']]]);
    expect(rows(store, rt2)).toEqual([[pf, ['Platform'], ['runtime']]]);
    // one VFI published on two lineages is one row naming both
    const same = ok(store, ['add', 'Copy', '-'], { input: ok(store, ['show', rt1]) }).trim();
    expect(same.split('@')[1]).toBe(rt1.split('@')[1]);
    expect(rows(store, `polyverse/router@sha256:${D1}`)).toEqual([[same, ['Copy', 'Runtime'], ['router']]]);
    // released, from the lineage's standings
    const released = () => JSON.parse(ok(store, ['contains', ETCD, '--json'])).map((r: { id: string; released: boolean }) => [r.id, r.released]);
    expect(released().filter(([, r]: [string, boolean]) => r)).toEqual([]);
    ok(store, ['assert', rt1, 'released']);
    expect(released().filter(([, r]: [string, boolean]) => r)).toEqual([[rt1.split('@')[1], true]]);
    expect(ok(store, ['contains', ETCD])).toMatch(new RegExp(`^Copy@${rt1.split('@')[1]}\\s+etcd\\s+released$`, 'm'));
  });

  it('gives the same answer after the index is damaged or deleted', () => {
    const before = rows(store, ETCD);
    const shard = path.join(index, `${'e'.repeat(2)}.json`);
    expect(fs.existsSync(shard)).toBe(true);
    fs.writeFileSync(shard, '{"l": 3');
    expect(rows(store, ETCD)).toEqual(before);
    fs.writeFileSync(shard, JSON.stringify({ l: [], c: [], k: { [ETCD.split(':')[1]!]: ['x', [1], [0], [0]] } }));
    expect(rows(store, ETCD)).toEqual(before);
    fs.rmSync(path.join(store, 'vfi-cache'), { recursive: true });
    expect(rows(store, ETCD)).toEqual(before);
    // damaged, then caught up after a publication: the damage is noticed, not built upon
    fs.writeFileSync(shard, 'not json');
    const next = ok(store, ['set', 'Copy', `router=polyverse/router@sha256:${'3'.repeat(64)}`]).trim();
    expect(rows(store, ETCD)).toEqual([[next, ['Copy'], ['etcd']], ...before]);
  });

  it('is made anew when a lineage history changes; a VFI only nested is looked inside but not listed', () => {
    // Runtime back to its first publication: rt2 is then only nested in Platform
    expect(git(store, ['update-ref', 'refs/vfi/Runtime', 'refs/vfi/Runtime~1']).code).toBe(0);
    const r = rows(store, `polyverse/router@sha256:${D2}`);
    expect(r.map(([ref, , paths]) => [ref.split('@')[0], paths])).toEqual([['Platform', ['runtime/router']]]);
    expect(vfi(store, ['contains', `polyverse/router@sha256:${'9'.repeat(64)}`]).code).toBe(3);
  });
});
