/**
 * What `vfi push` sends when the remote moved on, against the real git http-backend server: a
 * lineage merely behind the remote has nothing to send and is skipped without an error; only one
 * with local publications the remote lacks is held back ("pull first", exit 1); the assertions go
 * whatever happens to the lineages, unless their own ref is the one that moved on both sides.
 */
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { git, runtimeVfi } from '../helpers/cli.js';
import { runAsync } from '../helpers/gitServer.js';
import { remoteCli, useGitServer } from '../helpers/remote.js';
import { head as rev } from '../helpers/refs.js';
import { resolveRemote } from '../../src/remote/config.js';
import { push } from '../../src/remote/sync.js';
import { Store } from '../../src/store/store.js';

const { dir, env, vfi: run, ok } = remoteCli('vfi-remote-push-');
const ASSERTIONS = 'refs/vfi-assertions/main';
const at = (who: string, minute: number) => ({ env: { GIT_AUTHOR_NAME: who, VFI_NOW: `2026-11-03T08:${String(minute).padStart(2, '0')}:00Z` } });

const gitServer = useGitServer();
const alice = path.join(dir, 'alice');
const ci = path.join(dir, 'ci'); // records assertions only
let repo = '';

beforeAll(async () => {
  const url = gitServer().createRepo('team.git');
  repo = gitServer().repoPath('team.git');
  ok(alice, ['add', 'Base', '-'], { ...at('Alice', 0), input: JSON.stringify(runtimeVfi()) });
  ok(alice, ['add', 'Runtime', '-'], { ...at('Alice', 1), input: JSON.stringify(runtimeVfi({ router: 'polyverse/router:2.1.0' })) });
  ok(alice, ['assert', 'Base', 'reviewed'], at('Alice', 2));
  ok(alice, ['remote', 'add', 'origin', url]);
  expect((await run(alice, ['push'])).code).toBe(0);
  expect((await run(ci, ['pull', url])).code).toBe(0); // a first pull: origin, and what it saw there
});

