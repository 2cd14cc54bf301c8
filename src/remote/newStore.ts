/**
 * The store a first `vfi pull URL` makes: built in a hidden sibling directory and renamed into
 * place only once the pull has succeeded, so a pull that fails (or is interrupted) leaves no empty
 * store behind, and no parent directory it had to make, as `git clone` cleans up after itself.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { VfiError } from '../errors.js';
import { Store, type StoreOptions } from '../store/store.js';
import { removeOnSignal } from './cleanup.js';

function isEmptyOrMissing(dir: string): boolean {
  try {
    return fs.readdirSync(dir).length === 0;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw e;
  }
}

/** Run `fill` on a new store that appears at `dir` only if `fill` succeeds. */
export async function withNewStore<T>(dir: string, fill: (store: Store) => Promise<T>, io: Omit<StoreOptions, 'create'> = {}): Promise<T> {
  const target = path.resolve(dir);
  // Something is there already: the usual rules of Store.open apply (and nothing is ours to remove).
  if (!isEmptyOrMissing(target)) return fill(Store.open(target, { create: true, ...io }));
  const made: string[] = [];
  for (let up = path.dirname(target); !fs.existsSync(up); up = path.dirname(up)) made.push(up);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const scratch = path.join(path.dirname(target), `.${path.basename(target)}.vfi-new-${process.pid}-${randomBytes(4).toString('hex')}`);
  const forget = removeOnSignal(scratch);
  try {
    const result = await fill(Store.open(scratch, { create: true, ...io }));
    try {
      fs.renameSync(scratch, target); // replaces an empty directory, refuses a full one
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw e;
      throw new VfiError('STORE_BUSY', `a store appeared at ${target} while the pull was making it`, { store: target }, 'run the command again');
    }
    return result;
  } catch (e) {
    fs.rmSync(scratch, { recursive: true, force: true });
    for (const d of made) {
      try {
        fs.rmdirSync(d);
      } catch {
        break; // someone put something there meanwhile
      }
    }
    throw e;
  } finally {
    forget();
  }
}
