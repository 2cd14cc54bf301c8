/**
 * What `vfi pull` makes of a lineage that moved on both sides, end to end with the built CLI and
 * real stores exchanging through the git http-backend server (test/helpers/gitServer.ts) or a bare
 * repository on disk: a three-way merge of the VFIs, component by component, against the merge
 * base's, the same merge commit on every machine, and `vfi log`/`list` counting a merge that made a
 * new VFI as a publication.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { git, runtimeVfi } from '../helpers/cli.js';
import { remoteCli, useGitServer } from '../helpers/remote.js';
import { head, vfiRefs } from '../helpers/refs.js';

const { dir, vfi: run, local, ok } = remoteCli('vfi-remote-merge-');
const ID = /@([0-9a-f]{40})$/m;

/** A person at a machine: their name on what they publish, and a clock. */
const as = (who: string, minute?: number) => ({
  env: {
    GIT_AUTHOR_NAME: who,
    ...(minute === undefined ? {} : { VFI_NOW: `2026-11-02T09:${String(minute).padStart(2, '0')}:00Z` }),
  },
});
const published = (out: string) => ID.exec(out)![1]!;
const addresses = (store: string, ref = 'Runtime') =>
  Object.fromEntries(Object.entries(JSON.parse(ok(store, ['show', ref])) as Record<string, { address: string }>).map(([k, v]) => [k, v.address]));

function fsckClean(gitdir: string): void {
  const r = git(gitdir, ['fsck', '--strict', '--no-dangling']);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr.replace(/notice: .*\n/g, '')).toBe('');
}

const gitServer = useGitServer();

