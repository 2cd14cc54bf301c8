/**
 * A pull admits only what vfi itself would write (issue 19). Each remote is a copy of a good store
 * with one crafted commit on top, made with plain git (hash-object --literally, mktree,
 * update-ref); it is pulled over a path and over `git http-backend`. A refused pull exits 1 with
 * one line and leaves the store as it was: its refs, its vfi cache, and what `git fsck --strict`
 * says of it. Black-box through the CLI, so the tests hold whatever the transport is.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAIN, runtimeVfi, snapshot } from '../helpers/cli.js';
import { craft } from '../helpers/craft.js';
import { runAsync } from '../helpers/gitServer.js';
import { remoteCli, useGitServer } from '../helpers/remote.js';
import { makeRecord, recordFileName } from '../../src/core/assertion.js';
import { sha256Hex } from '../../src/core/gitObject.js';
import { canonicalText, type JsonValue } from '../../src/core/canonical.js';
import { processTree, residentBytes } from '../../src/remote/bounds.js';

const { dir, env, vfi, local } = remoteCli('vfi-admit-');
const ASSERTIONS = 'refs/vfi-assertions/main';

/** git in `gitdir`, its stdout trimmed; throws when it fails. */
const git = (gitdir: string, args: string[], input?: string | Buffer) => craft(gitdir, env).git(args, input);
const blob = (repo: string, bytes: string | Buffer) => craft(repo, env).blob(bytes);
const tree = (repo: string, entries: { mode: string; name: string; id: string }[]) =>
  craft(repo, env).mktree(entries.map((e) => `${e.mode} ${e.mode === '040000' ? 'tree' : 'blob'} ${e.id}\t${e.name}`));
const rawCommit = (repo: string, text: string) => craft(repo, env).rawCommit(text);
const commitText = (t: string, parent: string | undefined, who = 'A <a@x> 1800000000 +0000', committer: string | null = who) =>
  `tree ${t}\n${parent ? `parent ${parent}\n` : ''}author ${who}\n${committer === null ? '' : `committer ${committer}\n`}\nmsg\n`;
const canonical = (value: JsonValue) => canonicalText(value);

/** A VFI of these bytes on top of `parent`, as vfi's commit on the lineage of `repo`. */
function lineageCommit(repo: string, vfiBytes: string | Buffer, parent: string, opts: { extra?: boolean; who?: string; committer?: string | null } = {}): string {
  const entries = [{ mode: '100644', name: 'vfi.json', id: blob(repo, vfiBytes) }];
  if (opts.extra) entries.push({ mode: '100644', name: 'README', id: blob(repo, 'hello\n') });
  return rawCommit(repo, commitText(tree(repo, entries), parent, opts.who, opts.committer));
}

/** The assertions head of `repo` with one more file in the directory of `vfiId`. */
function assertionsCommit(repo: string, vfiId: string, name: string, bytes: string | Buffer): string {
  const head = git(repo, ['rev-parse', ASSERTIONS]);
  const ls = (t: string | undefined) => (t ? git(repo, ['ls-tree', t]).split('\n').filter(Boolean).map((l) => {
    const [meta, n] = l.split('\t');
    const [mode, , id] = meta!.split(' ');
    return { mode: mode!, name: n!, id: id! };
  }) : []);
  const put = (entries: { mode: string; name: string; id: string }[], e: { mode: string; name: string; id: string }) => [...entries.filter((x) => x.name !== e.name), e];
  const root = ls(`${head}^{tree}`);
  const shard = root.find((e) => e.name === vfiId.slice(0, 2));
  const shardEntries = ls(shard?.id);
  const vdir = shardEntries.find((e) => e.name === vfiId.slice(2));
  const files = put(ls(vdir?.id), { mode: '100644', name, id: blob(repo, bytes) });
  const newDir = tree(repo, files);
  const newShard = tree(repo, put(shardEntries, { mode: '040000', name: vfiId.slice(2), id: newDir }));
  const newRoot = tree(repo, put(root, { mode: '040000', name: vfiId.slice(0, 2), id: newShard }));
  return rawCommit(repo, commitText(newRoot, head));
}

const good = path.join(dir, 'good');
let vfiId = '';
let vfiBytes = '';
const gitServer = useGitServer();

