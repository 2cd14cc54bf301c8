/**
 * The fault suite: every write command killed (SIGKILL, SIGTERM) at moments after its first
 * acknowledged write, run under a file-size limit, run as a non-root user on a store it may only
 * read, and moved away under it after an acknowledged write; then a full disk, a read-only file
 * system, and paths the kernel refuses. After each: the exit status is true to what landed, both
 * `vfi fsck` and `git fsck --strict` accept the store, every acknowledged write is there, and the
 * next write succeeds with no clean-up by hand.
 *
 * Moments are events, never clocks (test/helpers/faultLoop.ts): a shell runs the command in a
 * loop, and the fault comes once k runs are acknowledged, plus a jitter from a seeded PRNG.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it, type TestContext } from 'vitest';
import { FIXED_ENV, git, MAIN, ok, runtimeVfi, snapshot, tempDir, vfi } from '../helpers/cli.js';
import { bothFsckClean, oneCleanLine } from '../helpers/faultChecks.js';
import { faultAfterAcks, signalling } from '../helpers/faultLoop.js';
import { prng } from '../helpers/prng.js';
import { importImage, pushImage, skopeoInspect, startAll, startEngine, startRegistry, useServers, type Engine, type Registry } from '../helpers/engine.js';

const dir = tempDir('vfi-faults-');
fs.chmodSync(dir, 0o755); // the non-root user must reach the stores inside

const random = prng(18);

/**
 * `resolve` and `set --resolve` need a real engine and registry: a private dockerd and a
 * docker-registry on 127.0.0.1, started by useServers and stopped by PID. $H is the registry,
 * DOCKER_HOST the engine (its socket opened to every user, for the non-root case).
 */
const needEngine = useServers('faults (resolve)', () => startAll([startEngine(), startRegistry()] as const), async (engine: Engine, registry: Registry) => {
  const ref = `${registry.host}/demo/app:v1`;
  await importImage(engine, ref, { 'app.txt': 'app\n' });
  await pushImage(engine, ref);
  const digest = await skopeoInspect(ref);
  fs.chmodSync(engine.socketPath, 0o666);
  return { engine, registry, digest, env: { H: registry.host, DOCKER_HOST: engine.host } };
});
/** The engine of the test under way, once `needs` has found it (the cases' setups read it). */
let infra: ReturnType<typeof needEngine> | undefined;
const engineEnv = (): Record<string, string> => infra?.env ?? {};

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

const addRuntime = (store: string, components = runtimeVfi()): string => ok(store, ['add', 'Runtime', '-'], { input: JSON.stringify(components) }).trim();
const publishedOn = (store: string, name: string): Set<string> => new Set(JSON.parse(ok(store, ['log', name, '--json'])).map((e: { ref: string }) => e.ref));
const records = (store: string, ref: string): { claim: string; note?: string }[] => JSON.parse(ok(store, ['assertions', ref, '--json'])).records;
const trusted = (store: string): string[] => JSON.parse(ok(store, ['trust', 'list', '--json'])).map((t: { signer: string }) => t.signer);

const inLineage = (name: string) => (store: string, acks: string[]) => {
  const published = publishedOn(store, name);
  for (const a of acks) expect(published).toContain(a);
};

