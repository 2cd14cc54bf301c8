/**
 * `vfi fsck` for assertions, from git alone: the assertions ref is a chain of commits, and every
 * file of its tree is a record, in canonical form, filed under the VFI it names, whose file name
 * says what the record says, about a VFI whose bytes have the sha256 it states.
 * Kept apart from assertions.ts so that `vfi assert` does not load fsck (and with it ajv).
 */
import { parseRecord, parseRecordFileName, recordFileName, recordProblem } from '../core/assertion.js';
import { vfiSha256 } from '../core/vfi.js';
import { commitFinding, registerFsckCheck, type FsckReport } from './fsck.js';
import { readCommit, readTree, walkCommits } from '../git/commits.js';
import { ASSERTIONS_REF, COMPONENTS_DIR, TreeReader } from './assertions.js';
import type { Store } from './store.js';
import { BatchReader } from '../git/catFile.js';
import type { GitObject } from '../git/objects.js';
import { envelopeVerifies } from '../core/dsse.js';
import { foldTrust } from '../core/trust.js';
import { readEvents, TRUST_REF } from './events.js';
import { createPublicKey, type KeyObject } from 'node:crypto';


async function checkAssertions(store: Store, report: FsckReport): Promise<void> {
  const head = store.refs.read(ASSERTIONS_REF);
  report.counts.assertions = 0;
  if (!head) return;
  const problem = (where: string, what: string) => report.problems.push(`${ASSERTIONS_REF}: ${where}: ${what}`);
  let root: string | undefined;
  let commits = 0;
  await walkCommits((id) => readCommit(store.objects, id), head, (c) => {
    if (c.id === head) root = c.tree;
    commits++;
  }, { problem: (commit, e) => report.problems.push(commitFinding(ASSERTIONS_REF, commit, e)) });
  report.counts['assertion commits'] = commits;
  if (!root) return;

  const reader = new TreeReader(store);
  const shaOf = new Map<string, string | undefined>();
  const vfiSha = async (id: string) => {
    if (!shaOf.has(id)) {
      shaOf.set(id, (await store.objects.has(id)) ? vfiSha256((await store.objects.read(id)).body) : undefined);
    }
    return shaOf.get(id);
  };
  const missingVfis = new Set<string>();
  // Every key the trust log ever named: an envelope whose signature fails under its key was changed after signing.
  const keys = new Map<string, KeyObject | undefined>();
  for (const [keyid, pem] of foldTrust((await readEvents(store, TRUST_REF)).events).keys) {
    try {
      keys.set(keyid, createPublicKey(pem));
    } catch {
      keys.set(keyid, undefined);
    }
  }
  const unknownKeys = new Set<string>();
  const check = async (where: string, vfi: string, file: { id: string; name: string }, obj: GitObject | undefined) => {
    const name = parseRecordFileName(file.name)!;
    try {
      if (name.record !== file.id) throw new Error(`the name says record ${name.record} but the entry holds ${file.id}`);
      obj ??= await store.objects.read(file.id);
      if (obj.type !== 'blob') throw new Error(`is a ${obj.type}, not a blob`);
      const r = parseRecord(obj.body, file.id);
      const bad = recordProblem(r);
      if (bad) throw new Error(bad);
      if (r.vfi !== vfi) throw new Error(`is about VFI ${r.vfi}, filed under ${vfi}`);
      if (r.signed) {
        const key = keys.get(r.signed.keyid);
        if (!key) unknownKeys.add(r.signed.keyid);
        else if (!envelopeVerifies(r.signed.envelope, key)) throw new Error(`tampered: the envelope's signature does not verify under key ${r.signed.keyid.slice(0, 12)} (the payload was changed after signing)`);
      }
      if (recordFileName(r) !== file.name) {
        throw new Error('its file name does not say what the record says');
      }
      const sha = await vfiSha(vfi);
      if (sha === undefined) missingVfis.add(vfi);
      else if (sha !== r.sha256) throw new Error(`states sha256 ${r.sha256}, but the VFI's bytes hash to ${sha}`);
      report.counts.assertions!++;
    } catch (e) {
      problem(where, (e as Error).message);
    }
  };
  // Records read a shard at a time through git (its object checks are git fsck's, run beside):
  // a million records in one stream, a shard's worth in memory.
  const cat = new BatchReader(store.gitdir, store.env);
  try {
    for (const shard of await reader.read(root, 'root tree')) {
      if (shard.name === COMPONENTS_DIR && shard.mode === '40000') continue; // compositionFsck.ts checks it
      if (shard.mode !== '40000' || !/^[0-9a-f]{2}$/.test(shard.name)) {
        problem(shard.name, 'unexpected entry in the root tree (expected 2-hex directories)');
        continue;
      }
      const records: { where: string; vfi: string; file: { id: string; name: string } }[] = [];
      for (const dir of await reader.read(shard.id, shard.name)) {
        const vfi = shard.name + dir.name;
        if (dir.mode !== '40000' || !/^[0-9a-f]{38}$/.test(dir.name)) {
          problem(`${shard.name}/${dir.name}`, 'unexpected entry (expected a directory named by the rest of a VFI id)');
          continue;
        }
        // Read, not kept: each directory once, and a million records' entries are not held.
        for (const file of await readTree(store.objects, dir.id, `${shard.name}/${dir.name}`)) {
          const where = `${shard.name}/${dir.name}/${file.name}`;
          if (!parseRecordFileName(file.name) || file.mode !== '100644') {
            problem(where, 'not a record file name (<time>-<claim>-<pass|fail>-<record id>.json or .dsse.json)');
            continue;
          }
          records.push({ where, vfi, file });
        }
      }
      // an object git cannot give is read again by the store's reader, which says what is wrong
      const objects = await Promise.all(records.map((r) => cat.read(r.file.id).catch((): GitObject | undefined => undefined)));
      for (let i = 0; i < records.length; i++) await check(records[i]!.where, records[i]!.vfi, records[i]!.file, objects[i]);
    }
  } catch (e) {
    problem('tree', (e as Error).message);
  } finally {
    cat.close();
  }
  if (unknownKeys.size > 0) {
    report.warnings.push(`signed records by ${unknownKeys.size} key(s) the trust list never named were not verified (e.g. ${[...unknownKeys][0]})`);
  }
  if (missingVfis.size > 0) {
    report.warnings.push(`${missingVfis.size} VFI(s) have assertions but are not in this store (e.g. ${[...missingVfis][0]}); pull the lineages that publish them`);
  }
}

registerFsckCheck(checkAssertions);
