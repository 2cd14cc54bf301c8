/**
 * Packed stores, against git itself: every object vfi reads from packs git wrote (`git gc
 * --aggressive`: deltas on deltas; REF_DELTA packs; deltas whose base is in another pack or loose)
 * is what `git cat-file` gives; the pack list is read again when git repacks under an open store;
 * damaged packs and indexes are STORE_DAMAGED, never a crash; `vfi show` on a packed store loads no
 * isomorphic-git; and `vfi pull` keeps a large fetched pack as a pack that `git verify-pack` and
 * `git fsck --strict` accept, leaving no pack file when the pack is bad or cut.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { deflateSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { objectId, type ObjectType } from '../../src/core/gitObject.js';
import { encodeEntryHeader, encodePackIndex } from '../helpers/packWriter.js';
import { Store } from '../../src/store/store.js';
import { git, gitBytes, MAIN, runtimeVfi } from '../helpers/cli.js';
import { remoteCli, useGitServer } from '../helpers/remote.js';
import { evaluatedSources } from '../helpers/evaluatedSources.js';

const { dir, env, vfi: run, local, ok } = remoteCli('vfi-packs-');

/** A store of `n` publications of Runtime (each a small change: good delta material), two of Other, and assertions. */
function buildStore(store: string, n: number): void {
  const lines = Array.from({ length: n }, (_, i) => JSON.stringify(runtimeVfi({ router: `polyverse/router:1.0.${i}`, status: `polyverse/status:s${i % 7}` })));
  ok(store, ['import', 'Runtime', '-'], { input: `${lines.join('\n')}\n` });
  ok(store, ['import', 'Other', '-'], { input: `${JSON.stringify(runtimeVfi({ nsq: 'nsqio/nsq:v1' }))}\n${JSON.stringify(runtimeVfi({ nsq: 'nsqio/nsq:v2' }))}\n` });
  const ids = (JSON.parse(ok(store, ['log', 'Runtime', '--json'])) as { id: string }[]).map((e) => e.id);
  const records = ids.slice(0, 20).map((id, i) => JSON.stringify({ vfi: `Runtime@${id}`, claim: i % 2 ? 'tests-passed' : 'reviewed', result: 'pass', by: 'ci' }));
  ok(store, ['assert', '--batch', '-'], { input: `${records.join('\n')}\n` });
}

/** Every object of the repository, as `git cat-file --batch` gives it. */
function allObjects(gitdir: string): Map<string, { type: ObjectType; body: Buffer }> {
  const ids = git(gitdir, ['cat-file', '--batch-all-objects', '--batch-check=%(objectname)']).stdout.split('\n').filter(Boolean);
  const out = gitBytes(gitdir, ['cat-file', '--batch'], `${ids.join('\n')}\n`);
  const objects = new Map<string, { type: ObjectType; body: Buffer }>();
  for (let at = 0; at < out.length;) {
    const nl = out.indexOf(10, at);
    const [id, type, size] = out.toString('latin1', at, nl).split(' ');
    const body = out.subarray(nl + 1, nl + 1 + Number(size));
    objects.set(id!, { type: type as ObjectType, body });
    at = nl + 1 + Number(size) + 1;
  }
  expect(objects.size).toBe(ids.length);
  return objects;
}

async function expectSameObjects(gitdir: string): Promise<number> {
  const expected = allObjects(gitdir);
  const objects = Store.open(gitdir, { create: false }).objects;
  for (const [id, want] of expected) {
    const got = await objects.read(id);
    expect(got.type, id).toBe(want.type);
    expect(got.body.equals(want.body), id).toBe(true);
  }
  return expected.size;
}

