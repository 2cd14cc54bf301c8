/**
 * Issue 14 on real temp stores: import is idempotent (a retried import publishes nothing), a
 * streamed batch stays within its memory bound and its idx (merged from runs spilled to disk) is git's, the index a batch leaves equals the one rebuilt
 * from git alone, and signed and component records go through the streamed batch.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { FIXED_ENV, MAIN, git, runtimeVfi, snapshot, tempDir, vfi } from '../helpers/cli.js';

const REF = 'refs/vfi-assertions/main';
const PRELOAD = path.resolve(import.meta.dirname, '../../bench/maxrss.cjs');

const vfiLines = (n: number, salt = '') =>
  Array.from({ length: n }, (_, i) => JSON.stringify(runtimeVfi({ router: `polyverse/router:1.0.${i}${salt}` }))).join('\n') + '\n';

/** Stricter than the harness's ok: exit 0 and nothing on stderr but vfi's own lines (a streamed
 * command that leaked a Node warning or trace at this size would still exit 0). */
function ok(store: string, args: string[], input?: string): string {
  const r = vfi(store, args, input === undefined ? {} : { input });
  expect(r.stderr.startsWith('vfi: ') || r.stderr === '' ? r.code : r.stderr).toBe(0);
  return r.stdout;
}

function ids(store: string): string[] {
  return (JSON.parse(ok(store, ['log', 'Runtime', '--json'])) as { id: string }[]).map((e) => e.id).reverse();
}

describe('vfi import, streamed', () => {
  const dir = tempDir();

  it('a second import of the same file publishes nothing and counts what it skipped; --again publishes', () => {
    const store = path.join(dir, 'twice');
    const file = path.join(dir, 'fifty.jsonl');
    fs.writeFileSync(file, vfiLines(50));
    const first = JSON.parse(ok(store, ['import', 'Runtime', file, '--json']));
    expect([first.imported, first.skipped, first.unchanged]).toEqual([50, 0, 0]);
    const head = git(store, ['rev-parse', 'refs/vfi/Runtime']).stdout;
    const second = vfi(store, ['import', 'Runtime', file, '--json']);
    expect(second.code).toBe(0);
    const counts = JSON.parse(second.stdout);
    expect([counts.imported, counts.skipped]).toEqual([0, 50]);
    expect(counts.publications.every((p: { skipped: boolean; published: boolean }) => p.skipped && !p.published)).toBe(true);
    expect(second.stderr).toMatch(/imported 0 of 50 VFIs on Runtime, skipped 50 already published/);
    expect(git(store, ['rev-parse', 'refs/vfi/Runtime']).stdout).toBe(head);
    // Lines new to the lineage are published, the known ones skipped.
    fs.writeFileSync(path.join(dir, 'more.jsonl'), vfiLines(50) + vfiLines(3, '-new'));
    const more = JSON.parse(ok(store, ['import', 'Runtime', path.join(dir, 'more.jsonl'), '--json']));
    expect([more.imported, more.skipped]).toEqual([3, 50]);
    const again = JSON.parse(ok(store, ['import', 'Runtime', file, '--again', '--json']));
    expect([again.imported, again.skipped]).toEqual([50, 0]);
    expect(Number(ok(store, ['list', '--json']).match(/"publications": (\d+)/)![1])).toBe(103);
    expect(git(store, ['fsck', '--strict']).code).toBe(0);
  });

  it('leaves one pack compressed by git and not deltified, so a push does not carry the objects raw', () => {
    const store = path.join(dir, 'packed');
    const file = path.join(dir, 'four-thousand.jsonl'); // past the 10,000 objects a small import writes loose
    fs.writeFileSync(file, vfiLines(4000));
    ok(store, ['import', 'Runtime', file]);
    const packDir = path.join(store, 'objects', 'pack');
    const idx = fs.readdirSync(packDir).filter((f) => f.endsWith('.idx'));
    expect(idx).toHaveLength(1);
    const verify = git(store, ['verify-pack', '-v', path.join(packDir, idx[0]!)]);
    expect(verify.code).toBe(0);
    // verify-pack -v: "id type size size-in-pack offset [depth base]"; summary lines follow
    const entries = verify.stdout.split('\n').filter((l) => /^[0-9a-f]{40} /.test(l)).map((l) => l.split(/\s+/));
    expect(entries.length).toBeGreaterThan(1000);
    expect(entries.filter((e) => e.length > 5)).toEqual([]);
    const size = entries.reduce((n, e) => n + Number(e[2]), 0);
    const inPack = entries.reduce((n, e) => n + Number(e[3]), 0);
    expect(inPack).toBeLessThan(size * 0.7);
  });

  it('a bad line anywhere leaves the store as it was, with no pack or temp file behind', () => {
    const store = path.join(dir, 'bad');
    ok(store, ['import', 'Runtime', '-'], vfiLines(3));
    const before = snapshot(store);
    // 40 lines are held in memory; 3,400 lines (10,200 objects) are past what is held and go into a pack.
    for (const n of [40, 3400]) {
      const r = vfi(store, ['import', 'Runtime', '-'], { input: vfiLines(n, '-x') + '{"router": 1}\n' });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`^vfi: <stdin>:${n + 1}: `));
      expect(snapshot(store)).toEqual(before);
    }
  });
});

