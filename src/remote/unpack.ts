/**
 * Take in a fetched packfile. Every entry is inflated and every delta resolved before anything is
 * written, as `git index-pack` does: that is the check that the pack is whole, and it gives each
 * object's id. Then, as git fetch does above fetch.unpackLimit (100 objects by default), the pack
 * is kept as it came, with an index vfi writes itself (git/packs.ts reads it, with a cache of
 * delta bases, so a deltified lineage reads fast); a smaller one is written as loose objects.
 * The entry format, inflating and deltas are core/pack.ts. Nothing is written before the whole
 * pack has resolved, and always before any ref moves, so a bad or interrupted pack leaves no
 * pack files and at most unreferenced loose objects behind.
 */
import { objectId, type ObjectType } from '../core/gitObject.js';
import { applyDelta, crc32, inflateEntry, OFS_DELTA, PACK_TYPES, PackFormatError, packHeaderProblem, readEntryHeader, REF_DELTA, type IndexEntry } from '../core/pack.js';
import type { GitObject, ObjectStore } from '../git/objects.js';

export { PackFormatError };

/** git fetch's default fetch.unpackLimit: a pack of fewer objects is unpacked into loose objects. */
export const UNPACK_LIMIT = 100;

interface Entry {
  offset: number;
  /** where the next entry starts */
  end: number;
  type: number;
  /** inflated data: the object, or the delta; dropped once the entry is resolved */
  data: Buffer | undefined;
  baseOffset?: number;
  baseId?: string;
}

/** Parse every entry of a (checked) pack, inflating each. */
function readEntries(pack: Buffer): Entry[] {
  const problem = packHeaderProblem(pack);
  if (problem) throw new PackFormatError(problem);
  const count = pack.readUInt32BE(8);
  const end = pack.length - 20;
  const content = pack.subarray(0, end);
  const entries: Entry[] = [];
  let at = 12;
  for (let n = 0; n < count; n++) {
    if (at >= end) throw new PackFormatError('the pack ends early');
    const h = readEntryHeader(content, at);
    const { data, used } = inflateEntry(content, h.dataAt, h.size);
    entries.push({ offset: at, end: h.dataAt + used, type: h.type, data, baseOffset: h.baseOffset, baseId: h.baseId });
    at = h.dataAt + used;
  }
  if (at !== end) throw new PackFormatError('the pack has trailing bytes');
  return entries;
}

/**
 * Resolve every object of a (checked) pack: `visit` gets each once, bases before their deltas,
 * and returns its id. A REF_DELTA whose base is not in the pack (a thin pack: vfi does not ask for
 * them, see remote/uploadPack.ts) is resolved against `readBase`; the result says if one was.
 */
async function resolvePack(
  pack: Buffer,
  visit: (type: ObjectType, body: Buffer, entry: Entry) => string,
  readBase: (id: string) => Promise<GitObject | undefined>,
): Promise<{ entries: Entry[]; external: number }> {
  const entries = readEntries(pack);
  const byOffset = new Map<number, Entry[]>();
  const byId = new Map<string, Entry[]>();
  const add = <K>(m: Map<K, Entry[]>, k: K, e: Entry) => {
    const list = m.get(k);
    if (list) list.push(e);
    else m.set(k, [e]);
  };
  for (const e of entries) {
    if (e.type === OFS_DELTA) add(byOffset, e.baseOffset!, e);
    else if (e.type === REF_DELTA) add(byId, e.baseId!, e);
  }
  let resolved = 0;
  /** Visit `root` and, depth first (chains can be 50 deep and more), every delta built on it. */
  const descend = (root: GitObject, rootEntry: Entry | undefined, rootId: string) => {
    const stack: { obj: GitObject; children: Entry[] }[] = [];
    const push = (obj: GitObject, entry: Entry | undefined, id: string) => {
      const children = [...(entry ? byOffset.get(entry.offset) ?? [] : []), ...(byId.get(id) ?? [])];
      byId.delete(id); // a second copy of the same object in the pack must not resolve them again
      if (children.length > 0) stack.push({ obj, children });
    };
    push(root, rootEntry, rootId);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const child = top.children.pop();
      if (!child) {
        stack.pop();
        continue;
      }
      const obj = { type: top.obj.type, body: applyDelta(top.obj.body, child.data!) };
      child.data = undefined;
      resolved++;
      push(obj, child, visit(obj.type, obj.body, child));
    }
  };
  for (const e of entries) {
    const type = PACK_TYPES[e.type];
    if (!type) continue;
    const body = e.data!;
    e.data = undefined;
    resolved++;
    descend({ type, body }, e, visit(type, body, e));
  }
  let external = 0;
  for (const id of [...byId.keys()]) {
    if (!byId.has(id)) continue; // resolved meanwhile: its base was itself an external's delta
    const base = await readBase(id);
    if (!base) continue;
    external++;
    descend(base, undefined, id);
  }
  if (resolved !== entries.length) {
    throw new PackFormatError(`${entries.length - resolved} deltas name bases that are neither in the pack nor in the store`);
  }
  return { entries, external };
}

/** Write every object of a (checked) pack as a loose object (`write`); returns how many. */
export async function unpackObjects(
  pack: Buffer,
  write: (type: ObjectType, body: Buffer) => string,
  readBase: (id: string) => Promise<GitObject | undefined>,
): Promise<number> {
  return (await resolvePack(pack, (type, body) => write(type, body), readBase)).entries.length;
}

/**
 * The index entries of a (checked) pack: each object's id, offset and the CRC-32 of its bytes; or
 * undefined for a thin pack, which must be stored as loose objects instead (its deltas on objects
 * of the store cannot be read from the pack alone, and git would call it broken).
 */
export async function indexPack(pack: Buffer, readBase: (id: string) => Promise<GitObject | undefined>): Promise<IndexEntry[] | undefined> {
  const ids = new Map<number, string>();
  const { entries, external } = await resolvePack(pack, (type, body, e) => {
    const id = objectId(type, body);
    ids.set(e.offset, id);
    return id;
  }, readBase);
  if (external > 0) return undefined;
  const seen = new Set<string>();
  const out: IndexEntry[] = [];
  for (const e of entries) {
    const id = ids.get(e.offset)!;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push({ id, offset: e.offset, crc: crc32(pack.subarray(e.offset, e.end)) });
  }
  return out;
}

/**
 * Put a fetched, checked pack into the store: kept as a pack with its index from UNPACK_LIMIT
 * objects on (unless thin), else written as loose objects. Says which.
 */
export async function storeFetchedPack(objects: ObjectStore, pack: Buffer, phase: (label: string) => void = () => {}): Promise<'pack' | 'loose'> {
  const readBase = async (id: string) => {
    try {
      return await objects.read(id);
    } catch {
      return undefined;
    }
  };
  if (pack.readUInt32BE(8) >= UNPACK_LIMIT) {
    phase('indexing');
    const entries = await indexPack(pack, readBase);
    if (entries) {
      objects.addPack(pack, entries);
      return 'pack';
    }
  }
  phase('unpacking');
  await unpackObjects(pack, (type, body) => objects.write(type, body), readBase);
  return 'loose';
}
