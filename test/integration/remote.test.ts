/**
 * Sharing stores through a real git server (git http-backend on 127.0.0.1, test/helpers/gitServer.ts),
 * end to end with the built CLI: two stores exchanging VFIs and assertions both ways, a lineage
 * that diverged, a plain `git clone --mirror` of the remote used as a store, git fsck on the gitServer().
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { at, git, MAIN, runtimeVfi } from '../helpers/cli.js';
import { runAsync } from '../helpers/gitServer.js';
import { remoteCli, useGitServer } from '../helpers/remote.js';
import { vfiRefs } from '../helpers/refs.js';

const ID = /@([0-9a-f]{40})$/m;

const { dir, env, vfi, local } = remoteCli('vfi-remote-');
const gitServer = useGitServer();

function add(store: string, name: string, overrides: Record<string, string>, minute: number): string {
  const r = local(store, ['add', name, '-'], { ...at(minute), input: JSON.stringify(runtimeVfi(overrides)) });
  expect(r.stderr).toBe('');
  return ID.exec(r.stdout)![1]!;
}

function claimsOf(store: string, ref: string): string[] {
  const r = local(store, ['assertions', ref, '--json']);
  expect(r.code).toBe(0);
  return Object.keys(JSON.parse(r.stdout).claims).sort();
}


describe('two stores sharing one remote', () => {
  const a = path.join(dir, 'a');
  const b = path.join(dir, 'b');
  let url = '';
  let v1 = '';

  beforeAll(() => {
    url = gitServer().createRepo('team.git');
  });

  it('pushes a store to an empty repository and pulls it into a new store', async () => {
    v1 = add(a, 'Runtime', {}, 0);
    expect(local(a, ['assert', 'Runtime', 'tests-passed'], at(1)).code).toBe(0);
    expect(local(a, ['remote', 'add', 'origin', url]).code).toBe(0);
    expect(git(a, ['config', '--get', 'remote.origin.url']).stdout.trim()).toBe(url); // plain git sees it
    const pushed = await vfi(a, ['push']);
    expect(pushed).toMatchObject({ code: 0, stdout: '' });
    expect(pushed.stderr).toMatch(/pushed 2 ref\(s\)/);
    expect(vfiRefs(gitServer().repoPath('team.git'))).toBe(vfiRefs(a));

    const pulled = await vfi(b, ['pull', url]); // a new store, from a URL
    expect(pulled).toMatchObject({ code: 0, stdout: '' });
    expect(pulled.stderr).toContain(`Runtime: new lineage, head Runtime@${v1}`);
    expect(local(b, ['show', `Runtime@${v1}`]).stdout).toBe(local(a, ['show', `Runtime@${v1}`]).stdout);
    expect(claimsOf(b, `Runtime@${v1}`)).toEqual(['tests-passed']);
    expect(vfiRefs(b)).toBe(vfiRefs(a));
    // the store a pull made remembers the URL as origin, as git clone does
    expect(JSON.parse(local(b, ['remote', 'list', '--json']).stdout)).toEqual([{ name: 'origin', url }]);
    expect(git(b, ['config', '--get', 'remote.origin.url']).stdout.trim()).toBe(url);
    expect((await vfi(a, ['push'])).stderr).toMatch(/everything up to date/);
    expect((await vfi(b, ['push'])).stderr).toMatch(/everything up to date/);
    expect((await vfi(b, ['pull', url])).stderr).toMatch(/already up to date/);
  });

  it('exchanges publications and assertions made on both sides at once', async () => {
    // Concurrent edits: A adds a lineage and asserts; B publishes on Runtime and asserts too.
    const other = add(a, 'Other', { nsq: 'nsqio/nsq:v1.2.1' }, 2);
    expect(local(a, ['assert', `Runtime@${v1}`, 'reviewed'], at(3)).code).toBe(0);
    const v2 = add(b, 'Runtime', { router: 'polyverse/router:1.0.3' }, 4);
    expect(local(b, ['assert', `Runtime@${v1}`, 'smoke-verified'], at(5)).code).toBe(0);

    expect((await vfi(b, ['push'])).code).toBe(0);
    const rejected = await vfi(a, ['push']);
    expect(rejected.code).toBe(1); // the assertions moved on the remote: pull first
    expect(rejected.stderr).toMatch(/pull first/);

    const pulled = await vfi(a, ['pull']);
    expect(pulled.code).toBe(0);
    expect(pulled.stderr).toMatch(/Runtime: fast-forward/);
    expect(pulled.stderr).toMatch(/assertions: merged/);
    expect(claimsOf(a, `Runtime@${v1}`)).toEqual(['reviewed', 'smoke-verified', 'tests-passed']);
    expect((await vfi(a, ['push'])).code).toBe(0);

    const back = await vfi(b, ['pull']);
    expect(back.code).toBe(0);
    expect(back.stderr).toContain(`Other: new lineage, head Other@${other}`);
    expect(claimsOf(b, `Runtime@${v1}`)).toEqual(['reviewed', 'smoke-verified', 'tests-passed']);
    expect(local(b, ['show', 'Runtime']).stdout).toBe(local(a, ['show', `Runtime@${v2}`]).stdout);
    // Converged: the same refs on both stores and on the gitServer().
    expect(vfiRefs(a)).toBe(vfiRefs(b));
    expect(vfiRefs(gitServer().repoPath('team.git'))).toBe(vfiRefs(a));
    for (const s of [a, b]) expect(local(s, ['fsck']).code).toBe(0);
  });

  it('merges a lineage published on both sides, keeping both VFIs, the same merge on every machine', async () => {
    const fromA = add(a, 'Runtime', { api: 'polyverse/api:v3.1.0' }, 10);
    const fromB = add(b, 'Runtime', { api: 'polyverse/api:v3.2.0' }, 11);
    expect((await vfi(a, ['push'])).code).toBe(0);
    const b2 = path.join(dir, 'b2');
    fs.cpSync(b, b2, { recursive: true }); // a second machine in B's state

    const rejected = await vfi(b, ['push']);
    expect(rejected.code).toBe(1);
    expect(rejected.stderr).toMatch(/Runtime.*rejected|pull first/);

    const merged = await vfi(b, ['pull']);
    expect(merged.code).toBe(0);
    // both changed api (a conflict: B published later) and router back to 1.0.2 (alike): B's VFI, whole
    expect(merged.stderr).toContain(`Runtime: diverged; merged local Runtime@${fromB} (Test Author) and remote Runtime@${fromA} (Test Author) against their merge base Runtime@`);
    expect(merged.stderr).toContain(`; head is now Runtime@${fromB}, local's VFI: api from local (Test Author) (conflict), router changed alike on both sides\n`);
    expect(merged.stderr).toContain('Runtime: conflict on component "api": local (Test Author) has polyverse/api:v3.2.0, remote (Test Author) has polyverse/api:v3.1.0; kept local\'s, published later\n');
    for (const id of [fromA, fromB]) expect(local(b, ['show', `Runtime@${id}`]).code).toBe(0);
    const head = git(b, ['rev-parse', 'refs/vfi/Runtime']).stdout.trim();
    expect(git(b, ['rev-list', '--parents', '-n', '1', head]).stdout.trim().split(' ')).toHaveLength(3);
    expect(git(b, ['log', '--format=%an %s', '-n', '1', 'refs/vfi/Runtime']).stdout).toBe('vfi merge merge concurrent publications\n');
    const log = JSON.parse(local(b, ['log', 'Runtime', '--json']).stdout) as { id: string }[];
    expect(log.map((e) => e.id)).toEqual(expect.arrayContaining([fromA, fromB]));

    expect((await vfi(b2, ['pull'])).code).toBe(0);
    expect(git(b2, ['rev-parse', 'refs/vfi/Runtime']).stdout.trim()).toBe(head); // deterministic merge commit

    expect((await vfi(b, ['push'])).code).toBe(0);
    const ff = await vfi(a, ['pull']);
    expect(ff.stderr).toMatch(/Runtime: fast-forward/);
    expect(vfiRefs(a)).toBe(vfiRefs(b));
    expect((await vfi(b2, ['pull'])).stderr).toMatch(/already up to date/);
    expect(vfiRefs(b2)).toBe(vfiRefs(b));
    expect(vfiRefs(gitServer().repoPath('team.git'))).toBe(vfiRefs(a));
    // pick sees both publications as candidates
    const picked = local(b, ['pick', 'Runtime', '--allow-unpinned', '--min-score', '0', '--top', '5', '--json']);
    expect(picked.code).toBe(0);
    expect((JSON.parse(picked.stdout) as { id: string }[]).map((c) => c.id)).toEqual(expect.arrayContaining([fromA, fromB]));
  });

  it('leaves nothing behind: every object the store reaches is on the server, which git fsck --strict accepts', () => {
    const repo = gitServer().repoPath('team.git');
    const reachable = git(a, ['rev-list', '--objects', '--glob=refs/vfi/*', 'refs/vfi-assertions/main']).stdout
      .split('\n').filter(Boolean).map((l) => l.slice(0, 40));
    expect(reachable.length).toBeGreaterThan(10);
    const check = git(repo, ['cat-file', '--batch-check=%(objectname) %(objecttype)'], `${reachable.join('\n')}\n`);
    expect(check.stdout).not.toMatch(/missing/);
    const fsck = git(repo, ['fsck', '--strict', '--no-dangling']);
    expect(fsck.code).toBe(0);
    expect(fsck.stdout).toBe('');
    expect(fsck.stderr.replace(/notice: .*\n/g, '')).toBe('');
  });

  it('serves a plain git clone --mirror of the remote as a store', async () => {
    const mirror = path.join(dir, 'mirror.git');
    const r = await runAsync('git', ['clone', '--quiet', '--mirror', url, mirror], { env });
    expect(r.code).toBe(0);
    expect(local(mirror, ['list']).stdout).toBe(local(a, ['list']).stdout);
    expect(local(mirror, ['log', 'Runtime']).stdout).toBe(local(a, ['log', 'Runtime']).stdout);
    expect(local(mirror, ['show', 'Runtime']).stdout).toBe(local(a, ['show', 'Runtime']).stdout);
    expect(local(mirror, ['assertions', 'Runtime~1', '--json']).stdout).toBe(local(a, ['assertions', 'Runtime~1', '--json']).stdout);
    expect(local(mirror, ['fsck']).code).toBe(0);
    // and the mirror pulls from its origin like any store
    expect((await vfi(mirror, ['pull'])).stderr).toMatch(/already up to date/);
  });

  it('serves a plain git clone (or --bare) of the remote as a store, once vfi pull has fetched the vfi refs', async () => {
    for (const flags of [[], ['--bare']]) {
      const clone = path.join(dir, `clone${flags.join('')}`);
      const r = await runAsync('git', ['clone', '--quiet', ...flags, url, clone], { env });
      expect(r.code).toBe(0);
      // git clones branches and tags only: no refs/vfi/* yet, and the error says how to get them
      const empty = local(clone, ['show', 'Runtime']);
      expect(empty.code).toBe(3);
      expect(empty.stderr).toMatch(/vfi pull/);
      const pulled = await vfi(clone, ['pull']); // origin, as git clone wrote it
      expect(pulled.code).toBe(0);
      expect(local(clone, ['show', 'Runtime']).stdout).toBe(local(a, ['show', 'Runtime']).stdout);
      expect(local(clone, ['assertions', 'Runtime~1', '--json']).stdout).toBe(local(a, ['assertions', 'Runtime~1', '--json']).stdout);
      const gitdir = flags.length ? clone : path.join(clone, '.git');
      expect(vfiRefs(gitdir)).toBe(vfiRefs(a));
      expect(git(gitdir, ['fsck', '--strict', '--no-dangling']).code).toBe(0);
      expect(fs.existsSync(path.join(clone, 'refs', 'vfi'))).toBe(flags.length > 0); // the work tree's .git holds it all
    }
  });

  it('writes refspecs that plain git fetch and push understand', async () => {
    const fetched = await runAsync('git', ['--git-dir', a, 'fetch', '--quiet', 'origin'], { env });
    expect(fetched.code).toBe(0);
    const tracking = git(a, ['for-each-ref', '--format=%(refname)', 'refs/vfi-remotes/origin/']).stdout;
    expect(tracking).toContain('refs/vfi-remotes/origin/vfi/Runtime\n');
    expect(tracking).toContain('refs/vfi-remotes/origin/vfi-assertions/main\n');
    expect(local(a, ['list', '--no-headers']).stdout.split('\n').filter(Boolean)).toHaveLength(2); // tracking refs are not lineages
    for (const args of [['remote', 'list', '--json'], ['remote', '--json'], ['remote', 'ls', '--json'], ['remote', '--json', 'list']]) {
      const listed = local(a, args);
      expect(listed.code).toBe(0);
      expect(JSON.parse(listed.stdout)).toEqual([{ name: 'origin', url }]);
    }
    expect(local(a, ['remote']).stdout).toMatch(/^NAME\s+URL\norigin\s+http:/);
    expect(local(a, ['remote', 'remove', 'origin']).code).toBe(0);
    expect(git(a, ['for-each-ref', 'refs/vfi-remotes/']).stdout).toBe('');
    expect(local(a, ['remote', 'list']).stdout).toBe('');
    expect((await vfi(a, ['push'])).code).toBe(2); // no remote left: usage
  });

  it('the refspecs carry the trust and policy refs too, both ways', async () => {
    const plain = gitServer().createRepo('plain.git');
    expect(local(a, ['remote', 'add', 'plain', plain]).code).toBe(0);
    // plain git does not look inside: any commit stands in for a trust list and a policy log here
    const commit = git(a, ['rev-parse', 'refs/vfi-assertions/main']).stdout.trim();
    const shared = ['refs/vfi/Runtime', 'refs/vfi-assertions/main', 'refs/vfi-trust/main', 'refs/vfi-policy/main'];
    for (const ref of shared.slice(2)) git(a, ['update-ref', ref, commit]);
    try {
      expect((await runAsync('git', ['--git-dir', a, 'push', '--quiet', 'plain'], { env })).code).toBe(0);
      const onServer = git(gitServer().repoPath('plain.git'), ['for-each-ref', '--format=%(refname)']).stdout;
      for (const ref of shared) expect(onServer).toContain(`${ref}\n`);
      expect((await runAsync('git', ['--git-dir', a, 'fetch', '--quiet', 'plain'], { env })).code).toBe(0);
      const tracking = git(a, ['for-each-ref', '--format=%(refname)', 'refs/vfi-remotes/plain/']).stdout;
      for (const ref of shared) expect(tracking).toContain(`refs/vfi-remotes/plain/${ref.slice('refs/'.length)}\n`);
    } finally {
      for (const ref of shared.slice(2)) git(a, ['update-ref', '-d', ref]);
      expect(local(a, ['remote', 'remove', 'plain']).code).toBe(0);
    }
  });
});

describe('what a remote can be', () => {
  const store = path.join(dir, 'remote-forms');

  beforeAll(() => {
    add(store, 'Runtime', {}, 0);
  });

  it('refuses a URL without a host or with control characters or spaces: exit 2, config untouched', () => {
    const config = fs.readFileSync(path.join(store, 'config'), 'utf8');
    for (const bad of ['http:///x.git', 'http://h/x.git\n[remote "evil"]', 'http://h/a b.git', 'http://h/x\t.git', 'https://']) {
      const r = local(store, ['remote', 'add', 'origin', bad]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(fs.readFileSync(path.join(store, 'config'), 'utf8')).toBe(config);
  });

  it('shares through a repository on disk, by path or file://, as git push /path does', async () => {
    const bare = path.join(dir, 'on-disk.git');
    expect(git(bare, ['init', '--bare', '--quiet']).code).toBe(0);
    expect(git(bare, ['config', 'receive.fsckObjects', 'true']).code).toBe(0);
    const pushed = await vfi(store, ['push', bare]);
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(vfiRefs(bare)).toBe(vfiRefs(store));
    // a relative path, from the directory it is relative to, into a new store that remembers it
    const fromDisk = path.join(dir, 'from-disk');
    const pulled = await runAsync(process.execPath, [MAIN, '--store', fromDisk, 'pull', './on-disk.git'], { env, cwd: dir });
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(JSON.parse(local(fromDisk, ['remote', '--json']).stdout)).toEqual([{ name: 'origin', url: bare }]);
    expect(local(fromDisk, ['show', 'Runtime']).stdout).toBe(local(store, ['show', 'Runtime']).stdout);
    // and back: publish there, push to its origin (the path), pull here by file://
    add(fromDisk, 'Runtime', { router: 'polyverse/router:7.0.0' }, 1);
    expect((await vfi(fromDisk, ['push'])).code).toBe(0);
    const back = await vfi(store, ['pull', `file://${bare}`]);
    expect(back.stderr).toMatch(/Runtime: fast-forward/);
    expect(vfiRefs(store)).toBe(vfiRefs(fromDisk));
    // a plain clone of it pulls from its origin, the path git clone wrote
    const clone = path.join(dir, 'disk-clone');
    expect((await runAsync('git', ['clone', '--quiet', bare, clone], { env })).code).toBe(0);
    expect((await vfi(clone, ['pull'])).code).toBe(0);
    expect(vfiRefs(path.join(clone, '.git'))).toBe(vfiRefs(store));
    expect(git(bare, ['fsck', '--strict', '--no-dangling']).code).toBe(0);
    // a path that is not a repository: REMOTE, exit 1, one line; nothing made
    for (const args of [['pull', path.join(dir, 'nothing.git')], ['push', '../nothing.git']]) {
      const r = await runAsync(process.execPath, [MAIN, '--store', store, ...args], { env, cwd: store });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(fs.existsSync(path.join(dir, 'nothing.git'))).toBe(false);
  });

  it('says by cause why a path is no repository, never suggesting to run the command again', async () => {
    const file = path.join(dir, 'runtime.json');
    fs.writeFileSync(file, JSON.stringify(runtimeVfi()));
    const fresh = path.join(dir, 'fresh-from-file');
    const cases: [string, string[], RegExp][] = [
      [store, ['pull', file], /is a file, not a git repository.*vfi add NAME FILE/],
      [store, ['push', file], /is a file, not a git repository/],
      [fresh, ['pull', file], /is a file, not a git repository/], // a first pull: no store is made
      [store, ['pull', path.join(file, 'inside.git')], /nothing at that path.*a part of it is a file/],
      [store, ['pull', path.join(dir, 'missing.git')], /nothing at that path.*git init --bare/],
    ];
    for (const [s, args, pattern] of cases) {
      const before = fs.existsSync(s) ? git(s, ['for-each-ref']).stdout : undefined;
      const r = await vfi(s, args);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(pattern);
      expect(r.stderr).not.toMatch(/again/);
      if (before !== undefined) expect(git(s, ['for-each-ref']).stdout).toBe(before);
    }
    expect(fs.existsSync(fresh)).toBe(false);
    expect(fs.readFileSync(file, 'utf8')).toBe(JSON.stringify(runtimeVfi()));
  });

  it('refuses what git cannot reach (a forge shorthand, a bare host/path, file:// of another host, a bad %-escape) as bad input, and takes a remote\'s name for a name', async () => {
    for (const bad of ['gh:org/repo', 'github.com/org/repo', 'file://otherhost/x.git', 'http://127.0.0.1:1/%']) {
      const r = await vfi(store, ['push', bad]);
      expect(r.code, `${bad}: ${r.stderr}`).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      const added = local(store, ['remote', 'add', 'bad', bad]);
      expect(added.code, `${bad}: ${added.stderr}`).toBe(2);
    }
    // never echoing a password, however the URL is written
    for (const secret of ['user:s3cret@host:x', 'http:/user:s3cret@127.0.0.1:1/x']) {
      const r = await vfi(store, ['pull', secret]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).not.toContain('s3cret');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    // a word url.<base>.insteadOf rewrites is what git makes of it
    const disk = path.join(dir, 'rewritten.git');
    expect(git(dir, ['init', '-q', '--bare', disk]).code).toBe(0);
    expect(git(store, ['config', 'url.file://' + dir + '/.insteadOf', 'team:']).code).toBe(0);
    expect(local(store, ['remote', 'add', 'team', 'team:rewritten.git']).code).toBe(0);
    expect((await vfi(store, ['push', 'team'])).code).toBe(0);
    expect(git(disk, ['for-each-ref', 'refs/vfi/']).stdout).not.toBe('');
    // a remote's name wins over a directory of that name, as in git
    expect(local(store, ['remote', 'add', 'disk', path.join(dir, 'on-disk.git')]).code).toBe(0);
    fs.mkdirSync(path.join(dir, 'disk'), { recursive: true });
    const r = await runAsync(process.execPath, [MAIN, '--store', store, 'push', 'disk'], { env, cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(fs.readdirSync(path.join(dir, 'disk'))).toEqual([]);
  });
});
