/**
 * The object database of the bare repository. Writes go straight to loose objects (zlib + SHA-1,
 * as git does), through a temp file renamed into place so a killed process never leaves a
 * truncated object under a real name (a pull's objects are git fetch's: packs, or loose). Reads
 * take a packed object (git/packs.ts: after `git gc`, a clone or a pull) or a loose one, and
 * check that it hashes to its id either way.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { deflateSync, inflateSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { VfiError } from '../errors.js';
import { objectHeader, objectId, type ObjectType } from '../core/gitObject.js';
import { PackSet } from './packs.js';
import { written } from './durable.js';
import { namingPath } from '../errno.js';

export interface GitObject {
  type: ObjectType;
  body: Buffer;
}

export class ObjectStore {
  private readonly dir: string;
  private readonly madeDirs = new Set<string>();
  private readonly packs: PackSet;

  constructor(readonly gitdir: string) {
    this.dir = path.join(gitdir, 'objects');
    this.packs = new PackSet(gitdir, (id) => this.readLoose(id));
  }

  private loosePath(id: string): string {
    return path.join(this.dir, id.slice(0, 2), id.slice(2));
  }

  /** Write an object (if it is not already there) and return its id. */
  write(type: ObjectType, body: Buffer): string {
    const id = objectId(type, body);
    const file = this.loosePath(id);
    if (fs.existsSync(file)) return id;
    const fanout = path.dirname(file);
    let made: string | undefined;
    if (!this.madeDirs.has(fanout)) {
      // Not recursive: were the store moved or removed meanwhile, this must fail, not make a new
      // half a store where it was.
      try {
        fs.mkdirSync(fanout);
        made = fanout;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      this.madeDirs.add(fanout);
    }
    const tmp = path.join(fanout, `tmp_obj_${process.pid}_${randomBytes(4).toString('hex')}`);
    // Level 1: objects are small and many; git inflates any level.
    const data = deflateSync(Buffer.concat([objectHeader(type, body.length), body]), { level: 1 });
    try {
      namingPath(tmp, () => fs.writeFileSync(tmp, data, { flag: 'wx', mode: 0o444 }));
      fs.renameSync(tmp, file);
    } catch (e) {
      fs.rmSync(tmp, { force: true }); // a half-written temp (a full disk) is nobody's
      throw e;
    }
    written(file, made); // hardened before the next ref update (git/durable.ts)
    return id;
  }

  /** Remove a loose object no ref reaches and vfi never writes (a malformed commit a refused pull left). */
  discardLoose(id: string): void {
    fs.rmSync(this.loosePath(id), { force: true });
  }

  /** Does the store hold this object, loose or packed? */
  async has(id: string): Promise<boolean> {
    return this.packs.has(id, false) || fs.existsSync(this.loosePath(id)) || this.packs.has(id);
  }

  /**
   * Read an object, verifying that its content hashes to `id`. With `maxBytes`, an object larger
   * than that is refused (STORE_DAMAGED, data.tooLarge) before it is inflated whole: a small compressed object
   * may inflate to gigabytes.
   */
  async read(id: string, opts: { maxBytes?: number } = {}): Promise<GitObject> {
    // As git does: the packs known, then a loose object, then the packs again, read afresh (a
    // failed open of a loose file costs more than a lookup in an index held in memory).
    const max = opts.maxBytes;
    let obj;
    try {
      obj = this.packs.read(id, false, max) ?? this.readLoose(id, max) ?? this.packs.read(id, true, max);
    } catch (e) {
      if (e instanceof VfiError && e.data.tooLarge) throw tooLarge(id, max!);
      throw e;
    }
    if (!obj) throw new VfiError('NOT_FOUND', `object ${id} is not in the store`, { id });
    if (objectId(obj.type, obj.body) !== id) {
      throw new VfiError('STORE_DAMAGED', `object ${id} is corrupt: its content does not hash to its id`, { id },
        'run `vfi fsck`; restore the object from a clone of the store');
    }
    return obj;
  }

  private readLoose(id: string, maxBytes?: number): GitObject | undefined {
    let raw: Buffer;
    try {
      raw = fs.readFileSync(this.loosePath(id));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    let data: Buffer;
    try {
      // the header ("blob 123\0") is at most 32 bytes
      data = maxBytes === undefined ? inflateSync(raw) : inflateSync(raw, { maxOutputLength: maxBytes + 32 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(id, maxBytes!);
      throw new VfiError('STORE_DAMAGED', `object ${id} is corrupt: it does not inflate`, { id },
        'run `vfi fsck`; restore the object from a clone of the store');
    }
    const nul = data.indexOf(0);
    const [type, size] = data.toString('latin1', 0, nul).split(' ');
    const body = data.subarray(nul + 1);
    if (maxBytes !== undefined && body.length > maxBytes) throw tooLarge(id, maxBytes);
    if (Number(size) !== body.length) {
      throw new VfiError('STORE_DAMAGED', `object ${id} is corrupt: wrong length`, { id });
    }
    return { type: type as ObjectType, body };
  }

  /** Check the store's packs whole (fsck). */
  verifyPacks(): { packs: number; problems: string[] } {
    return this.packs.verify();
  }
}

/** An object larger than a reader's bound: damaged data to the store, refused data to a pull. */
export function tooLarge(id: string, maxBytes: number): VfiError {
  return new VfiError('STORE_DAMAGED', `object ${id} is larger than ${maxBytes} bytes`, { id, limit: maxBytes, tooLarge: true },
    'run `vfi fsck`; vfi writes no object that large');
}
