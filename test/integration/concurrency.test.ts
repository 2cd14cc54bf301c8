/** Several processes on one store at once, and processes killed in the middle of writing. */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { finished, FIXED_ENV, git, MAIN, ok, runtimeVfi, tempDir, vfiAsync } from '../helpers/cli.js';
import { bothFsckClean } from '../helpers/faultChecks.js';
import { faultAfterAcks } from '../helpers/faultLoop.js';

describe('concurrent writers', () => {
  const dir = tempDir();

  it('two concurrent `set` on one name are both published, neither lost', async () => {
    const store = path.join(dir, 'two');
    ok(store, ['add', 'Runtime', '-'], { input: JSON.stringify(runtimeVfi()) });
    for (let round = 0; round < 5; round++) {
      const [a, b] = await Promise.all([
        finished(vfiAsync(store, ['set', 'Runtime', `router=polyverse/router:r${round}`])),
        finished(vfiAsync(store, ['set', 'Runtime', `nsq=nsqio/nsq:n${round}`])),
      ]);
      expect([a.code, b.code, a.stderr, b.stderr]).toEqual([0, 0, '', '']);
      const ids = JSON.parse(ok(store, ['log', 'Runtime', '--json'])).map((e: { id: string }) => e.id);
      // both publications are in the lineage...
      for (const out of [a.stdout, b.stdout]) expect(ids).toContain(/@(\w+)/.exec(out)![1]);
      // ...and the second applied its edit on top of the first, so the head carries both.
      const head = JSON.parse(ok(store, ['show', 'Runtime']));
      expect([head.router.address, head.nsq.address]).toEqual([`polyverse/router:r${round}`, `nsqio/nsq:n${round}`]);
    }
    expect(git(store, ['rev-list', '--count', 'refs/vfi/Runtime']).stdout.trim()).toBe('11');
    bothFsckClean(store);
  });

  it('eight processes publishing on one lineage at once: every publication kept', async () => {
    const store = path.join(dir, 'eight');
    ok(store, ['add', 'Runtime', '-'], { input: JSON.stringify(runtimeVfi()) });
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => finished(vfiAsync(store, ['set', 'Runtime', `c${i}=example/c${i}:v1`]))),
    );
    expect(results.map((r) => r.code)).toEqual(Array(8).fill(0));
    const head = JSON.parse(ok(store, ['show', 'Runtime']));
    for (let i = 0; i < 8; i++) expect(head[`c${i}`]?.address).toBe(`example/c${i}:v1`);
    expect(git(store, ['rev-list', '--count', 'refs/vfi/Runtime']).stdout.trim()).toBe('9');
    bothFsckClean(store);
  });
});

/**
 * A shell running `vfi <loopArgs>` in a loop (`$i` counts; each line it prints is an
 * acknowledgement) beside one bulk `vfi <bulkArgs>`, both SIGKILLed once `afterAcks` lines are in
 * and `jitterMs` more have passed: the kill always comes after an acknowledged write, however loaded
 * the machine, and lands at a different point of the runs each time. The acknowledgements.
 */
async function killMidWrite(dir: string, label: string, store: string, loopArgs: string, bulkArgs: string[], afterAcks: number, jitterMs: number): Promise<string[]> {
  const env = { ...process.env, ...FIXED_ENV };
  const bulk = spawn(process.execPath, [MAIN, '--store', store, ...bulkArgs], { env, stdio: 'ignore' });
  const bulkClosed = new Promise((r) => bulk.on('close', r));
  const run = await faultAfterAcks({
    loop: `node ${MAIN} --store ${store} ${loopArgs}`, env, dir, label, afterAcks, jitterMs, ackAsPrinted: true,
    fault: (group) => {
      bulk.kill('SIGKILL');
      process.kill(-group, 'SIGKILL');
    },
  });
  await bulkClosed;
  expect(run.acks.length, label).toBeGreaterThanOrEqual(afterAcks);
  return run.acks;
}

describe('a process killed during a write', () => {
  const dir = tempDir();

  it('leaves a store that vfi fsck and git fsck accept, with every acknowledged write present', async () => {
    const store = path.join(dir, 'killed');
    ok(store, ['add', 'Runtime', '-'], { input: JSON.stringify(runtimeVfi()) });
    const acknowledged: string[] = [];
    const bigImport = path.join(dir, 'big.jsonl');
    fs.writeFileSync(bigImport, Array.from({ length: 4000 }, (_, i) => JSON.stringify({ c: { type: 'dockerImage', address: `img:${i}` } })).join('\n'));
    // Publications in a loop and an import, killed at varying moments.
    for (const [k, [afterAcks, jitterMs]] of [[1, 0], [1, 40], [2, 90], [3, 15], [1, 150]].entries()) {
      acknowledged.push(...(await killMidWrite(dir, `set-${k}`, store, `set Runtime router=polyverse/router:k${k}-$i`, ['import', 'Bulk', bigImport], afterAcks!, jitterMs!)));
    }
    bothFsckClean(store);
    const published = new Set(JSON.parse(ok(store, ['log', 'Runtime', '--json'])).map((e: { ref: string }) => e.ref));
    for (const ack of acknowledged) expect(published).toContain(ack);
    // The store keeps working after the kills (a lock a killed process left is broken: its holder is gone).
    ok(store, ['set', 'Runtime', 'router=polyverse/router:after'], { env: { VFI_LOCK_TIMEOUT_MS: '5000' } });
  }, 300_000);

  it('assertions: killed writers lose nothing that was acknowledged, and leave a store both fscks accept', async () => {
    const store = path.join(dir, 'killed-asserts');
    const ref = ok(store, ['add', 'Runtime', '-'], { input: JSON.stringify(runtimeVfi()) }).trim();
    const acks: string[] = [];
    const batch = path.join(dir, 'batch.jsonl');
    fs.writeFileSync(batch, Array.from({ length: 20_000 }, (_, i) => JSON.stringify({ vfi: ref, claim: `bulk-${i % 50}`, result: 'pass', note: `n${i}` })).join('\n'));
    // `vfi assert` prints one line per record once it is recorded: those lines are the acknowledgements.
    for (const [k, [afterAcks, jitterMs]] of [[1, 0], [1, 60], [2, 25], [1, 120]].entries()) {
      acks.push(...(await killMidWrite(dir, `assert-${k}`, store, `assert ${ref} k${k}-$i --by ci`, ['assert', '--batch', batch], afterAcks!, jitterMs!)));
    }
    bothFsckClean(store);
    const acknowledged = acks.map((line) => line.split(' ')[1]);
    const recorded = new Set(JSON.parse(ok(store, ['assertions', ref, '--json'])).records.map((r: { claim: string }) => r.claim));
    for (const claim of acknowledged) expect(recorded).toContain(claim);
    ok(store, ['assert', ref, 'after-the-kills'], { env: { VFI_LOCK_TIMEOUT_MS: '5000' } });
  }, 120_000);
});
