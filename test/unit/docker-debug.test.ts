/**
 * docker-modem logs each request it sends, headers included, under the debug namespace "modem":
 * with DEBUG=modem (or DEBUG=*) the X-Registry-Auth header, i.e. the registry password, would
 * reach stderr. dockerodeEngine({ env: process.env }) excludes that namespace; this checks it against a fake engine
 * socket (no answer needed: the log line is written when the request is sent).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createRequire } from 'node:module';
import { startHangingEngine } from '../helpers/engine.js';
import { dockerodeEngine } from '../../src/docker/engine.js';
import { encodeRegistryAuth, type RegistryAuth } from '../../src/docker/credentials.js';

const SECRET = 'correct-horse-battery-staple';
const AUTH: RegistryAuth = { username: 'u', password: SECRET, serveraddress: 'reg.example:5000' };

const debug = createRequire(createRequire(import.meta.url).resolve('docker-modem'))('debug') as {
  enable(ns: string): void;
  disable(): string;
};

let hanging: Awaited<ReturnType<typeof startHangingEngine>>;
const savedDebug = process.env.DEBUG;

beforeAll(async () => {
  hanging = await startHangingEngine();
});

afterAll(async () => {
  debug.disable();
  if (savedDebug === undefined) delete process.env.DEBUG;
  else process.env.DEBUG = savedDebug;
  await hanging.stop();
});

async function stderrDuring(fn: () => Promise<unknown>): Promise<string> {
  const written: string[] = [];
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  });
  try {
    await fn().catch(() => {});
  } finally {
    spy.mockRestore();
  }
  return written.join('');
}

describe('DEBUG=modem', () => {
  it('does not print X-Registry-Auth', async () => {
    process.env.DEBUG = 'modem';
    debug.enable('modem'); // as if the process had started with DEBUG=modem
    const engine = dockerodeEngine({ socketPath: hanging.socketPath, env: process.env });
    const out = await stderrDuring(() => engine.distributionInspect('reg.example:5000/app:v1', AUTH, AbortSignal.timeout(200)));
    expect(out).not.toContain(encodeRegistryAuth(AUTH));
    expect(out).not.toContain(SECRET);
  });

  it('(control) the modem would print it, were the namespace enabled', async () => {
    const engine = dockerodeEngine({ socketPath: hanging.socketPath, env: process.env });
    debug.enable('modem'); // re-enabled behind the engine's back
    const out = await stderrDuring(() => engine.distributionInspect('reg.example:5000/app:v1', AUTH, AbortSignal.timeout(200)));
    expect(out).toContain(encodeRegistryAuth(AUTH));
  });
});