const packDir = (gitdir: string) => path.join(gitdir, 'objects', 'pack');
const packFiles = (gitdir: string) => (fs.existsSync(packDir(gitdir)) ? fs.readdirSync(packDir(gitdir)).sort() : []);
const looseCount = (gitdir: string) => Number(/^count: (\d+)/m.exec(git(gitdir, ['count-objects', '-v']).stdout)![1]);
/** The longest delta chain of a pack, from `git verify-pack -v`. */
const longestChain = (gitdir: string) => Math.max(0, ...packFiles(gitdir).filter((f) => f.endsWith('.idx')).flatMap((f) =>
  [...git(gitdir, ['verify-pack', '-v', path.join(packDir(gitdir), f)]).stdout.matchAll(/^chain length = (\d+):/gm)].map((m) => Number(m[1]))));

/** One line on stderr, exit 1, naming the damage. */
function expectDamaged(r: { code: number; stderr: string }): void {
  expect(r.code, r.stderr).toBe(1);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(/^vfi: .*(damaged|corrupt)/);
  expect(r.stderr).not.toMatch(/internal error|at .*\.js:\d+/);
}

describe('reading packs git wrote', () => {
  const store = path.join(dir, 'gc');

  beforeAll(() => {
    buildStore(store, 80);
    expect(git(store, ['gc', '--aggressive', '--quiet']).code).toBe(0);
  });

  it('git gc --aggressive: every object, delta chains and all, is what git cat-file gives', async () => {
    expect(looseCount(store)).toBe(0);
    expect(longestChain(store)).toBeGreaterThanOrEqual(3); // deltas on deltas on deltas
    expect(await expectSameObjects(store)).toBeGreaterThan(250);
    // and the CLI reads it: the lineage, the head, the assertions
    expect(ok(store, ['fsck'])).toMatch(/^ok: .* 1 pack(,|$)/m);
    expect(JSON.parse(ok(store, ['log', 'Runtime', '--json']))).toHaveLength(80);
    expect(ok(store, ['pick', 'Runtime', '--allow-unpinned', '--require', 'reviewed'])).toMatch(/^Runtime@[0-9a-f]{40}/);
  });

  it('a pack of REF_DELTA entries (git pack-objects without --delta-base-offset, then index-pack)', async () => {
    const ref = path.join(dir, 'ref-delta');
    expect(git(ref, ['init', '--bare', '-q']).code).toBe(0);
    const pack = gitBytes(store, ['pack-objects', '--stdout', '--all', '-q', '--window=50', '--depth=50']);
    fs.writeFileSync(path.join(dir, 'ref.pack'), pack);
    gitBytes(ref, ['index-pack', '--stdin'], pack);
    for (const r of ['refs/vfi/Runtime', 'refs/vfi/Other', 'refs/vfi-assertions/main']) git(ref, ['update-ref', r, git(store, ['rev-parse', r]).stdout.trim()]);
    const verify = git(ref, ['verify-pack', '-v', path.join(packDir(ref), packFiles(ref).find((f) => f.endsWith('.idx'))!)]).stdout;
    expect(verify).toMatch(/chain length = [2-9]/); // deltas on deltas, by id
    expect(await expectSameObjects(ref)).toBe(allObjects(store).size);
    expect(ok(ref, ['fsck'])).toMatch(/^ok:/m);
  });

  it('a REF_DELTA whose base is in another pack, or loose', async () => {
    const mixed = path.join(dir, 'mixed');
    fs.cpSync(store, mixed, { recursive: true });
    const head = git(mixed, ['rev-parse', 'refs/vfi/Runtime:vfi.json']).stdout.trim();
    const base = gitBytes(mixed, ['cat-file', 'blob', head]);
    const looseBase = Buffer.from('a loose base object, '.repeat(20));
    const looseId = gitBytes(mixed, ['hash-object', '-w', '--stdin'], looseBase).toString().trim();
    // deltas: copy the base's first 64 bytes, then insert a suffix
    const delta = (of: Buffer, suffix: string) => {
      const s = Buffer.from(suffix);
      const varint = (n: number) => { const b: number[] = []; do { b.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0)); n >>>= 7; } while (n); return b; };
      return Buffer.from([...varint(of.length), ...varint(64 + s.length), 0x90, 64, s.length, ...s]);
    };
    const targets = [{ baseId: head, base, suffix: 'then more, on a packed base' }, { baseId: looseId, base: looseBase, suffix: 'and more, on a loose base' }];
    const parts = [Buffer.from('PACK\0\0\0\x02\0\0\0\x02', 'latin1')];
    const entries = [];
    let offset = 12;
    for (const t of targets) {
      const d = delta(t.base, t.suffix);
      const header = encodeEntryHeader('blob', d.length);
      header[0] = (header[0]! & 0x8f) | (7 << 4); // REF_DELTA instead of blob
      const entry = Buffer.concat([header, Buffer.from(t.baseId, 'hex'), deflateSync(d)]);
      const body = Buffer.concat([t.base.subarray(0, 64), Buffer.from(t.suffix)]);
      entries.push({ id: objectId('blob', body), offset, crc: 0, body });
      parts.push(entry);
      offset += entry.length;
    }
    const content = Buffer.concat(parts);
    const pack = Buffer.concat([content, createHash('sha1').update(content).digest()]);
    const name = `pack-${pack.toString('hex', pack.length - 20)}`;
    fs.writeFileSync(path.join(packDir(mixed), `${name}.pack`), pack);
    fs.writeFileSync(path.join(packDir(mixed), `${name}.idx`), encodePackIndex(entries, pack.subarray(pack.length - 20)));
    const objects = Store.open(mixed, { create: false }).objects;
    for (const e of entries) {
      // git itself wants a REF_DELTA's base in the same pack (it never stores a thin pack), so
      // only the bytes the delta was made to give can tell
      expect((await objects.read(e.id)).body.equals(e.body)).toBe(true);
    }
  });

  it('vfi show on a packed store runs no isomorphic-git', () => {
    const id = git(store, ['rev-parse', 'refs/vfi/Runtime:vfi.json']).stdout.trim();
    for (const [i, ref] of [`Runtime@${id.slice(0, 10)}`, 'Runtime~3'].entries()) {
      const coverage = path.join(dir, `coverage-${i}`);
      const r = spawnSync(process.execPath, [MAIN, '--store', store, 'show', ref], { env: { ...env, NODE_V8_COVERAGE: coverage }, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toHaveProperty('router');
      const ran = evaluatedSources(coverage);
      expect(ran).toContain('src/git/packs.ts'); // the coverage does see vfi's own pack reader run
      expect(ran.filter((s) => s.includes('isomorphic-git'))).toEqual([]);
    }
  });

});

