// Issue 10: the cost of trust. `vfi pick` on 10,000 VFIs / 100,000 assertions of which half are
// signed, with a trust list, against the same pick before the store trusted any key (bar: <= 1.3x,
// both with warm caches; the first pick after `trust add`, which checks every signature once, is
// reported too). And the signing cost of `vfi assert --batch` of 10,000 records, signed vs unsigned.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ENV, fmt, makeVfiLines, median, timeOnce, vfiArgs, workDir } from '../lib.mjs';

export const title = 'Trust: pick with a trust list (half the records signed) vs without; signing cost of assert --batch';
const VFIS = Number(process.env.BENCH_SCALE_VFIS ?? 10_000);
const ASSERTIONS = Number(process.env.BENCH_SCALE_ASSERTIONS ?? 100_000);
const BATCH = 10_000;
const CLAIMS = ['tests-passed', 'smoke-verified', 'reviewed', 'lint-clean', 'security-scanned', 'perf-ok'];

function batchFile(dir, name, ids, n, seed) {
  const lines = [];
  for (let i = 0; i < n; i++) {
    const id = ids[(i * 7919 + seed) % ids.length];
    lines.push(JSON.stringify({ vfi: `Runtime@${id}`, claim: CLAIMS[(i + seed) % CLAIMS.length], result: i % 20 === 0 ? 'fail' : 'pass' }));
  }
  const file = path.join(dir, `${name}.jsonl`);
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

export async function run() {
  const dir = workDir('trust');
  try {
    const store = path.join(dir, 'store');
    const lines = path.join(dir, 'vfis.jsonl');
    fs.writeFileSync(lines, makeVfiLines(VFIS));
    timeOnce(process.execPath, vfiArgs(store, ['import', 'Runtime', lines]));
    const ids = JSON.parse(timeOnce(process.execPath, vfiArgs(store, ['log', 'Runtime', '--json'])).stdout).map((e) => e.id);
    const keys = path.join(dir, 'keys');
    timeOnce(process.execPath, vfiArgs(store, ['key', 'generate', '--out', keys]));
    const signed = { env: { ...ENV, VFI_SIGNING_KEY: path.join(keys, 'vfi.key') } };
    const half = ASSERTIONS / 2;
    // the signing cost, measured on the first 10,000 of each half
    const unsignedMs = timeOnce(process.execPath, vfiArgs(store, ['assert', '--batch', batchFile(dir, 'u1', ids, BATCH, 1)])).ms;
    const signedMs = timeOnce(process.execPath, vfiArgs(store, ['assert', '--batch', batchFile(dir, 's1', ids, BATCH, 2)]), signed).ms;
    if (half > BATCH) {
      timeOnce(process.execPath, vfiArgs(store, ['assert', '--batch', batchFile(dir, 'u2', ids, half - BATCH, 3)]));
      timeOnce(process.execPath, vfiArgs(store, ['assert', '--batch', batchFile(dir, 's2', ids, half - BATCH, 4)]), signed);
    }

    const pick = ['pick', 'Runtime', '--allow-unpinned', '--min-score', '0'];
    const samples = (n) => {
      const xs = [];
      for (let i = 0; i < n; i++) xs.push(timeOnce(process.execPath, vfiArgs(store, pick)).ms);
      return xs;
    };
    samples(2); // caches built
    const without = median(samples(10));
    timeOnce(process.execPath, vfiArgs(store, ['trust', 'add', 'ci', path.join(keys, 'vfi.pub')]));
    const firstWith = timeOnce(process.execPath, vfiArgs(store, pick)).ms;
    samples(1);
    const withTrust = median(samples(10));
    const ratio = withTrust / without;
    return {
      bar: 'pick with a trust list <= 1.3x the same pick without one (warm caches); signing cost reported',
      pass: ratio <= 1.3,
      rows: [
        [`vfi pick, ${VFIS} VFIs / ${ASSERTIONS} assertions (half signed): no trust list / trust list`, `${fmt(without)} / ${fmt(withTrust)}`, `${ratio.toFixed(2)}x`],
        ['first pick after vfi trust add (checks every signature once, then cached)', fmt(firstWith), ''],
        [`vfi assert --batch of ${BATCH} records: unsigned / signed (ed25519)`, `${fmt(unsignedMs)} / ${fmt(signedMs)}`, `${(signedMs / unsignedMs).toFixed(2)}x`],
      ],
      summary: { without, withTrust, ratio, firstWith, unsignedMs, signedMs },
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
