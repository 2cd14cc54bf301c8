/**
 * The store's packs (`objects/pack/pack-*.pack` with their `.idx`, as `git gc`, a clone or `vfi
 * pull` leave them), read natively: an id found by binary search within its index's fanout range,
 * reading only the index pages the search touches (an index is 30 MB at a million objects), and the entry read from the pack with positioned reads (never the whole pack),
 * inflated and, for a delta, rebuilt from its base: OFS_DELTA in the same pack, REF_DELTA anywhere
 * in the store. Recently rebuilt objects are kept (up to BASE_CACHE_BYTES), so walking a deltified
 * lineage does not rebuild every chain from its start. The pack list is read once per process and
 * again whenever an id is not found, as git does: a `git gc` or a pull may have added packs since.
 *
 * isomorphic-git's readObject, which read packs before, is no longer a fallback: it reads idx v2 of
 * packs under 2 GiB only (1.44: `GitPackIndex.fromIdx`), all of which this reads too, and it reads
 * the whole pack into memory; loading it alone cost `vfi show` ~100 ms. Not read here nor there:
 * idx v3 (which no git release writes) and SHA-256 repositories (vfi's ids are SHA-1).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { VfiError } from '../errors.js';
import { syncDir, writeDurably } from './durable.js';
import { compareAt, type ObjectType } from '../core/gitObject.js';
import { applyDelta, inflateEntry, OBJECT_SIZE_LIMIT, OFS_DELTA, PACK_TYPES, PackFormatError, packHeaderProblem, PackIndex, type IndexBytes, readEntryHeader, REF_DELTA, type EntryHeader } from '../core/pack.js';

export interface PackedObject {
  type: ObjectType;
  body: Buffer;
}

/** Memory for rebuilt objects; one larger than a quarter of it is not kept. */
const BASE_CACHE_BYTES = 32 * 1024 * 1024;
/** Longer delta chains than git ever writes (its default depth is 50, --aggressive 250): a loop. */
const MAX_CHAIN = 10_000;
/** Bytes read at an entry first: the header and, for most of vfi's objects, all of it. */
const FIRST_READ = 4096;

const damaged = (what: string, detail: string) =>
  new VfiError('STORE_DAMAGED', `${what} is damaged: ${detail}`, { pack: what },
    'run `vfi fsck` (or `git fsck`); restore the store from a clone');

class Pack {
  private fd: number | undefined;
  private size = 0;

  constructor(
    readonly name: string,
    readonly file: string,
    readonly index: PackIndex,
    private readonly indexFile: IndexFile,
  ) {}

  private open(): number {
    if (this.fd !== undefined) return this.fd;
    const fd = fs.openSync(this.file, 'r');
    try {
      this.size = fs.fstatSync(fd).size;
      const problem = this.size < 32 ? 'the pack is truncated' : packAgainstIndex(readAt(fd, 0, 12), readAt(fd, this.size - 20, 20), this.index);
      if (problem) throw damaged(this.name, problem);
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
    return (this.fd = fd);
  }

  /** The entry at `offset`: its header and inflated data (the object, or its delta). */
  entry(offset: number, maxBytes?: number): { header: EntryHeader; data: Buffer } {
    const fd = this.open();
    const end = this.size - 20;
    if (offset < 12 || offset >= end) throw damaged(this.name, `no entry at offset ${offset}`);
    let want = FIRST_READ;
    for (;;) {
      const len = Math.min(want, end - offset);
      const buf = Buffer.allocUnsafe(len);
      const got = fs.readSync(fd, buf, 0, len, offset);
      try {
        const header = readEntryHeader(buf.subarray(0, got), offset, offset);
        if (maxBytes !== undefined && header.size > maxBytes) throw tooLargeEntry(maxBytes);
        if (header.size > OBJECT_SIZE_LIMIT) throw new PackFormatError(`the entry at ${offset} claims ${header.size} bytes, more than the limit of ${OBJECT_SIZE_LIMIT}`);
        // zlib's worst case (deflateBound) for the stored size, so a second read is rare
        const bound = header.dataAt - offset + header.size + Math.ceil(header.size / 4096) + 64;
        if (bound > got && got < end - offset) {
          want = Math.max(bound, want * 2);
          continue;
        }
        return { header, data: inflateEntry(buf.subarray(0, got), header.dataAt, header.size, offset).data };
      } catch (e) {
        if (!(e instanceof PackFormatError)) throw e;
        if (e.truncated && got < end - offset && got === len) {
          want *= 2;
          continue;
        }
        throw damaged(this.name, e.message);
      }
    }
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
    this.indexFile.close();
  }
}

/** An open idx file, read in pages as lookups need them; a page read stays for the process. */
class IndexFile implements IndexBytes {
  private static readonly PAGE = 4096;
  private readonly pages = new Map<number, Buffer>();