describe('packs that change under an open store', () => {
  const store = path.join(dir, 'rescan');

  it('reads objects that a git gc packed, or repacked into a new pack, after the store was opened', async () => {
    buildStore(store, 5);
    const s = Store.open(store, { create: false });
    const ids = git(store, ['rev-list', '--objects', '--all']).stdout.split('\n').filter(Boolean).map((l) => l.slice(0, 40));
    const want = allObjects(store);
    expect((await s.objects.read(ids[0]!)).body.equals(want.get(ids[0]!)!.body)).toBe(true); // loose, before any pack
    expect(packFiles(store)).toEqual([]);
    expect(git(store, ['gc', '--quiet']).code).toBe(0);
    expect(looseCount(store)).toBe(0);
    for (const id of ids) expect((await s.objects.read(id)).body.equals(want.get(id)!.body)).toBe(true);
    const firstPack = packFiles(store);
    // a new object, and a repack that replaces the pack: `s` has the old pack open, `located` found
    // an object in it but never opened it; the new object is in no pack either knows of
    const located = Store.open(store, { create: false });
    expect(await located.objects.has(ids[1]!)).toBe(true);
    ok(store, ['set', 'Runtime', 'api=polyverse/api:v9']);
    const added = git(store, ['rev-parse', 'refs/vfi/Runtime:vfi.json']).stdout.trim();
    expect(git(store, ['repack', '-a', '-d', '-f', '-q']).code).toBe(0);
    expect(git(store, ['prune-packed']).code).toBe(0);
    expect(packFiles(store)).not.toEqual(firstPack);
    expect(looseCount(store)).toBe(0);
    for (const open of [located, s]) {
      expect((await open.objects.read(ids[1]!)).body.equals(want.get(ids[1]!)!.body)).toBe(true);
      expect((await open.objects.read(added)).type).toBe('blob');
    }
    expect(await s.objects.has('0'.repeat(40))).toBe(false);
  });
});

