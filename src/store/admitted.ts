/**
 * Admission watermarks: per vfi ref, a commit whose whole history this store has checked, either
 * because vfi wrote it (publish, import, assert, batch, trust/policy events: their checks are
 * admission's) or because a pull admitted it. Commits are named by their content, so what such a
 * commit reaches stays checked; a push then checks only the commits its refs reach beyond the
 * watermark. A watermark moves only along what was checked: from nothing, or from the watermark
 * itself, to a commit made on it. A ref moved by raw git (to bad data, or to a vfi commit made on
 * top of bad data) leaves its watermark behind, so the push checks everything past it, as before.
 *
 * One small file per ref under vfi-cache/admitted/, written whole and renamed into place. Losing
 * one (a crash, a cleared cache, two writers racing) only means more checking: every value ever
 * written is a checked commit, so no interleaving of writers can make a watermark wrong.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CommitReader } from '../git/commits.js';
import { relate } from '../git/graph.js';

const OID = /^[0-9a-f]{40}$/;

interface Located {
  gitdir: string;
}

const fileOf = (store: Located, ref: string) => path.join(store.gitdir, 'vfi-cache', 'admitted', ref);

/** The checked commit recorded for `ref`, or undefined. */
export function admittedTip(store: Located, ref: string): string | undefined {
  try {
    const id = fs.readFileSync(fileOf(store, ref), 'utf8').trim();
    return OID.test(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `ref`'s new commits up to `to` were checked on top of `from` (undefined/null: on nothing): `to`
 * becomes the watermark when `from` is nothing or the watermark itself. Never fails the write it
 * follows: a watermark not recorded only costs a later push its checks.
 */
export function advanceAdmitted(store: Located, ref: string, from: string | null | undefined, to: string): void {
  if (!ref.startsWith('refs/') || ref.includes('..')) return;
  try {
    if (from != null && admittedTip(store, ref) !== from) return;
    const file = fileOf(store, ref);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${to}\n`);
    fs.renameSync(tmp, file);
  } catch {
    /* read-only store, a name clash with a directory: keep checking on push */
  }
}

/** After a check of `updates` passed: each update's new head is checked on top of its old one. */
export function recordAdmitted(store: Located, updates: readonly { ref: string; old: string | null; new: string }[]): void {
  for (const u of updates) advanceAdmitted(store, u.ref, u.old, u.new);
}

/**
 * What a push must check of `updates` (remote head -> local head): nothing of a ref whose local
 * head is its watermark; from the watermark when the watermark lies between the two heads (fewer
 * commits to walk, none of them sent unchecked); else the update as it is.
 */
export async function pastAdmitted<U extends { ref: string; old: string | null; new: string }>(store: Located, reader: CommitReader, updates: readonly U[]): Promise<U[]> {
  const out: U[] = [];
  for (const u of updates) {
    const tip = admittedTip(store, u.ref);
    if (tip === u.new) continue;
    const between = tip !== undefined && (await relateKnown(reader, u.new, tip)) === 'ahead'
      && (u.old === null || ['equal', 'ahead'].includes((await relateKnown(reader, tip, u.old)) ?? ''));
    out.push(between ? { ...u, old: tip } : u);
  }
  return out;
}

/** relate(), or undefined when a commit of either side cannot be read (admission then says why). */
const relateKnown = (reader: CommitReader, a: string, b: string) => relate(reader, a, b).catch(() => undefined);
