/**
 * Scratch directories that must not outlive an interrupted command: removed when the process gets
 * SIGINT, SIGTERM or SIGHUP, after which the process dies of that signal as it would have without
 * a handler (so a shell sees "interrupted", not a normal exit).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
const pending = new Set<string>();

function onSignal(signal: NodeJS.Signals): void {
  for (const dir of pending) {
    try {
      fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      /* best effort: the process is going away */
    }
  }
  pending.clear();
  for (const s of SIGNALS) process.removeListener(s, onSignal);
  process.kill(process.pid, signal);
}

/** Remove `dir` if the process is interrupted before the returned function is called. */
export function removeOnSignal(dir: string): () => void {
  if (pending.size === 0) for (const s of SIGNALS) process.on(s, onSignal);
  pending.add(dir);
  return () => {
    pending.delete(dir);
    if (pending.size === 0) for (const s of SIGNALS) process.removeListener(s, onSignal);
  };
}

/** Is a process with this id alive (as far as this user can tell)? */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Remove the scratch directories (`vfi-cache/transfer/<pid>-<hex>`) of processes that are gone:
 * vfi up to 0.1 pushed through one and a killed push left it behind.
 */
export function sweepScratch(storeGitdir: string): void {
  const base = path.join(storeGitdir, 'vfi-cache', 'transfer');
  let names: string[];
  try {
    names = fs.readdirSync(base);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(/^(\d+)-[0-9a-f]+$/.exec(name)?.[1]);
    if (pid && pid !== process.pid && !processAlive(pid)) fs.rmSync(path.join(base, name), { recursive: true, force: true });
  }
}