describe('vfi assert --batch, streamed', () => {
  const dir = tempDir();

  it('200,000 records stay under 256 MiB peak RSS and all land in one commit', () => {
    const store = path.join(dir, 'big');
    ok(store, ['import', 'Runtime', '-'], vfiLines(200));
    const all = ids(store);
    const file = path.join(dir, 'batch.jsonl');
    const fd = fs.openSync(file, 'w');
    for (let i = 0; i < 200_000; i += 10_000) {
      const chunk = [];
      for (let j = i; j < i + 10_000; j++) chunk.push(JSON.stringify({ vfi: `Runtime@${all[(j * 7919) % all.length]}`, claim: `c${j % 13}`, result: j % 31 ? 'pass' : 'fail' }));
      fs.writeSync(fd, chunk.join('\n') + '\n');
    }
    fs.closeSync(fd);
    const r = spawnSync(process.execPath, ['-r', PRELOAD, MAIN, '--store', store, 'assert', '--batch', file], {
      env: { ...process.env, ...FIXED_ENV }, encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('200000\n');
    const kb = Number(/vfi-bench-maxrss-kb=(\d+)/.exec(r.stderr)![1]);
    expect(kb / 1024).toBeLessThan(256);
    expect(git(store, ['rev-list', '--count', REF]).stdout).toBe('1\n');
    const files = spawnSync('git', ['--git-dir', store, 'ls-tree', '-r', '--name-only', REF], { encoding: 'utf8', maxBuffer: 1 << 28 }).stdout;
    expect(files.split('\n').filter(Boolean)).toHaveLength(200_000);
    expect(git(store, ['fsck', '--strict']).code).toBe(0);
    // Past 131,072 objects the idx is merged from sorted runs spilled to disk: it is what git writes, and no run is left behind.
    const packs = path.join(store, 'objects', 'pack');
    const names = fs.readdirSync(packs);
    expect(names.filter((n) => n.startsWith('tmp_'))).toEqual([]);
    const pack = names.filter((n) => n.endsWith('.pack')).map((n) => path.join(packs, n)).sort((a, b) => fs.statSync(b).size - fs.statSync(a).size)[0]!;
    const gitIdx = path.join(dir, 'git.idx');
    expect(spawnSync('git', ['index-pack', '-o', gitIdx, pack]).status).toBe(0);
    expect(fs.readFileSync(pack.replace(/\.pack$/, '.idx')).equals(fs.readFileSync(gitIdx))).toBe(true);
  }, 900_000);

  it('leaves an index equal to the one rebuilt from git alone (pick, find, assertions)', () => {
    const store = path.join(dir, 'index');
    ok(store, ['import', 'Runtime', '-'], vfiLines(40));
    const all = ids(store);
    // Some claims asserted before the batch, so the batch updates an index that exists.
    ok(store, ['assert', `Runtime@${all[39]}`, 'tests-passed', '--fail']);
    ok(store, ['pick', 'Runtime', '--allow-unpinned', '--min-score', '0']);
    const lines = [];
    for (let i = 0; i < 3000; i++) {
      lines.push(JSON.stringify({ vfi: `Runtime@${all[(i * 17) % 40]}`, claim: ['tests-passed', 'reviewed', 'smoke'][i % 3], result: i % 23 === 0 ? 'fail' : 'pass' }));
    }
    ok(store, ['assert', '--batch', '-'], lines.join('\n'));
    // The batch itself brought the index to its commit: the next pick reads no assertions tree.
    const index = JSON.parse(fs.readFileSync(path.join(store, 'vfi-cache', 'assertions.json'), 'utf8'));
    expect(index.commit).toBe(git(store, ['rev-parse', REF]).stdout.trim());
    const answers = () => [
      ok(store, ['pick', 'Runtime', '--allow-unpinned', '--min-score', '0', '--top', '5', '--json']),
      ok(store, ['find', 'Runtime', '--has', 'reviewed,smoke', '--allow-unpinned', '--json']),
      ...[0, 7, 39].map((i) => ok(store, ['assertions', `Runtime@${all[i]}`, '--json'])),
    ];
    const afterBatch = answers();
    fs.rmSync(path.join(store, 'vfi-cache'), { recursive: true, force: true });
    expect(answers()).toEqual(afterBatch);
  });

  it('signs every record with --sign and files component subjects under components/', () => {
    const store = path.join(dir, 'signed');
    ok(store, ['add', 'Runtime', '-'], JSON.stringify(runtimeVfi()));
    const key = path.join(dir, 'vfi.key');
    expect(spawnSync('openssl', ['genpkey', '-algorithm', 'ed25519', '-out', key]).status).toBe(0);
    const image = `docker.io/polyverse/router@sha256:${'ab'.repeat(32)}`;
    const input = [
      { vfi: 'Runtime', claim: 'tests-passed', result: 'pass' },
      { vfi: image, claim: 'scanned', result: 'pass' },
      { vfi: 'Runtime', claim: 'reviewed', result: 'fail' },
    ].map((l) => JSON.stringify(l)).join('\n');
    expect(ok(store, ['assert', '--batch', '-', '--sign', key], input)).toBe('3\n');
    const files = git(store, ['ls-tree', '-r', '--name-only', REF]).stdout.trim().split('\n');
    expect(files).toHaveLength(3);
    expect(files.every((f) => f.endsWith('.dsse.json'))).toBe(true);
    expect(files.filter((f) => f.startsWith(`components/ab/${'ab'.repeat(31)}/`))).toHaveLength(1);
    const shown = JSON.parse(ok(store, ['assertions', 'Runtime', '--json']));
    expect(shown.records.map((r: { claim: string; signed: unknown }) => [r.claim, Boolean(r.signed)])).toEqual([['tests-passed', true], ['reviewed', true]]);
    expect(JSON.parse(ok(store, ['assertions', image, '--json'])).records).toHaveLength(1);
  });
});
