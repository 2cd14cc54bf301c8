/**
 * What push and pull do when things go wrong, against the real git server with faults injected
 * beside it: credentials (environment, git credential helpers, none, wrong, read-only), an
 * unreachable URL, a URL that is not a repository, a server error, a transfer cut midway, and a
 * push refused because the remote moved. Every failure exits 1 with one line and leaves the
 * store's refs as they were. Tests check codes, not wording.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { git, MAIN, snapshot } from '../helpers/cli.js';
import { freePort } from '../helpers/engine.js';
import { runAsync, type GitRequest } from '../helpers/gitServer.js';
import { remoteCli, useGitServer } from '../helpers/remote.js';
import { Store } from '../../src/store/store.js';
import { resolveRemote } from '../../src/remote/config.js';
import { pull, push } from '../../src/remote/sync.js';
import { VfiError } from '../../src/errors.js';

const { dir, env, vfi, local, publish } = remoteCli('vfi-remote-err-');

/** One line on stderr, exit 1, nothing on stdout. */
function expectFailure(r: { code: number; stdout: string; stderr: string }, pattern?: RegExp): void {
  expect(r.code).toBe(1);
  expect(r.stdout).toBe('');
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(/^vfi: /);
  if (pattern) expect(r.stderr).toMatch(pattern);
}

const ASSERTIONS = 'refs/vfi-assertions/main';

const refsOnly = (store: string) => snapshot(store).filter((p) => p.startsWith('refs'));

describe('credentials', () => {
  const gitServer = useGitServer({ users: { alice: 's3cret', tok123: '', viewer: 'look' }, readOnly: ['viewer'] });
  let url = '';
  const store = path.join(dir, 'auth-store');
  const helperLog = path.join(dir, 'helper.log');

  beforeAll(async () => {
    url = gitServer().createRepo('private.git');
    publish(store, 'Runtime', {});
    expect(local(store, ['remote', 'add', 'origin', url]).code).toBe(0);
  });

  /** A credential helper (gitcredentials(7)) that answers alice:PASSWORD and logs what git asks of it. */
  const helperEnv = (password: string): NodeJS.ProcessEnv => ({
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'credential.helper',
    GIT_CONFIG_VALUE_0: `!f() { cat > /dev/null; echo "$1" >> '${helperLog}'; if [ "$1" = get ]; then echo username=alice; echo password=${password}; fi; }; f`,
  });

  it('without credentials: UNAUTHORIZED, and the store is untouched', async () => {
    const before = snapshot(store);
    const r = await vfi(store, ['push']);
    expectFailure(r, /requires authentication/);
    expect(snapshot(store)).toEqual(before);
    expectFailure(await vfi(path.join(dir, 'nobody'), ['pull', url]));
    expect(fs.existsSync(path.join(dir, 'nobody'))).toBe(false);
  });

  it('with wrong credentials: UNAUTHORIZED, never printing them', async () => {
    const r = await vfi(store, ['push'], { VFI_REMOTE_USERNAME: 'alice', VFI_REMOTE_PASSWORD: 'wrong-pw' });
    expectFailure(r, /refused the credentials/);
    expect(r.stderr).not.toContain('wrong-pw');
    const inUrl = await vfi(store, ['push', url.replace('http://', 'http://alice:wrong-pw@')]);
    expectFailure(inUrl);
    expect(inUrl.stderr).not.toContain('wrong-pw');
  });

  it('with a read-only user: UNAUTHORIZED (403) on push, pull works', async () => {
    expectFailure(await vfi(store, ['push'], { VFI_REMOTE_USERNAME: 'viewer', VFI_REMOTE_PASSWORD: 'look' }), /denied/);
    const e = await push(Store.open(store, { create: false }), resolveRemote(store, 'origin'), { env: { ...env, VFI_REMOTE_USERNAME: 'viewer', VFI_REMOTE_PASSWORD: 'look' }, interactive: false })
      .catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'UNAUTHORIZED', data: { status: 403, credentialsSent: true } });
    expect((await vfi(store, ['pull'], { VFI_REMOTE_USERNAME: 'viewer', VFI_REMOTE_PASSWORD: 'look' })).code).toBe(0);
  });

  it('with a user and password, or a token, from the environment', async () => {
    const r = await vfi(store, ['push'], { VFI_REMOTE_USERNAME: 'alice', VFI_REMOTE_PASSWORD: 's3cret' });
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain('s3cret');
    publish(store, 'Runtime', { nsq: 'nsqio/nsq:v1.0.0' }, 1);
    expect((await vfi(store, ['push'], { VFI_REMOTE_TOKEN: 'tok123' })).code).toBe(0);
    expect(git(gitServer().repoPath('private.git'), ['rev-parse', 'refs/vfi/Runtime']).stdout).toBe(git(store, ['rev-parse', 'refs/vfi/Runtime']).stdout);
    expect(fs.readFileSync(path.join(store, 'config'), 'utf8')).not.toMatch(/s3cret|tok123|alice/);
    // a URL with credentials on the command line works and is never echoed
    const inUrl = await vfi(path.join(dir, 'by-url'), ['pull', url.replace('http://', 'http://alice:s3cret@')]);
    expect(inUrl.code).toBe(0);
    expect(inUrl.stderr).not.toContain('s3cret');
    // the new store remembers the remote, without the credentials
    expect(JSON.parse(local(path.join(dir, 'by-url'), ['remote', 'list', '--json']).stdout)).toEqual([{ name: 'origin', url }]);
    expect(fs.readFileSync(path.join(dir, 'by-url', 'config'), 'utf8')).not.toMatch(/s3cret|alice/);
  });

  it('from a git credential helper, approved when it works and rejected when it does not', async () => {
    fs.rmSync(helperLog, { force: true });
    const good = await vfi(path.join(dir, 'helped'), ['pull', url], helperEnv('s3cret'));
    expect(good.code).toBe(0);
    expect(fs.readFileSync(helperLog, 'utf8')).toBe('get\nstore\n');
    fs.rmSync(helperLog, { force: true });
    expectFailure(await vfi(path.join(dir, 'helped'), ['pull', url], helperEnv('nope')), /refused/);
    expect(fs.readFileSync(helperLog, 'utf8')).toBe('get\nerase\n');
  });
});

