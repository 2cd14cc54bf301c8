// Issues 5 and 13: vfi push and vfi pull of a store with 10,000 VFIs and 100,000 assertions against
// a real git smart-HTTP server (git http-backend on 127.0.0.1, test/helpers/gitServer.ts), side by
// side with plain `git push` / `git fetch` of the same refs of the same repository; then the daily
// case, one more publication and 10 assertions pushed and pulled. The bar (issue 13): each vfi
// transfer within 1.2x of git's. Every transfer is checked: the refs on the server or in the pulled
// store equal the source's, `vfi pick` agrees, and the server passes `git fsck --strict`. Where
// vfi's time goes comes from one `node --cpu-prof` run of each of push and pull.
// Sizes: BENCH_REMOTE_VFIS, BENCH_REMOTE_ASSERTIONS, BENCH_REMOTE_ROUNDS.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isolatedGitEnv, startGitServer, type GitServer } from '../../test/helpers/gitServer.js';
import { ENV, MAIN, fmt, makeVfiLines, median, withoutExtraCaCerts, workDir } from '../lib.mjs';

export const title = 'Remote: vfi push / pull of 10,000 VFIs and 100,000 assertions vs git push / git fetch (smart HTTP, 127.0.0.1)';
const VFIS = Number(process.env.BENCH_REMOTE_VFIS ?? 10_000);
const ASSERTIONS = Number(process.env.BENCH_REMOTE_ASSERTIONS ?? 100_000);
const ROUNDS = Number(process.env.BENCH_REMOTE_ROUNDS ?? 3);
const BAR = 1.2;
/** The pick both sides must agree on: the bench's images are tags, so no pin and no score is required. */
const PICK = ['pick', 'Runtime', '--allow-unpinned', '--min-score', '0'];
const REFSPECS = ['refs/vfi/*:refs/vfi/*', 'refs/vfi-assertions/*:refs/vfi-assertions/*', 'refs/vfi-trust/*:refs/vfi-trust/*', 'refs/vfi-policy/*:refs/vfi-policy/*'];
const CLAIMS = ['tests-passed', 'smoke-verified', 'reviewed', 'lint-clean', 'security-scanned', 'perf-ok', 'docs-checked',
  'supports-scrambling', 'session-isolation', 'patch-verified', 'static-verified', 'warning-free'];

let env: NodeJS.ProcessEnv = ENV;

function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

/** Local, blocking steps (the server is idle meanwhile). */
function sync(cmd: string, args: string[], input?: string): string {
  const r = spawnSync(cmd, args, { env, input, maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.slice(0, 6).join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout.toString();
}
const vfiSync = (store: string, args: string[], input?: string) => sync(process.execPath, [MAIN, '--store', store, ...args], input);
const gitSync = (gitdir: string, args: string[]) => sync('git', ['--git-dir', gitdir, ...args]);

/** Anything that talks to the server runs asynchronously: the server lives in this process. */
function timed(cmd: string, args: string[]): Promise<{ ms: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (code === 0) resolve({ ms, stderr });
      else reject(new Error(`${path.basename(cmd)} ${args.slice(0, 6).join(' ')} failed (${code}): ${stderr.slice(-2000)}`));
    });
  });
}
// bench/maxrss.cjs reports the process's peak memory on stderr at exit (an exit hook, nothing more).
const MAXRSS = ['-r', path.join(path.dirname(MAIN), '..', 'bench', 'maxrss.cjs')];
const peak = { push: 0, pull: 0 };
async function vfiTransfer(verb: 'push' | 'pull', store: string, url: string, prof: string[] = []) {
  const r = await timed(process.execPath, [...MAXRSS, ...prof, MAIN, '--store', store, verb, url]);
  const kb = Number(/vfi-bench-maxrss-kb=(\d+)/.exec(r.stderr)?.[1] ?? 0);
  if (prof.length === 0) peak[verb] = Math.max(peak[verb], kb / 1024);
  return r;
}
const vfiPush = (store: string, url: string, prof: string[] = []) => vfiTransfer('push', store, url, prof);
const vfiPull = (store: string, url: string, prof: string[] = []) => vfiTransfer('pull', store, url, prof);
const gitPush = (gitdir: string, url: string) => timed('git', ['--git-dir', gitdir, 'push', '--quiet', url, ...REFSPECS]);
async function gitFetch(gitdir: string, url: string) {
  // A clone's first step is the empty repository, so it is part of the time, as it is for vfi pull.
  const t0 = process.hrtime.bigint();
  if (!fs.existsSync(gitdir)) sync('git', ['init', '--bare', '--quiet', gitdir]);
  const initMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const r = await timed('git', ['--git-dir', gitdir, 'fetch', '--quiet', url, ...REFSPECS]);
  return { ms: initMs + r.ms, stderr: r.stderr };
}

