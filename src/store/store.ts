/**
 * The vfi store: a plain bare git repository. VFIs are blobs; each name is a lineage, the ref
 * `refs/vfi/<Name>` on a chain of commits whose tree holds the VFI as `vfi.json`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as os from 'node:os';
import { VfiError } from '../errors.js';
import { plural } from '../core/words.js';
import { canonicalVfiBytes, type StoredVfi, type Vfi } from '../core/vfi.js';
import { MAX_VFI_BYTES } from '../core/admission.js';
import type { VfiRef } from '../core/vfiRef.js';
import { readCommit, readTree } from '../git/commits.js';
import { ObjectStore } from '../git/objects.js';
import { RefStore } from '../git/refs.js';
import { LineageIndex, sendCacheWarningsTo, type Lineage } from './lineageIndex.js';

export const LINEAGE_PREFIX = 'refs/vfi/';
export const VFI_FILE = 'vfi.json';
export const lineageRef = (name: string): string => `${LINEAGE_PREFIX}${name}`;

/** `--store`, else $VFI_STORE, else $XDG_DATA_HOME/vfi/store (~/.local/share/vfi/store). */
export function defaultStorePath(env: NodeJS.ProcessEnv): string {
  if (env.VFI_STORE) return path.resolve(env.VFI_STORE);
  const data = env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share');
  return path.join(data, 'vfi', 'store');
}

export interface ResolvedVfi {
  id: string;
  /** the lineage the reference names, or the only lineage the VFI was published under */
  name: string | undefined;
  /** every lineage the VFI was published under */
  names: string[];
}

/** How a store is opened; `env` and `warn` are the context's (the store never reads the process's own). */
export interface StoreOptions {
  create: boolean;
  /** who and when (GIT_AUTHOR_*, VFI_NOW), lock timeouts; absent: an empty environment */
  env?: NodeJS.ProcessEnv;
  /** a warning line for stderr (a broken stale lock, a cache that could not be written); absent: dropped */
  warn?: (line: string) => void;
}

export class Store {
  readonly objects: ObjectStore;
  readonly refs: RefStore;
  readonly lineages: LineageIndex;

  private constructor(
    readonly gitdir: string,
    readonly env: NodeJS.ProcessEnv,
    readonly warn: (line: string) => void,
  ) {
    this.objects = new ObjectStore(gitdir);
    this.refs = new RefStore(gitdir, { env, warn });
    this.lineages = new LineageIndex(this);
    sendCacheWarningsTo(warn);
  }

  /**
   * Open the store at `dir`; with `create`, make it first if it does not exist (SPEC §3: created
   * on first write). `dir` may also be a plain (non-bare) `git clone` of a store: its `.git` is used.
   */
  static open(dir: string, { create, env = {}, warn = () => {} }: StoreOptions): Store {
    const gitdir = path.resolve(dir);
    if (isRepository(gitdir)) return new Store(gitdir, env, warn);
    if (isRepository(path.join(gitdir, '.git'))) return new Store(path.join(gitdir, '.git'), env, warn);
    if (!create) {
      const file = fs.statSync(gitdir, { throwIfNoEntry: false })?.isFile();
      if (file) throw new VfiError('STORE_IO', `${gitdir} is a file, not a vfi store`, { store: gitdir }, 'choose a store with --store or VFI_STORE');
      throw new VfiError('NOT_FOUND', `no vfi store at ${gitdir}`, { store: gitdir },
        'a store is created by the first write (vfi add); choose one with --store or VFI_STORE');
    }
    const notAStore = (why: string) =>
      new VfiError('STORE_IO', `cannot create a vfi store at ${gitdir}: ${why}`, { store: gitdir }, 'choose another with --store or VFI_STORE');
    let existing: string[] = [];
    try {
      existing = fs.readdirSync(gitdir);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOTDIR') throw notAStore(fs.existsSync(gitdir) ? 'it is a file, not a directory' : 'a parent of it is a file, not a directory');
      if (code !== 'ENOENT') throw e;
    }
    if (existing.length > 0 && !existing.includes('objects')) {
      throw new VfiError('STORE_IO', `${gitdir} exists and is not a vfi store (not a bare git repository)`, { store: gitdir });
    }
    try {
      initBareRepository(gitdir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOTDIR' || (e as NodeJS.ErrnoException).code === 'EEXIST') {
        throw notAStore(`${(e as Error).message.replace(/^\w+: /, '')}`);
      }
      throw e;
    }
    return new Store(gitdir, env, warn);
  }

