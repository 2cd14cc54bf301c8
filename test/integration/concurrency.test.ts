/** Several processes on one store at once, and processes killed in the middle of writing. */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { finished, FIXED_ENV, git, MAIN, runtimeVfi, tempDir, vfi, vfiAsync } from '../helpers/cli.js';

describe('concurrent writers', () => {
  const dir = tempDir();

  it('two concurrent `set` on one name are both published, neither lost', async () => {
    const store = path.join(dir, 'two');
    vfi(store, ['add', 'Runtime', '-'], { input: JSON.stringify(runtimeVfi()) });
    for (let round = 0; round < 5; round++) {
      const [a, b] = await Promise.all([
        finished(vfiAsync(store, ['set', 'Runtime', `router=polyverse/router:r${round}`])),
        finished(vfiAsync(store, ['set', 'Runtime', `nsq=nsqio/nsq:n${round}`])),
      ]);
      expect([a.code, b.code, a.stderr, b.stderr]).toEqual([0, 0, '', '']);
      const log = vfi(store, ['log', 'Runtime', '--json']);
      const ids = JSON.parse(log.stdout).map((e: { id: string }) => e.id);
      // both publications are in the lineage...
      for (const out of [a.stdout, b.stdout]) expect(ids).toContain(/@(\w+)/.exec(out)![1]);
      // ...and the second applied its edit on top of the first, so the head carries both.
      const head = JSON.parse(vfi(store, ['show', 'Runtime']).stdout);
      expect([head.router.address, head.nsq.address]).toEqual([`polyverse/router:r${round}`, `nsqio/nsq:n${round}`]);
    }
    expect(git(store, ['rev-list', '--count', 'refs/vfi/Runtime']).stdout.trim()).toBe('11');
    expect(git(store, ['fsck', '--strict']).code).toBe(0);
  });

  it('eight processes publishing on one lineage at once: every publication kept', async () => {
    const store = path.join(dir, 'eight');
    vfi(store, ['add', 'Runtime', '-'], { input: JSON.stringify(runtimeVfi()) });
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => finished(vfiAsync(store, ['set', 'Runtime', `c${i}=example/c${i}:v1`]))),
    );
    expect(results.map((r) => r.code)).toEqual(Array(8).fill(0));
    const head = JSON.parse(vfi(store, ['show', 'Runtime']).stdout);
    for (let i = 0; i < 8; i++) expect(head[`c${i}`]?.address).toBe(`example/c${i}:v1`);
    expect(git(store, ['rev-list', '--count', 'refs/vfi/Runtime']).stdout.trim()).toBe('9');
    expect(vfi(store, ['fsck']).code).toBe(0);
  });
});

/**
 * A shell running `vfi <loopArgs>` in a loop (`$i` counts; each acknowledged line appended to
 * `acks`) beside one bulk `vfi <bulkArgs>`, both SIGKILLed once `acks` holds `afterAcks` lines and
 * `jitterMs` more have passed: the kill always comes after an acknowledged write, however loaded
 * the machine, and lands at a different point of the runs each time.
 */
async function killMidWrite(store: string, loopArgs: string, acks: string, bulkArgs: string[], afterAcks: number, jitterMs: number): Promise<void> {
  const env = { ...process.env, ...FIXED_ENV };
  const script = `for i in $(seq 1 1000); do node ${MAIN} --store ${store} ${loopArgs} >> ${acks} || exit 1; done`;
  const before = ackCount(acks);
  const loop = spawn('bash', ['-c', script], { env, detached: true, stdio: 'ignore' });
  const bulk = spawn(process.execPath, [MAIN, '--store', store, ...bulkArgs], { env, stdio: 'ignore' });
  const deadline = Date.now() + 60_000;
  while (ackCount(acks) < before + afterAcks && loop.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => setTimeout(r, jitterMs));
  process.kill(-loop.pid!, 'SIGKILL');
  bulk.kill('SIGKILL');
  await Promise.all([new Promise((r) => loop.on('close', r)), new Promise((r) => bulk.on('close', r))]);
}