describe('failures of the remote', () => {
  const gitServer = useGitServer();
  let url = '';
  const a = path.join(dir, 'a');
  const b = path.join(dir, 'b');

  beforeAll(async () => {
    url = gitServer().createRepo('team.git');
    for (let i = 0; i < 30; i++) publish(a, 'Runtime', { api: `polyverse/api:v3.0.${i}` }, i);
    expect(local(a, ['remote', 'add', 'origin', url]).code).toBe(0);
    expect((await vfi(a, ['push'])).code).toBe(0);
    publish(b, 'Mine', {});
    expect(local(b, ['remote', 'add', 'origin', url]).code).toBe(0);
  });

  it('unreachable: NETWORK, store untouched', async () => {
    const port = await freePort();
    const before = snapshot(b);
    const r = await vfi(b, ['pull', `http://127.0.0.1:${port}/team.git`]);
    expectFailure(r, /cannot reach/);
    expectFailure(await vfi(b, ['push', `http://127.0.0.1:${port}/team.git`]), /cannot reach/);
    expect(snapshot(b)).toEqual(before);
  });

  it('a first pull that fails makes no store, nor the directories above it', async () => {
    const unreachable = `http://127.0.0.1:${await freePort()}/team.git`;
    const fresh = path.join(dir, 'fresh', 'deeper', 'store');
    for (const source of [unreachable, `${gitServer().base}/nothing-here.git`]) {
      expectFailure(await vfi(fresh, ['pull', source]));
      expect(fs.existsSync(path.join(dir, 'fresh'))).toBe(false);
    }
    // an empty directory given as the store stays as it was
    const empty = path.join(dir, 'empty-dir');
    fs.mkdirSync(empty);
    expectFailure(await vfi(empty, ['pull', unreachable]));
    expect(fs.readdirSync(empty)).toEqual([]);
    // without --store: the per-user default store is not made either
    const xdg = path.join(dir, 'xdg');
    fs.mkdirSync(xdg);
    const r = await runAsync(process.execPath, [MAIN, 'pull', unreachable], { env: { ...env, XDG_DATA_HOME: xdg, VFI_STORE: '' } });
    expectFailure(r);
    expect(fs.readdirSync(xdg)).toEqual([]);
    expect(fs.readdirSync(dir).filter((f) => f.includes('.vfi-new-'))).toEqual([]);
    // and one that works makes it, in the empty directory too
    expect((await vfi(empty, ['pull', url])).code).toBe(0);
    expect(local(empty, ['list']).stdout).toContain('Runtime');
  });

  it('not a git repository: REMOTE', async () => {
    const before = snapshot(b);
    expectFailure(await vfi(b, ['pull', `${gitServer().base}/nothing-here.git`]), /not a git repository/);
    expectFailure(await vfi(b, ['push', `${gitServer().base}/nothing-here.git`]), /not a git repository/);
    // A web page where the refs should be, one line without a newline, is what git takes for a
    // dumb-HTTP server with no refs (it lists none and fetches nothing): vfi says what it is.
    for (const body of ['<html><body>Welcome</body></html>', '<!DOCTYPE html>\n<html>\n<body>Welcome</body>\n</html>\n']) {
      gitServer().fault = (r) => (r.path.endsWith('/info/refs') ? { status: 200, body } : undefined);
      try {
        expectFailure(await vfi(b, ['pull']), /web page|not a git repository/);
        expectFailure(await vfi(b, ['push']), /web page|not a git repository/);
      } finally {
        gitServer().fault = undefined;
      }
    }
    expect(snapshot(b)).toEqual(before);
  });

  it('a remote whose vfi refs hold something else: REMOTE, store untouched', async () => {
    const odd = gitServer().createRepo('odd.git');
    const repo = gitServer().repoPath('odd.git');
    const blob = git(repo, ['hash-object', '-w', '--stdin'], 'not a vfi\n').stdout.trim();
    const tree = git(repo, ['mktree'], `100644 blob ${blob}\treadme.txt\n`).stdout.trim();
    const commit = git(repo, ['-c', 'user.name=T', '-c', 'user.email=t@x', 'commit-tree', tree, '-m', 'x'], '').stdout.trim();
    expect(git(repo, ['update-ref', 'refs/vfi/Runtime', commit]).code).toBe(0);
    const before = snapshot(b);
    expectFailure(await vfi(b, ['pull', odd]), /not vfi data/);
    expect(refsOnly(b)).toEqual(before.filter((p) => p.startsWith('refs')));
  });

  it('a 403 to a request that carried no credentials says so', async () => {
    gitServer().fault = (r) => (r.service === 'git-receive-pack' ? { status: 403 } : undefined);
    try {
      const r = await vfi(b, ['push']);
      expectFailure(r, /403/);
      expect(r.stderr).toMatch(/VFI_REMOTE_TOKEN/); // the hint is how to send some
      const e = await push(Store.open(b, { create: false }), resolveRemote(b, 'origin'), { env, interactive: false }).catch((x: unknown) => x);
      expect(e).toMatchObject({ code: 'UNAUTHORIZED', data: { status: 403, credentialsSent: false } });
    } finally {
      gitServer().fault = undefined;
    }
  });

  it('a server error: REMOTE, store untouched', async () => {
    const before = snapshot(b);
    gitServer().fault = (r) => (r.method === 'POST' ? { status: 500 } : undefined);
    try {
      expectFailure(await vfi(b, ['pull']), /HTTP 500/);
    } finally {
      gitServer().fault = undefined;
    }
    expect(snapshot(b)).toEqual(before);
  });

  it('a transfer cut midway: NETWORK, no ref moved, nothing half-written; the retry succeeds', async () => {
    const before = refsOnly(b);
    const packsBefore = fs.readdirSync(path.join(b, 'objects', 'pack'));
    gitServer().fault = (r) => (r.method === 'POST' && r.service === 'git-upload-pack' ? { cutAfterBytes: 2000 } : undefined);
    try {
      const r = await vfi(b, ['pull']);
      expectFailure(r, /interrupted/);
    } finally {
      gitServer().fault = undefined;
    }
    expect(refsOnly(b)).toEqual(before);
    expect(fs.readdirSync(path.join(b, 'objects', 'pack'))).toEqual(packsBefore);
    const scratch = path.join(b, 'vfi-cache', 'transfer');
    expect(fs.existsSync(scratch) ? fs.readdirSync(scratch) : []).toEqual([]);
    // a cut ref advertisement is an interruption too, not an empty remote
    gitServer().fault = (r) => (r.method === 'GET' ? { cutAfterBytes: 40 } : undefined);
    try {
      expectFailure(await vfi(b, ['pull']), /interrupted/);
      expectFailure(await vfi(b, ['push']), /interrupted/);
    } finally {
      gitServer().fault = undefined;
    }
    expect(refsOnly(b)).toEqual(before);
    const retry = await vfi(b, ['pull']);
    expect(retry.code).toBe(0);
    expect(git(b, ['rev-parse', 'refs/vfi/Runtime']).stdout).toBe(git(a, ['rev-parse', 'refs/vfi/Runtime']).stdout);
    expect(git(b, ['fsck', '--strict', '--no-dangling']).code).toBe(0);
  });

  it('a push whose answer is cut: NETWORK; pushing again finishes the job', async () => {
    publish(b, 'Cut', {}, 30);
    gitServer().fault = (r) => (r.method === 'POST' && r.service === 'git-receive-pack' ? { cutAfterBytes: 5 } : undefined);
    try {
      const r = await vfi(b, ['push']);
      expectFailure(r, /interrupted/);
      // the server got the whole request and applied it: the message must not say otherwise
      expect(git(gitServer().repoPath('team.git'), ['rev-parse', 'refs/vfi/Cut']).code).toBe(0);
      expect(r.stderr).not.toMatch(/nothing was changed/);
      expect(r.stderr).toMatch(/may or may not/);
    } finally {
      gitServer().fault = undefined;
    }
    expect((await vfi(b, ['push'])).code).toBe(0);
    expect(git(gitServer().repoPath('team.git'), ['rev-parse', 'refs/vfi/Cut']).stdout).toBe(git(b, ['rev-parse', 'refs/vfi/Cut']).stdout);
  });

  /** Start `vfi ARGS` on STORE with the server holding requests that match; SIGINT it once one arrived. */
  async function interrupted(store: string, args: string[], held: (r: GitRequest) => boolean, midway: () => void): Promise<NodeJS.Signals | null> {
    const seen = gitServer().requests.length;
    gitServer().fault = (r) => (held(r) ? { holdMs: 60_000 } : undefined);
    try {
      const child = spawn(process.execPath, [MAIN, '--store', store, ...args], { env, stdio: 'ignore' });
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
      for (let i = 0; i < 400 && !gitServer().requests.slice(seen).some(held); i++) await new Promise((r) => setTimeout(r, 25));
      expect(gitServer().requests.slice(seen).some(held)).toBe(true);
      midway();
      child.kill('SIGINT');
      return await exited;
    } finally {
      gitServer().fault = undefined;
    }
  }

  it('Ctrl-C during a push leaves no scratch directory behind; one an older, killed push left is swept', async () => {
    publish(b, 'Interrupted', {}, 35);
    const transfer = path.join(b, 'vfi-cache', 'transfer');
    const gone = spawnSync('true').pid!; // a process id that no longer runs
    fs.mkdirSync(path.join(transfer, `${gone}-deadbeef`, 'refs'), { recursive: true });
    const signal = await interrupted(b, ['push'], (r) => r.method === 'POST' && r.service === 'git-receive-pack', () => {
      expect(fs.readdirSync(transfer)).toEqual([]); // mid-push: the stale one gone, no new one
    });
    expect(signal).toBe('SIGINT');
    expect(fs.readdirSync(transfer)).toEqual([]);
    expect((await vfi(b, ['push'])).code).toBe(0);
  });

  it('Ctrl-C during a first pull leaves no store and no scratch store', async () => {
    const parent = path.join(dir, 'interrupted-pull');
    fs.mkdirSync(parent);
    const store = path.join(parent, 'store');
    const signal = await interrupted(store, ['pull', url], (r) => r.method === 'POST' && r.service === 'git-upload-pack', () => {
      expect(fs.readdirSync(parent)).toEqual([expect.stringMatching(/^\.store\.vfi-new-/)]);
    });
    expect(signal).toBe('SIGINT');
    expect(fs.readdirSync(parent)).toEqual([]);
  });

  it('a push the remote moved past: PUSH_REJECTED, pull first', async () => {
    expect((await vfi(b, ['push'])).code).toBe(0);
    expect((await vfi(a, ['pull'])).code).toBe(0);
    publish(b, 'Runtime', { nsq: 'nsqio/nsq:v1.1.0' }, 40);
    expect((await vfi(b, ['push'])).code).toBe(0);
    publish(a, 'Runtime', { nsq: 'nsqio/nsq:v1.2.0' }, 41);
    const before = snapshot(a);
    const r = await vfi(a, ['push']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/pull first/);
    // per-ref notes first, then the error alone on the last line
    const lines = r.stderr.trim().split('\n');
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.at(-1)).toMatch(/^vfi: .*pull first/);
    expect(lines.filter((l) => l.startsWith('vfi: '))).toHaveLength(1);
    expect(snapshot(a).filter((p) => !p.startsWith('refs/vfi-remotes/'))).toEqual(before.filter((p) => !p.startsWith('refs/vfi-remotes/')));
    expect((await vfi(a, ['pull'])).stderr).toMatch(/Runtime: diverged/);
    expect((await vfi(a, ['push'])).code).toBe(0);
  });

  it('a push the remote moves past while it runs: PUSH_REJECTED from the server side (library)', async () => {
    expect((await vfi(b, ['pull'])).code).toBe(0);
    publish(a, 'Runtime', { nsq: 'nsqio/nsq:v1.3.0' }, 50);
    publish(b, 'Runtime', { nsq: 'nsqio/nsq:v1.4.0' }, 51);
    const storeA = Store.open(a, { create: false });
    const storeB = Store.open(b, { create: false });
    const opts = { env, interactive: false };
    let error: unknown;
    try {
      // A plans its push while the remote is where A last saw it; B pushes before A sends.
      await push(storeA, resolveRemote(a, 'origin'), opts, {
        afterPlan: async () => {
          await push(storeB, resolveRemote(b, 'origin'), opts);
        },
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(VfiError);
    expect((error as VfiError).code).toBe('PUSH_REJECTED');
    expect(git(gitServer().repoPath('team.git'), ['rev-parse', 'refs/vfi/Runtime']).stdout).toBe(git(b, ['rev-parse', 'refs/vfi/Runtime']).stdout);
    // then pull merges and push goes through; both stores converge
    await pull(storeA, resolveRemote(a, 'origin'), opts);
    await push(storeA, resolveRemote(a, 'origin'), opts);
    await pull(storeB, resolveRemote(b, 'origin'), opts);
    expect(git(a, ['rev-parse', 'refs/vfi/Runtime']).stdout).toBe(git(b, ['rev-parse', 'refs/vfi/Runtime']).stdout);
    expect(git(gitServer().repoPath('team.git'), ['fsck', '--strict', '--no-dangling']).code).toBe(0);
  });

  it('a pull interleaved with a local publication keeps both', async () => {
    publish(b, 'Runtime', { nsq: 'nsqio/nsq:v1.5.0' }, 55);
    expect((await vfi(b, ['push'])).code).toBe(0);
    const storeA = Store.open(a, { create: false });
    let published = '';
    const report = await pull(storeA, resolveRemote(a, 'origin'), { env, interactive: false }, {
      afterPlan: async () => {
        published = publish(a, 'Runtime', { nsq: 'nsqio/nsq:v1.6.0' }, 56); // lands between fetch and merge
      },
    });
    expect(report.outcomes.find((o) => o.ref === 'refs/vfi/Runtime')?.action).toBe('merge');
    expect(local(a, ['show', `Runtime@${published}`]).code).toBe(0);
    expect(local(a, ['fsck']).code).toBe(0);
  });
});

describe('pushes the server refuses for its own reasons', () => {
  const gitServer = useGitServer();
  const store = path.join(dir, 'policy-store');
  const LOCKED = 'if [ "$ref" = refs/vfi/Locked ]; then echo "policy: Locked is protected" >&2; exit 1; fi';

  /** A repository whose `hook` (update: per ref; pre-receive: the whole push) protects one lineage. */
  function policyRepo(name: string, hook: 'update' | 'pre-receive'): string {
    const url = gitServer().createRepo(name);
    const script = hook === 'update'
      ? `#!/bin/sh\nref="$1"\n${LOCKED}\nexit 0\n`
      : `#!/bin/sh\nwhile read old new ref; do\n  ${LOCKED}\ndone\nexit 0\n`;
    fs.writeFileSync(path.join(gitServer().repoPath(name), 'hooks', hook), script, { mode: 0o755 });
    return url;
  }

  /** Exit 1, the server's words on the one last line, never "pull first"; the same when run again. */
  async function expectRefused(url: string): Promise<void> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const r = await vfi(store, ['push', url]);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trim().split('\n');
      expect(lines.at(-1)).toMatch(/^vfi: .*policy: Locked is protected/);
      expect(lines.filter((l) => l.startsWith('vfi: '))).toHaveLength(1);
      expect(r.stderr).not.toMatch(/pull first/);
    }
    const e = await push(Store.open(store, { create: false }), resolveRemote(store, url), { env, interactive: false }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(VfiError);
    expect((e as VfiError).code).toBe('REMOTE');
    expect((e as VfiError).data).toMatchObject({ reason: 'refused', refused: expect.arrayContaining(['refs/vfi/Locked']) });
  }

  beforeAll(async () => {
    publish(store, 'Locked', {});
    publish(store, 'Runtime', { nsq: 'nsqio/nsq:v2.0.0' }, 1);
    expect(local(store, ['assert', 'Runtime', 'tests-passed']).code).toBe(0);
  });

  it('an update hook declining one ref: REMOTE with the server\'s own words; the other refs still go', async () => {
    await expectRefused(policyRepo('per-ref.git', 'update'));
    const repo = gitServer().repoPath('per-ref.git');
    expect(git(repo, ['rev-parse', '--verify', '-q', 'refs/vfi/Locked']).code).not.toBe(0);
    expect(git(repo, ['rev-parse', 'refs/vfi/Runtime']).stdout).toBe(git(store, ['rev-parse', 'refs/vfi/Runtime']).stdout);
    expect(git(repo, ['rev-parse', ASSERTIONS]).stdout).toBe(git(store, ['rev-parse', ASSERTIONS]).stdout);
  });

  it('a pre-receive hook declining the push: REMOTE with its words, nothing updated', async () => {
    await expectRefused(policyRepo('whole.git', 'pre-receive'));
    expect(git(gitServer().repoPath('whole.git'), ['for-each-ref']).stdout).toBe('');
  });

  it('an object the server\'s fsck refuses: REMOTE with the fsck error, not "pull first"', async () => {
    const bad = path.join(dir, 'bad-object-store');
    publish(bad, 'Runtime', {}, 5);
    const head = git(bad, ['rev-parse', 'refs/vfi/Runtime']).stdout.trim();
    const tree = git(bad, ['rev-parse', `${head}^{tree}`]).stdout.trim();
    // a commit whose author line has no valid time zone: receive.fsckObjects (on) refuses it
    const body = `tree ${tree}\nparent ${head}\nauthor T <t@x> 1700000000 +99999\ncommitter T <t@x> 1700000000 +0000\n\nbroken\n`;
    const broken = git(bad, ['hash-object', '--literally', '-t', 'commit', '-w', '--stdin'], body).stdout.trim();
    expect(git(bad, ['update-ref', 'refs/vfi/Runtime', broken]).code).toBe(0);
    const r = await vfi(bad, ['push', gitServer().createRepo('fsck.git')]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(/^vfi: .*(badTimezone|fsck|unpack)/i);
    expect(r.stderr).not.toMatch(/pull first/);
  });
});

describe('what push says about the remote', () => {
  const gitServer = useGitServer();

  it('counts the lineages the store lacks, and names the assertions apart', async () => {
    const url = gitServer().createRepo('count.git');
    const first = path.join(dir, 'count-first');
    publish(first, 'Runtime', {});
    expect(local(first, ['assert', 'Runtime', 'tests-passed']).code).toBe(0);
    expect((await vfi(first, ['push', url])).code).toBe(0);
    const second = path.join(dir, 'count-second');
    publish(second, 'Mine', {});
    const r = await vfi(second, ['push', url]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/\b1 lineage\(s\) and assertions\b/);
    expect(r.stderr).not.toMatch(/\b2 lineage/);
  });
});
