// SPEC §5 resolve: `vfi resolve` of a 50-component VFI against a local registry, side by side
// with a sequential `skopeo inspect` loop over the same references: at least 5x faster.
// Both run against the same private dockerd and registry on 127.0.0.1, started and stopped here.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import * as http from 'node:http';
import { importImage, pushImage, startEngine, startRegistry } from '../../test/helpers/engine.js';
import { ENV, fmt, median, vfiArgs, workDir } from '../lib.mjs';

export const title = 'Resolve: vfi resolve of a 50-component VFI vs a sequential skopeo inspect loop';
const N = 50;
const ROUNDS = 5;

function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv = ENV): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env, maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.slice(0, 4).join(' ')} failed: ${r.stderr}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** 50 distribution inspects sent straight to the engine, `concurrency` at a time, from this process: the engine's own pace, no vfi. */
async function engineAlone(socketPath: string, refs: string[], concurrency: number): Promise<number> {
  const get = (ref: string) =>
    new Promise<void>((resolve, reject) => {
      const req = http.get({ socketPath, path: `/distribution/${ref}/json` }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`${ref}: HTTP ${res.statusCode}`))));
      });
      req.on('error', reject);
    });
  const t0 = process.hrtime.bigint();
  const queue = [...refs];
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (let ref = queue.shift(); ref; ref = queue.shift()) await get(ref);
  }));
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

export async function run() {
  const dir = workDir('resolve');
  const [engine, registry] = await Promise.all([startEngine(), startRegistry()]);
  try {
    const refs: string[] = [];
    for (let i = 0; i < N; i++) {
      const ref = `${registry.host}/bench/c${i}:v1`;
      await importImage(engine, ref, { 'c.txt': `component ${i}\n` });
      await pushImage(engine, ref);
      refs.push(ref);
    }
    const vfiJson = Object.fromEntries(refs.map((r, i) => [`c${i}`, { type: 'dockerImage', address: r }]));
    const store = path.join(dir, 'store');
    const file = path.join(dir, 'runtime.json');
    fs.writeFileSync(file, JSON.stringify(vfiJson));
    const added = spawnSync(process.execPath, vfiArgs(store, ['add', 'Runtime', file]), { env: ENV }).stdout.toString().trim();
    const env = { ...ENV, DOCKER_HOST: engine.host };
    const skopeoLoop = () => {
      let total = 0;
      for (const ref of refs) total += timed('skopeo', ['inspect', '--tls-verify=false', '--no-creds', '--format', '{{.Digest}}', `docker://${ref}`]);
      return total;
    };
    const resolveOnce = () => timed(process.execPath, vfiArgs(store, ['resolve', added]), env);

    // The images are local after the push (RepoDigests): one image list answers all 50.
    const local: number[] = [];
    const skopeo: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      skopeo.push(skopeoLoop());
      local.push(resolveOnce());
    }
    // Without local images every component is a distribution inspect through the engine.
    await engine.docker(['rmi', ...refs]);
    const registryPath: number[] = [];
    const alone: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      skopeo.push(skopeoLoop());
      registryPath.push(resolveOnce());
      alone.push(await engineAlone(engine.socketPath, refs, 8));
    }
    const s = median(skopeo);
    const l = median(local);
    const g = median(registryPath);
    const a = median(alone);
    return {
      bar: 'skopeo loop / vfi resolve >= 5 (registry path: no image local)',
      pass: s / g >= 5,
      rows: [
        [`sequential skopeo inspect loop (${N} references)`, fmt(s), ''],
        [`vfi resolve, images not local (${N} distribution inspects through the engine)`, fmt(g), `${(s / g).toFixed(1)}x faster`],
        [`vfi resolve, images local (RepoDigests from one image list)`, fmt(l), `${(s / l).toFixed(1)}x faster`],
        [`reference: the engine alone, ${N} distribution inspects sent straight to its socket, 8 at a time (no vfi, no node start-up)`, fmt(a), `${(s / a).toFixed(1)}x faster`],
      ],
      notes: [
        'Times are whole commands: vfi includes node start-up, reading the store and publishing the pinned VFI.',
        'On the registry path the engine makes 4 registry requests per distribution inspect (GET /v2/, HEAD and GET of the manifest, GET of the config blob, on a new connection each time); the engine-alone row is the fastest any client going through the engine could be here, and its ratio to the skopeo loop is the ceiling for that path on this machine.',
      ],
      summary: { n: N, skopeoMs: s, resolveRegistryMs: g, resolveLocalMs: l, engineAloneMs: a },
    };
  } finally {
    await registry.stop();
    await engine.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