  /** Read a VFI blob, verifying its hash. */
  async readVfi(id: string): Promise<StoredVfi> {
    let obj;
    try {
      obj = await this.objects.read(id, { maxBytes: MAX_VFI_BYTES });
    } catch (e) {
      if (e instanceof VfiError && e.code === 'NOT_FOUND') {
        throw new VfiError('STORE_DAMAGED', `VFI ${id} is published but its blob is missing from the store`, { id },
          'run `vfi fsck`; fetch the object from a clone of the store');
      }
      throw e;
    }
    if (obj.type !== 'blob') throw new VfiError('STORE_DAMAGED', `object ${id} is a ${obj.type}, not a VFI blob`, { id });
    // What vfi writes is canonical: anything else (not JSON, a duplicate key, another layout) is
    // damage, found without loading the schema validator (show starts fast). The read checked the
    // hash; the canonical bytes are compared, not hashed again.
    let vfi: Vfi | undefined;
    try {
      vfi = JSON.parse(obj.body.toString('utf8')) as Vfi;
    } catch {
      vfi = undefined;
    }
    if (vfi === undefined || vfi === null || typeof vfi !== 'object' || !canonicalVfiBytes(vfi).equals(obj.body)) {
      throw new VfiError('STORE_DAMAGED', `VFI ${id} is not a VFI in canonical form (${vfi === undefined ? 'not JSON' : 'not as vfi writes it'})`, { id },
        'run `vfi fsck`; the lineage that publishes it needs repair');
    }
    return { id, bytes: obj.body, vfi };
  }

  /** The id of the VFI a lineage commit publishes. */
  async vfiIdOfCommit(commit: string): Promise<string> {
    return this.vfiIdOfTree((await readCommit(this.objects, commit, { where: 'lineage' })).tree, commit);
  }

  /** The id of the VFI in a lineage commit's tree. */
  async vfiIdOfTree(tree: string, commit: string): Promise<string> {
    const entry = (await readTree(this.objects, tree, `lineage commit ${commit}`)).find((e) => e.name === VFI_FILE);
    if (!entry) throw new VfiError('STORE_DAMAGED', `lineage commit ${commit} has no ${VFI_FILE}`, { commit });
    return entry.id;
  }

  /** Names of all lineages, sorted. */
  lineageNames(): string[] {
    return [...this.refs.list(LINEAGE_PREFIX).keys()].map((r) => r.slice(LINEAGE_PREFIX.length)).sort();
  }

  /** The lineage of `name`, or NOT_FOUND. */
  async lineage(name: string): Promise<Lineage> {
    const lineage = await this.lineages.load(name);
    if (!lineage) {
      throw new VfiError('NOT_FOUND', `no lineage named ${JSON.stringify(name)}`, { name }, hintNames(this.lineageNames(), this.gitdir));
    }
    return lineage;
  }

  /** Resolve a reference of SPEC §2 to a published VFI. */
  async resolve(ref: VfiRef): Promise<ResolvedVfi> {
    switch (ref.kind) {
      case 'head': {
        const quick = this.lineages.publicationFile(ref.name)?.idAt(ref.back);
        if (quick) return { id: quick, name: ref.name, names: await this.namesOf(quick) };
        const lineage = await this.lineage(ref.name);
        const entry = lineage.back(ref.back);
        if (!entry) {
          throw new VfiError('NOT_FOUND', `${ref.name}~${ref.back}: the lineage has only ${plural(lineage.depth(), 'publication')} before its head`,
            { name: ref.name });
        }
        return { id: entry.id, name: ref.name, names: await this.namesOf(entry.id) };
      }
      case 'id': {
        // Ambiguous: the lineage lists the candidates in the order it learnt them.
        const quick = this.lineages.publicationFile(ref.name)?.idsWithPrefix(ref.prefix);
        const ids = quick && quick.length <= 1 ? quick : (await this.lineage(ref.name)).idsWithPrefix(ref.prefix);
        const id = uniqueMatch(ids, `${ref.name}@${ref.prefix}`);
        if (!id) {
          const elsewhere = (await this.matchAll(ref.prefix)).map((m) => `${m.names.join(', ')}@${m.id}`);
          throw new VfiError('NOT_FOUND', `VFI ${ref.prefix} was never published under ${ref.name}`, { name: ref.name, id: ref.prefix },
            elsewhere.length ? `it was published as ${elsewhere.join('; ')}` : undefined);
        }
        return { id, name: ref.name, names: await this.namesOf(id) };
      }
      case 'bare': {
        const matches = await this.matchAll(ref.prefix);
        const asName = ref.alsoName ? await this.lineages.load(ref.prefix) : undefined;
        if (asName && matches.length > 0) {
          throw new VfiError('AMBIGUOUS_REFERENCE', `"${ref.prefix}" is both a lineage name and an id prefix`, { ref: ref.prefix },
            `write ${ref.prefix}~0 for the lineage or NAME@${ref.prefix} for the VFI`);
        }
        if (asName) return this.resolve({ kind: 'head', name: ref.prefix, back: 0 });
        const id = uniqueMatch(matches.map((m) => m.id), ref.prefix, matches);
        if (!id) throw new VfiError('NOT_FOUND', `no VFI with id ${ref.prefix} in the store`, { id: ref.prefix });
        const names = matches[0]!.names;
        return { id, name: names.length === 1 ? names[0] : undefined, names };
      }
    }
  }