describe('two machines editing one lineage at once', () => {
  const alice = path.join(dir, 'alice');
  const bob = path.join(dir, 'bob');
  const bobTwin = path.join(dir, 'bob-twin'); // a second machine in Bob's state
  let url = '';
  let base = '';

  beforeAll(async () => {
    url = gitServer().createRepo('team.git');
    base = published(ok(alice, ['add', 'Runtime', '-'], { ...as('Alice', 0), input: JSON.stringify(runtimeVfi({ router: 'polyverse/router:2.1.0', nsq: 'nsqio/nsq:v1.2.0' })) }));
    ok(alice, ['remote', 'add', 'origin', url]);
    expect((await run(alice, ['push'])).code).toBe(0);
    expect((await run(bob, ['pull', url])).code).toBe(0);
  });

  it('edits of different components: both in the merged head, the same commit on every machine', async () => {
    const fromAlice = published(ok(alice, ['set', 'Runtime', 'router=polyverse/router:3.0'], as('Alice', 1)));
    const fromBob = published(ok(bob, ['set', 'Runtime', 'nsq=nsqio/nsq:v1.3.0'], as('Bob', 2)));
    expect((await run(alice, ['push'])).code).toBe(0);
    const held = await run(bob, ['push']);
    expect(held.code).toBe(1); // Bob has a publication the remote lacks, and the remote moved on
    expect(held.stderr).toMatch(/pull first/);
    fs.cpSync(bob, bobTwin, { recursive: true });

    const pulled = await run(bob, ['pull']);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(addresses(bob)).toMatchObject({ router: 'polyverse/router:3.0', nsq: 'nsqio/nsq:v1.3.0' });
    const merged = (JSON.parse(ok(bob, ['list', '--json'])) as { head: string }[])[0]!.head;
    expect(merged).not.toBe(fromAlice);
    expect(merged).not.toBe(fromBob);
    expect(pulled.stderr).toContain(`Runtime: diverged; merged local Runtime@${fromBob} (Bob) and remote Runtime@${fromAlice} (Alice) against their merge base Runtime@${base}; head is now Runtime@${merged}, a new VFI: nsq from local (Bob), router from remote (Alice)\n`);
    expect(pulled.stderr).not.toMatch(/conflict/);

    const twin = await run(bobTwin, ['pull']);
    expect(twin.code).toBe(0);
    expect(head(bobTwin)).toBe(head(bob)); // byte-identical merge commit, made independently
    expect(git(bob, ['cat-file', 'commit', head(bob)]).stdout).toMatch(/^author vfi merge <merge@vfi\.invalid> \d+ \+0000$/m);

    expect((await run(bob, ['push'])).code).toBe(0);
    expect((await run(alice, ['pull'])).stderr).toMatch(/Runtime: fast-forward/);
    expect((await run(bobTwin, ['pull'])).stderr).toMatch(/already up to date/);
    for (const s of [alice, bobTwin]) expect(vfiRefs(s)).toBe(vfiRefs(bob));
    expect(vfiRefs(gitServer().repoPath('team.git'))).toBe(vfiRefs(bob));

    // what Alice builds next starts from both fixes
    ok(alice, ['set', 'Runtime', 'api=polyverse/api:v4'], as('Alice', 3));
    expect(addresses(alice)).toMatchObject({ router: 'polyverse/router:3.0', nsq: 'nsqio/nsq:v1.3.0', api: 'polyverse/api:v4' });

    // the merge is a publication: listed first by vfi log before Alice's set, counted by vfi list
    const log = JSON.parse(ok(bob, ['log', 'Runtime', '--json'])) as { id: string; author: string }[];
    expect(log.map((e) => e.id)).toEqual([merged, fromBob, fromAlice, base]);
    expect(log[0]!.author).toBe('vfi merge');
    expect(JSON.parse(ok(bob, ['list', '--json']))).toEqual([expect.objectContaining({ name: 'Runtime', head: merged, publications: 4 })]);
    expect(git(bob, ['hash-object', '--stdin'], ok(bob, ['show', 'Runtime~1'])).stdout.trim()).toBe(fromBob);
    for (const s of [alice, bob, gitServer().repoPath('team.git')]) fsckClean(s);
    expect(local(bob, ['fsck']).code).toBe(0);
  });

  it('edits of one component on both sides: the one published later wins, and stderr names both values', async () => {
    expect((await run(alice, ['push'])).code).toBe(0); // Alice's api change
    expect((await run(bob, ['pull'])).stderr).toMatch(/Runtime: fast-forward/);
    // Bob edits later than Alice, but pulls after she pushed: his value wins.
    const fromAlice = published(ok(alice, ['set', 'Runtime', 'router=polyverse/router:3.1', 'etcd=quay.io/coreos/etcd:v3.6.0'], as('Alice', 10)));
    const fromBob = published(ok(bob, ['set', 'Runtime', 'router=polyverse/router:3.2'], as('Bob', 11)));
    expect((await run(alice, ['push'])).code).toBe(0);
    const pulled = await run(bob, ['pull']);
    expect(pulled.code).toBe(0);
    expect(addresses(bob)).toMatchObject({ router: 'polyverse/router:3.2', etcd: 'quay.io/coreos/etcd:v3.6.0' });
    expect(pulled.stderr).toContain(`merged local Runtime@${fromBob} (Bob) and remote Runtime@${fromAlice} (Alice)`);
    expect(pulled.stderr).toMatch(/a new VFI: etcd from remote \(Alice\), router from local \(Bob\) \(conflict\)\n/);
    expect(pulled.stderr).toContain('Runtime: conflict on component "router": local (Bob) has polyverse/router:3.2, remote (Alice) has polyverse/router:3.1; kept local\'s, published later\n');
    expect((await run(bob, ['push'])).code).toBe(0);
    expect((await run(alice, ['pull'])).code).toBe(0);
    expect(head(alice)).toBe(head(bob));

    // Now the remote side is the later one: Alice's value wins on Bob's machine.
    const early = published(ok(bob, ['set', 'Runtime', 'router=polyverse/router:4.0'], as('Bob', 20)));
    const late = published(ok(alice, ['set', 'Runtime', 'router=polyverse/router:4.1'], as('Alice', 21)));
    expect((await run(alice, ['push'])).code).toBe(0);
    const second = await run(bob, ['pull']);
    expect(addresses(bob).router).toBe('polyverse/router:4.1');
    expect(second.stderr).toContain(`head is now Runtime@${late}, remote's VFI: router from remote (Alice) (conflict)\n`);
    expect(second.stderr).toContain('local (Bob) has polyverse/router:4.0; kept remote\'s, published later');
    // a merge that re-carries one side's VFI is not a publication: both sides' are, and are listed
    const log = (JSON.parse(ok(bob, ['log', 'Runtime', '--json'])) as { id: string }[]).map((e) => e.id);
    expect(log.slice(0, 2)).toEqual([late, early]);
    expect((await run(bob, ['push'])).code).toBe(0);
    expect((await run(alice, ['pull'])).code).toBe(0);
    expect(vfiRefs(alice)).toBe(vfiRefs(bob));
  });

  it('an addition on one side and a removal on the other both take effect; a removal against a change is a conflict', async () => {
    ok(alice, ['rm', 'Runtime', 'etcd', 'status'], as('Alice', 30));
    ok(bob, ['set', 'Runtime', 'extra=polyverse/extra:1.0', 'status=polyverse/status:v2'], as('Bob', 31));
    expect((await run(alice, ['push'])).code).toBe(0);
    const pulled = await run(bob, ['pull']);
    expect(pulled.code).toBe(0);
    const merged = addresses(bob);
    expect(merged.etcd).toBeUndefined();
    expect(merged.extra).toBe('polyverse/extra:1.0');
    expect(merged.status).toBe('polyverse/status:v2'); // Bob changed it later than Alice removed it
    expect(pulled.stderr).toMatch(/: etcd removed by remote \(Alice\), extra from local \(Bob\), status from local \(Bob\) \(conflict\)\n/);
    expect(pulled.stderr).toContain('conflict on component "status": local (Bob) has polyverse/status:v2, remote (Alice) has (removed)');
    expect((await run(bob, ['push'])).code).toBe(0);
    expect((await run(alice, ['pull'])).code).toBe(0);
    expect(head(alice)).toBe(head(bob));
    fsckClean(gitServer().repoPath('team.git'));
  });
});