beforeAll(async () => {
  const add = local(good, ['add', 'Runtime', '-'], { input: JSON.stringify(runtimeVfi()) });
  expect(add.code).toBe(0);
  vfiId = add.stdout.trim().split('@')[1]!;
  expect(local(good, ['assert', 'Runtime', 'tests', 'pass']).code).toBe(0);
  vfiBytes = git(good, ['cat-file', 'blob', vfiId]) + '\n';
  expect(local(good, ['list']).code).toBe(0); // fills the vfi cache
});

let serial = 0;
/** A remote holding the refs of `source` (the good store), and a local store that has pulled the good store's. */
function pair(source = good): { remote: string; url: string; local: string } {
  const name = `r${++serial}.git`;
  const url = gitServer().createRepo(name);
  const remote = gitServer().repoPath(name);
  git(source, ['push', '--quiet', remote, 'refs/vfi/*:refs/vfi/*', 'refs/vfi-assertions/*:refs/vfi-assertions/*']);
  const local = path.join(dir, `local${serial}`);
  fs.cpSync(good, local, { recursive: true });
  return { remote, url, local };
}

/** Everything of a store a refused pull must leave as it was. */
function state(store: string) {
  const cacheDir = path.join(store, 'vfi-cache');
  const cache: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else cache.push(`${path.relative(cacheDir, p)}=${sha256Hex(fs.readFileSync(p))}`);
    }
  };
  if (fs.existsSync(cacheDir)) walk(cacheDir);
  const fsck = spawnSync('git', ['--git-dir', store, 'fsck', '--strict', '--no-dangling'], { env, encoding: 'utf8' });
  return {
    refs: snapshot(store).filter((p) => p.startsWith('refs')),
    cache: cache.sort(),
    fsck: { code: fsck.status, problems: `${fsck.stdout}${fsck.stderr}`.split('\n').filter((l) => /error|missing|broken|bad/i.test(l)) },
  };
}

const BIG = 65 * 1024 * 1024;
const cases: { name: string; rule: RegExp; craft: (remote: string) => void }[] = [
  {
    name: 'a history cut on the remote (info/grafts): objects missing',
    // git's own fetch refuses an incomplete pack before vfi sees it; else vfi's admission does
    rule: /missing-object|what it sent is not sound/,
    craft: (remote) => {
      const head = git(remote, ['rev-parse', 'refs/vfi/Runtime']);
      const mid = lineageCommit(remote, canonical({ a: { address: 'x/a:1', type: 'dockerImage' } }), head);
      const top = lineageCommit(remote, canonical({ a: { address: 'x/a:2', type: 'dockerImage' } }), mid);
      git(remote, ['update-ref', 'refs/vfi/Cut', top]);
      fs.writeFileSync(path.join(remote, 'info', 'grafts'), `${top}\n`);
    },
  },
  { name: 'a vfi.json that is not JSON', rule: /vfi-json/, craft: (r) => onTop(r, '{"a": ') },
  { name: 'a VFI that fails the schema', rule: /vfi-schema/, craft: (r) => onTop(r, canonical({ a: { address: 'x/a:1' } })) },
  { name: 'a VFI not in canonical form', rule: /vfi-canonical/, craft: (r) => onTop(r, '{"a":{"address":"x/a:1","type":"dockerImage"}}') },
  {
    name: 'a VFI with a duplicate key',
    rule: /vfi-json/,
    craft: (r) => onTop(r, '{\n  "a": {\n    "address": "x/a:1",\n    "address": "x/a:2",\n    "type": "dockerImage"\n  }\n}\n'),
  },
  { name: 'a tree with a file beside vfi.json', rule: /tree/, craft: (r) => onTop(r, vfiBytesOther(), { extra: true }) },
  { name: 'a 65 MiB vfi.json of spaces (decompression bomb)', rule: /size/, craft: (r) => onTop(r, Buffer.alloc(BIG, 0x20)) },
  { name: 'a commit dated 99999999999999', rule: /commit/, craft: (r) => onTop(r, vfiBytesOther(), { who: 'A <a@x> 99999999999999 +0000' }) },
  { name: 'a committer date -5', rule: /\(commit\)|what it sent is not sound/, craft: (r) => onTop(r, vfiBytesOther(), { committer: 'A <a@x> -5 +0000' }) },
  { name: 'a commit without a committer line', rule: /\(commit\)|what it sent is not sound/, craft: (r) => onTop(r, vfiBytesOther(), { committer: null }) },
  {
    name: 'an assertion record that is not JSON',
    rule: /record/,
    craft: (r) => {
      const bytes = 'not json\n';
      const id = git(r, ['hash-object', '--stdin'], bytes);
      setAssertions(r, assertionsCommit(r, vfiId, `20261101T130000.000000Z-tests-pass-${id}.json`, bytes));
    },
  },
  {
    name: 'a record whose file name says fail while it says pass',
    rule: /record/,
    craft: (r) => {
      const rec = record({ at: '2026-11-01T13:00:00.000000Z' });
      setAssertions(r, assertionsCommit(r, vfiId, recordFileName({ ...rec, result: 'fail' }), rec.bytes));
    },
  },
  {
    name: 'a record with a 2 MiB note',
    rule: /size/,
    craft: (r) => {
      const rec = record({ at: '2026-11-01T13:00:00.000000Z', note: 'n'.repeat(2 * 1024 * 1024) });
      setAssertions(r, assertionsCommit(r, vfiId, recordFileName(rec), rec.bytes));
    },
  },
  {
    name: 'an unknown file among the records',
    rule: /unknown-file/,
    craft: (r) => setAssertions(r, assertionsCommit(r, vfiId, 'notes.txt', 'hello\n')),
  },
];

