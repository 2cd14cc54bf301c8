// SPEC §5 scale: a store with 10,000 VFIs and 100,000 assertions (built with vfi import and
// vfi assert --batch) against a store with 10 VFIs: vfi show by prefix, vfi assert and vfi pick
// each within 1.5x, vfi pick under 0.5 s; peak memory of pick. Then 8 processes each recording
// 50 assertions at once on one store: all 400 present, git fsck clean.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { ENV, MAIN, fmt, makeVfiLines, median, timeOnce, vfiArgs, workDir } from '../lib.mjs';

export const title = 'Scale: 10,000 VFIs and 100,000 assertions vs 10 VFIs; 8 concurrent writers';
const BIG_VFIS = Number(process.env.BENCH_SCALE_VFIS ?? 10_000);
const BIG_ASSERTIONS = Number(process.env.BENCH_SCALE_ASSERTIONS ?? 100_000);
const CLAIMS = ['tests-passed', 'smoke-verified', 'reviewed', 'lint-clean', 'security-scanned', 'perf-ok', 'docs-checked',
  'supports-scrambling', 'session-isolation', 'patch-verified', 'static-verified', 'warning-free'];

function rng(seed) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

function build(dir, name, nVfis, nAssertions) {
  const store = path.join(dir, name);
  const jsonl = path.join(dir, `${name}.jsonl`);
  fs.writeFileSync(jsonl, makeVfiLines(nVfis));
  const t0 = Date.now();
  timeOnce(process.execPath, vfiArgs(store, ['import', 'Runtime', jsonl]));
  const importMs = Date.now() - t0;
  const ids = JSON.parse(timeOnce(process.execPath, vfiArgs(store, ['log', 'Runtime', '--json'])).stdout).map((e) => e.id);
  const rand = rng(42);
  const lines = [];
  for (let i = 0; i < nAssertions; i++) {
    const id = ids[Math.floor(rand() * ids.length)];
    lines.push(JSON.stringify({ vfi: `Runtime@${id}`, claim: CLAIMS[i % CLAIMS.length], result: rand() < 0.05 ? 'fail' : 'pass', by: `ci-${i % 7}` }));
  }
  const batch = path.join(dir, `${name}-batch.jsonl`);
  fs.writeFileSync(batch, lines.join('\n') + '\n');
  const t1 = Date.now();
  timeOnce(process.execPath, vfiArgs(store, ['assert', '--batch', batch]));
  return { store, ids, importMs, batchMs: Date.now() - t1 };
}

/** Peak RSS of a node process, read from process.resourceUsage() at its exit. */
function peakRssMiB(store, args) {
  const preload = path.join(path.dirname(MAIN), '..', 'bench', 'maxrss.cjs');
  const out = spawnSync(process.execPath, ['-r', preload, ...vfiArgs(store, args)], { env: ENV });
  const m = /vfi-bench-maxrss-kb=(\d+)/.exec(out.stderr.toString());
  return m ? Number(m[1]) / 1024 : undefined;
}

async function concurrentWriters(dir) {
  const store = path.join(dir, 'eight');
  timeOnce(process.execPath, vfiArgs(store, ['import', 'Runtime', '-']), { input: makeVfiLines(10) });
  const ref = JSON.parse(timeOnce(process.execPath, vfiArgs(store, ['log', 'Runtime', '--json'])).stdout)[0].ref;
  const t0 = Date.now();
  await Promise.all(Array.from({ length: 8 }, (_, w) => new Promise((resolve, reject) => {
    const script = `for i in $(seq 1 50); do node ${MAIN} --store ${store} assert ${ref} w${w}-c$i >/dev/null || exit 1; done`;
    const child = spawn('bash', ['-c', script], { env: ENV, stdio: 'ignore' });
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`writer ${w} failed`))));
  })));
  const ms = Date.now() - t0;
  const records = JSON.parse(timeOnce(process.execPath, vfiArgs(store, ['assertions', ref, '--json'])).stdout).records.length;
  const fsck = spawnSync('git', ['--git-dir', store, 'fsck', '--strict']);
  return { ms, records, fsckOk: fsck.status === 0 };
}

export async function run() {
  const dir = workDir('scale');
  try {
    const small = build(dir, 'small', 10, 100);
    const big = build(dir, 'big', BIG_VFIS, BIG_ASSERTIONS);
    const prefix = (s) => `Runtime@${s.ids[Math.floor(s.ids.length / 2)].slice(0, 8)}`;
    const ops = {
      show: (s) => ['show', prefix(s)],
      // a new claim each run, so every run appends a record (the same record again would be a no-op)
      assert: (s, i) => ['assert', prefix(s), `bench-claim-${i}`, '--note', 'bench'],
      pick: () => ['pick', 'Runtime', '--allow-unpinned', '--min-score', '0'],
    };
    const results = {};
    for (const [op, args] of Object.entries(ops)) {
      const runs = { small: [], big: [] };
      for (let i = 0; i < 12; i++) {
        for (const [label, s] of [['small', small], ['big', big]]) {
          const { ms } = timeOnce(process.execPath, vfiArgs(s.store, args(s, i)));
          if (i >= 2) runs[label].push(ms);
        }
      }
      results[op] = { small: median(runs.small), big: median(runs.big) };
    }
    const pickPeak = peakRssMiB(big.store, ['pick', 'Runtime', '--allow-unpinned', '--min-score', '0']);
    const pickPeakSmall = peakRssMiB(small.store, ['pick', 'Runtime', '--allow-unpinned', '--min-score', '0']);
    const eight = await concurrentWriters(dir);
    const ratios = Object.fromEntries(Object.entries(results).map(([op, r]) => [op, r.big / r.small]));
    const pass = Object.values(ratios).every((r) => r <= 1.5) && results.pick.big < 500 && eight.records === 400 && eight.fsckOk;
    return {
      bar: 'each big/small <= 1.5; pick on the big store < 0.5 s; 8x50 concurrent assertions: 400 present, git fsck clean',
      pass,
      rows: [
        ...Object.entries(results).map(([op, r]) => [`vfi ${op}: 10 VFIs / ${BIG_VFIS} VFIs + ${BIG_ASSERTIONS} assertions`, `${fmt(r.small)} / ${fmt(r.big)}`, `${ratios[op].toFixed(2)}x`]),
        ['peak RSS of vfi pick (small / big)', `${pickPeakSmall?.toFixed(0)} MiB / ${pickPeak?.toFixed(0)} MiB`, ''],
        [`building the big store: import ${BIG_VFIS} / assert --batch ${BIG_ASSERTIONS}`, `${fmt(big.importMs)} / ${fmt(big.batchMs)}`, ''],
        ['8 processes x 50 vfi assert at once', fmt(eight.ms), `${eight.records}/400 present, git fsck ${eight.fsckOk ? 'clean' : 'FAILED'}`],
      ],
      summary: { results, ratios, pickPeakMiB: pickPeak, eight },
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
