/**
 * Trust under a hostile environment (issue 18): identities, notes and claim names as a user's
 * environment may give them never make an object git rejects; `vfi fsck` sees what git sees; a
 * lock is broken only when its holder is gone, by one breaker at a time; one BOM at most.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { finished, git, MAIN, ok, runtimeVfi, tempDir, vfi, vfiAsync } from '../helpers/cli.js';
import { bothFsckClean } from '../helpers/faultChecks.js';
import { prng } from '../helpers/prng.js';

const dir = tempDir('vfi-hostile-');


// What git strips or chokes on, and what it keeps.
const NASTY = ['a', 'Z', ' ', '<', '>', '\n', '\t', '\r', '"', "'", ',', ';', ':', '.', '\\', '@', 'é', '日', '-', '\u007f', '\u2028'];

describe('identity as git makes it', () => {
  it('property: every write command, with generated identities, notes, --by values and claim names, leaves a store git fsck --strict accepts', () => {
    const random = prng(1804);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const text = (max: number) => Array.from({ length: Math.floor(random() * (max + 1)) }, () => pick(NASTY)).join('');
    const store = path.join(dir, 'property');
    const ref = ok(store, ['add', 'Runtime', '-'], { input: JSON.stringify(runtimeVfi()) }).trim();
    const importFile = path.join(dir, 'import.jsonl');
    const batchFile = path.join(dir, 'batch.jsonl');
    const publicKey = path.join(dir, 'property-keys', 'vfi.pub');
    ok(store, ['key', 'generate', '--out', path.dirname(publicKey)]);
    const seen = { ok: 0, refused: 0 };
    // (resolve, with an engine and a registry, is in faults.test.ts: "resolve with generated identities")
    for (let n = 0; n < 30; n++) {
      const env = {
        GIT_AUTHOR_NAME: text(6) || 'x',
        GIT_AUTHOR_EMAIL: text(6),
        ...(random() < 0.5 ? { GIT_COMMITTER_NAME: text(5), GIT_COMMITTER_EMAIL: text(5) } : {}),
      };
      const note = text(12);
      const claim = `c${text(3)}`;
      const by = text(8);
      fs.writeFileSync(importFile, [0, 1].map((k) => JSON.stringify({ x: { type: 'dockerImage', address: `img:${n}-${k}` } })).join('\n'));
      fs.writeFileSync(batchFile, JSON.stringify({ vfi: ref, claim, result: 'pass', note, by }));
      const commands: string[][] = [
        ['add', `A${n}`, '-'],
        ['set', 'Runtime', `x=img:${n}`],
        ['rm', 'Runtime', 'x'],
        ['import', 'Runtime', importFile],
        ['assert', 'Runtime', claim, '--note', note, '--by', by],
        ['assert', '--batch', batchFile],
        ['release', 'Runtime', '--note', note, '--by', by],
        ['trust', 'add', `s${n}`, publicKey],
        ['policy', 'set', 'Runtime', '--require', claim],
        ['trust', 'rm', `s${n - 2}`],
      ];
      const args = commands[n % commands.length]!;
      const r = vfi(store, args, { env, input: JSON.stringify(runtimeVfi({ api: `polyverse/api:v${n}` })) });
      // Accepted, or refused as bad input (exit 2, or 3 for `rm` of what is not there): never a bug.
      expect([0, 2, 3], `${args.join(' ')} ${JSON.stringify(env)}: ${r.stderr}`).toContain(r.code);
      expect(r.stderr).not.toMatch(/internal error/);
      if (r.code === 0) seen.ok++;
      else seen.refused++;
    }
    // The generator reaches both sides: some writes land, some identities or texts are refused.
    expect(seen.ok).toBeGreaterThan(10);
    expect(seen.refused).toBeGreaterThan(0);
    bothFsckClean(store);
  }, 120_000);

  it('the names of the issue: cleaned as git cleans them, or refused with exit 2 before anything is written', () => {
    const store = path.join(dir, 'names');
    ok(store, ['add', 'Runtime', '-'], { input: JSON.stringify(runtimeVfi()) });
    for (const name of ['a<b>', 'c>d', 'x\ny']) {
      const r = vfi(store, ['assert', 'Runtime', 'tests-passed'], { env: { GIT_AUTHOR_NAME: name, GIT_AUTHOR_EMAIL: '<e>@x' } });
      expect(r.code, r.stderr).toBe(0);
    }
    const author = git(store, ['log', '-3', '--format=%an|%ae', 'refs/vfi-assertions/main']).stdout.trim().split('\n');
    expect(author).toEqual(['xy|e@x', 'cd|e@x', 'ab|e@x']);
    const before = git(store, ['rev-parse', 'refs/vfi-assertions/main']).stdout;
    const r = vfi(store, ['assert', 'Runtime', 'tests-passed'], { env: { GIT_AUTHOR_NAME: '<>' } });
    expect(r.code).toBe(2);
    expect(git(store, ['rev-parse', 'refs/vfi-assertions/main']).stdout).toBe(before);
    expect(git(store, ['fsck', '--strict']).code).toBe(0);
  });
});

describe('vfi fsck sees what git sees', () => {
  it('a commit git rejects is damage, named with the ref that reaches it', () => {
    const store = path.join(dir, 'gitfsck');
    ok(store, ['add', 'Runtime', '-'], { input: JSON.stringify(runtimeVfi()) });
    ok(store, ['fsck']);
    const tree = git(store, ['rev-parse', 'refs/vfi/Runtime^{tree}']).stdout.trim();
    const bad = spawnSync('git', ['--git-dir', store, 'hash-object', '-t', 'commit', '-w', '--literally', '--stdin'], {
      input: `tree ${tree}\nauthor a<b> <x> 1 +0000\ncommitter a <x> 1 +0000\n\nm\n`,
      encoding: 'utf8',
    }).stdout.trim();
    expect(git(store, ['update-ref', 'refs/vfi/Bad', bad]).code).toBe(0);
    const r = vfi(store, ['fsck']);
    expect(r.code).toBe(1);
    const finding = r.stdout.split('\n').find((l) => l.includes(bad));
    expect(finding, r.stdout).toContain('refs/vfi/Bad');
  });
});

describe('one BOM at most', () => {
  it('one UTF-8 BOM is skipped; a second is not JSON', () => {
    const store = path.join(dir, 'bom');
    const body = Buffer.from(JSON.stringify(runtimeVfi()));
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    ok(store, ['add', 'One', '-'], { input: Buffer.concat([bom, body]) });
    const two = vfi(store, ['add', 'Two', '-'], { input: Buffer.concat([bom, bom, body]) });
    expect(two.code).toBe(2);
    expect(vfi(store, ['show', 'Two']).code).toBe(3);
  });
});

describe('locks like git\'s', () => {
  const deadPid = (): number => {
    const r = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    return Number(r.stdout.trim());
  };
  const fresh = (name: string) => {
    const store = path.join(dir, name);
    ok(store, ['add', 'Runtime', '-'], { input: JSON.stringify(runtimeVfi()) });
    return { store, lock: path.join(store, 'refs', 'vfi', 'Runtime.lock') };
  };

  it('a lock whose holder, on this host, is gone is broken by the next writer, whatever its age', () => {
    const { store, lock } = fresh('lock-dead');
    fs.writeFileSync(lock, `${deadPid()} ${os.hostname()}\n`);
    const r = vfi(store, ['set', 'Runtime', 'router=polyverse/router:v9'], { env: { VFI_LOCK_TIMEOUT_MS: '3000' } });
    expect(r.code, r.stderr).toBe(0);
    expect(fs.existsSync(lock)).toBe(false);
  });

  it('a lock held by a live process, by another host, or by git (no holder named) is never broken, however old: STORE_BUSY names it', () => {
    const { store, lock } = fresh('lock-live');
    const old = new Date(Date.now() - 3600_000);
    for (const [content, holder] of [[`${process.pid} ${os.hostname()}\n`, `${process.pid}`], [`${deadPid()} elsewhere.example\n`, 'elsewhere.example'], ['', 'another process']] as const) {
      fs.writeFileSync(lock, content);
      fs.utimesSync(lock, old, old);
      const r = vfi(store, ['set', 'Runtime', 'router=polyverse/router:v9'], { env: { VFI_LOCK_TIMEOUT_MS: '300' } });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain(lock);
      expect(r.stderr).toContain(holder);
      expect(fs.readFileSync(lock, 'utf8')).toBe(content);
    }
    fs.rmSync(lock);
  });

  it('two writers that both find the same dead holder: one breaks the lock, both publications land', async () => {
    const { store, lock } = fresh('lock-race');
    const hook = path.join(dir, 'lock-race-hook');
    fs.mkdirSync(hook);
    fs.writeFileSync(lock, `${deadPid()} ${os.hostname()}\n`);
    const env = { VFI_TEST_LOCK_HOOK: hook, VFI_LOCK_TIMEOUT_MS: '20000' };
    const a = finished(vfiAsync(store, ['set', 'Runtime', 'router=polyverse/router:a'], env));
    const b = finished(vfiAsync(store, ['set', 'Runtime', 'nsq=nsqio/nsq:b'], env));
    // Both have judged the holder gone and wait at the hook: the race is lined up.
    const deadline = Date.now() + 60_000;
    while (fs.readdirSync(hook).filter((f) => f.startsWith('judged-')).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(fs.readdirSync(hook).filter((f) => f.startsWith('judged-'))).toHaveLength(2);
    fs.writeFileSync(path.join(hook, 'go'), '');
    const [ra, rb] = await Promise.all([a, b]);
    expect([ra.code, rb.code], ra.stderr + rb.stderr).toEqual([0, 0]);
    // Exactly one breaker removed the dead holder's lock; the other never removed a live one.
    expect(`${ra.stderr}${rb.stderr}`.match(/removed .*Runtime\.lock/g)).toHaveLength(1);
    const head = JSON.parse(ok(store, ['show', 'Runtime']));
    expect([head.router.address, head.nsq.address]).toEqual(['polyverse/router:a', 'nsqio/nsq:b']);
    expect(git(store, ['rev-list', '--count', 'refs/vfi/Runtime']).stdout.trim()).toBe('3');
    expect(git(store, ['fsck', '--strict']).code).toBe(0);
  }, 90_000);
});


describe('a reader that stops early, and names that are not there', () => {
  it('vfi log | head -1: a closed stdout ends quietly with exit 0 (pipefail sees 0)', () => {
    const store = path.join(dir, 'epipe');
    const input = path.join(dir, 'epipe.jsonl');
    // enough output (a few hundred KiB) that vfi is still writing when head has gone
    fs.writeFileSync(input, Array.from({ length: 3000 }, (_, n) => JSON.stringify({ c: { type: 'dockerImage', address: `img:${n}` } })).join('\n'));
    ok(store, ['import', 'Big', input]);
    const r = spawnSync('bash', ['-c', `set -o pipefail; node "${MAIN}" --store "${store}" log Big | head -1 >/dev/null; echo "status=$?"`], { encoding: 'utf8', env: { ...process.env, VFI_DEBUG: '' } });
    expect(r.stdout.trim()).toBe('status=0');
    expect(r.stderr).toBe('');
  });

  it('vfi policy show of a lineage that does not exist (and has no policy): exit 3, one line', () => {
    const store = path.join(dir, 'policy');
    ok(store, ['add', 'Runtime', '-'], { input: JSON.stringify(runtimeVfi()) });
    const r = vfi(store, ['policy', 'show', 'Nope']);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    ok(store, ['policy', 'show', 'Runtime']); // no policy yet: the defaults
    ok(store, ['policy', 'set', 'Later', '--min-score', '2']); // a policy ahead of its lineage
    ok(store, ['policy', 'show', 'Later']);
  });
});

describe('every error a user or the machine can cause is one line with its exit code, never "a bug"', () => {
  const asNobody = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'true']).status === 0;

  it('paths of recent commands: export --out, key generate, trust add, creds --into and rm, notes, contains, show --expand', () => {
    const base = path.join(dir, 'paths');
    fs.chmodSync(dir, 0o755); // the non-root user must reach it
    fs.mkdirSync(base);
    fs.chmodSync(base, 0o755);
    const store = path.join(base, 'store');
    ok(store, ['add', 'Runtime', '-'], { input: JSON.stringify(runtimeVfi()) });
    const file = path.join(base, 'a-file');
    fs.writeFileSync(file, 'x');
    const readOnly = path.join(base, 'ro');
    fs.mkdirSync(readOnly);
    fs.chmodSync(readOnly, 0o555);
    ok(store, ['key', 'generate', '--out', path.join(base, 'keys')]);
    const creds = (args: string[]) => spawnSync(process.execPath, [MAIN, 'creds', ...args], { input: 'pw\n', encoding: 'utf8', env: { ...process.env, VFI_DEBUG: '' } });
    const cases: [string, () => { status: number | null; stdout: string; stderr: string } | { code: number; stdout: string; stderr: string }, number][] = [
      ['export --out into a missing directory', () => vfi(store, ['export', 'Runtime', '--format', 'compose', '--allow-unpinned', '--out', path.join(base, 'missing', 'x.yaml')]), 2],
      ['export --out under a file', () => vfi(store, ['export', 'Runtime', '--format', 'compose', '--allow-unpinned', '--out', path.join(file, 'x.yaml')]), 2],
      ['export --out a directory', () => vfi(store, ['export', 'Runtime', '--format', 'compose', '--allow-unpinned', '--out', readOnly]), 2],
      ['key generate over an existing key', () => vfi(store, ['key', 'generate', '--out', path.join(base, 'keys')]), 2],
      ['key generate --out a file', () => vfi(store, ['key', 'generate', '--out', file]), 2],
      ['trust add of a missing key file', () => vfi(store, ['trust', 'add', 'bob', path.join(base, 'missing.pub')]), 3],
      ['trust add of a directory', () => vfi(store, ['trust', 'add', 'bob', readOnly]), 2],
      ['trust add of a path under a file', () => vfi(store, ['trust', 'add', 'bob', path.join(file, 'k.pub')]), 2],
      ['creds config --into under a file', () => creds(['config', '--registry', 'r.example.com', '--username', 'u', '--password-stdin', '--into', path.join(file, 'c.json')]), 1],
      ['creds config --into a missing directory', () => creds(['config', '--registry', 'r.example.com', '--username', 'u', '--password-stdin', '--into', path.join(base, 'missing', 'c.json')]), 1],
      ['creds rm of a path under a file', () => creds(['rm', path.join(file, 'c.json'), '--registry', 'r.example.com']), 2],
      ['notes without a range', () => vfi(store, ['notes', 'Runtime']), 2],
      ['contains of a tag', () => vfi(store, ['contains', 'img:1']), 2],
      ['show --expand of an unknown lineage', () => vfi(store, ['show', '--expand', 'Nope']), 3],
      ['policy show of an unknown lineage', () => vfi(store, ['policy', 'show', 'Nope']), 3],
    ];
    if (asNobody) {
      cases.push(['export --out into a read-only directory (non-root)', () => spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, MAIN, '--store', store,
        'export', 'Runtime', '--format', 'compose', '--allow-unpinned', '--out', path.join(readOnly, 'x.yaml')], { encoding: 'utf8', env: { ...process.env, VFI_DEBUG: '', HOME: base } }), 1]);
    }
    for (const [what, run, exit] of cases) {
      const r = run();
      const code = 'code' in r ? r.code : r.status;
      expect(code, `${what}: ${r.stderr}`).toBe(exit);
      expect(r.stderr, what).not.toMatch(/internal error|this is a bug|\n\s+at |ENOTDIR:|EISDIR:|EACCES:/);
      expect(r.stderr.trim().split('\n'), `${what}: ${r.stderr}`).toHaveLength(1);
      expect(r.stderr, what).toMatch(/^vfi: /);
    }
    expect(fs.readdirSync(readOnly)).toEqual([]);
    expect(git(store, ['fsck', '--strict']).code).toBe(0);
  }, 120_000);
});
