/**
 * A write command run again and again by bash, and a fault (a signal, the store moved away) once
 * k of its runs are acknowledged. Moments are events, never clocks: each acknowledgement (the
 * command's output, once it has exited 0) is appended to a file, and the fault comes once the file
 * holds k of them, plus a jitter, so it lands somewhere inside a later run (starting, parsing,
 * writing objects, moving the ref, writing caches).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const lines = (file: string): string[] => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);

/** Resolves once `ok()` holds (polled every 5 ms); fails after `timeoutMs`. */
export async function until(what: string, ok: () => boolean, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export interface FaultRun {
  /** every acknowledgement, whole lines only */
  acks: string[];
  /** how many were in before the fault */
  ackedBefore: number;
  /** the run that failed and ended the loop (the one the fault hit, or the next), if one did */
  failed?: { code: number; stderr: string };
}

export interface FaultOptions {
  /** the command, as bash runs it: $i is the iteration */
  loop: string;
  /** the environment of the loop */
  env: NodeJS.ProcessEnv;
  /** where the loop's files go (acknowledgements, the failed run's stderr, the stop mark) */
  dir: string;
  label: string;
  afterAcks: number;
  /** the wait after the k-th acknowledgement: a draw in [0, 1) of `random` times this, or all of it */
  jitterMs: number;
  random?: () => number;
  /**
   * A line counts once it is printed, even by a run killed before it exits (a line on stdout
   * means the write landed); otherwise the output of a run that exited 0.
   */
  ackAsPrinted?: boolean;
  /**
   * The fault; `group` is the loop's process group. `stop()` ends the loop before its next
   * iteration (the run under way finishes on its own terms).
   */
  fault(group: number, stop: () => void): void;
}

export async function faultAfterAcks(o: FaultOptions): Promise<FaultRun> {
  const base = path.join(o.dir, `loop-${o.label}`);
  const [acks, stopMark, err, status] = ['acks', 'stop', 'stderr', 'status'].map((s) => `${base}.${s}`) as [string, string, string, string];
  const run = o.ackAsPrinted
    ? `(${o.loop}) >>"${acks}" 2>"${err}"; rc=$?; `
    : `out=$( (${o.loop}) 2>"${err}" ); rc=$?; [ $rc -eq 0 ] && [ -n "$out" ] && printf '%s\\n' "$out" >> "${acks}"; `;
  const script = `for i in $(seq 1 400); do [ -e "${stopMark}" ] && exit 0; ${run}if [ $rc -ne 0 ]; then echo $rc > "${status}"; exit 1; fi; done`;
  const loop = spawn('bash', ['-c', script], { env: o.env, detached: true, stdio: 'ignore' });
  const closed = new Promise((r) => loop.on('close', r));
  await until(`${o.afterAcks} acknowledgement(s)`, () => lines(acks).length >= o.afterAcks || loop.exitCode !== null);
  await new Promise((r) => setTimeout(r, Math.floor((o.random?.() ?? 1) * o.jitterMs)));
  const ackedBefore = lines(acks).length;
  try {
    o.fault(loop.pid!, () => fs.writeFileSync(stopMark, ''));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e; // the loop had already ended
  }
  await closed;
  // A SIGTERM leaves bash's children to finish on their own terms; kill what is left of the group.
  try {
    process.kill(-loop.pid!, 'SIGKILL');
  } catch {
    /* gone */
  }
  const code = lines(status)[0];
  return {
    acks: lines(acks).filter((l) => /\S/.test(l)),
    ackedBefore,
    ...(code !== undefined ? { failed: { code: Number(code), stderr: fs.readFileSync(err, 'utf8') } } : {}),
  };
}

/** The fault of a signal to the whole group: bash, its subshells and the vfi running now. */
export const signalling = (signal: NodeJS.Signals) => (group: number) => process.kill(-group, signal);