describe('damaged packs', () => {
  const clean = path.join(dir, 'clean');
  let vfiId = '';
  let entryOffset = 0;
  let entryBytes = 0;

  beforeAll(() => {
    buildStore(clean, 10);
    expect(git(clean, ['gc', '--quiet']).code).toBe(0);
    vfiId = git(clean, ['rev-parse', 'refs/vfi/Runtime:vfi.json']).stdout.trim();
    const idx = path.join(packDir(clean), packFiles(clean).find((f) => f.endsWith('.idx'))!);
    // id type size size-in-pack offset: where the head VFI's entry is, and how long
    const row = git(clean, ['verify-pack', '-v', idx]).stdout.split('\n').find((l) => l.startsWith(vfiId))!.split(/ +/);
    [entryBytes, entryOffset] = [Number(row[3]), Number(row[4])];
  });

  const damage = (name: string, file: 'pack' | 'idx', change: (b: Buffer) => Buffer) => {
    const store = path.join(dir, `damaged-${name}`);
    fs.cpSync(clean, store, { recursive: true });
    const f = path.join(packDir(store), packFiles(store).find((p) => p.endsWith(`.${file}`))!);
    fs.chmodSync(f, 0o644);
    fs.writeFileSync(f, change(fs.readFileSync(f)));
    return store;
  };
  const flip = (at: (b: Buffer) => number) => (b: Buffer) => ((b[at(b)]! ^= 0x55), b);

  it.each([
    ['a byte of the VFI entry\'s data', 'pack', flip(() => entryOffset + entryBytes - 6)],
    ['a truncated pack', 'pack', (b: Buffer) => b.subarray(0, b.length - 100)],
    ['a truncated index', 'idx', (b: Buffer) => b.subarray(0, b.length - 30)],
    ['an index of another pack (the pack checksum it records)', 'idx', flip((b) => b.length - 30)],
    ['an offset in the index', 'idx', (b: Buffer) => {
      const n = b.readUInt32BE(8 + 255 * 4);
      for (let i = 0; i < n; i++) b.writeUInt32BE(b.readUInt32BE(8 + 1024 + n * 24 + i * 4) + 3, 8 + 1024 + n * 24 + i * 4);
      return b;
    }],
  ] as const)('%s: vfi show and vfi fsck say STORE_DAMAGED (exit 1, one line)', (name, file, change) => {
    const store = damage(name.replace(/\W+/g, '-'), file, change);
    expectDamaged(local(store, ['show', `Runtime@${vfiId}`]));
    const fsck = local(store, ['fsck']);
    expectDamaged(fsck);
    expect(fsck.stdout).toMatch(/^damaged: /m);
    expect(git(store, ['fsck', '--no-progress']).code).not.toBe(0); // git agrees it is damaged
  });
});

