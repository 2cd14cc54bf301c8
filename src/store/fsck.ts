/**
 * Verify the whole store from git alone (never from caches): every pack's checksums hold, every
 * object reachable from a vfi ref hashes to its id, every lineage commit holds one VFI whose bytes
 * are valid and canonical.
 * Other parts of the store (assertions) register their own checks.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CommitReader, readTree, walkCommits } from '../git/commits.js';
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

/** A problem found on the commit `id` of `ref`, in one line (the reader's own messages name the object). */
export function commitFinding(ref: string, id: string, e: Error): string {
  return /^object [0-9a-f]{40} /.test(e.message) ? `${ref}: ${e.message}` : `${ref}: commit ${id}: ${e.message}`;
}

async function checkLineages(store: Store, report: FsckReport): Promise<void> {
  const goodVfis = new Set<string>();
  const reader = new CommitReader(store.objects);
  for (const [ref, head] of store.refs.list(LINEAGE_PREFIX)) {
    report.counts.lineages!++;
    const badName = nameProblem(ref.slice(LINEAGE_PREFIX.length));
    if (badName) report.problems.push(`${ref}: not a valid lineage name: it ${badName} (git refuses the ref, and clones drop it)`);
    // Publications as the lineage counts them (store/lineageIndex.ts): a merge that re-carries a
    // parent's VFI, as `vfi pull` makes, is not one.
    const carried = new Map<string, { vfi: string; parents: string[] }>();
    await walkCommits((id) => reader.read(id), head, async ({ id, tree, parents }) => {
      const entries = await readTree(store.objects, tree);
      const entry = entries.find((e) => e.name === VFI_FILE);
      if (!entry || entries.length !== 1) throw new Error(`its tree must hold exactly one ${VFI_FILE}`);
      carried.set(id, { vfi: entry.id, parents });
      if (goodVfis.has(entry.id)) return;
      const blob = await store.objects.read(entry.id, { maxBytes: MAX_VFI_BYTES });
      const problem = storedVfiProblem(blob.body, entry.id);
      if (problem) throw new Error(`VFI ${entry.id}: ${problem.message}`);
      goodVfis.add(entry.id);
    }, { problem: (commit, e) => report.problems.push(commitFinding(ref, commit, e)) });
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