function vfiBytesOther(): string {
  return canonical({ a: { address: 'x/a:1', type: 'dockerImage' } });
}
function onTop(remote: string, bytes: string | Buffer, opts: Parameters<typeof lineageCommit>[3] = {}): void {
  const head = git(remote, ['rev-parse', 'refs/vfi/Runtime']);
  git(remote, ['update-ref', 'refs/vfi/Runtime', lineageCommit(remote, bytes, head, opts)]);
}
function setAssertions(remote: string, commit: string): void {
  git(remote, ['update-ref', ASSERTIONS, commit]);
}
function record(over: { at: string; note?: string }) {
  return makeRecord({ name: 'Runtime', vfi: vfiId, sha256: sha256Hex(Buffer.from(vfiBytes)), claim: 'tests', result: 'pass', by: 'Mallory', ...over });
}

describe.each(['path', 'http'] as const)('pull over %s', (transport) => {
  it.each(cases)('refuses $name', async ({ rule, craft }) => {
    const { remote, url, local } = pair();
    craft(remote);
    const before = state(local);
    const r = await vfi(local, ['pull', transport === 'path' ? remote : url]);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^vfi: /);
    expect(r.stderr).toMatch(rule);
    expect(r.code).toBe(1);
    expect(state(local)).toEqual(before);
    // and the store still reads
    expect((await vfi(local, ['show', 'Runtime'])).code).toBe(0);
  }, 60_000);

  it('admits a valid new publication and record (the checks can pass)', async () => {
    const { remote, url, local } = pair();
    onTop(remote, vfiBytesOther());
    const rec = record({ at: '2026-11-01T13:00:00.000000Z' });
    setAssertions(remote, assertionsCommit(remote, vfiId, recordFileName(rec), rec.bytes));
    const r = await vfi(local, ['pull', transport === 'path' ? remote : url]);
    expect(r.code).toBe(0);
    expect(git(local, ['rev-parse', 'refs/vfi/Runtime'])).toBe(git(remote, ['rev-parse', 'refs/vfi/Runtime']));
    expect(git(local, ['rev-parse', ASSERTIONS])).toBe(git(remote, ['rev-parse', ASSERTIONS]));
  }, 60_000);
});