/** Bytes of the packs a repository holds (what a push sent, as the server keeps a received pack). */
function packBytes(gitdir: string): number {
  const dir = path.join(gitdir, 'objects', 'pack');
  return fs.readdirSync(dir).filter((f) => f.endsWith('.pack')).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
}
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

function vfiRefs(gitdir: string): string {
  return gitSync(gitdir, ['for-each-ref', '--format=%(objectname) %(refname)', 'refs/vfi/', 'refs/vfi-assertions/']);
}

function build(dir: string): string {
  const store = path.join(dir, 'source');
  const jsonl = path.join(dir, 'source.jsonl');
  fs.writeFileSync(jsonl, makeVfiLines(VFIS));
  vfiSync(store, ['import', 'Runtime', jsonl]);
  fs.rmSync(jsonl);
  const ids = (JSON.parse(vfiSync(store, ['log', 'Runtime', '--json'])) as { id: string }[]).map((e) => e.id);
  const rand = rng(42);
  const lines: string[] = [];
  for (let i = 0; i < ASSERTIONS; i++) {
    const id = ids[Math.floor(rand() * ids.length)];
    lines.push(JSON.stringify({ vfi: `Runtime@${id}`, claim: CLAIMS[i % CLAIMS.length], result: rand() < 0.05 ? 'fail' : 'pass', by: `ci-${i % 7}` }));
  }
  const batch = path.join(dir, 'batch.jsonl');
  fs.writeFileSync(batch, lines.join('\n') + '\n');
  vfiSync(store, ['assert', '--batch', batch]);
  fs.rmSync(batch);
  return store;
}

/** One more publication and 10 assertions about it: the daily operation. */
function publishOneMore(store: string, round: number): void {
  const ref = vfiSync(store, ['set', 'Runtime', `router=polyverse/router:2.0.${round}`]).trim();
  const lines = Array.from({ length: 10 }, (_, i) => JSON.stringify({ vfi: ref, claim: CLAIMS[i], result: 'pass', by: `ci-${i % 7}` }));
  vfiSync(store, ['assert', '--batch', '-'], lines.join('\n') + '\n');
}

/** Where the time of a profiled run went: self time by vfi module / dependency, with idle apart. */
export function profileSummary(profDir: string): { wallMs: number; buckets: [string, number][] } {
  const file = fs.readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) return { wallMs: 0, buckets: [] };
  const prof = JSON.parse(fs.readFileSync(path.join(profDir, file), 'utf8')) as {
    nodes: { id: number; callFrame: { functionName: string; url: string }; children?: number[] }[];
    samples: number[];
    timeDeltas: number[];
    startTime: number;
    endTime: number;
  };
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const owner = new Map<number, string>();
  /** The nearest frame of vfi or a dependency that led to this one (node internals are charged to it). */
  const ownerOf = (id: number): string => {
    const known = owner.get(id);
    if (known) return known;
    const { functionName, url } = byId.get(id)!.callFrame;
    let label: string | undefined;
    if (functionName === '(idle)') label = 'idle (waiting for the server / I/O)';
    else if (functionName === '(garbage collector)') label = 'garbage collection';
    else if (functionName === '(program)') label = 'native / unattributed';
    else if (url.includes('/node_modules/')) {
      const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)![1]!;
      label = pkg === 'isomorphic-git' ? `isomorphic-git ${functionName || '(anonymous)'}` : pkg;
    } else if (url.includes('/dist/')) label = `vfi ${url.slice(url.lastIndexOf('/dist/') + 6).replace(/\.js$/, '')} ${functionName || '(anonymous)'}`;
    const up = parent.get(id);
    if (!label) label = up === undefined ? `${functionName || '(root)'}` : ownerOf(up);
    owner.set(id, label);
    return label;
  };
  /** The node built-in module (node:fs, node:zlib) a sample's owner called into, if any. */
  const builtinOf = (id: number): string | undefined => {
    let found: string | undefined;
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const { url } = byId.get(at)!.callFrame;
      if (url.startsWith('node:')) found = url.replace(/^node:(internal\/)?/, '').split('/')[0];
      else if (url.includes('/node_modules/') || url.includes('/dist/')) break;
    }
    return found;
  };
  const sums = new Map<string, number>();
  prof.samples.forEach((id, i) => {
    const builtin = builtinOf(id);
    const label = builtin ? `${ownerOf(id)} (in node:${builtin})` : ownerOf(id);
    sums.set(label, (sums.get(label) ?? 0) + (prof.timeDeltas[i] ?? 0) / 1000);
  });
  const wallMs = (prof.endTime - prof.startTime) / 1000;
  return { wallMs, buckets: [...sums].sort((a, b) => b[1] - a[1]) };
}

