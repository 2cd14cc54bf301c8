// Shared helpers for the benchmark sections: timing side by side, stores, reports.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '..');
export const MAIN = path.join(ROOT, 'dist', 'main.js');
export const ENV = { ...process.env, GIT_AUTHOR_NAME: 'Bench', GIT_AUTHOR_EMAIL: 'bench@example.com', VFI_NOW: '2026-11-01T12:00:00Z', NO_COLOR: '1' };

/**
 * `env` without NODE_EXTRA_CA_CERTS. These machines set it, and every node start then reads and
 * parses that CA bundle (~40 ms of a ~95 ms node -e 0); git does not: the benches also report their
 * start-up ratios without it.
 */
export function withoutExtraCaCerts(env = ENV) {
  const out = { ...env };
  delete out.NODE_EXTRA_CA_CERTS;
  return out;
}

export function workDir(name) {
  const dir = path.join(os.tmpdir(), `vfi-bench-${name}-${process.pid}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** Run a command once; returns wall milliseconds, throws on failure. */
export function timeOnce(cmd, args, opts = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env: ENV, maxBuffer: 1 << 30, ...opts });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return { ms, stdout: r.stdout?.toString() ?? '' };
}

export function vfiArgs(store, args) {
  return [MAIN, '--store', store, ...args];
}

/** Interleave runs of several commands (so machine noise hits all alike); report medians. */
export function sideBySide(commands, runs = 15, warmup = 2) {
  const samples = commands.map(() => []);
  for (let i = 0; i < warmup + runs; i++) {
    commands.forEach((c, j) => {
      const { ms } = timeOnce(c.cmd, c.args, c.opts);
      if (i >= warmup) samples[j].push(ms);
    });
  }
  return commands.map((c, j) => ({ label: c.label, median: median(samples[j]), min: Math.min(...samples[j]), runs }));
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

export const fmt = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);

/** Peak resident memory of a command in MiB, from GNU time when present, else from /proc polling. */
export function peakRssMiB(cmd, args, opts = {}) {
  const r = spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...args], { env: ENV, maxBuffer: 1 << 30, ...opts });
  if (r.status === 0) {
    const kb = Number(r.stderr.toString().trim().split('\n').pop());
    if (Number.isFinite(kb)) return kb / 1024;
  }
  return undefined;
}

/** N one-line VFIs (9 components each) as JSON Lines. */
export function makeVfiLines(n, salt = '') {
  const lines = [];
  for (let i = 0; i < n; i++) {
    lines.push(JSON.stringify({
      etcd: { type: 'dockerImage', address: 'quay.io/coreos/etcd:v3.5.9' },
      nsq: { type: 'dockerImage', address: 'nsqio/nsq:v0.3.8' },
      polyverse: { type: 'dockerImage', address: 'polyverse/polyverse:72e5e550d1835013832f64597cb1368b7155bd53' },
      status: { type: 'dockerImage', address: `polyverse/status:s${i % 97}` },
      supervisor: { type: 'dockerImage', address: 'polyverse/supervisor:v1.4.0' },
      router: { type: 'dockerImage', address: `polyverse/router:1.0.${i}${salt}` },
      containerManager: { type: 'dockerImage', address: 'polyverse/container-manager:v2.1.0' },
      eventService: { type: 'dockerImage', address: `polyverse/event-service:v0.${i % 13}` },
      api: { type: 'git', address: 'https://github.com/polyverse/api.git@72e5e550d1835013832f64597cb1368b7155bd53' },
    }));
  }
  return lines.join('\n') + '\n';
}
