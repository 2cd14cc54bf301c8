/**
 * The fault suite: every write command killed (SIGKILL, SIGTERM) at moments after its first
 * acknowledged write, run under a file-size limit, run as a non-root user on a store it may only
 * read, and run while its store vanishes. After each: the exit status is true to what landed, both
 * `vfi fsck` and `git fsck --strict` accept the store, every acknowledged write is there, and the
 * next write succeeds with no clean-up by hand.
 *
 * Moments are events, never clocks: a shell runs the command in a loop and appends each
 * acknowledgement (the command's output, once it has exited 0) to a file; the kill comes once the
 * file holds k acknowledgements, plus a jitter from a seeded PRNG, so it lands somewhere inside a
 * later run (starting, parsing, writing objects, moving the ref, writing caches).
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { FIXED_ENV, finished, git, MAIN, runtimeVfi, snapshot, tempDir, vfi, vfiAsync } from '../helpers/cli.js';
import { prng } from '../helpers/prng.js';
import { importImage, pushImage, setupOrSkip, skopeoInspect, startAll, startEngine, startRegistry, type Engine, type Registry } from '../helpers/engine.js';

const dir = tempDir('vfi-faults-');
fs.chmodSync(dir, 0o755); // the non-root user must reach the stores inside

const random = prng(18);

const lines = (file: string): string[] => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);

async function until(what: string, ok: () => boolean, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * `resolve` and `set --resolve` need a real engine and registry: a private dockerd and a
 * docker-registry on 127.0.0.1, started here and stopped by PID. $H is the registry, DOCKER_HOST the
 * engine (its socket opened to every user, for the non-root case).
 */
let infra: { engine: Engine; registry: Registry; digest: string } | undefined;
let ENGINE_ENV: Record<string, string> = {};
beforeAll(async () => {
  infra = await setupOrSkip('faults (resolve)', async () => {
    const [engine, registry] = await startAll([startEngine(), startRegistry()] as const);
    const ref = `${registry.host}/demo/app:v1`;
    await importImage(engine, ref, { 'app.txt': 'app\n' });
    await pushImage(engine, ref);
    const digest = await skopeoInspect(ref);
    fs.chmodSync(engine.socketPath, 0o666);
    return { engine, registry, digest };
  });
  if (infra) ENGINE_ENV = { H: infra.registry.host, DOCKER_HOST: infra.engine.host };
}, 180_000);
afterAll(async () => {
  await infra?.registry.stop();
  await infra?.engine.stop();
});

interface Case {
  /** the command, as the loop runs it: $V is vfi on the store, $i the iteration, $D the case's directory */
  loop: string;
  /** runs against the real engine and registry ($H, DOCKER_HOST) */
  engine?: boolean;
  /** make the store the command needs */
  setup(store: string): void;
  /** every acknowledged write is in the store */
  present(store: string, acks: string[]): void;
}

const V = `node ${MAIN} --store "$S"`;
const comps = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`c${i}`, { type: 'dockerImage', address: `example/c${i}:v1` }]));

function addRuntime(store: string, components = runtimeVfi()): string {
  const r = vfi(store, ['add', 'Runtime', '-'], { input: JSON.stringify(components) });
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim();
}