const CASES: Record<string, Case> = {
  add: {
    loop: `echo "{\\"c\\":{\\"type\\":\\"dockerImage\\",\\"address\\":\\"img:$i\\"}}" | ${V} add Add$i -`,
    setup: (s) => void addRuntime(s),
    present: (s, acks) => {
      for (const a of acks) ok(s, ['show', a]);
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
      ok(s, ['assert', 'Runtime', 'tests-passed']);
    },
    present: inLineage('Runtime'),
  },
  'trust add': {
    loop: `${V} trust add s$i "$D/keys/vfi.pub"`,
    setup: (s) => {
      addRuntime(s);
      ok(s, ['key', 'generate', '--out', path.join(path.dirname(s), 'keys')]);
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
      ok(s, ['key', 'generate', '--out', path.join(path.dirname(s), 'keys')]);
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
        expect(JSON.parse(ok(s, ['policy', 'show', name, '--json'])).policy.minScore).toBe(Number(name.slice(1)));
      }
    },
  },
  'remote add/rm': {
    // the store's git config: a remote added, then removed (as trust rm)
    loop: `${V} remote add o$i "$D/origin" >/dev/null && ${V} remote rm o$i >/dev/null && echo "o$i"`,
    setup: (s) => void addRuntime(s),
    present: (s, acks) => {
      const names = JSON.parse(ok(s, ['remote', '--json'])).map((x: { name: string }) => x.name);
      for (const a of acks) expect(names).not.toContain(a);
    },
  },
  pull: {
    // a publication on the remote, then a pull of it; the acknowledgement names what was pulled
    loop: `ack=$(node ${MAIN} --store "$D/origin" set Runtime router=polyverse/router:p$i) && ${V} pull origin >/dev/null && echo "$ack"`,
    setup: (s) => {
      const origin = path.join(path.dirname(s), 'origin');
      addRuntime(origin);
      ok(s, ['remote', 'add', 'origin', origin]);
      const first = vfi(s, ['pull', 'origin']);
      expect(first.code, first.stderr).toBe(0);
    },
    present: inLineage('Runtime'),
  },
};

/** A case that needs the engine is skipped where none could be started (a failure with CI=true: setupOrSkip). */
function needs(c: Case, ctx: TestContext): void {
  if (c.engine) infra = needEngine(ctx);
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

function nextWriteSucceeds(store: string): void {
  // A lock left by the killed process must be broken at once (its holder is gone), not waited out.
  ok(store, ['set', 'Runtime', 'router=polyverse/router:after'], { env: { VFI_LOCK_TIMEOUT_MS: '5000' } });
}

/** Loop `c.loop`, and send `signal` to the running command once `afterAcks` acknowledgements are in (plus a jitter). */
async function killAfterAcks(c: Case, d: string, store: string, signal: NodeJS.Signals, afterAcks: number): Promise<string[]> {
  const env = { ...process.env, ...FIXED_ENV, ...engineEnv(), S: store, D: d, VFI_DEBUG: '' };
  const run = await faultAfterAcks({ loop: c.loop, env, dir: d, label: `${signal}-${afterAcks}`, afterAcks, jitterMs: 120, random, fault: signalling(signal) });
  return run.acks;
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
    env: { ...process.env, ...FIXED_ENV, ...engineEnv(), S: store, D: d, VFI_DEBUG: '' },
    encoding: 'utf8',
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

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
    const { store, r } = importUnderLimit('import-5000-ulimit', 2500, 32);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: .*cache/);
    oneCleanLine(r.stderr);
    const acks = r.stdout.split('\n').filter(Boolean);
    expect(acks).toHaveLength(2500);
    expect(git(store, ['rev-list', '--count', 'refs/vfi/Big']).stdout.trim()).toBe('2500');
    bothFsckClean(store);
  }, 120_000);
});

/** `vfi import Big` of `lines` one-image VFIs into a new store under `ulimit -f` of `kb` KiB. */
function importUnderLimit(name: string, lines: number, kb: number) {
  const { d, store } = caseDir(name);
  addRuntime(store);
  const input = path.join(d, 'big.jsonl');
  fs.writeFileSync(input, Array.from({ length: lines }, (_, n) => JSON.stringify({ c: { type: 'dockerImage', address: `img:${n}` } })).join('\n'));
  const r = spawnSync('bash', ['-c', `ulimit -f ${kb}; exec node ${MAIN} --store "${store}" import Big "${input}"`], { env: { ...process.env, ...FIXED_ENV }, encoding: 'utf8' });
  return { store, r };
}