describe('a pull of more objects than are read in this process (admit.ts READS_IN_PROCESS)', () => {
  // 2,500 new records in one directory: the first objects are read in this process, the rest
  // through git cat-file; a bad record named last is one of the rest.
  const bulk = path.join(dir, 'bulk');
  beforeAll(() => {
    fs.cpSync(good, bulk, { recursive: true });
    const lines = Array.from({ length: 2500 }, (_, i) => JSON.stringify({ vfi: `Runtime@${vfiId}`, claim: `claim-${i % 50}`, result: 'pass', by: 'ci' }));
    expect(local(bulk, ['assert', '--batch', '-'], { input: `${lines.join('\n')}\n` }).code).toBe(0);
  });
  it('admits them all', async () => {
    const { remote, url, local: into } = pair(bulk);
    const r = await vfi(into, ['pull', url]);
    expect(r.stderr).toMatch(/assertions: fast-forward/);
    expect(r.code).toBe(0);
    expect(git(into, ['rev-parse', ASSERTIONS])).toBe(git(remote, ['rev-parse', ASSERTIONS]));
    const records = async (store: string) => (JSON.parse((await vfi(store, ['assertions', `Runtime@${vfiId}`, '--json'])).stdout) as { records: unknown[] }).records;
    const pulled = await records(into);
    expect(pulled.length).toBeGreaterThan(2500);
    expect(pulled).toEqual(await records(bulk));
  }, 120_000);

  it('refuses a bad record among them, read through git, and leaves the store as it was', async () => {
    const { remote, url, local: into } = pair(bulk);
    const bytes = 'not json\n';
    const id = git(remote, ['hash-object', '--stdin'], bytes);
    setAssertions(remote, assertionsCommit(remote, vfiId, `29991231T000000.000000Z-tests-pass-${id}.json`, bytes));
    const before = state(into);
    const r = await vfi(into, ['pull', url]);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`^vfi: .*${id}.*record`));
    expect(r.code).toBe(1);
    expect(state(into)).toEqual(before);
  }, 120_000);
});

describe('push', () => {
  it('sends nothing when the store holds invalid data', async () => {
    const { remote, local } = pair();
    // the local store, not the remote, holds the bad publication this time
    onTop(local, '{"a": ');
    const before = snapshot(remote).filter((p) => p.startsWith('refs'));
    const r = await vfi(local, ['push', remote]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/vfi-json/);
    expect(snapshot(remote).filter((p) => p.startsWith('refs'))).toEqual(before);
  }, 60_000);
});

/**
 * Bounded pulls: whatever the remote sends, the whole process tree of the pull (vfi, git fetch,
 * git-remote-http, index-pack) stays under 256 MiB, a pack past VFI_MAX_PACK_BYTES and an endless
 * ref advertisement are stopped with one line, and the store is as before, with no partial pack left.
 */