describe('push when the remote moved on', () => {
  it('skips a lineage that is only behind, and sends the assertions: exit 0', async () => {
    ok(alice, ['set', 'Base', 'nsq=nsqio/nsq:v1.3.0'], at('Alice', 3));
    expect((await run(alice, ['push'])).code).toBe(0);
    ok(ci, ['assert', 'Runtime', 'tests-passed'], at('CI', 4));
    const baseHere = rev(ci, 'refs/vfi/Base');

    const r = await run(ci, ['push']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^Base: behind the remote, nothing to send \(vfi pull fetches it\)$/m);
    expect(r.stderr).not.toMatch(/pull first|rejected|not sent/);
    expect(rev(repo, ASSERTIONS)).toBe(rev(ci, ASSERTIONS)); // the records arrived
    expect(rev(repo, 'refs/vfi/Base')).toBe(rev(alice, 'refs/vfi/Base')); // Alice's publication stands
    expect(rev(ci, 'refs/vfi/Base')).toBe(baseHere); // and push moved nothing in the store

    // Alice sees CI's record after her next pull; CI then fast-forwards Base
    expect((await run(alice, ['pull'])).stderr).toMatch(/assertions: fast-forward/);
    expect(ok(alice, ['assertions', 'Runtime'])).toMatch(/tests-passed/);
    expect((await run(ci, ['pull'])).stderr).toMatch(/Base: fast-forward/);
    expect((await run(ci, ['push'])).stderr).toMatch(/everything up to date/);
  });

  it('skips a lineage whose remote head the store has fetched and is behind, as well', async () => {
    ok(alice, ['set', 'Base', 'nsq=nsqio/nsq:v1.4.0'], at('Alice', 5));
    expect((await run(alice, ['push'])).code).toBe(0);
    // CI fetches the objects (plain git, as `git fetch origin` with vfi's refspecs would) without merging
    expect((await runAsync('git', ['--git-dir', ci, 'fetch', '-q', `${gitServer().base}/team.git`, 'refs/vfi/Base:refs/tmp/base'], { env })).code).toBe(0);
    ok(ci, ['assert', 'Base~1', 'smoke-verified'], at('CI', 6));
    const r = await run(ci, ['push']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^Base: behind the remote/m);
    expect(rev(repo, ASSERTIONS)).toBe(rev(ci, ASSERTIONS));
    git(ci, ['update-ref', '-d', 'refs/tmp/base']);
    expect((await run(ci, ['pull'])).code).toBe(0);
  });

  it('holds back a lineage with local publications the remote lacks (pull first, exit 1), and still sends the assertions', async () => {
    ok(alice, ['set', 'Base', 'etcd=quay.io/coreos/etcd:v3.6.0'], at('Alice', 10));
    expect((await run(alice, ['push'])).code).toBe(0);
    ok(ci, ['set', 'Base', 'api=polyverse/api:v5'], at('CI', 11));
    ok(ci, ['set', 'Runtime', 'api=polyverse/api:v5'], at('CI', 11));
    ok(ci, ['assert', 'Runtime', 'smoke-verified'], at('CI', 12));
    const baseThere = rev(repo, 'refs/vfi/Base');

    const r = await run(ci, ['push']);
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines.at(-1)).toMatch(/^vfi: .*\bBase\b.*pull first/);
    expect(lines.filter((l) => l.startsWith('vfi: '))).toHaveLength(1);
    expect(r.stderr).toMatch(/^Base: not sent, .*pull first$/m);
    expect(rev(repo, 'refs/vfi/Base')).toBe(baseThere);
    expect(rev(repo, 'refs/vfi/Runtime')).toBe(rev(ci, 'refs/vfi/Runtime')); // the other lineage went
    expect(rev(repo, ASSERTIONS)).toBe(rev(ci, ASSERTIONS)); // and so did the records

    const pulled = await run(ci, ['pull']);
    expect(pulled.stderr).toMatch(/Base: diverged; .*a new VFI: api from local \(CI\), etcd from remote \(Alice\)/);
    expect((await run(ci, ['push'])).code).toBe(0);
    expect(rev(repo, 'refs/vfi/Base')).toBe(rev(ci, 'refs/vfi/Base'));
    expect(git(repo, ['fsck', '--strict', '--no-dangling']).code).toBe(0);
  });

  it('holds back the assertions only when their own ref moved on both sides; the lineages still go', async () => {
    expect((await run(alice, ['pull'])).code).toBe(0);
    ok(alice, ['assert', 'Base', 'tests-passed'], at('Alice', 20));
    expect((await run(alice, ['push'])).code).toBe(0);
    ok(ci, ['assert', 'Base', 'smoke-verified'], at('CI', 21));
    ok(ci, ['set', 'Runtime', 'nsq=nsqio/nsq:v2.0.0'], at('CI', 22));
    const assertionsThere = rev(repo, ASSERTIONS);

    const r = await run(ci, ['push']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^assertions: not sent, .*pull first$/m);
    expect(rev(repo, ASSERTIONS)).toBe(assertionsThere);
    expect(rev(repo, 'refs/vfi/Runtime')).toBe(rev(ci, 'refs/vfi/Runtime'));

    expect((await run(ci, ['pull'])).stderr).toMatch(/assertions: merged/);
    expect((await run(ci, ['push'])).code).toBe(0);
    expect((await run(alice, ['pull'])).code).toBe(0);
    expect(ok(alice, ['assertions', 'Base', '--json'])).toBe(ok(ci, ['assertions', 'Base', '--json']));
  });

  it('reports a skipped lineage as "behind" to the library caller, and sends no objects for it', async () => {
    ok(alice, ['set', 'Base', 'nsq=nsqio/nsq:v1.5.0'], at('Alice', 30));
    expect((await run(alice, ['push'])).code).toBe(0);
    ok(ci, ['assert', 'Runtime', 'reviewed'], at('CI', 31));
    const store = Store.open(ci, { create: false });
    const report = await push(store, resolveRemote(ci, 'origin'), { env, interactive: false });
    expect(report.outcomes.map((o) => [o.ref, o.action])).toEqual([
      ['refs/vfi/Base', 'behind'],
      ['refs/vfi/Runtime', 'up-to-date'],
      [ASSERTIONS, 'fast-forward'],
    ]);
  });

  it('never overwrites the remote when the store published beside what its tracking ref says there: git\'s fast-forward rule refuses it, pull first', async () => {
    // plain git fetch moves the tracking refs (the refspecs `vfi remote add` writes); the store's own Base stays where it was
    expect((await runAsync('git', ['--git-dir', ci, 'fetch', '--quiet', 'origin'], { env })).code).toBe(0);
    ok(ci, ['set', 'Base', 'supervisor=polyverse/supervisor:v9.0.0'], at('CI', 40));
    const baseThere = rev(repo, 'refs/vfi/Base');
    expect(rev(ci, 'refs/vfi-remotes/origin/vfi/Base')).toBe(baseThere);

    const r = await run(ci, ['push']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Base: not sent, the store and the remote both published since they last met; pull first$/m);
    expect(rev(repo, 'refs/vfi/Base')).toBe(baseThere);
  });
});
