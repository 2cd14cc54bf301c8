/**
 * Verify the whole store from git alone (never from caches): every pack's checksums hold, every
 * object reachable from a vfi ref hashes to its id, every lineage commit holds one VFI whose bytes
 * are valid and canonical.
 * Other parts of the store (assertions) register their own checks.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeCommit, decodeTree, type Commit } from '../core/gitObject.js';
import { nameProblem } from '../core/names.js';
import { MAX_VFI_BYTES, storedVfiProblem } from './admit.js';
import { LINEAGE_PREFIX, VFI_FILE, type Store } from './store.js';

export interface FsckReport {
  counts: Record<string, number>;
  problems: string[];
  warnings: string[];
}

export type FsckCheck = (store: Store, report: FsckReport) => Promise<void>;

const extraChecks: FsckCheck[] = [];

/** Let another part of the store add its checks to `vfi fsck`. */
export function registerFsckCheck(check: FsckCheck): void {
  extraChecks.push(check);
}

export async function fsckStore(store: Store, checks: FsckCheck[] = extraChecks): Promise<FsckReport> {
  const report: FsckReport = { counts: { lineages: 0, publications: 0, vfis: 0 }, problems: [], warnings: [] };
  const packs = store.objects.verifyPacks();
  report.problems.push(...packs.problems.map((p) => `pack ${p}`));
  await checkLineages(store, report);
  for (const check of checks) await check(store, report);
  report.counts.packs = packs.packs;
  scanLeftovers(store.gitdir, report);
  return report;
}

/**
 * Visit every commit reachable from `head` once. `visit` gets each commit decoded; whatever it
 * (or reading the commit) throws is passed to `problem` with the commit id, and the walk goes on.
 */
export async function walkCommits(
  store: Store,
  head: string,
  visit: (id: string, commit: Commit) => Promise<void> | void,
  problem: (id: string, message: string) => void,
): Promise<void> {
  const seen = new Set<string>();
  const todo = [head];
  while (todo.length > 0) {
    const id = todo.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    try {
      const obj = await store.objects.read(id);
      if (obj.type !== 'commit') throw new Error(`is a ${obj.type}, not a commit`);
      const commit = decodeCommit(obj.body);
      todo.push(...commit.parents);
      await visit(id, commit);
    } catch (e) {
      problem(id, (e as Error).message);
    }
  }
}

async function checkLineages(store: Store, report: FsckReport): Promise<void> {
  const goodVfis = new Set<string>();
  for (const [ref, head] of store.refs.list(LINEAGE_PREFIX)) {
    report.counts.lineages!++;
    const badName = nameProblem(ref.slice(LINEAGE_PREFIX.length));
    if (badName) report.problems.push(`${ref}: not a valid lineage name: it ${badName} (git refuses the ref, and clones drop it)`);
    // Publications as the lineage counts them (store/lineageIndex.ts): a merge that re-carries a
    // parent's VFI, as `vfi pull` makes, is not one.
    const carried = new Map<string, { vfi: string; parents: string[] }>();
    await walkCommits(store, head, async (id, { tree, parents }) => {
      const entries = decodeTree((await store.objects.read(tree)).body);
      const entry = entries.find((e) => e.name === VFI_FILE);
      if (!entry || entries.length !== 1) throw new Error(`its tree must hold exactly one ${VFI_FILE}`);
      carried.set(id, { vfi: entry.id, parents });
      if (goodVfis.has(entry.id)) return;
      const blob = await store.objects.read(entry.id, { maxBytes: MAX_VFI_BYTES });
      const problem = storedVfiProblem(blob.body, entry.id);
      if (problem) throw new Error(`VFI ${entry.id}: ${problem.message}`);
      goodVfis.add(entry.id);
    }, (commit, message) => report.problems.push(`${ref}: commit ${commit}: ${message}`));
    for (const { vfi, parents } of carried.values()) {
      if (parents.length < 2 || !parents.some((p) => carried.get(p)?.vfi === vfi)) report.counts.publications!++;
    }
  }
  report.counts.vfis = goodVfis.size;
}

/** Temp files and locks that a killed process leaves behind: harmless to git, worth a word. */
function scanLeftovers(gitdir: string, report: FsckReport): void {
  let temps = 0;
  const objects = path.join(gitdir, 'objects');
  for (const d of safeReaddir(objects)) {
    if (d.length === 2) temps += safeReaddir(path.join(objects, d)).filter((f) => f.startsWith('tmp_obj_')).length;
  }
  temps += safeReaddir(path.join(objects, 'pack')).filter((f) => /^tmp_(pack|idx)_/.test(f)).length;
  if (temps > 0) report.warnings.push(`${temps} temporary object file(s) left by an interrupted write (harmless; git gc removes them)`);
  const locks: string[] = [];
  const walk = (dir: string) => {
    for (const e of safeReaddir(dir, true) as fs.Dirent[]) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.lock')) locks.push(path.relative(gitdir, p));
    }
  };
  walk(path.join(gitdir, 'refs'));
  for (const l of locks) report.warnings.push(`lock file ${l} (a writer is running, or was killed; the next writer removes it once that process is gone)`);
}

function safeReaddir(dir: string, withFileTypes = false): any[] {
  try {
    return withFileTypes ? fs.readdirSync(dir, { withFileTypes: true }) : fs.readdirSync(dir);
  } catch {
    return [];
  }
}