  private constructor(
    private fd: number | undefined,
    readonly length: number,
  ) {}

  /** Open `file`; undefined when it is gone (removed meanwhile by git gc). */
  static open(file: string): IndexFile | undefined {
    let fd: number;
    try {
      fd = fs.openSync(file, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    try {
      return new IndexFile(fd, fs.fstatSync(fd).size);
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
  }

  slice(at: number, len: number): Buffer {
    const p = IndexFile.pageOf(at, len);
    return p === undefined ? this.pread(at, len) : this.page(p).subarray(at - p * IndexFile.PAGE, at - p * IndexFile.PAGE + len);
  }

  compare(at: number, key: Uint8Array): number {
    const p = IndexFile.pageOf(at, key.length);
    return p === undefined ? compareAt(this.pread(at, key.length), 0, key) : compareAt(this.page(p), at - p * IndexFile.PAGE, key);
  }

  /** The page that holds the `len` bytes at `at`, or undefined when they straddle two. */
  private static pageOf(at: number, len: number): number | undefined {
    const p = Math.floor(at / IndexFile.PAGE);
    return Math.floor((at + len - 1) / IndexFile.PAGE) === p ? p : undefined;
  }

  private page(p: number): Buffer {
    let page = this.pages.get(p);
    if (!page) this.pages.set(p, (page = this.pread(p * IndexFile.PAGE, Math.min(IndexFile.PAGE, this.length - p * IndexFile.PAGE))));
    return page;
  }

  private pread(at: number, len: number): Buffer {
    if (this.fd === undefined) throw new Error('the pack index was closed');
    const buf = Buffer.allocUnsafe(len);
    let got = 0;
    while (got < len) {
      const n = fs.readSync(this.fd, buf, got, len - got, at + got);
      if (n === 0) throw new PackFormatError('the pack index is truncated');
      got += n;
    }
    return buf;
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Objects rebuilt from deltas, least recently used dropped first. */
class BaseCache {
  private readonly map = new Map<string, PackedObject>();
  private bytes = 0;

  get(key: string): PackedObject | undefined {
    const hit = this.map.get(key);
    if (hit) {
      this.map.delete(key);
      this.map.set(key, hit);
    }
    return hit;
  }

  set(key: string, obj: PackedObject): void {
    if (obj.body.length > BASE_CACHE_BYTES / 4 || this.map.has(key)) return;
    this.map.set(key, obj);
    this.bytes += obj.body.length;
    for (const [k, old] of this.map) {
      if (this.bytes <= BASE_CACHE_BYTES) break;
      this.map.delete(k);
      this.bytes -= old.body.length;
    }
  }
}

export class PackSet {
  private readonly dir: string;
  private packs: Pack[] | undefined;
  /** packs whose index does not parse, and why */
  private readonly unreadable = new Map<string, string>();
  private readonly cache = new BaseCache();
  private lastFound: Pack | undefined;

  /** `readOther`: a REF_DELTA's base that is in no pack (a loose object), or undefined. */
  constructor(
    gitdir: string,
    private readonly readOther: (id: string) => PackedObject | undefined,
  ) {
    this.dir = path.join(gitdir, 'objects', 'pack');
  }

  /** Close every pack file. */
  close(): void {
    for (const p of this.packs ?? []) p.close();
  }

  /** Read the pack list (again): new packs are opened, packs gone are dropped. */
  rescan(): boolean {
    const names = packNames(this.dir);
    const old = new Map((this.packs ?? []).map((p) => [p.name, p]));
    const next: Pack[] = [];
    let changed = this.packs === undefined;
    for (const name of names) {
      const known = old.get(name);
      if (known) {
        next.push(known);
        old.delete(name);
        continue;
      }
      const file = path.join(this.dir, `${name}.pack`);
      if (!fs.existsSync(file)) continue; // git ignores an index without its pack, and so does vfi
      const idx = IndexFile.open(path.join(this.dir, `${name}.idx`));
      if (!idx) continue; // removed meanwhile (git gc)
      try {
        next.push(new Pack(name, file, PackIndex.open(idx), idx));
        this.unreadable.delete(name);
      } catch (e) {
        idx.close();
        if (!(e instanceof PackFormatError)) throw e;
        this.unreadable.set(name, e.message);
      }
      changed = true;
    }
    for (const name of this.unreadable.keys()) if (!names.includes(name)) this.unreadable.delete(name);
    for (const gone of old.values()) {
      gone.close();
      changed = true;
    }
    this.packs = next;
    return changed;
  }

  private locate(id: string): { pack: Pack; offset: number } | undefined {
    if (!this.packs) this.rescan();
    // The pack the last object came from first, as git does: objects read together (a VFI's
    // records, a lineage's commits) are mostly in one pack, and a miss in another pack's index
    // costs its pages.
    const last = this.lastFound;
    if (last && this.packs!.includes(last)) {
      const offset = last.index.find(id);
      if (offset !== undefined) return { pack: last, offset };
    }
    for (const pack of this.packs!) {
      if (pack === last) continue;
      const offset = pack.index.find(id);
      if (offset !== undefined) {
        this.lastFound = pack;
        return { pack, offset };
      }
    }
    return undefined;
  }

  /** Where `id` is; with `rescan`, read the pack list again if it is in none of the known packs. */
  private find(id: string, rescan = true): { pack: Pack; offset: number } | undefined {
    const found = this.locate(id) ?? (rescan && this.rescan() ? this.locate(id) : undefined);
    // Not in any pack vfi can read: it may be in one whose index it cannot.
    const [name, problem] = found || !rescan ? [] : [...this.unreadable][0] ?? [];
    if (name) throw damaged(`${name}.idx`, problem!);
    return found;
  }

  /** Is `id` in a pack? Without `rescan`, in one of the packs already known (no I/O once they are). */
  has(id: string, rescan = true): boolean {
    return this.find(id, rescan) !== undefined;
  }

  /**
   * The object `id` from a pack, or undefined if no pack has it (without `rescan`: no pack already
   * known). Not hash-checked: the caller does.
   */
  read(id: string, rescan = true, maxBytes?: number): PackedObject | undefined {
    const at = this.find(id, rescan);
    try {
      return at && this.resolve(at.pack, at.offset, maxBytes);
    } catch (e) {
      // A pack that `git gc` removed after the list was read: read the list again.
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || !this.rescan()) throw e;
      const again = this.locate(id);
      return again && this.resolve(again.pack, again.offset, maxBytes);
    }
  }

  /** The object of the entry at `offset`: walk down to a whole object (or a cached one), then apply the deltas back up. */
  private resolve(pack: Pack, offset: number, maxBytes?: number): PackedObject {
    const deltas: { key: string; data: Buffer }[] = [];
    let base: PackedObject | undefined;
    let at = { pack, offset };
    while (!base) {
      const key = `${at.pack.name}:${at.offset}`;
      const cached = this.cache.get(key);
      if (cached) {
        base = cached;
        break;
      }
      const { header, data } = at.pack.entry(at.offset, maxBytes);
      const type = PACK_TYPES[header.type];
      if (type) {
        base = { type, body: data };
        if (deltas.length > 0) this.cache.set(key, base);
        break;
      }
      deltas.push({ key, data });
      if (deltas.length > MAX_CHAIN) throw damaged(at.pack.name, `a delta chain longer than ${MAX_CHAIN} (a loop?) at offset ${at.offset}`);
      if (header.type === OFS_DELTA) at = { pack: at.pack, offset: header.baseOffset! };
      else if (header.type === REF_DELTA) {
        const next = this.find(header.baseId!);
        if (next) at = next;
        else {
          base = this.readOther(header.baseId!);
          if (!base) throw damaged(at.pack.name, `the base ${header.baseId} of the delta at offset ${at.offset} is not in the store`);
        }
      }
    }
    for (let k = deltas.length - 1; k >= 0; k--) {
      try {
        base = { type: base.type, body: applyDelta(base.body, deltas[k]!.data) };
        if (maxBytes !== undefined && base.body.length > maxBytes) throw tooLargeEntry(maxBytes);
      } catch (e) {
        if (e instanceof PackFormatError) throw damaged(pack.name, e.message);
        throw e;
      }
      this.cache.set(deltas[k]!.key, base);
    }
    return base;
  }

  /**
   * Check every pack whole, as `git verify-pack` checks them: the index parses and its checksum
   * holds, the pack's header and trailing SHA-1 hold, and both name the same pack. Returns the
   * problems, and how many packs there are.
   */
  verify(): { packs: number; problems: string[] } {
    const problems: string[] = [];
    const names = packNames(this.dir);
    for (const name of names) {
      const problem = verifyPack(path.join(this.dir, name));
      if (problem) problems.push(`${name}: ${problem}`);
    }
    return { packs: names.length, problems };
  }
}

/** A reader's bound exceeded (objects.ts names the object). */
export function tooLargeEntry(maxBytes: number): VfiError {
  return new VfiError('STORE_DAMAGED', `a packed object is larger than ${maxBytes} bytes`, { limit: maxBytes, tooLarge: true });
}

/** `length` bytes of an open file from `at`. */
/** Up to `length` bytes of the open file `fd` from `at` (fewer at its end). */
export function readAt(fd: number, at: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  return buf.subarray(0, fs.readSync(fd, buf, 0, length, at));
}

/** What is wrong with a pack's header and trailing checksum, given its index, or undefined. */
function packAgainstIndex(head: Buffer, trailer: Buffer, index: PackIndex): string | undefined {
  const problem = packHeaderProblem(head);
  if (problem) return problem;
  if (!trailer.equals(index.packChecksum)) return 'its index belongs to another pack';
  if (head.readUInt32BE(8) !== index.count) return 'its index counts other objects than the pack holds';
  return undefined;
}

/** The names (`pack-<sha>`) of the packs `dir` has an index for, sorted. */
function packNames(dir: string): string[] {
  try {
    return fs.readdirSync(dir).filter((f) => /^pack-[0-9a-f]{40}\.idx$/.test(f)).map((f) => f.slice(0, -4)).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    return [];
  }
}

/** What is wrong with the pack `base`.pack and its `base`.idx, if anything. */
function verifyPack(base: string): string | undefined {
  let index: PackIndex;
  try {
    index = PackIndex.parse(fs.readFileSync(`${base}.idx`));
  } catch (e) {
    if (e instanceof PackFormatError) return `its index is damaged: ${e.message}`;
    throw e;
  }
  if (!index.checksumOk()) return 'its index does not match its checksum';
  let fd: number;
  try {
    fd = fs.openSync(`${base}.pack`, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'an index without its pack (git ignores it)';
    throw e;
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size < 32) return 'the pack is truncated';
    const sha = createHash('sha1');
    const chunk = Buffer.allocUnsafe(1 << 20);
    for (let at = 0; at < size - 20;) {
      const n = fs.readSync(fd, chunk, 0, Math.min(chunk.length, size - 20 - at), at);
      if (n === 0) return 'the pack is truncated';
      sha.update(chunk.subarray(0, n));
      at += n;
    }
    const trailer = readAt(fd, size - 20, 20);
    return packAgainstIndex(readAt(fd, 0, 12), trailer, index) ?? (sha.digest().equals(trailer) ? undefined : 'the pack does not match its checksum');
  } finally {
    fs.closeSync(fd);
  }
}