  /** VFIs (across all lineages) whose id starts with `prefix`, with the names they were published under. */
  async matchAll(prefix: string): Promise<{ id: string; names: string[] }[]> {
    const found = new Map<string, string[]>();
    for (const name of this.lineageNames()) {
      const quick = this.lineages.publicationFile(name);
      const lineage = quick ?? await this.lineages.load(name).catch((e: unknown) => {
        // A damaged lineage is reported by the commands that name it, and by fsck; it does not
        // stop references to the others from resolving.
        if (e instanceof VfiError && e.code === 'STORE_DAMAGED') return undefined;
        throw e;
      });
      for (const id of lineage?.idsWithPrefix(prefix) ?? []) {
        found.set(id, [...(found.get(id) ?? []), name]);
      }
    }
    return [...found].map(([id, names]) => ({ id, names })).sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  private async namesOf(id: string): Promise<string[]> {
    return (await this.matchAll(id)).find((m) => m.id === id)?.names ?? [];
  }
}

function uniqueMatch(ids: string[], ref: string, described?: { id: string; names: string[] }[]): string | undefined {
  if (ids.length <= 1) return ids[0];
  const list = described ? described.map((m) => `${m.names[0]}@${m.id}`) : ids;
  throw new VfiError('AMBIGUOUS_REFERENCE', `${ref} is ambiguous: ${ids.length} VFIs match`, { candidates: ids },
    `candidates: ${list.slice(0, 10).join(', ')}${list.length > 10 ? ', …' : ''}`);
}

function hintNames(names: string[], gitdir: string): string | undefined {
  if (names.length === 0) {
    // A plain `git clone` copies branches and tags only, never refs/vfi/*: say how to get them.
    return hasRemote(gitdir) ? 'the store has no lineages yet; `vfi pull` fetches them from its remote' : 'the store has no lineages yet';
  }
  return `lineages: ${names.slice(0, 10).join(', ')}${names.length > 10 ? ', …' : ''}`;
}

function isRepository(gitdir: string): boolean {
  return fs.existsSync(path.join(gitdir, 'HEAD')) && fs.existsSync(path.join(gitdir, 'objects'));
}

/** Does the store's git config declare a remote? (read only on the way to an error) */
function hasRemote(gitdir: string): boolean {
  try {
    return /^\s*\[remote\s+"/im.test(fs.readFileSync(path.join(gitdir, 'config'), 'utf8'));
  } catch {
    return false;
  }
}

/** The layout `git init --bare` makes, written so that two processes may race to create it. */
function initBareRepository(gitdir: string): void {
  for (const d of ['objects/info', 'objects/pack', 'refs/heads', 'refs/tags', 'refs/vfi']) {
    fs.mkdirSync(path.join(gitdir, d), { recursive: true });
  }
  const files: [string, string][] = [
    ['config', '[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = true\n'],
    ['description', 'vfi store: VFIs as blobs, lineages under refs/vfi/, assertions under refs/vfi-assertions/\n'],
    // HEAD last: its presence is what marks the directory as a repository.
    ['HEAD', 'ref: refs/heads/main\n'],
  ];
  for (const [name, content] of files) {
    try {
      fs.writeFileSync(path.join(gitdir, name), content, { flag: 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}