const pct = (ms: number, of: number) => `${Math.round((100 * ms) / of)}%`;
const top = (p: ReturnType<typeof profileSummary>, n: number) => p.buckets.slice(0, n).map(([k, ms]) => `${k} ${pct(ms, p.wallMs)}`).join(', ');

export async function run() {
  const dir = workDir('remote');
  let server: GitServer | undefined;
  const failures: string[] = [];
  const check = (ok: boolean, what: string) => {
    if (!ok) failures.push(what);
  };
  try {
    env = { ...isolatedGitEnv(path.join(dir, 'home')), GIT_AUTHOR_NAME: ENV.GIT_AUTHOR_NAME, GIT_AUTHOR_EMAIL: ENV.GIT_AUTHOR_EMAIL, VFI_NOW: ENV.VFI_NOW, NO_COLOR: '1', VFI_DEBUG: '' };
    const tBuild = Date.now();
    const source = build(dir);
    const buildMs = Date.now() - tBuild;
    const sourceRefs = vfiRefs(source);
    const sourcePick = vfiSync(source, PICK);
    const counted = gitSync(source, ['count-objects', '-v']);
    const objects = Number(/^count: (\d+)/m.exec(counted)![1]) + Number(/^in-pack: (\d+)/m.exec(counted)![1]); // loose + packed
    server = await startGitServer();
    const srv = server;
    // What git itself would send of the same objects: a copy of the source packed by git (compressed,
    // deltified), pushed with git push. vfi's own pack writer stores objects uncompressed and git sends
    // packed objects as they are, so this is the pack size to equal.
    const gitPacked = path.join(dir, 'git-packed');
    fs.cpSync(source, gitPacked, { recursive: true });
    gitSync(gitPacked, ['repack', '-a', '-d', '-F', '-q']);
    await gitPush(gitPacked, srv.createRepo('git-packed.git'));
    const gitOwnPack = packBytes(srv.repoPath('git-packed.git'));
    for (const d of [gitPacked, srv.repoPath('git-packed.git')]) fs.rmSync(d, { recursive: true, force: true });

    const t = { vfiPush: [] as number[], gitPush: [] as number[], vfiPull: [] as number[], gitFetch: [] as number[] };
    let packs = { vfi: 0, git: 0, vfiPulled: 0, gitFetched: 0 };
    /** `git fsck --strict` of a server repository, as a host that checks what it receives would. */
    const fsckServer = (repo: string, when: string) => {
      const fsck = spawnSync('git', ['--git-dir', repo, 'fsck', '--strict', '--no-progress'], { env });
      check(fsck.status === 0, `${when}: git fsck --strict on the server: ${fsck.stderr}`);
    };
    let last = { vfiServer: '', gitServer: '', vfiStore: '', gitStore: '' };
    for (let r = 0; r < ROUNDS; r++) {
      const vUrl = srv.createRepo(`vfi-push-${r}.git`);
      const gUrl = srv.createRepo(`git-push-${r}.git`);
      const vfiStore = path.join(dir, `vfi-pulled-${r}`);
      const gitStore = path.join(dir, `git-fetched-${r}`);
      // Alternate which goes first, so that a warm or busy moment does not favour one side.
      const pushes = [async () => t.vfiPush.push((await vfiPush(source, vUrl)).ms), async () => t.gitPush.push((await gitPush(source, gUrl)).ms)];
      for (const p of r % 2 ? pushes.reverse() : pushes) await p();
      check(vfiRefs(srv.repoPath(`vfi-push-${r}.git`)) === sourceRefs, `round ${r}: refs on the server after vfi push differ from the source's`);
      check(vfiRefs(srv.repoPath(`git-push-${r}.git`)) === sourceRefs, `round ${r}: refs on the server after git push differ from the source's`);
      // Both pull from the repository vfi pushed: what a team member would pull.
      const pulls = [async () => t.vfiPull.push((await vfiPull(vfiStore, vUrl)).ms), async () => t.gitFetch.push((await gitFetch(gitStore, vUrl)).ms)];
      for (const p of r % 2 ? pulls.reverse() : pulls) await p();
      check(vfiRefs(vfiStore) === sourceRefs, `round ${r}: refs of the store vfi pull made differ from the source's`);
      check(vfiRefs(gitStore) === sourceRefs, `round ${r}: refs of the repository git fetch made differ from the source's`);
      check(vfiSync(vfiStore, PICK) === sourcePick, `round ${r}: vfi pick Runtime on the pulled store differs from the source's`);
      fsckServer(srv.repoPath(`vfi-push-${r}.git`), `round ${r}`);
      if (r === 0) {
        packs = { vfi: packBytes(srv.repoPath(`vfi-push-${r}.git`)), git: packBytes(srv.repoPath(`git-push-${r}.git`)), vfiPulled: packBytes(vfiStore), gitFetched: packBytes(gitStore) };
        const vfsck = spawnSync(process.execPath, [MAIN, '--store', vfiStore, 'fsck'], { env });
        check(vfsck.status === 0, `vfi fsck on the pulled store: ${vfsck.stdout}${vfsck.stderr}`);
      }
      // Keep the last round's four repositories for the incremental case; drop the others (disk).
      if (last.vfiStore) for (const d of [last.vfiStore, last.gitStore, last.vfiServer, last.gitServer]) fs.rmSync(d, { recursive: true, force: true });
      last = { vfiServer: srv.repoPath(`vfi-push-${r}.git`), gitServer: srv.repoPath(`git-push-${r}.git`), vfiStore, gitStore };
    }

    // Where vfi's time goes: one profiled push and one profiled pull (not part of the medians).
    const profPush = path.join(dir, 'prof-push');
    const profPull = path.join(dir, 'prof-pull');
    const profUrl = srv.createRepo('prof.git');
    await vfiPush(source, profUrl, ['--cpu-prof', '--cpu-prof-interval', '5000', '--cpu-prof-dir', profPush]);
    await vfiPull(path.join(dir, 'prof-pulled'), profUrl, ['--cpu-prof', '--cpu-prof-interval', '5000', '--cpu-prof-dir', profPull]);
    const pushProf = profileSummary(profPush);
    const pullProf = profileSummary(profPull);
    for (const d of [srv.repoPath('prof.git'), path.join(dir, 'prof-pulled')]) fs.rmSync(d, { recursive: true, force: true });

    // The daily operation: one more publication and 10 assertions, pushed to the servers that hold
    // the rest, then pulled into the stores that hold the rest.
    const inc = { vfiPush: [] as number[], gitPush: [] as number[], vfiPull: [] as number[], gitFetch: [] as number[] };
    const vUrl = `${srv.base}/${path.basename(last.vfiServer)}`;
    const gUrl = `${srv.base}/${path.basename(last.gitServer)}`;
    // The daily push goes to the store's remote, which a push or pull has met before (its tracking
    // refs): `vfi remote add origin URL`, and one untimed push that finds everything up to date.
    vfiSync(source, ['remote', 'add', 'origin', vUrl]);
    await vfiPush(source, 'origin');
    const incrementalRound = async (r: number, into: typeof inc) => {
      publishOneMore(source, r);
      const refs = vfiRefs(source);
      const pick = vfiSync(source, PICK);
      const pushes = [async () => into.vfiPush.push((await vfiPush(source, 'origin')).ms), async () => into.gitPush.push((await gitPush(source, gUrl)).ms)];
      for (const p of r % 2 ? pushes.reverse() : pushes) await p();
      check(vfiRefs(last.vfiServer) === refs, `incremental ${r}: refs on the server after vfi push differ from the source's`);
      fsckServer(last.vfiServer, `incremental ${r}`);
      check(vfiRefs(last.gitServer) === refs, `incremental ${r}: refs on the server after git push differ from the source's`);
      const pulls = [async () => into.vfiPull.push((await vfiPull(last.vfiStore, vUrl)).ms), async () => into.gitFetch.push((await gitFetch(last.gitStore, vUrl)).ms)];
      for (const p of r % 2 ? pulls.reverse() : pulls) await p();
      check(vfiRefs(last.vfiStore) === refs, `incremental ${r}: refs of the pulled store differ from the source's`);
      check(vfiRefs(last.gitStore) === refs, `incremental ${r}: refs of the fetched repository differ from the source's`);
      check(vfiSync(last.vfiStore, PICK) === pick, `incremental ${r}: vfi pick Runtime on the pulled store differs from the source's`);
    };
    for (let r = 0; r < ROUNDS; r++) await incrementalRound(r, inc);
    // NODE_EXTRA_CA_CERTS costs every node start, and git nothing: the incremental rounds once
    // more without it, reported beside.
    const incBare = { vfiPush: [] as number[], gitPush: [] as number[], vfiPull: [] as number[], gitFetch: [] as number[] };
    const withCa = env;
    if (withCa.NODE_EXTRA_CA_CERTS !== undefined) {
      env = withoutExtraCaCerts(withCa);
      try {
        for (let r = 0; r < ROUNDS; r++) await incrementalRound(ROUNDS + 1 + r, incBare);
      } finally {
        env = withCa;
      }
    }

    // And where an incremental push's time goes (one more publication, profiled, not in the medians).
    publishOneMore(source, 2 * ROUNDS + 1);
    const profInc = path.join(dir, 'prof-push-incremental');
    await vfiPush(source, 'origin', ['--cpu-prof', '--cpu-prof-interval', '1000', '--cpu-prof-dir', profInc]);
    const incProf = profileSummary(profInc);

    const m = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, median(v)])) as Record<keyof typeof t, number>;
    const mi = Object.fromEntries(Object.entries(inc).map(([k, v]) => [k, median(v)])) as Record<keyof typeof inc, number>;
    const mb = incBare.vfiPush.length ? (Object.fromEntries(Object.entries(incBare).map(([k, v]) => [k, median(v)])) as Record<keyof typeof inc, number>) : undefined;
    const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
    const over = ([['full push', m.vfiPush, m.gitPush], ['full pull', m.vfiPull, m.gitFetch], ['incremental push', mi.vfiPush, mi.gitPush], ['incremental pull', mi.vfiPull, mi.gitFetch]] as const)
      .filter(([, v, g]) => v / g > BAR).map(([what, v, g]) => `${what} ${ratio(v, g)}`);
    const pass = failures.length === 0 && over.length === 0;
    return {
      bar: `each vfi push / pull within ${BAR}x of git push / git fetch of the same refs (issue 13), and every transfer complete and correct (refs equal, vfi pick agrees, git fsck --strict on the server)${over.length ? `; over the bar: ${over.join(', ')}` : ''}`,
      pass,
      rows: [
        [`full push to an empty repository: vfi push / git push (${VFIS} VFIs, ${ASSERTIONS} assertions, ${objects} objects)`, `${fmt(m.vfiPush)} / ${fmt(m.gitPush)}`, ratio(m.vfiPush, m.gitPush)],
        ['full pull into a new store: vfi pull / git init --bare + git fetch', `${fmt(m.vfiPull)} / ${fmt(m.gitFetch)}`, ratio(m.vfiPull, m.gitFetch)],
        ['incremental push (1 publication + 10 assertions) to the store\'s remote: vfi push origin / git push', `${fmt(mi.vfiPush)} / ${fmt(mi.gitPush)}`, ratio(mi.vfiPush, mi.gitPush)],
        ['incremental pull: vfi pull / git fetch', `${fmt(mi.vfiPull)} / ${fmt(mi.gitFetch)}`, ratio(mi.vfiPull, mi.gitFetch)],
        ...(mb ? [
          ['the same incremental push without NODE_EXTRA_CA_CERTS (reported, not the bar)', `${fmt(mb.vfiPush)} / ${fmt(mb.gitPush)}`, ratio(mb.vfiPush, mb.gitPush)],
          ['the same incremental pull without NODE_EXTRA_CA_CERTS (reported, not the bar)', `${fmt(mb.vfiPull)} / ${fmt(mb.gitFetch)}`, ratio(mb.vfiPull, mb.gitFetch)],
        ] : []),
        ['pack the server received in a full push: vfi / git', `${mib(packs.vfi)} / ${mib(packs.git)}`, ratio(packs.vfi, packs.git)],
        ['packs of a full pull: vfi pull / git fetch', `${mib(packs.vfiPulled)} / ${mib(packs.gitFetched)}`, ratio(packs.vfiPulled, packs.gitFetched)],
        ['pack of a full push vs what git push sends of the same objects packed by git itself (git repack -a -d -F): vfi / git', `${mib(packs.vfi)} / ${mib(gitOwnPack)}`, ratio(packs.vfi, gitOwnPack)],
        ['peak memory (RSS) of vfi push / vfi pull (issue 19: a pull under 256 MiB)', `${peak.push.toFixed(0)} MiB / ${peak.pull.toFixed(0)} MiB`, peak.pull <= 256 ? 'pull within 256 MiB' : 'pull OVER 256 MiB'],
        ['building the source store (vfi import + vfi assert --batch)', fmt(buildMs), ''],
      ],
      notes: [
        `Medians of ${ROUNDS} interleaved rounds (the order alternates per round); each round pushes to a new empty bare repository on a \`git http-backend\` server on 127.0.0.1 (receive.fsckObjects on), and pulls into a new store. The git side transfers exactly the vfi refs (\`${REFSPECS.join(' ')}\`).`,
        `Checked every time: \`git for-each-ref\` of refs/vfi/ and refs/vfi-assertions/ on the server and in the pulled store equals the source's, \`vfi ${PICK.join(' ')}\` on the pulled store equals the source's, and \`git fsck --strict\` of the server repository vfi pushed to passes; once: \`vfi fsck\` of the pulled store.${failures.length ? ` **Failures:** ${failures.join('; ')}` : ' All held.'}`,
        `Packs: what the server kept of a full push, vfi ${packs.vfi} bytes, git ${packs.git} bytes; what a full pull kept, vfi ${packs.vfiPulled} bytes, git fetch ${packs.gitFetched} bytes (both sides run git's pack-objects and index-pack, so the packs should be alike; delta search makes them differ by a few bytes from run to run).`,
        `Where vfi push's time goes (one \`node --cpu-prof\` run sampling every 5 ms, ${fmt(pushProf.wallMs)}; self time by owner, node internals charged to their caller): ${top(pushProf, 6)}.`,
        `Where vfi pull's time goes (${fmt(pullProf.wallMs)}): ${top(pullProf, 6)}.`,
        `Where an incremental vfi push's time goes (${fmt(incProf.wallMs)}): ${top(incProf, 6)}.`,
        'Reading: vfi push and vfi pull run git push and git fetch themselves (src/remote/git.ts, sync.ts), so the packs are git\'s; what vfi adds is git ls-remote before a push, the plan per ref (reading commits from the store), the quarantine refs and their deletion, the admission hook and the merge of each ref by compare-and-swap, and node start-up.',
        'Timings are whole commands (node start-up included) on a 2-core machine that may be running the test suite at the same time: noisy.',
        ...(mb ? ['The bar is read from the runs in the bench\'s own environment, which sets NODE_EXTRA_CA_CERTS: every node start then reads and parses that CA bundle (~40 ms here) and git does not, so vfi\'s side pays it. The rows "without NODE_EXTRA_CA_CERTS" are incremental rounds of their own, run after those, with it unset for both sides.'] : []),
      ],
      summary: { vfis: VFIS, buildMs, peakRssMiB: peak, packs, gitOwnPack, assertions: ASSERTIONS, objects, rounds: ROUNDS, full: t, incremental: inc, incrementalWithoutCa: incBare, medians: { full: m, incremental: mi, incrementalWithoutCa: mb }, failures, profile: { push: pushProf, pull: pullProf, incrementalPush: incProf } },
    };
  } finally {
    await server?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
