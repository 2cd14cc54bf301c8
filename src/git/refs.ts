/** Refs of the bare repository: loose files and packed-refs, read as git reads them, written under a lock. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { VfiError } from '../errors.js';
import { FileLock, type LockIo } from './lock.js';

const OID = /^[0-9a-f]{40}$/;

export class RefStore {
  private packed: Map<string, string> | undefined;

  constructor(readonly gitdir: string, private readonly io: LockIo = {}) {}

  private packedRefs(): Map<string, string> {
    if (!this.packed) {
      this.packed = new Map();
      let text = '';
      try {
        text = fs.readFileSync(path.join(this.gitdir, 'packed-refs'), 'utf8');
      } catch {
        /* no packed refs */
      }
      for (const line of text.split('\n')) {
        if (line.length < 42 || line[0] === '#' || line[0] === '^') continue;
        this.packed.set(line.slice(41), line.slice(0, 40));
      }
    }
    return this.packed;
  }

  private readLoose(ref: string): string | undefined {
    try {
      const value = fs.readFileSync(path.join(this.gitdir, ref), 'utf8').trim();
      if (!OID.test(value)) {
        throw new VfiError('STORE_DAMAGED', `ref ${ref} does not hold an object id`, { ref });
      }
      return value;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return undefined;
      throw e;
    }
  }

  /** The object id a ref points at, or undefined. */
  read(ref: string): string | undefined {
    return this.readLoose(ref) ?? this.packedRefs().get(ref);
  }

  /** All refs under `prefix` (e.g. "refs/vfi/"), loose values overriding packed ones. */
  list(prefix: string): Map<string, string> {
    const out = new Map<string, string>();
    for (const [ref, id] of this.packedRefs()) if (ref.startsWith(prefix)) out.set(ref, id);
    const walk = (rel: string) => {
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(path.join(this.gitdir, rel), { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        const child = `${rel}${e.name}`;
        if (e.isDirectory()) walk(`${child}/`);
        else if (!e.name.endsWith('.lock') && !e.name.startsWith('.') && !e.name.includes('.stale-')) {
          const id = this.readLoose(child);
          if (id) out.set(child, id);
        }
      }
    };
    walk(prefix.endsWith('/') ? prefix : `${prefix}/`);
    return out;
  }

  /**
   * Compare-and-swap: point `ref` at `next` if it still points at `expected` (undefined: must not
   * exist). Returns false, changing nothing, when another writer moved it first.
   */
  compareAndSwap(ref: string, expected: string | undefined, next: string): boolean {
    const lock = FileLock.acquire(path.join(this.gitdir, ref), { ...this.io, root: this.gitdir });
    try {
      this.packed = undefined;
      if (this.read(ref) !== expected) return false;
      lock.commit(`${next}\n`);
      return true;
    } finally {
      lock.release();
    }
  }
}
