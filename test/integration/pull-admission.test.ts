/**
 * A pull admits only what vfi itself would write (issue 19). Each remote is a copy of a good store
 * with one crafted commit on top, made with plain git (hash-object --literally, mktree,
 * update-ref); it is pulled over a path and over `git http-backend`. A refused pull exits 1 with
 * one line and leaves the store as it was: its refs, its vfi cache, and what `git fsck --strict`
 * says of it. Black-box through the CLI, so the tests hold whatever the transport is.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXED_ENV, MAIN, runtimeVfi, snapshot, tempDir, vfi as vfiSync } from '../helpers/cli.js';
import { isolatedGitEnv, runAsync, startGitServer, type GitServer } from '../helpers/gitServer.js';
import { makeRecord, recordFileName } from '../../src/core/assertion.js';
import { sha256Hex } from '../../src/core/gitObject.js';
import { canonicalText, type JsonValue } from '../../src/core/canonical.js';

const dir = tempDir('vfi-admit-');
const env = { ...isolatedGitEnv(path.join(dir, 'home')), ...FIXED_ENV, VFI_DEBUG: '' };
const vfi = (store: string, args: string[]) => runAsync(process.execPath, [MAIN, '--store', store, ...args], { env });
const ASSERTIONS = 'refs/vfi-assertions/main';

/** git in `gitdir`, its stdout trimmed; throws when it fails. */
function git(gitdir: string, args: string[], input?: string | Buffer): string {
  const r = spawnSync('git', ['--git-dir', gitdir, ...args], { input, env, maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr.toString()}`);
  return r.stdout.toString('utf8').trim();
}
const blob = (repo: string, bytes: string | Buffer) => git(repo, ['hash-object', '-w', '--stdin'], bytes);
const tree = (repo: string, entries: { mode: string; name: string; id: string }[]) =>
  git(repo, ['mktree'], entries.map((e) => `${e.mode} ${e.mode === '040000' ? 'tree' : 'blob'} ${e.id}\t${e.name}\n`).join(''));
/** A commit object written as given, unchecked (git commit-tree would refuse some of these). */
const rawCommit = (repo: string, text: string) => git(repo, ['hash-object', '-t', 'commit', '-w', '--literally', '--stdin'], text);
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
let server: GitServer;

beforeAll(async () => {
  server = await startGitServer();
  const add = vfiSync(good, ['add', 'Runtime', '-'], { input: JSON.stringify(runtimeVfi()), env: env as Record<string, string> });
  expect(add.code).toBe(0);
  vfiId = add.stdout.trim().split('@')[1]!;
  expect(vfiSync(good, ['assert', 'Runtime', 'tests', 'pass'], { env: env as Record<string, string> }).code).toBe(0);
  vfiBytes = git(good, ['cat-file', 'blob', vfiId]) + '\n';
  expect(vfiSync(good, ['list'], { env: env as Record<string, string> }).code).toBe(0); // fills the vfi cache
});
afterAll(async () => server?.stop());

let serial = 0;
/** A remote holding the good store's refs, and a local store that has pulled them. */
function pair(): { remote: string; url: string; local: string } {
  const name = `r${++serial}.git`;
  const url = server.createRepo(name);
  const remote = server.repoPath(name);
  git(good, ['push', '--quiet', remote, 'refs/vfi/*:refs/vfi/*', 'refs/vfi-assertions/*:refs/vfi-assertions/*']);
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