function ackCount(acks: string): number {
  return fs.existsSync(acks) ? fs.readFileSync(acks, 'utf8').split('\n').filter(Boolean).length : 0;
}

describe('a process killed during a write', () => {
  const dir = tempDir();

  it('leaves a store that vfi fsck and git fsck accept, with every acknowledged write present', async () => {
    const store = path.join(dir, 'killed');
    vfi(store, ['add', 'Runtime', '-'], { input: JSON.stringify(runtimeVfi()) });
    const acks = path.join(dir, 'acks');
    const bigImport = path.join(dir, 'big.jsonl');
    fs.writeFileSync(bigImport, Array.from({ length: 4000 }, (_, i) => JSON.stringify({ c: { type: 'dockerImage', address: `img:${i}` } })).join('\n'));
    // Publications in a loop and an import, killed at varying moments.
    for (const [k, [afterAcks, jitterMs]] of [[1, 0], [1, 40], [2, 90], [3, 15], [1, 150]].entries()) {
      await killMidWrite(store, `set Runtime router=polyverse/router:k${k}-$i`, acks, ['import', 'Bulk', bigImport], afterAcks!, jitterMs!);
    }
    const fsck = vfi(store, ['fsck']);
    expect(fsck.code, fsck.stdout + fsck.stderr).toBe(0);
    const gitFsck = git(store, ['fsck', '--strict']);
    expect(gitFsck.code, gitFsck.stderr).toBe(0);
    const acknowledged = fs.readFileSync(acks, 'utf8').trim().split('\n').filter(Boolean);
    expect(acknowledged.length).toBeGreaterThan(0);
    const published = new Set(JSON.parse(vfi(store, ['log', 'Runtime', '--json']).stdout).map((e: { ref: string }) => e.ref));
    for (const ack of acknowledged) expect(published).toContain(ack);
    // The store keeps working after the kills (a lock a killed process left is broken: its holder is gone).
    expect(vfi(store, ['set', 'Runtime', 'router=polyverse/router:after'], { env: { VFI_LOCK_TIMEOUT_MS: '5000' } }).code).toBe(0);
  }, 300_000);

  it('assertions: killed writers lose nothing that was acknowledged, and leave a store both fscks accept', async () => {
    const store = path.join(dir, 'killed-asserts');
    const ref = vfi(store, ['add', 'Runtime', '-'], { input: JSON.stringify(runtimeVfi()) }).stdout.trim();
    const acks = path.join(dir, 'assert-acks');
    const batch = path.join(dir, 'batch.jsonl');
    fs.writeFileSync(batch, Array.from({ length: 20_000 }, (_, i) => JSON.stringify({ vfi: ref, claim: `bulk-${i % 50}`, result: 'pass', note: `n${i}` })).join('\n'));
    // `vfi assert` prints one line per record once it is recorded: those lines are the acknowledgements.
    for (const [k, [afterAcks, jitterMs]] of [[1, 0], [1, 60], [2, 25], [1, 120]].entries()) {
      await killMidWrite(store, `assert ${ref} k${k}-$i --by ci`, acks, ['assert', '--batch', batch], afterAcks!, jitterMs!);
    }
    const fsck = vfi(store, ['fsck']);
    expect(fsck.code, fsck.stdout + fsck.stderr).toBe(0);
    const gitFsck = git(store, ['fsck', '--strict']);
    expect(gitFsck.code, gitFsck.stderr).toBe(0);
    const acknowledged = fs.readFileSync(acks, 'utf8').trim().split('\n').filter(Boolean).map((line) => line.split(' ')[1]);
    expect(acknowledged.length).toBeGreaterThan(0);
    const recorded = new Set(JSON.parse(vfi(store, ['assertions', ref, '--json']).stdout).records.map((r: { claim: string }) => r.claim));
    for (const claim of acknowledged) expect(recorded).toContain(claim);
    expect(vfi(store, ['assert', ref, 'after-the-kills'], { env: { VFI_LOCK_TIMEOUT_MS: '5000' } }).code).toBe(0);
  }, 120_000);
});