describe('bounded pull', () => {
  const LIMIT = 256 * 1024 * 1024;

  /** Run vfi, sampling the resident memory of its whole process tree every 5 ms; the peak, with the result. */
  async function measured(store: string, args: string[], extra: Record<string, string> = {}) {
    const child = spawn(process.execPath, [MAIN, '--store', store, ...args], { env: { ...env, ...extra }, stdio: ['ignore', 'pipe', 'pipe'] });
    let peak = 0;
    const timer = setInterval(() => {
      peak = Math.max(peak, processTree(child.pid!).reduce((sum, p) => sum + residentBytes(p), 0));
    }, 5);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
    clearInterval(timer);
    return { code, stdout, stderr, peak };
  }

  const partialPacks = (store: string) => fs.readdirSync(path.join(store, 'objects', 'pack')).filter((n) => n.startsWith('tmp_'));

  function refused(r: { code: number; stdout: string; stderr: string; peak: number }, rule: RegExp) {
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^vfi: /);
    expect(r.stderr).toMatch(rule);
    expect(r.peak, `peak ${Math.round(r.peak / 2 ** 20)} MiB`).toBeGreaterThan(0);
    expect(r.peak, `peak ${Math.round(r.peak / 2 ** 20)} MiB`).toBeLessThan(LIMIT);
  }

  /** A lineage on the remote whose vfi.json is `mib` MiB of random (incompressible) bytes. */
  function bigBlob(remote: string, mib: number): void {
    const file = path.join(dir, `random-${mib}`);
    if (!fs.existsSync(file)) fs.writeFileSync(file, randomBytes(mib * 1024 * 1024));
    const id = git(remote, ['hash-object', '-w', file]);
    const head = git(remote, ['rev-parse', 'refs/vfi/Runtime']);
    const t = tree(remote, [{ mode: '100644', name: 'vfi.json', id }]);
    git(remote, ['update-ref', 'refs/vfi/Big', rawCommit(remote, commitText(t, head))]);
  }

  it('a pack past VFI_MAX_PACK_BYTES (http-backend, a 48 MiB blob): stopped, one line, no partial pack, store untouched', async () => {
    const { remote, url, local } = pair();
    bigBlob(remote, 48);
    const before = state(local);
    const r = await measured(local, ['pull', url], { VFI_MAX_PACK_BYTES: String(8 * 1024 * 1024) });
    refused(r, /larger than 8 MiB/);
    expect(partialPacks(local)).toEqual([]);
    expect(state(local)).toEqual(before);
    expect((await vfi(local, ['pull', url])).code).toBe(1); // with the default limits it arrives, and admission refuses it (not JSON)
  }, 120_000);

  it('with the default limits, a 160 MiB blob is fetched within 256 MiB and refused by its size', async () => {
    const { remote, url, local } = pair();
    bigBlob(remote, 160);
    const before = state(local);
    const r = await measured(local, ['pull', url]);
    refused(r, /size/);
    expect(partialPacks(local)).toEqual([]);
    expect(state(local)).toEqual(before);
  }, 180_000);

  it('an endless ref advertisement: stopped within the memory bound, one line, store untouched', async () => {
    const local = pair().local;
    const zero = '0'.repeat(40);
    const pkt = (s: string) => `${(s.length + 4).toString(16).padStart(4, '0')}${s}`;
    const server = http.createServer((req, res) => {
      if (!req.url?.includes('/info/refs')) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/x-git-upload-pack-advertisement', 'cache-control': 'no-cache' });
      res.write(`${pkt('# service=git-upload-pack\n')}0000${pkt(`${zero} refs/heads/a\0multi_ack side-band-64k ofs-delta\n`)}`);
      // endless.git never ends; finite.git ends after 10,000 refs
      const end = req.url.startsWith('/finite.git') ? 10_000 : Infinity;
      let n = 0;
      const more = () => {
        let chunk = '';
        for (let k = 0; k < 2000; k++) chunk += pkt(`${zero.slice(0, 39)}1 refs/vfi/L${n++}\n`);
        if (n >= end) return void res.end(`${chunk}0000`);
        if (res.write(chunk)) setImmediate(more);
        else res.once('drain', more);
      };
      res.on('close', () => (n = -1e9));
      more();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const url = `${base}/endless.git`;
    try {
      const before = state(local);
      const started = Date.now();
      const r = await measured(local, ['pull', url]);
      refused(r, /memory|advertis/);
      expect(Date.now() - started).toBeLessThan(60_000);
      expect(state(local)).toEqual(before);
      // push lists the remote's refs first: the same memory bound, and VFI_MAX_REFS as it reads them
      refused(await measured(local, ['push', url]), /memory .*listing the refs of/);
      refused(await measured(local, ['push', `${base}/finite.git`], { VFI_MAX_REFS: '5000' }), /advertises more than 5000 refs/);
      expect(state(local)).toEqual(before);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  }, 120_000);

  it('a partial pack a killed pull left is removed by the next pull; one another process holds open is kept', async () => {
    const { url, local } = pair();
    const packDir = path.join(local, 'objects', 'pack');
    fs.mkdirSync(packDir, { recursive: true });
    const left = path.join(packDir, 'tmp_pack_AbC123');
    fs.writeFileSync(left, 'PACK partial');
    const held = path.join(packDir, 'tmp_pack_XyZ789');
    fs.writeFileSync(held, 'PACK in flight');
    // another process writing its pack: it holds the file open
    const holder = spawn('sleep', ['600'], { stdio: ['ignore', fs.openSync(held, 'a'), 'ignore'] });
    try {
      await new Promise((r) => setTimeout(r, 0));
      const r = await vfi(local, ['pull', url]);
      expect(r.code, r.stderr).toBe(0);
      expect(fs.existsSync(left)).toBe(false);
      expect(fs.existsSync(held)).toBe(true);
    } finally {
      holder.kill('SIGKILL');
    }
  }, 60_000);
});
