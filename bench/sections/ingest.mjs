// SPEC §5 ingest: `vfi import` of 10,000 VFIs within 3x of git hash-object -w --stdin-paths plus
// git update-ref --stdin doing the same writes (the same 10,000 canonical blobs, one ref per VFI).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ENV, fmt, makeVfiLines, timeOnce, vfiArgs, workDir } from '../lib.mjs';

export const title = 'Ingest: vfi import of 10,000 VFIs vs git hash-object + update-ref';
const N = Number(process.env.BENCH_INGEST_N ?? 10_000);

export async function run() {
  const dir = workDir('ingest');
  const jsonl = path.join(dir, 'vfis.jsonl');
  fs.writeFileSync(jsonl, makeVfiLines(N));
  // The reference gets the canonical bytes ready-made (vfi's own output, so the blobs are identical).
  const seedStore = path.join(dir, 'seed');
  timeOnce(process.execPath, vfiArgs(seedStore, ['import', 'Runtime', jsonl]));
  const ids = timeOnce(process.execPath, vfiArgs(seedStore, ['log', 'Runtime', '--json'])).stdout;
  const blobs = path.join(dir, 'blobs');
  fs.mkdirSync(blobs);
  const paths = [];
  for (const e of JSON.parse(ids)) {
    const p = path.join(blobs, e.id);
    fs.writeFileSync(p, spawnSync('git', ['--git-dir', seedStore, 'cat-file', 'blob', e.id]).stdout);
    paths.push(p);
  }
  paths.reverse();

  const rounds = 3;
  const vfiMs = [];
  const gitMs = [];
  for (let r = 0; r < rounds; r++) {
    const gitStore = path.join(dir, `git-${r}`);
    spawnSync('git', ['init', '-q', '--bare', gitStore]);
    const t0 = process.hrtime.bigint();
    const hashed = spawnSync('git', ['--git-dir', gitStore, 'hash-object', '-w', '--stdin-paths'], { input: paths.join('\n') + '\n', maxBuffer: 1 << 28 });
    const oids = hashed.stdout.toString().trim().split('\n');
    const updates = oids.map((oid, i) => `create refs/vfi-bench/v${i} ${oid}`).join('\n') + '\n';
    const upd = spawnSync('git', ['--git-dir', gitStore, 'update-ref', '--stdin'], { input: updates, maxBuffer: 1 << 28 });
    gitMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (hashed.status !== 0 || upd.status !== 0 || oids.length !== N) throw new Error(`git reference failed: ${upd.stderr}`);

    const vfiStore = path.join(dir, `vfi-${r}`);
    vfiMs.push(timeOnce(process.execPath, vfiArgs(vfiStore, ['import', 'Runtime', jsonl])).ms);
  }
  const best = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const g = best(gitMs);
  const v = best(vfiMs);
  fs.rmSync(dir, { recursive: true, force: true });
  const ratio = v / g;
  return {
    bar: 'ratio <= 3.0',
    pass: ratio <= 3.0,
    rows: [
      [`git hash-object -w --stdin-paths + update-ref --stdin (${N} blobs, ${N} refs)`, fmt(g), ''],
      [`vfi import (${N} VFIs: parse, validate, ${3 * N} objects, 1 ref)`, fmt(v), `${ratio.toFixed(2)}x`],
    ],
    summary: { n: N, gitMs: g, vfiMs: v, ratio },
  };
}