describe('vfi pull keeps a large fetched pack as a pack', () => {
  const gitServer = useGitServer();
  let url = '';
  const source = path.join(dir, 'source');
  const pulled = path.join(dir, 'pulled');
  const pull = (store: string, from = url) => run(store, ['pull', from]);
  const vfiRefs = (gitdir: string) => git(gitdir, ['for-each-ref', '--format=%(objectname) %(refname)', 'refs/vfi/', 'refs/vfi-assertions/']).stdout;

  beforeAll(async () => {
    url = gitServer().createRepo('team.git');
    buildStore(source, 60);
    expect((await run(source, ['push', url])).code).toBe(0);
    // vfi push sends whole objects, which the server would send on as they are: let it find deltas
    expect(git(gitServer().repoPath('team.git'), ['repack', '-a', '-d', '-f', '-q']).code).toBe(0);
  });

  it('as a pack and idx v2 that git verify-pack and git fsck --strict accept, the idx as git index-pack writes it', async () => {
    const r = await pull(pulled);
    expect(r.code, r.stderr).toBe(0);
    expect(vfiRefs(pulled)).toBe(vfiRefs(source));
    const files = packFiles(pulled);
    expect(files).toEqual([expect.stringMatching(/^pack-[0-9a-f]{40}\.idx$/), expect.stringMatching(/^pack-[0-9a-f]{40}\.pack$/)]);
    expect(looseCount(pulled)).toBe(0);
    const idx = path.join(packDir(pulled), files[0]!);
    const verify = git(pulled, ['verify-pack', '-v', idx]);
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stdout).toMatch(/chain length = 1:/); // the server sent deltas, and they were kept
    const fsck = git(pulled, ['fsck', '--strict', '--no-dangling']);
    expect(fsck.code, fsck.stderr).toBe(0);
    // git's own index of the same pack is byte for byte the one vfi wrote
    const scratch = path.join(dir, 'index-pack.idx');
    expect(git(pulled, ['index-pack', '-o', scratch, idx.replace(/\.idx$/, '.pack')]).code).toBe(0);
    expect(fs.readFileSync(scratch).equals(fs.readFileSync(idx))).toBe(true);
    expect(ok(pulled, ['fsck'])).toMatch(/^ok: .* 1 pack(,|$)/m);
    expect(ok(pulled, ['pick', 'Runtime', '--allow-unpinned', '--min-score', '0'])).toBe(ok(source, ['pick', 'Runtime', '--allow-unpinned', '--min-score', '0']));
    expect(ok(pulled, ['log', 'Runtime'])).toBe(ok(source, ['log', 'Runtime']));
  });

  it('a small pull brings what changed (git fetch decides how to keep it)', async () => {
    ok(source, ['set', 'Runtime', 'api=polyverse/api:v5']);
    expect((await run(source, ['push', url])).code).toBe(0);
    expect((await pull(pulled)).code).toBe(0);
    expect(vfiRefs(pulled)).toBe(vfiRefs(source));
    expect(ok(pulled, ['pick', 'Runtime', '--allow-unpinned', '--min-score', '0'])).toBe(ok(source, ['pick', 'Runtime', '--allow-unpinned', '--min-score', '0']));
    expect(git(pulled, ['fsck', '--strict', '--no-dangling']).code).toBe(0);
  });

  it('a pull cut midway leaves no pack (at most git\'s temporary file) and moves no ref', async () => {
    const other = path.join(dir, 'other');
    ok(other, ['add', 'Mine', '-'], { input: JSON.stringify(runtimeVfi()) });
    const refsBefore = vfiRefs(other);
    gitServer().fault = (r) => (r.method === 'POST' && r.service === 'git-upload-pack' ? { cutAfterBytes: 20_000 } : undefined);
    try {
      const r = await pull(other);
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    } finally {
      gitServer().fault = undefined;
    }
    expect(packFiles(other).filter((f) => f.startsWith('pack-'))).toEqual([]);
    expect(vfiRefs(other)).toBe(refsBefore);
    expect((await pull(other)).code).toBe(0);
    expect(packFiles(other).filter((f) => f.startsWith('pack-'))).toHaveLength(2);
    expect(git(other, ['fsck', '--strict', '--no-dangling']).code).toBe(0);
  });
});

describe('leftovers of a killed transfer', () => {
  it('a temp pack (git index-pack\'s tmp_pack_*, a killed pull\'s): vfi fsck names it, as a warning', () => {
    const store = path.join(dir, 'leftover');
    ok(store, ['add', 'Runtime', '-'], { input: JSON.stringify(runtimeVfi()) });
    fs.mkdirSync(packDir(store), { recursive: true });
    fs.writeFileSync(path.join(packDir(store), 'tmp_pack_12345_abcd'), 'PACK');
    const r = local(store, ['fsck']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^vfi: warning: 1 temporary object file/m);
  });
});
