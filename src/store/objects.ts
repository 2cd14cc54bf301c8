/**
 * The object database of the bare repository. Writes go straight to loose objects (zlib + SHA-1,
 * as git does), through a temp file renamed into place so a killed process never leaves a
 * truncated object under a real name. Reads take the loose object when there is one and fall
 * back to isomorphic-git, loaded lazily, for packed objects (after `git gc` or a fetch).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { deflateSync, inflateSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { VfiError } from '../errors.js';
import { objectHeader, objectId, type ObjectType } from '../core/gitObject.js';

export interface GitObject {
  type: ObjectType;
  body: Buffer;
}

export class ObjectStore {
  private readonly dir: string;
  private readonly madeDirs = new Set<string>();
  /** isomorphic-git's pack cache: without it every read re-parses the pack indexes. */
  private readonly packCache = {};

  constructor(readonly gitdir: string) {
    this.dir = path.join(gitdir, 'objects');
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
    if (!this.madeDirs.has(fanout)) {
      fs.mkdirSync(fanout, { recursive: true });
      this.madeDirs.add(fanout);
    }
    const tmp = path.join(fanout, `tmp_obj_${process.pid}_${randomBytes(4).toString('hex')}`);
    // Level 1: objects are small and many; git inflates any level.
    const data = deflateSync(Buffer.concat([objectHeader(type, body.length), body]), { level: 1 });
    fs.writeFileSync(tmp, data, { flag: 'wx', mode: 0o444 });
    fs.renameSync(tmp, file);
    return id;
  }

  /** Does the store hold this object, loose or packed? */
  async has(id: string): Promise<boolean> {
    if (fs.existsSync(this.loosePath(id))) return true;
    try {
      await this.readPacked(id);
      return true;
    } catch {
      return false;
    }
  }

  /** Read an object, verifying that its content hashes to `id`. */
  async read(id: string): Promise<GitObject> {
    const loose = this.readLoose(id);
    const obj = loose ?? (await this.readPacked(id));
    if (objectId(obj.type, obj.body) !== id) {
      throw new VfiError('STORE_DAMAGED', `object ${id} is corrupt: its content does not hash to its id`, { id },
        'run `vfi fsck`; restore the object from a clone of the store');
    }
    return obj;
  }

  private readLoose(id: string): GitObject | undefined {
    let raw: Buffer;
    try {
      raw = fs.readFileSync(this.loosePath(id));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    let data: Buffer;
    try {
      data = inflateSync(raw);
    } catch {
      throw new VfiError('STORE_DAMAGED', `object ${id} is corrupt: it does not inflate`, { id },
        'run `vfi fsck`; restore the object from a clone of the store');
    }
    const nul = data.indexOf(0);
    const [type, size] = data.toString('latin1', 0, nul).split(' ');
    const body = data.subarray(nul + 1);
    if (Number(size) !== body.length) {
      throw new VfiError('STORE_DAMAGED', `object ${id} is corrupt: wrong length`, { id });
    }
    return { type: type as ObjectType, body };
  }

  private async readPacked(id: string): Promise<GitObject> {
    const { readObject } = await import('isomorphic-git');
    try {
      const o = await readObject({ fs, gitdir: this.gitdir, oid: id, format: 'content', cache: this.packCache });
      return { type: o.type as ObjectType, body: Buffer.from(o.object as Uint8Array) };
    } catch (e) {
      if ((e as { code?: string }).code === 'NotFoundError') {
        throw new VfiError('NOT_FOUND', `object ${id} is not in the store`, { id });
      }
      throw e;
    }
  }
}
