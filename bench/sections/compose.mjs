// Issue 11: pick and find seeing through compositions, and contains. A store of 10,000 VFIs whose
// images are pinned, with 100,000 assertions of which half are about components (image digests,
// git commits), against the same number of VFIs with 100,000 assertions all about VFIs (what pick
// scored before compositions counted; both run the current code). Bars: pick and find on the
// component store within 1.5x of pick on the VFI-only store; contains under 0.5 s (beside `node -e 0`,
// the start-up every command pays).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ENV, fmt, makeVfiLines, median, sideBySide, timeOnce, vfiArgs, workDir } from '../lib.mjs';

// The bench's images are tags: the pick defaults (score >= 1, images pinned) would leave no candidate.
const RULES = ['--allow-unpinned', '--min-score', '0'];

export const title = 'Compositions: pick/find with half the assertions on components, and contains, at 10,000 VFIs';
const N = Number(process.env.BENCH_SCALE_VFIS ?? 10_000);
const A = Number(process.env.BENCH_SCALE_ASSERTIONS ?? 100_000);
const CLAIMS = ['tests-passed', 'smoke-verified', 'reviewed', 'lint-clean', 'security-scanned', 'perf-ok'];

const hex = (i, len) => (i.toString(16).padStart(8, '0').repeat(Math.ceil(len / 8))).slice(0, len);
const routerDigest = (i) => `polyverse/router:1.0.${i}@sha256:${hex(i + 1, 64)}`;
const statusDigest = (i) => `polyverse/status:s${i % 97}@sha256:${hex(0x10000 + (i % 97), 64)}`;

export function pinnedVfiLines(n) {
  const lines = [];
  for (let i = 0; i < n; i++) {
    lines.push(JSON.stringify({
      etcd: { type: 'dockerImage', address: `quay.io/coreos/etcd:v3.5.9@sha256:${hex(0xe7cd, 64)}` },
      status: { type: 'dockerImage', address: statusDigest(i) },
      router: { type: 'dockerImage', address: routerDigest(i) },
      api: { type: 'git', address: `https://github.com/polyverse/api.git@${hex(0xa91 + (i % 13), 40)}` },
    }));
  }
  return lines.join('\n') + '\n';
}

function rng(seed) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

/** Median CPU time (user + sys, ms) of a command over `runs` runs: what it costs whatever else the machine is doing. */
function cpuMs(cmd, args, runs = 7) {
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const r = spawnSync('/usr/bin/time', ['-f', '%U %S', cmd, ...args], { env: ENV, maxBuffer: 1 << 30 });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
    const [user, sys] = r.stderr.toString().trim().split('\n').pop().split(' ').map(Number);
    samples.push((user + sys) * 1000);
  }
  return median(samples);
}

export function build(dir, name, vfiLines, componentShare) {
  const store = path.join(dir, name);
  const jsonl = path.join(dir, `${name}.jsonl`);
  fs.writeFileSync(jsonl, vfiLines);
  timeOnce(process.execPath, vfiArgs(store, ['import', 'Runtime', jsonl]));
  const ids = JSON.parse(timeOnce(process.execPath, vfiArgs(store, ['log', 'Runtime', '--json'])).stdout).map((e) => e.id);
  const rand = rng(7);
  const lines = [];
  for (let i = 0; i < A; i++) {
    const k = Math.floor(rand() * ids.length);
    const onComponent = rand() < componentShare;
    // components: routers (one per VFI), statuses (97) and api commits (13); 1% of results fail
    const subject = !onComponent ? `Runtime@${ids[k]}` : i % 3 === 0 ? statusDigest(k) : i % 3 === 1 ? routerDigest(ids.length - 1 - k) : `https://github.com/polyverse/api.git@${hex(0xa91 + (k % 13), 40)}`;
    lines.push(JSON.stringify({ vfi: subject, claim: CLAIMS[i % CLAIMS.length], result: rand() < (onComponent ? 0.01 : 0.05) ? 'fail' : 'pass' }));
  }
  const batch = path.join(dir, `${name}-batch.jsonl`);
  fs.writeFileSync(batch, lines.join('\n') + '\n');
  timeOnce(process.execPath, vfiArgs(store, ['assert', '--batch', batch]));
  return store;
}

export async function run() {
  const dir = workDir('compose');
  try {
    const plain = build(dir, 'vfi-only', makeVfiLines(N), 0);
    const mixed = build(dir, 'components', pinnedVfiLines(N), 0.5);
    const cmd = (label, store, args) => ({ label, cmd: process.execPath, args: vfiArgs(store, args) });
    const [base, pick, find, contains, node] = sideBySide([
      cmd('pick, VFI-only assertions', plain, ['pick', 'Runtime', ...RULES]),
      cmd('pick, half on components', mixed, ['pick', 'Runtime', ...RULES]),
      cmd('find --has tests-passed, half on components', mixed, ['find', 'Runtime', '--has', 'tests-passed', ...RULES]),
      cmd('contains an image in every VFI', mixed, ['contains', `quay.io/coreos/etcd@sha256:${hex(0xe7cd, 64)}`, '--json']),
      { label: 'node -e 0 (start-up alone)', cmd: process.execPath, args: ['-e', '0'] },
    ], 10, 2);
    const ratios = { pick: pick.median / base.median, find: find.median / base.median };
    const containsArgs = vfiArgs(mixed, ['contains', `quay.io/coreos/etcd@sha256:${hex(0xe7cd, 64)}`, '--json']);
    const cpu = { contains: cpuMs(process.execPath, containsArgs), node: cpuMs(process.execPath, ['-e', '0']) };
    const pass = ratios.pick <= 1.5 && ratios.find <= 1.5 && contains.median < 500;
    return {
      bar: 'pick and find with half the assertions on components <= 1.5x pick with VFI-only assertions; contains < 0.5 s',
      pass,
      rows: [
        [base.label, fmt(base.median), '1.00x'],
        [pick.label, fmt(pick.median), `${ratios.pick.toFixed(2)}x`],
        [find.label, fmt(find.median), `${ratios.find.toFixed(2)}x`],
        [`${contains.label} (${N} rows)`, fmt(contains.median), contains.median < 500 ? 'under 0.5 s' : 'OVER 0.5 s'],
        [node.label, fmt(node.median), `contains is ${(contains.median / node.median).toFixed(2)}x this`],
        ['contains, CPU time (user + sys)', fmt(cpu.contains), `${(cpu.contains / cpu.node).toFixed(2)}x node -e 0's`],
        ['node -e 0, CPU time (user + sys)', fmt(cpu.node), ''],
      ],
      notes: [`Load average at the end of the run: ${os.loadavg().map((l) => l.toFixed(2)).join(', ')} (${os.cpus().length} cores).`],
      summary: { base: base.median, pick: pick.median, find: find.median, contains: contains.median, node: node.median, cpu, ratios },
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
