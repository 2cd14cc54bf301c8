/**
 * Readers never crash on what a store already holds (issue 19): a store built with plain git to
 * hold every bad item a broken or hostile remote once could bring in (before pulls were checked).
 * Each reader names a damaged item in one line, goes on with the rest, and a damaged store exits 1
 * (pick and find still print their answer on stdout).
 */
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runtimeVfi } from '../helpers/cli.js';
import { craft } from '../helpers/craft.js';
import { remoteCli } from '../helpers/remote.js';
import { makeRecord, recordFileName } from '../../src/core/assertion.js';
import { sha256Hex } from '../../src/core/gitObject.js';

const { dir, env, local, ok } = remoteCli('vfi-damaged-');
const store = path.join(dir, 'store');
const vfi = (args: string[]) => local(store, args);
const ASSERTIONS = 'refs/vfi-assertions/main';

const { git, blob, mktree, rawCommit } = craft(store, env);
const SIG = 'A <a@x> 1800000000 +0000';

/** A lineage `name` of one commit, as given. */
function lineage(name: string, vfiBytes: string | Buffer, opts: { author?: string; committer?: string | null; extra?: boolean; tree?: string } = {}): void {
  const entries = [`100644 blob ${blob(vfiBytes)}\tvfi.json`];
  if (opts.extra) entries.push(`100644 blob ${blob('hi\n')}\tREADME`);
  const tree = opts.tree ?? mktree(entries);
  const committer = opts.committer === undefined ? `committer ${SIG}\n` : opts.committer === null ? '' : `committer ${opts.committer}\n`;
  git(['update-ref', `refs/vfi/${name}`, rawCommit(`tree ${tree}\nauthor ${opts.author ?? SIG}\n${committer}\nmsg\n`)]);
}

const OK = '{\n  "a": {\n    "address": "x/a:3",\n    "type": "dockerImage"\n  }\n}\n';
const DAMAGED = ['NotJson', 'NonCanon', 'Dup', 'Extra', 'Neg', 'NoCommitter', 'Bomb', 'Missing'];
let goodId = '';

beforeAll(() => {
  goodId = ok(store, ['add', 'Good', '-'], { input: JSON.stringify(runtimeVfi()) }).trim().split('@')[1]!;
  ok(store, ['assert', 'Good', 'tests', 'pass']);
  lineage('NotJson', '{"a": ');
  lineage('NonCanon', '{"a":{"type":"dockerImage","address":"x/a:1"}}');
  lineage('Dup', '{\n  "a": {\n    "address": "x/a:1",\n    "address": "x/a:2",\n    "type": "dockerImage"\n  }\n}\n');
  lineage('Extra', OK, { extra: true });
  lineage('Future', OK, { author: 'A <a@x> 99999999999999 +0000', committer: 'A <a@x> 99999999999999 +0000' });
  lineage('Neg', OK, { committer: 'A <a@x> -5 +0000' });
  lineage('NoCommitter', OK, { committer: null });
  lineage('Bomb', Buffer.alloc(65 * 1024 * 1024, 0x20));
  lineage('Missing', OK, { tree: '1111111111111111111111111111111111111111' });
  // two records about Good: one at the end of time, one that is not JSON
  const bytes = Buffer.from(git(['cat-file', 'blob', goodId]) + '\n');
  const late = makeRecord({ name: 'Good', vfi: goodId, sha256: sha256Hex(bytes), claim: 'tests', result: 'pass', by: 'M', at: '9999-12-31T23:59:59.999999Z' });
  const junk = blob('nope\n');
  const head = git(['rev-parse', ASSERTIONS]);
  const [xx, rest] = [goodId.slice(0, 2), goodId.slice(2)];
  const files = git(['ls-tree', `${head}:${xx}/${rest}`]).split('\n');
  files.push(`100644 blob ${blob(late.bytes)}\t${recordFileName(late)}`, `100644 blob ${junk}\t20261101T130000.000000Z-tests-pass-${junk}.json`);
  const root = mktree([`040000 tree ${mktree([`040000 tree ${mktree(files)}\t${rest}`])}\t${xx}`]);
  git(['update-ref', ASSERTIONS, rawCommit(`tree ${root}\nparent ${head}\nauthor ${SIG}\ncommitter ${SIG}\n\nm\n`)]);
}, 120_000);

/** Each line of stderr starts "vfi: " and no line is an internal error. */
function expectClean(stderr: string): void {
  for (const line of stderr.trim().split('\n').filter(Boolean)) expect(line).toMatch(/^vfi: (?!internal error)/);
}

describe('a store holding damaged items', () => {
  it('list lists the readable lineages, names each damaged one on one line, exits 1', () => {
    const r = vfi(['list']);
    expectClean(r.stderr);
    expect(r.code).toBe(1);
    for (const name of ['Good', 'Future', 'NotJson']) expect(r.stdout).toMatch(new RegExp(`^${name} `, 'm'));
    for (const name of ['Neg', 'NoCommitter', 'Missing']) {
      expect(r.stderr.split('\n').filter((l) => l.includes(`refs/vfi/${name}:`))).toHaveLength(1);
    }
  });

  it('log of a commit dated 99999999999999 shows it without crashing', () => {
    const r = vfi(['log', 'Future']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/@99999999999999/);
  });

  it.each(['Missing', 'Neg', 'NoCommitter'])('log of damaged lineage %s exits 1 (not 3) with one line', (name) => {
    const r = vfi(['log', name]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expectClean(r.stderr);
  });

  it('show of a good lineage still works beside a lineage that lost an object', () => {
    expect(vfi(['show', 'Good']).code).toBe(0);
  });

  it.each(['NotJson', 'NonCanon', 'Dup', 'Bomb'])('show of %s exits 1 with one line', (name) => {
    const r = vfi(['show', name]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expectClean(r.stderr);
  });

  it('pick never names an unreadable VFI', () => {
    const all = vfi(['pick', '--allow-unpinned']);
    expectClean(all.stderr);
    expect(all.stdout.trim()).toBe(`Good@${goodId}`);
    expect(all.code).toBe(1); // the answer, and the store is damaged
    for (const name of ['Neg', 'NoCommitter', 'Missing']) expect(all.stderr).toContain(`refs/vfi/${name}:`);
    const only = vfi(['pick', 'NotJson', '--allow-unpinned']);
    expectClean(only.stderr);
    expect(only.stdout).not.toMatch(/NotJson@/);
    expect(only.code).not.toBe(0);
  });

  it('find skips damaged lineages and finds the good one', () => {
    const r = vfi(['find', '--has', 'tests']);
    expectClean(r.stderr);
    expect(r.stdout.trim()).toBe(`Good@${goodId}`);
    expect(r.code).toBe(1);
  });

  it('assertions shows the readable records, names the damaged one, exits 1', () => {
    const r = vfi(['assertions', 'Good']);
    expectClean(r.stderr);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/9999-12-31T23:59:59Z\s+tests\s+pass/);
    expect(r.stderr).toMatch(/not JSON/);
  });

  it('a record dated 9999-12-31T23:59:59.999999Z does not stop a later assert', () => {
    const r = vfi(['assert', 'Good', 'reviewed', 'pass']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('fsck names each damaged lineage and exits 1', () => {
    const r = vfi(['fsck']);
    expectClean(r.stderr);
    expect(r.code).toBe(1);
    for (const name of DAMAGED) expect(r.stdout).toMatch(new RegExp(`^damaged: refs/vfi/${name}: `, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^damaged: ${ASSERTIONS}: .*not JSON`, 'm'));
  });
});
