/**
 * `vfi fsck` for compositions: records about components (the COMPONENTS_DIR fanout of the
 * assertions tree, filed by digest), and nested VFIs the store does not have (a warning: `add
 * --allow-missing` publishes such a VFI on purpose; `vfi pull` may bring the VFI later).
 */
import { parseRecord, parseRecordFileName, recordFileName, recordProblem } from '../core/assertion.js';
import { nestedIds } from '../core/composition.js';
import { registerFsckCheck, type FsckReport } from './fsck.js';
import { ASSERTIONS_REF, assertionsRoot, COMPONENTS_DIR, TreeReader } from './assertions.js';
import type { Store } from './store.js';

const DIGEST_REST = /^(?:[0-9a-f]{38}|[0-9a-f]{62})$/;

async function checkComponentRecords(store: Store, report: FsckReport): Promise<void> {
  const root = await assertionsRoot(store).catch(() => undefined); // a damaged ref is the assertions check's to report
  const reader = new TreeReader(store);
  const sub = root ? (await reader.read(root, 'root tree')).find((e) => e.name === COMPONENTS_DIR) : undefined;
  if (!sub) return;
  const problem = (where: string, what: string) => report.problems.push(`${ASSERTIONS_REF}: ${COMPONENTS_DIR}/${where}: ${what}`);
  let count = 0;
  try {
    for (const shard of await reader.read(sub.id, COMPONENTS_DIR)) {
      if (shard.mode !== '40000' || !/^[0-9a-f]{2}$/.test(shard.name)) {
        problem(shard.name, 'unexpected entry (expected 2-hex directories)');
        continue;
      }
      for (const dir of await reader.read(shard.id, `${COMPONENTS_DIR}/${shard.name}`)) {
        if (dir.mode !== '40000' || !DIGEST_REST.test(dir.name)) {
          problem(`${shard.name}/${dir.name}`, 'unexpected entry (expected a directory named by the rest of a digest or commit)');
          continue;
        }
        for (const file of await reader.read(dir.id, `${COMPONENTS_DIR}/${shard.name}/${dir.name}`)) {
          const where = `${shard.name}/${dir.name}/${file.name}`;
          const name = parseRecordFileName(file.name);
          if (!name || file.mode !== '100644' || name.record !== file.id) {
            if (!/\.dsse\.json$/.test(file.name)) problem(where, 'not a record file name (<time>-<claim>-<pass|fail>-<record id>.json)');
            continue;
          }
          try {
            const obj = await store.objects.read(file.id);
            if (obj.type !== 'blob') throw new Error(`is a ${obj.type}, not a blob`);
            const r = parseRecord(obj.body, file.id);
            const bad = recordProblem(r);
            if (bad) throw new Error(bad);
            if (!r.component || r.component.digest !== shard.name + dir.name) throw new Error(`is not about the component ${shard.name}${dir.name} it is filed under`);
            if (recordFileName(r) !== file.name) throw new Error('its file name does not say what the record says');
            count++;
          } catch (e) {
            problem(where, (e as Error).message);
          }
        }
      }
    }
  } catch (e) {
    problem('tree', (e as Error).message);
  }
  report.counts['component assertions'] = count;
}

async function checkNestedVfis(store: Store, report: FsckReport): Promise<void> {
  const missing = new Map<string, string>();
  const seen = new Set<string>();
  for (const name of store.lineageNames()) {
    const lineage = await store.lineages.load(name).catch(() => undefined); // damage is the lineage check's to report
    for (const e of lineage?.publications() ?? []) {
      if (seen.has(e.id) || !(await store.objects.has(e.id))) continue;
      seen.add(e.id);
      let vfi;
      try {
        vfi = (await store.readVfi(e.id)).vfi;
      } catch {
        continue;
      }
      for (const nested of nestedIds(vfi)) if (!(await store.objects.has(nested))) missing.set(nested, `${name}@${e.id}`);
    }
  }
  for (const [nested, by] of missing) report.warnings.push(`nested VFI ${nested} is not in this store (named by ${by}); pull the lineage that publishes it`);
}

registerFsckCheck(checkComponentRecords);
registerFsckCheck(checkNestedVfis);