describe('three machines', () => {
  it('each edits a component; after each pulls and pushes in turn, all three hold every edit and the same head', async () => {
    const url = gitServer().createRepo('three.git');
    const [a, b, c] = ['a', 'b', 'c'].map((m) => path.join(dir, `three-${m}`));
    ok(a!, ['add', 'Runtime', '-'], { ...as('Ann', 0), input: JSON.stringify(runtimeVfi()) });
    expect((await run(a!, ['push', url])).code).toBe(0);
    for (const s of [b!, c!]) expect((await run(s, ['pull', url])).code).toBe(0);
    ok(a!, ['remote', 'add', 'origin', url]);
    ok(a!, ['set', 'Runtime', 'router=polyverse/router:5.0'], as('Ann', 1));
    ok(b!, ['set', 'Runtime', 'nsq=nsqio/nsq:v2.0.0'], as('Ben', 2));
    ok(c!, ['set', 'Runtime', 'etcd=quay.io/coreos/etcd:v3.7.0'], as('Cy', 3));
    expect((await run(a!, ['push'])).code).toBe(0);
    for (const s of [b!, c!]) {
      expect((await run(s, ['push'])).code).toBe(1); // pull first
      expect((await run(s, ['pull'])).stderr).toMatch(/a new VFI/);
      expect((await run(s, ['push'])).code).toBe(0);
    }
    for (const s of [a!, b!]) expect((await run(s, ['pull'])).stderr).toMatch(/Runtime: fast-forward/);
    const want = { router: 'polyverse/router:5.0', nsq: 'nsqio/nsq:v2.0.0', etcd: 'quay.io/coreos/etcd:v3.7.0' };
    for (const s of [a!, b!, c!]) {
      expect(addresses(s!)).toMatchObject(want);
      expect(vfiRefs(s!)).toBe(vfiRefs(gitServer().repoPath('three.git')));
      // base, three edits and two merges that each made a new VFI
      expect(JSON.parse(ok(s!, ['list', '--json']))[0]).toMatchObject({ publications: 6 });
      expect((JSON.parse(ok(s!, ['log', 'Runtime', '--json'])) as unknown[]).length).toBe(6);
    }
    fsckClean(gitServer().repoPath('three.git'));
    for (const s of [a!, b!, c!]) expect((await run(s, ['pull'])).stderr).toMatch(/already up to date/);
  });
});

describe('lineages with no history in common', () => {
  it('merge against an empty VFI: what both hold alike is kept, what differs goes to the later side', async () => {
    const bare = path.join(dir, 'unrelated.git');
    expect(git(bare, ['init', '--bare', '--quiet']).code).toBe(0);
    expect(git(bare, ['config', 'receive.fsckObjects', 'true']).code).toBe(0);
    const [x, y] = [path.join(dir, 'unrelated-x'), path.join(dir, 'unrelated-y')];
    ok(x, ['add', 'Runtime', '-'], { ...as('Xi', 0), input: JSON.stringify({ nsq: { type: 'dockerImage', address: 'nsqio/nsq:v1' }, api: { type: 'dockerImage', address: 'polyverse/api:v1' } }) });
    ok(y, ['add', 'Runtime', '-'], { ...as('Yu', 1), input: JSON.stringify({ nsq: { type: 'dockerImage', address: 'nsqio/nsq:v1' }, api: { type: 'dockerImage', address: 'polyverse/api:v2' }, router: { type: 'dockerImage', address: 'polyverse/router:1' } }) });
    expect((await run(x, ['push', bare])).code).toBe(0);
    const pulled = await run(y, ['pull', bare]);
    expect(pulled.code).toBe(0);
    expect(addresses(y)).toEqual({ nsq: 'nsqio/nsq:v1', api: 'polyverse/api:v2', router: 'polyverse/router:1' });
    expect(pulled.stderr).toContain('against an empty VFI (no common history)');
    expect(pulled.stderr).toContain('conflict on component "api"');
    expect((await run(y, ['push', bare])).code).toBe(0);
    fsckClean(bare);
  });
});
