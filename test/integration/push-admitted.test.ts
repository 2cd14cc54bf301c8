/**
 * A push checks only what the store did not check when it wrote it (store/admitted.ts): bad data
 * put in by raw git after a vfi write, and vfi writes made on top of it, are still refused, and the
 * remote is left as it was. Stores and remotes are repositories on disk, changed with plain git.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runtimeVfi, snapshot } from '../helpers/cli.js';
import { craft } from '../helpers/craft.js';
import { remoteCli, useGitServer } from '../helpers/remote.js';
import { makeRecord, recordFileName } from '../../src/core/assertion.js';
import { sha256Hex } from '../../src/core/gitObject.js';

const { dir, env, vfi, ok } = remoteCli('vfi-push-admitted-');
const LINEAGE = 'refs/vfi/Runtime';
const ASSERTIONS = 'refs/vfi-assertions/main';
const git = (repo: string, args: string[], input?: string) => craft(repo, env).git(args, input);
const watermark = (store: string, ref: string) => {
  const file = path.join(store, 'vfi-cache', 'admitted', ref);
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim() : undefined;
};

const good = path.join(dir, 'good');
const gitServer = useGitServer();
let vfiId = '';

beforeAll(() => {
  vfiId = ok(good, ['add', 'Runtime', '-'], { input: JSON.stringify(runtimeVfi()) }).trim().split('@')[1]!;
  ok(good, ['assert', 'Runtime', 'tests', 'pass']);
});

let serial = 0;
/** A copy of the good store and an empty bare repository to push to. */
function pair(): { store: string; remote: string } {
  const store = path.join(dir, `store${++serial}`);
  fs.cpSync(good, store, { recursive: true });
  const remote = path.join(dir, `remote${serial}.git`);
  git(dir, ['init', '--quiet', '--bare', remote]);
  return { store, remote };
}

/** A lineage commit on `ref`'s head whose tree holds the VFI and a file vfi never writes. */
function extraFileOnTop(store: string): string {
  const c = craft(store, env);
  const head = c.git(['rev-parse', LINEAGE]);
  const vfiBlob = c.git(['rev-parse', `${head}:vfi.json`]);
  const tree = c.mktree([`100644 blob ${vfiBlob}\tvfi.json`, `100644 blob ${c.blob('hello\n')}\tREADME`]);
  const bad = c.git(['-c', 'user.name=raw', '-c', 'user.email=raw@x.invalid', 'commit-tree', tree, '-p', head, '-m', 'raw'], '');
  c.git(['update-ref', LINEAGE, bad]);
  return bad;
}

/** An assertions commit on the head with one more record whose sha256 is not the VFI's. */
function wrongRecordOnTop(store: string): string {
  const c = craft(store, env);
  const rec = makeRecord({ name: 'Runtime', vfi: vfiId, sha256: sha256Hex(Buffer.from('not the vfi')), claim: 'tests', result: 'pass', by: 'Mallory', at: '2026-11-01T13:30:00.000000Z' });
  const head = c.git(['rev-parse', ASSERTIONS]);
  const ls = (t: string) => c.git(['ls-tree', t]).split('\n').filter(Boolean);
  const entry = (lines: string[], name: string) => lines.find((l) => l.endsWith(`\t${name}`))!.split(/\s/)[2]!;
  const root = ls(`${head}^{tree}`);
  const shard = ls(entry(root, vfiId.slice(0, 2)));
  const files = ls(entry(shard, vfiId.slice(2)));
  const put = (lines: string[], name: string, line: string) => [...lines.filter((l) => !l.endsWith(`\t${name}`)), line];
  const dirTree = c.mktree(put(files, recordFileName(rec), `100644 blob ${c.blob(rec.bytes)}\t${recordFileName(rec)}`));
  const shardTree = c.mktree(put(shard, vfiId.slice(2), `040000 tree ${dirTree}\t${vfiId.slice(2)}`));
  const rootTree = c.mktree(put(root, vfiId.slice(0, 2), `040000 tree ${shardTree}\t${vfiId.slice(0, 2)}`));
  const bad = c.git(['-c', 'user.name=raw', '-c', 'user.email=raw@x.invalid', 'commit-tree', rootTree, '-p', head, '-m', 'raw'], '');
  c.git(['update-ref', ASSERTIONS, bad]);
  return bad;
}

async function refused(store: string, remote: string, rule: RegExp) {
  const before = snapshot(remote).filter((p) => p.startsWith('refs'));
  const r = await vfi(store, ['push', remote]);
  expect(r.code, r.stderr).toBe(1);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(rule);
  expect(snapshot(remote).filter((p) => p.startsWith('refs'))).toEqual(before);
}

describe('push after raw git', () => {
  it('records what vfi wrote as checked, and sends it', async () => {
    const { store, remote } = pair();
    expect(watermark(store, LINEAGE)).toBe(git(store, ['rev-parse', LINEAGE]));
    expect(watermark(store, ASSERTIONS)).toBe(git(store, ['rev-parse', ASSERTIONS]));
    const r = await vfi(store, ['push', remote]);
    expect(r.code, r.stderr).toBe(0);
    expect(git(remote, ['rev-parse', LINEAGE])).toBe(git(store, ['rev-parse', LINEAGE]));
  }, 60_000);

  it('refuses a lineage commit raw git put on a vfi write, and a publication vfi made on top of it', async () => {
    const { store, remote } = pair();
    const checked = watermark(store, LINEAGE);
    extraFileOnTop(store);
    await refused(store, remote, /\(tree\)/);
    ok(store, ['add', 'Runtime', '-'], { input: JSON.stringify(runtimeVfi({ image: 'example.com/runtime:2' })) });
    expect(watermark(store, LINEAGE)).toBe(checked); // built on what was not checked: the mark stays
    await refused(store, remote, /\(tree\)/);
  }, 60_000);

  it('refuses a record raw git put on a vfi write, and records vfi asserted on top of it', async () => {
    const { store, remote } = pair();
    const checked = watermark(store, ASSERTIONS);
    wrongRecordOnTop(store);
    await refused(store, remote, /\(record\)/);
    ok(store, ['assert', 'Runtime', 'lint', 'pass']);
    expect(watermark(store, ASSERTIONS)).toBe(checked);
    await refused(store, remote, /\(record\)/);
  }, 60_000);
});

describe('push to a remote the store never met', () => {
  it('says a web page where the refs should be is one, from the listing alone', async () => {
    const { store } = pair();
    const url = gitServer().createRepo('page.git');
    gitServer().fault = (r) => (r.path.endsWith('/info/refs') ? { status: 200, body: '<html><body>Welcome</body></html>' } : undefined);
    try {
      const r = await vfi(store, ['push', url]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/^vfi: push to .*: the server answered with a web page \(/);
    } finally {
      gitServer().fault = undefined;
    }
    const r = await vfi(store, ['push', url]);
    expect(r.code, r.stderr).toBe(0);
  }, 60_000);
});