function publishedOn(store: string, name: string): Set<string> {
  const r = vfi(store, ['log', name, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return new Set(JSON.parse(r.stdout).map((e: { ref: string }) => e.ref));
}

function records(store: string, ref: string): { claim: string; note?: string }[] {
  const r = vfi(store, ['assertions', ref, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout).records;
}

function trusted(store: string): string[] {
  const r = vfi(store, ['trust', 'list', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout).map((t: { signer: string }) => t.signer);
}

const inLineage = (name: string) => (store: string, acks: string[]) => {
  const published = publishedOn(store, name);
  for (const a of acks) expect(published).toContain(a);
};

const CASES: Record<string, Case> = {
  add: {
    loop: `echo "{\\"c\\":{\\"type\\":\\"dockerImage\\",\\"address\\":\\"img:$i\\"}}" | ${V} add Add$i -`,
    setup: (s) => void addRuntime(s),
    present: (s, acks) => {
      for (const a of acks) expect(vfi(s, ['show', a]).code).toBe(0);
    },
  },
  set: {
    loop: `${V} set Runtime router=polyverse/router:k$i`,
    setup: (s) => void addRuntime(s),
    present: inLineage('Runtime'),
  },
  rm: {
    loop: `${V} rm Runtime c$i`,
    setup: (s) => void addRuntime(s, comps(400)),
    present: inLineage('Runtime'),
  },
  import: {
    loop: `${V} import Imp "$D/import-$(( i % 2 )).jsonl"`,
    setup: (s) => void addRuntime(s),
    present: inLineage('Imp'),
  },
  assert: {
    loop: `${V} assert Runtime claim-$i --note "n $i"`,
    setup: (s) => void addRuntime(s),
    present: (s, acks) => {
      const claims = new Set(records(s, 'Runtime').map((r) => r.claim));
      for (const a of acks) expect(claims).toContain(a.split(' ')[1]);
    },
  },
  'assert --batch': {
    loop: `${V} assert --batch "$D/batch.jsonl"`,
    setup: (s) => {
      const ref = addRuntime(s);
      const batch = Array.from({ length: 300 }, (_, k) => JSON.stringify({ vfi: ref, claim: `batch-${k % 30}`, result: 'pass', note: `r${k}` }));
      fs.writeFileSync(path.join(path.dirname(s), 'batch.jsonl'), batch.join('\n'));
    },
    present: (s, acks) => {
      // each acknowledged run recorded 300 records (a killed one may have recorded its 300 too)
      expect(records(s, 'Runtime').filter((r) => r.claim.startsWith('batch-')).length).toBeGreaterThanOrEqual(300 * acks.length);
    },
  },
  release: {
    loop: `${V} release Runtime --note "release $i"`,
    setup: (s) => void addRuntime(s),
    present: (s, acks) => {
      expect(records(s, 'Runtime').filter((r) => r.claim === 'released').length).toBeGreaterThanOrEqual(acks.length);
    },
  },
  resolve: {
    // a new tag each time (set), then resolve pins it: each acknowledgement is a new publication
    loop: `${V} set Runtime c$i=$H/demo/app:v1 >/dev/null && ${V} resolve Runtime`,
    engine: true,
    setup: (s) => void addRuntime(s, { app: { type: 'dockerImage', address: `${infra!.registry.host}/demo/app:v1` } }),
    present: inLineage('Runtime'),
  },
  'set --from-best --resolve': {
    // from the asserted, pinned VFI each time, with one more tag pinned in the same publication
    loop: `${V} set Runtime c$i=$H/demo/app:v1 --from-best --resolve`,
    engine: true,
    setup: (s) => {
      addRuntime(s, { app: { type: 'dockerImage', address: `${infra!.registry.host}/demo/app:v1@${infra!.digest}` } });
      expect(vfi(s, ['assert', 'Runtime', 'tests-passed']).code).toBe(0);
    },
    present: inLineage('Runtime'),
  },
  'trust add': {
    loop: `${V} trust add s$i "$D/keys/vfi.pub"`,
    setup: (s) => {
      addRuntime(s);
      expect(vfi(s, ['key', 'generate', '--out', path.join(path.dirname(s), 'keys')]).code).toBe(0);
    },
    present: (s, acks) => {
      const signers = new Set(trusted(s));
      for (const a of acks) expect(signers).toContain(a.split(' ')[0]);
    },
  },
  'trust rm': {
    loop: `${V} trust add r$i "$D/keys/vfi.pub" >/dev/null && ${V} trust rm r$i && echo "r$i"`,
    setup: (s) => {
      addRuntime(s);
      expect(vfi(s, ['key', 'generate', '--out', path.join(path.dirname(s), 'keys')]).code).toBe(0);
    },
    present: (s, acks) => {
      const signers = new Set(trusted(s));
      for (const a of acks) expect(signers).not.toContain(a);
    },
  },
  'policy set': {
    loop: `${V} policy set P$i --min-score $i`,
    setup: (s) => void addRuntime(s),
    present: (s, acks) => {
      for (const a of acks.filter((l) => l.startsWith('lineage '))) {
        const name = a.slice('lineage '.length);
        const r = vfi(s, ['policy', 'show', name, '--json']);
        expect(r.code, r.stderr).toBe(0);
        expect(JSON.parse(r.stdout).policy.minScore).toBe(Number(name.slice(1)));
      }
    },
  },
  pull: {
    // a publication on the remote, then a pull of it; the acknowledgement names what was pulled
    loop: `ack=$(node ${MAIN} --store "$D/origin" set Runtime router=polyverse/router:p$i) && ${V} pull origin >/dev/null && echo "$ack"`,
    setup: (s) => {
      const origin = path.join(path.dirname(s), 'origin');
      addRuntime(origin);
      expect(vfi(s, ['remote', 'add', 'origin', origin]).code).toBe(0);
      const first = vfi(s, ['pull', 'origin']);
      expect(first.code, first.stderr).toBe(0);
    },
    present: inLineage('Runtime'),
  },
};

/** A case that needs the engine is skipped where none could be started (a failure with CI=true: setupOrSkip). */
function needs(c: Case, ctx: TestContext): void {
  if (c.engine && !infra) ctx.skip();
}

/** A fresh case directory: the store at `<case>/store`, inputs beside it. */
function caseDir(label: string): { d: string; store: string } {
  const d = path.join(dir, label.replace(/\W+/g, '-'));
  fs.mkdirSync(d, { recursive: true });
  fs.chmodSync(d, 0o755);
  for (const k of [0, 1]) {
    const imports = Array.from({ length: 400 }, (_, n) => JSON.stringify({ c: { type: 'dockerImage', address: `img:${k}-${n}` } }));
    fs.writeFileSync(path.join(d, `import-${k}.jsonl`), imports.join('\n'));
  }
  return { d, store: path.join(d, 'store') };
}

function bothFsckClean(store: string): void {
  const ours = vfi(store, ['fsck']);
  expect(ours.code, ours.stdout + ours.stderr).toBe(0);
  const theirs = git(store, ['fsck', '--strict', '--no-dangling']);
  expect(theirs.code, theirs.stdout + theirs.stderr).toBe(0);
}

function nextWriteSucceeds(store: string): void {
  // A lock left by the killed process must be broken at once (its holder is gone), not waited out.
  const r = vfi(store, ['set', 'Runtime', 'router=polyverse/router:after'], { env: { VFI_LOCK_TIMEOUT_MS: '5000' } });
  expect(r.code, r.stderr).toBe(0);
}

/** Loop `c.loop`, and send `signal` to the running command once `afterAcks` acknowledgements are in (plus a jitter). */
async function killAfterAcks(c: Case, d: string, store: string, signal: NodeJS.Signals, afterAcks: number): Promise<string[]> {
  const acks = path.join(d, `acks-${signal}-${afterAcks}`);
  const script = `for i in $(seq 1 400); do out=$( (${c.loop}) ) || exit 1; [ -n "$out" ] && printf '%s\\n' "$out" >> "${acks}"; done`;
  const loop = spawn('bash', ['-c', script], {
    env: { ...process.env, ...FIXED_ENV, ...ENGINE_ENV, S: store, D: d, VFI_DEBUG: '' },
    detached: true,
    stdio: 'ignore',
  });
  const closed = new Promise((r) => loop.on('close', r));
  await until(`${afterAcks} acknowledgement(s)`, () => lines(acks).length >= afterAcks || loop.exitCode !== null);
  await new Promise((r) => setTimeout(r, Math.floor(random() * 120)));
  // The group: bash, its subshells and the vfi running now all get the signal at once.
  try {
    process.kill(-loop.pid!, signal);
  } catch {
    /* the loop had already ended */
  }
  await closed;
  // A SIGTERM leaves bash's children to finish on their own terms; kill what is left of the group.
  try {
    process.kill(-loop.pid!, 'SIGKILL');
  } catch {
    /* gone */
  }
  // The last line may be one a run printed as it was killed; only whole lines count.
  return lines(acks).filter((l) => /\S/.test(l));
}

describe('fault suite: killed after the first acknowledged write', () => {
  for (const [name, c] of Object.entries(CASES)) {
    it(`${name}: SIGKILL and SIGTERM at two moments lose nothing acknowledged and leave both fscks clean`, async (ctx) => {
      needs(c, ctx);
      for (const [signal, afterAcks] of [['SIGKILL', 1], ['SIGTERM', 2]] as const) {
        const { d, store } = caseDir(`${name}-${signal}`);
        c.setup(store);
        const acks = await killAfterAcks(c, d, store, signal, afterAcks);
        expect(acks.length, `${name} ${signal}`).toBeGreaterThanOrEqual(afterAcks);
        bothFsckClean(store);
        c.present(store, name === 'assert --batch' ? acks : acks.flatMap((a) => a.split('\n')));
        nextWriteSucceeds(store);
      }
    }, 120_000);
  }
});

/** The same command as the loop runs it, once, through bash (for ulimit and setpriv). */
function runOnce(c: Case, d: string, store: string, prefix: string, i = 5): { code: number; stdout: string; stderr: string } {
  const r = spawnSync('bash', ['-c', `${prefix} i=${i}; ${c.loop}`], {
    env: { ...process.env, ...FIXED_ENV, ...ENGINE_ENV, S: store, D: d, VFI_DEBUG: '' },
    encoding: 'utf8',
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** No "internal error", no stack trace; a failure ends with its one `vfi: ` line. */
const oneCleanLine = (stderr: string, code = 1) => {
  expect(stderr).not.toMatch(/internal error|this is a bug|\n\s+at /);
  if (code !== 0) expect(stderr.split('\n').filter(Boolean).at(-1)).toMatch(/^vfi: /);
};

describe('fault suite: a file-size limit (a full disk, a quota)', () => {
  for (const [name, c] of Object.entries(CASES)) {
    it(`${name}: under ulimit -f the status says what landed, and the store stays sound`, (ctx) => {
      needs(c, ctx);
      const { d, store } = caseDir(`${name}-ulimit`);
      c.setup(store);
      // 4 KiB: objects fit, most caches (and an import's lineage cache) do not.
      const r = runOnce(c, d, store, 'ulimit -f 4;');
      oneCleanLine(r.stderr, r.code);
      expect([0, 1], r.stderr).toContain(r.code);
      if (r.code === 0) c.present(store, r.stdout.split('\n').filter(Boolean).slice(name === 'assert --batch' ? -1 : 0));
      else expect(r.stderr).toMatch(/too large|EFBIG/);
      bothFsckClean(store);
      nextWriteSucceeds(store);
    }, 60_000);
  }

  it('import of 2,500 lines under a limit its cache exceeds: exit 0, all 2,500 published, a warning that says so', () => {
    const { d, store } = caseDir('import-5000-ulimit');
    addRuntime(store);
    const input = path.join(d, 'big.jsonl');
    fs.writeFileSync(input, Array.from({ length: 2500 }, (_, n) => JSON.stringify({ c: { type: 'dockerImage', address: `img:${n}` } })).join('\n'));
    const r = spawnSync('bash', ['-c', `ulimit -f 32; exec node ${MAIN} --store "${store}" import Big "${input}"`], { env: { ...process.env, ...FIXED_ENV }, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: .*cache/);
    oneCleanLine(r.stderr);
    const acks = r.stdout.split('\n').filter(Boolean);
    expect(acks).toHaveLength(2500);
    expect(git(store, ['rev-list', '--count', 'refs/vfi/Big']).stdout.trim()).toBe('2500');
    bothFsckClean(store);
  }, 120_000);
});

const asNobody = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'true']).status === 0;

describe.skipIf(!asNobody)('fault suite: a store the user may only read (non-root)', () => {
  for (const [name, c] of Object.entries(CASES)) {
    it(`${name}: refused in one line, exit 1, the store untouched, reads still work`, (ctx) => {
      needs(c, ctx);
      const { d, store } = caseDir(`${name}-readonly`);
      c.setup(store);
      spawnSync('chmod', ['-R', 'a+rX', d]);
      const before = snapshot(store);
      // The remote of `pull` stays writable: what is refused must be the write into the store.
      if (name === 'pull') spawnSync('chmod', ['-R', 'a+rwX', path.join(d, 'origin')]);
      const direct = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'bash', '-c', `i=7; ${c.loop}`], {
        // git refuses a repository another user owns unless told it is safe (the remote of `pull`)
        env: { ...process.env, ...FIXED_ENV, ...ENGINE_ENV, S: store, D: d, VFI_DEBUG: '', HOME: d, GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'safe.directory', GIT_CONFIG_VALUE_0: '*' },
        encoding: 'utf8',
      });
      expect(direct.status, direct.stderr).toBe(1);
      oneCleanLine(direct.stderr);
      expect(direct.stderr).toMatch(/permission denied|EACCES/i);
      expect(snapshot(store)).toEqual(before);
      const read = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'node', MAIN, '--store', store, 'show', 'Runtime'], { encoding: 'utf8' });
      expect(read.status, read.stderr).toBe(0);
      nextWriteSucceeds(store);
    }, 60_000);
  }
});

describe('fault suite: the store vanishes mid-run', () => {
  it('import while its store is moved away: a clean line or a whole publication, never a half store where it was', async () => {
    const { d, store } = caseDir('vanish');
    addRuntime(store);
    const input = path.join(d, 'big.jsonl');
    fs.writeFileSync(input, Array.from({ length: 20_000 }, (_, n) => JSON.stringify({ c: { type: 'dockerImage', address: `img:${n}` } })).join('\n'));
    const objects = path.join(store, 'objects');
    const fanouts = () => fs.readdirSync(objects).length;
    const start = fanouts();
    const child = vfiAsync(store, ['import', 'Big', input]);
    const done = finished(child);
    // The event: the import has begun writing objects (new fan-out directories appear).
    await until('the import to write objects', () => fanouts() > start + 2 || child.exitCode !== null);
    const moved = `${store}.moved`;
    fs.renameSync(store, moved);
    const r = await done;
    oneCleanLine(r.stderr, r.code);
    expect([0, 1]).toContain(r.code);
    bothFsckClean(moved);
    if (r.code === 0) expect(git(moved, ['rev-list', '--count', 'refs/vfi/Big']).stdout.trim()).toBe('20000');
    else expect(git(moved, ['show-ref']).stdout).not.toMatch(/refs\/vfi\/Big/);
    // Where the store was there is no half a store: nothing, or (had the move come after) nothing new.
    expect(fs.existsSync(path.join(store, 'refs', 'vfi', 'Big'))).toBe(false);
    // The next write at that path makes a new store; at the new path, the old one goes on.
    expect(vfi(store, ['add', 'Fresh', '-'], { input: JSON.stringify(runtimeVfi()) }).code).toBe(0);
    nextWriteSucceeds(moved);
    bothFsckClean(store);
  }, 120_000);

  it('list, show, pick and fsck on a store path under a file: one clean line, exit 1', () => {
    const file = path.join(dir, 'a-file');
    fs.writeFileSync(file, 'x');
    for (const args of [['list'], ['show', 'Runtime'], ['pick'], ['fsck'], ['log', 'Runtime'], ['assert', 'Runtime', 'x']]) {
      const r = vfi(path.join(file, 'sub'), args);
      expect(r.code, `${args[0]}: ${r.stderr}`).toBe(1);
      oneCleanLine(r.stderr);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});

const hasStrace = spawnSync('strace', ['-V']).status === 0;

describe.skipIf(!hasStrace)('fault suite: durable before acknowledged (fsync order, seen with strace)', () => {
  /** The system calls of one run: [pid, call, first argument (a path when it has one), fd returned]. */
  function traced(store: string, args: string[], input?: string) {
    const log = path.join(dir, `strace-${args[0]}-${Date.now()}`);
    const r = spawnSync('strace', ['-f', '-qq', '-e', 'trace=openat,fsync,rename,execve,close', '-o', log, 'node', MAIN, '--store', store, ...args], {
      env: { ...process.env, ...FIXED_ENV, VFI_DEBUG: '' }, input, encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    const calls: { call: string; path?: string; to?: string; fd?: number }[] = [];
    const fdPath = new Map<string, string>();
    const unfinished = new Map<string, string>();
    for (const raw of fs.readFileSync(log, 'utf8').split('\n')) {
      // a call another thread interrupted is printed in two parts: join them
      const cut = /^(\d+)\s+(.*) <unfinished \.\.\.>$/.exec(raw);
      if (cut) {
        unfinished.set(cut[1]!, raw.slice(0, raw.length - ' <unfinished ...>'.length));
        continue;
      }
      const resumed = /^(\d+)\s+<\.\.\. \w+ resumed>(.*)$/.exec(raw);
      const line = resumed ? `${unfinished.get(resumed[1]!) ?? ''}${resumed[2]}` : raw;
      const m = /^(\d+)\s+(\w+)\((.*)\)\s+=\s+(-?\d+)/.exec(line);
      if (!m || Number(m[4]) < 0) continue;
      const [, pid, call, rest, ret] = m;
      const strs = [...rest!.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((x) => x[1]!);
      if (call === 'openat') fdPath.set(`${pid}:${ret}`, strs[0]!);
      if (call === 'fsync') calls.push({ call, path: fdPath.get(`${pid}:${/^(\d+)/.exec(rest!)![1]}`) });
      else if (call === 'rename') calls.push({ call, path: strs[0], to: strs[1] });
      else if (call === 'execve') calls.push({ call, path: strs[0], to: rest });
    }
    return { stdout: r.stdout, calls };
  }

  it('add: each object file, its directory, the ref file and the refs directory are fsynced before the ref is renamed into place (or right after, the directory)', () => {
    const store = path.join(dir, 'fsync-add');
    expect(vfi(store, ['add', 'Seed', '-'], { input: JSON.stringify(runtimeVfi()) }).code).toBe(0);
    const { calls } = traced(store, ['add', 'Runtime', '-'], JSON.stringify(runtimeVfi({ api: 'polyverse/api:fsync' })));
    const refRename = calls.findIndex((c) => c.call === 'rename' && c.to === path.join(store, 'refs', 'vfi', 'Runtime'));
    expect(refRename).toBeGreaterThan(0);
    const objects = calls.filter((c) => c.call === 'rename' && c.to?.startsWith(path.join(store, 'objects'))).map((c) => c.to!);
    expect(objects).toHaveLength(3); // blob, tree, commit
    const syncedBefore = new Set(calls.slice(0, refRename).filter((c) => c.call === 'fsync').map((c) => c.path));
    for (const o of objects) {
      expect(syncedBefore, o).toContain(o);
      expect(syncedBefore, path.dirname(o)).toContain(path.dirname(o));
    }
    // the ref's new content (its temp file) is synced before the rename, its directory after
    expect(syncedBefore).toContain(calls[refRename]!.path);
    expect(calls.slice(refRename).some((c) => c.call === 'fsync' && c.path === path.join(store, 'refs', 'vfi'))).toBe(true);
  });

  it('import of 300 VFIs: one syncfs for the batch (sync -f), before the one ref update; no fsync per object', () => {
    const store = path.join(dir, 'fsync-import');
    const input = Array.from({ length: 300 }, (_, n) => JSON.stringify({ c: { type: 'dockerImage', address: `img:${n}` } })).join('\n');
    const { calls } = traced(store, ['import', 'Imp', '-'], input);
    const refRename = calls.findIndex((c) => c.call === 'rename' && c.to === path.join(store, 'refs', 'vfi', 'Imp'));
    expect(refRename).toBeGreaterThan(0);
    const syncs = calls.filter((c) => c.call === 'execve' && /sync/.test(c.path ?? '') && /"-f"/.test(c.to ?? ''));
    expect(syncs).toHaveLength(1);
    expect(calls.indexOf(syncs[0]!)).toBeLessThan(refRename);
    const objectFsyncs = calls.filter((c) => c.call === 'fsync' && c.path?.startsWith(path.join(store, 'objects')));
    expect(objectFsyncs.length).toBeLessThan(10);
    expect(git(store, ['rev-list', '--count', 'refs/vfi/Imp']).stdout.trim()).toBe('300');
  });
});

describe('resolve with generated identities (the property of hostile.test.ts, where the engine is)', () => {
  it('resolve and set --resolve under identities git must clean or refuse: accepted or exit 2, and git fsck --strict accepts the store', (ctx) => {
    if (!infra) ctx.skip();
    const chars = ['a', 'Z', ' ', '<', '>', '\n', '\t', '"', ',', ';', '.', '@', 'é', '日', '\u007f'];
    const text = (max: number) => Array.from({ length: Math.floor(random() * (max + 1)) }, () => chars[Math.floor(random() * chars.length)]).join('');
    const { store } = caseDir('resolve-identities');
    addRuntime(store, { app: { type: 'dockerImage', address: `${infra!.registry.host}/demo/app:v1` } });
    const seen = { ok: 0, refused: 0 };
    for (let n = 0; n < 12; n++) {
      const env = { ...ENGINE_ENV, GIT_AUTHOR_NAME: text(6) || 'x', GIT_AUTHOR_EMAIL: text(6), ...(n % 3 === 0 ? { GIT_COMMITTER_NAME: text(4), GIT_COMMITTER_EMAIL: text(4) } : {}) };
      const add = vfi(store, ['set', 'Runtime', `c${n}=${infra!.registry.host}/demo/app:v1`], { env: { GIT_AUTHOR_NAME: 'Setter' } });
      expect(add.code, add.stderr).toBe(0);
      const args = n % 2 === 0 ? ['resolve', 'Runtime'] : ['set', 'Runtime', `d${n}=${infra!.registry.host}/demo/app:v1`, '--resolve'];
      const r = vfi(store, args, { env });
      expect([0, 2], `${args.join(' ')} ${JSON.stringify(env)}: ${r.stderr}`).toContain(r.code);
      expect(r.stderr).not.toMatch(/internal error/);
      if (r.code === 0) seen.ok++;
      else seen.refused++;
    }
    expect(seen.ok).toBeGreaterThan(3);
    bothFsckClean(store);
  }, 180_000);
});

describe('fault suite: creds config --into (a docker config.json, passwords in the clear)', () => {
  it('SIGKILL and SIGTERM mid-loop: config.json stays whole JSON with every acknowledged registry, mode 0600, and the next write leaves no temp copy of the passwords', async () => {
    for (const [signal, afterAcks] of [['SIGKILL', 2], ['SIGTERM', 3]] as const) {
      const { d, store } = caseDir(`creds-${signal}`);
      const config = path.join(d, 'config.json');
      const c: Case = {
        loop: `echo "pw$i" | node ${MAIN} creds config --registry r$i.example.com --username u$i --password-stdin --into "$D/config.json" 2>/dev/null && echo "r$i.example.com"`,
        setup: () => {},
        present: () => {},
      };
      const acks = await killAfterAcks(c, d, store, signal, afterAcks);
      expect(acks.length).toBeGreaterThanOrEqual(afterAcks);
      const auths = () => JSON.parse(fs.readFileSync(config, 'utf8')).auths as Record<string, unknown>;
      for (const a of acks) expect(Object.keys(auths())).toContain(a);
      expect(fs.statSync(config).mode & 0o777).toBe(0o600);
      // what a writer killed between its temp and its rename leaves (whether or not this kill did)
      const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' }).stdout.trim();
      fs.writeFileSync(path.join(d, `.config.json.${dead}.tmp`), '{"auths":{"x":{"auth":"c2VjcmV0"}}}', { mode: 0o600 });
      const live = path.join(d, `.config.json.${process.pid}.tmp`); // a writer still at work
      fs.writeFileSync(live, '{}', { mode: 0o600 });
      const next = spawnSync(process.execPath, [MAIN, 'creds', 'config', '--registry', 'after.example.com', '--username', 'u', '--password-stdin', '--into', config], { input: 'pw\n', encoding: 'utf8' });
      expect(next.status, next.stderr).toBe(0);
      expect(Object.keys(auths())).toContain('after.example.com');
      expect(fs.readdirSync(d).filter((n) => n.startsWith('.config.json.'))).toEqual([path.basename(live)]);
    }
  }, 120_000);
});

describe('fault suite: key generate (two files, written one after the other)', () => {
  it('killed between them, vfi.key is left alone: the next key generate writes its public key, never a new private key', () => {
    const { d, store } = caseDir('keygen');
    addRuntime(store);
    const out = path.join(d, 'keys');
    const first = vfi(store, ['key', 'generate', '--out', out]);
    expect(first.code, first.stderr).toBe(0);
    const keyid = first.stdout.trim();
    const privateKey = fs.readFileSync(path.join(out, 'vfi.key'));
    fs.rmSync(path.join(out, 'vfi.pub')); // the state a kill after the first write leaves
    const next = vfi(store, ['key', 'generate', '--out', out]);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stdout.trim()).toBe(keyid);
    expect(fs.readFileSync(path.join(out, 'vfi.key'))).toEqual(privateKey);
    expect(vfi(store, ['trust', 'add', 'me', path.join(out, 'vfi.pub')]).stdout).toContain(keyid);
    // a whole pair, or a vfi.key that is no key, is still never overwritten
    expect(vfi(store, ['key', 'generate', '--out', out]).code).toBe(2);
    fs.writeFileSync(path.join(out, 'vfi.key'), '-----BEGIN PRIVATE KEY-----\ntrunc');
    fs.rmSync(path.join(out, 'vfi.pub'));
    const broken = vfi(store, ['key', 'generate', '--out', out]);
    expect(broken.code).toBe(2);
    expect(fs.existsSync(path.join(out, 'vfi.pub'))).toBe(false);
  });
});