describe('fault suite: a pack that outgrows the file-size limit', () => {
  it('import of 12,000 lines (written as a pack) under ulimit -f: one line naming the pack being written, exit 1, nothing published', () => {
    const { store, r } = importUnderLimit('import-pack-ulimit', 12_000, 1024);
    expect(r.status, r.stderr).toBe(1);
    oneCleanLine(r.stderr);
    expect(r.stderr).toMatch(/objects\/pack\/tmp_pack_\S+.*EFBIG/);
    expect(git(store, ['rev-parse', '--verify', '--quiet', 'refs/vfi/Big']).code).toBe(1);
    expect(fs.readdirSync(path.join(store, 'objects', 'pack')).filter((f) => f.startsWith('tmp_'))).toEqual([]);
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
        env: { ...process.env, ...FIXED_ENV, ...engineEnv(), S: store, D: d, VFI_DEBUG: '', HOME: d, GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'safe.directory', GIT_CONFIG_VALUE_0: '*' },
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
  /** `check` holds (it throws an assertion error where not). */
  const holds = (check: () => void): boolean => {
    try {
      check();
      return true;
    } catch {
      return false;
    }
  };

  /** What a write left where the store was: nothing, or a whole store (a write that makes one, as add does), moved aside to `aside`. */
  function wholeOrNothing(store: string, aside: string): boolean {
    if (!fs.existsSync(store)) return false;
    bothFsckClean(store);
    fs.renameSync(store, aside);
    return true;
  }

  for (const [name, c] of Object.entries(CASES)) {
    it(`${name}: moved away after an acknowledged write, a run fails in one line or lands whole, never half a store where it was; moved back, the store is sound and takes the next write`, async (ctx) => {
      needs(c, ctx);
      const { d, store } = caseDir(`${name}-vanish`);
      c.setup(store);
      const moved = `${store}.moved`;
      const env = { ...process.env, ...FIXED_ENV, ...engineEnv(), S: store, D: d, VFI_DEBUG: '' };
      const run = await faultAfterAcks({
        loop: c.loop, env, dir: d, label: 'vanish', afterAcks: 1, jitterMs: 400, random,
        fault: (_group, stop) => {
          stop();
          fs.renameSync(store, moved);
        },
      });
      expect(run.acks.length).toBeGreaterThanOrEqual(1);
      if (run.failed) {
        oneCleanLine(run.failed.stderr, run.failed.code);
        expect([1, 3], run.failed.stderr).toContain(run.failed.code);
      }
      bothFsckClean(moved);
      c.present(moved, run.acks.slice(0, run.ackedBefore));
      const remade = wholeOrNothing(store, `${store}.remade`);
      // a run acknowledged as the store moved landed whole in one of them
      const late = run.acks.slice(run.ackedBefore);
      if (late.length > 0) expect(holds(() => c.present(moved, late)) || (remade && holds(() => c.present(`${store}.remade`, late)))).toBe(true);

      // Started where the store is gone: refused (not found, nothing made) or a whole new store.
      const again = runOnce(c, d, store, '', 399);
      oneCleanLine(again.stderr, again.code);
      expect([0, 3], again.stderr).toContain(again.code);
      expect(wholeOrNothing(store, `${store}.new`)).toBe(again.code === 0);

      // Moved back (both fscks passed on it above): the same command succeeds with no clean-up.
      fs.renameSync(moved, store);
      const back = runOnce(c, d, store, '', 398);
      expect(back.code, back.stderr).toBe(0);
    }, 60_000);
  }

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

/** A private mount namespace (unshare -m) where a tmpfs may be mounted: the mounts vanish with it. */
const canMount = spawnSync('unshare', ['-m', 'sh', '-c', 'mount -t tmpfs -o size=64k tmpfs /mnt'], { stdio: 'ignore' }).status === 0;

describe.skipIf(!canMount)('fault suite: a full disk and a read-only file system (a small tmpfs, in a private mount namespace)', () => {
  it('ENOSPC and EROFS: one line, exit 1, the store sound and untouched; reads still work; with space again, the next write succeeds', () => {
    const { d } = caseDir('full-disk');
    const store = path.join(d, 'small', 'store');
    fs.mkdirSync(path.dirname(store));
    // each step prints `name=<exit code>`, then its stderr
    const script = `set -u; V="node ${MAIN} --store ${store}"
      mount -t tmpfs -o size=512k tmpfs "${path.dirname(store)}" || exit 99
      step() { name=$1; shift; "$@" >/dev/null 2>"${d}/err"; echo "$name=$?"; cat "${d}/err"; }
      echo '${JSON.stringify(runtimeVfi())}' | $V add Runtime - >/dev/null || exit 98
      dd if=/dev/zero of="${path.dirname(store)}/fill" bs=4k 2>/dev/null
      step set $V set Runtime router=polyverse/router:full
      step import $V import Imp "${d}/import-0.jsonl"
      step fsck $V fsck
      step gitfsck git --git-dir "${store}" fsck --strict --no-dangling
      step show $V show Runtime
      rm "${path.dirname(store)}/fill"
      step next $V set Runtime router=polyverse/router:space
      mount --bind "${store}" "${store}" && mount -o remount,ro,bind "${store}" || exit 97
      step rofs $V set Runtime router=polyverse/router:ro
      step pick $V pick Runtime --allow-unpinned --min-score 0
      step fsck2 $V fsck`;
    const r = spawnSync('unshare', ['-m', 'bash', '-c', script], { env: { ...process.env, ...FIXED_ENV, VFI_DEBUG: '' }, encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const steps = new Map<string, { code: number; stderr: string }>();
    for (const block of r.stdout.split(/^(?=\w+=\d+$)/m)) {
      const [head, ...rest] = block.split('\n');
      const m = /^(\w+)=(\d+)$/.exec(head!);
      if (m) steps.set(m[1]!, { code: Number(m[2]), stderr: rest.join('\n') });
    }
    const step = (name: string) => steps.get(name) ?? expect.unreachable(`${name} did not run: ${r.stdout}`);
    for (const name of ['set', 'import']) {
      expect(step(name).code, step(name).stderr).toBe(1);
      oneCleanLine(step(name).stderr);
      expect(step(name).stderr).toMatch(/ENOSPC/);
      expect(step(name).stderr, 'names the file it could not write').toContain(`cannot write ${store}${path.sep}`);
    }
    for (const name of ['fsck', 'gitfsck', 'show', 'next', 'pick', 'fsck2']) expect(step(name).code, `${name}: ${step(name).stderr}`).toBe(0);
    // a read-only file system is not "not writable by you" said wrongly: the cause, or silence
    expect(step('rofs').code).toBe(1);
    oneCleanLine(step('rofs').stderr);
    expect(step('rofs').stderr).toMatch(/EROFS/);
    expect(step('pick').stderr).not.toMatch(/warning|ENOENT/);
  });

  it('ELOOP and ENAMETOOLONG in the store path: one line, exit 1 and 2', () => {
    const loop = path.join(dir, 'loop');
    fs.symlinkSync(loop, loop);
    for (const [store, code, errno] of [[path.join(loop, 'store'), 1, 'ELOOP'], [path.join(dir, 'x'.repeat(300), 'store'), 2, 'ENAMETOOLONG']] as const) {
      for (const args of [['list'], ['add', 'Runtime', '-']]) {
        const r = vfi(store, args, { input: JSON.stringify(runtimeVfi()) });
        expect(r.code, `${args[0]} ${errno}: ${r.stderr}`).toBe(code);
        oneCleanLine(r.stderr, r.code);
        expect(r.stderr).toMatch(new RegExp(errno));
      }
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
    ok(store, ['add', 'Seed', '-'], { input: JSON.stringify(runtimeVfi()) });
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
    infra = needEngine(ctx);
    const chars = ['a', 'Z', ' ', '<', '>', '\n', '\t', '"', ',', ';', '.', '@', 'é', '日', '\u007f'];
    const text = (max: number) => Array.from({ length: Math.floor(random() * (max + 1)) }, () => chars[Math.floor(random() * chars.length)]).join('');
    const { store } = caseDir('resolve-identities');
    addRuntime(store, { app: { type: 'dockerImage', address: `${infra!.registry.host}/demo/app:v1` } });
    const seen = { ok: 0, refused: 0 };
    for (let n = 0; n < 12; n++) {
      const env = { ...engineEnv(), GIT_AUTHOR_NAME: text(6) || 'x', GIT_AUTHOR_EMAIL: text(6), ...(n % 3 === 0 ? { GIT_COMMITTER_NAME: text(4), GIT_COMMITTER_EMAIL: text(4) } : {}) };
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
