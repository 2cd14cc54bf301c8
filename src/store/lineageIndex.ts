/**
 * A derived, per-lineage cache of what the commits say (commit, VFI id, time, author, subject,
 * parents), so that resolving `Runtime@b38` or listing a 10,000-long lineage reads one small file
 * instead of 20,000 objects. Git is the source of truth: the cache records the head it was built
 * from, is brought up to date by walking only the new commits, and is rebuilt when missing,
 * unreadable or not an ancestor of the current head. Caches live in `<store>/vfi-cache/`, which git
 * ignores and `git clone` does not copy.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { readCommit } from '../git/commits.js';
import { readAt } from '../git/packs.js';
import { mkdirs } from '../errno.js';
import { VfiError } from '../errors.js';
import type { Store } from './store.js';
import { PublicationFile } from './publicationFile.js';

const VERSION = 1;
/** How every cache file begins: the head, and how many rows follow (appendPublished's). */
const CACHE_HEADER = /^\{"v":1,"head":"([0-9a-f]{40})","n":(\d+),"rows":\[/;

export interface LineageEntry {
  commit: string;
  id: string;
  /** committer time, seconds since the epoch */
  time: number;
  author: string;
  subject: string;
  /** indexes of the parent commits in `entries` */
  parents: number[];
}

type Row = [commit: string, id: string, time: number, author: string, subject: string, ...parents: number[]];

/**
 * A lineage as git has it, and its publications. A publication is a commit that brings a VFI: one
 * with at most one parent, or a merge whose VFI is none of its parents'. A merge `vfi pull` makes
 * (remote/merge.ts) is a publication when it composed a new VFI from both sides, and not
 * one when it re-carries one side's VFI. Publications
 * are ordered newest first as `git log --date-order` would list them, from git alone (whatever
 * order the cache learnt the commits in): a commit before its parents, else the later committer
 * time, then the smaller commit id (as a merge breaks that tie); except that the publication whose
 * VFI the head carries comes first, so that `Name` and the first line of `vfi log` agree.
 * `vfi log` lists them, `vfi list` counts them, `Name~N` is the N-th after the first, and `pick`
 * and `find` rank by them.
 */
export class Lineage {
  private readonly byCommit = new Map<string, number>();
  private ids: string[] | undefined;
  private order: LineageEntry[] | undefined;

  /** entries: parents always before children, every one reachable from the head */
  constructor(
    readonly name: string,
    readonly head: string,
    readonly entries: LineageEntry[],
  ) {
    entries.forEach((e, i) => this.byCommit.set(e.commit, i));
  }

  /** The publication whose VFI the head carries. */
  headEntry(): LineageEntry {
    return this.publications()[0]!;
  }

  /** The publications reachable from the head, newest first (see the class comment). */
  publications(): readonly LineageEntry[] {
    if (this.order) return this.order;
    const entries = this.entries;
    const children = new Array<number>(entries.length).fill(0);
    for (const e of entries) for (const p of e.parents) children[p]!++;
    const first = this.carriedBy(this.byCommit.get(this.head)!);
    const order: LineageEntry[] = [entries[first]!];
    // Kahn's walk: a commit is ready once all its children are out; the newest ready goes next.
    const ready: number[] = [this.byCommit.get(this.head)!];
    while (ready.length > 0) {
      const i = ready.pop()!;
      const e = entries[i]!;
      if (i !== first && this.isPublication(e)) order.push(e);
      for (const p of e.parents) if (--children[p]! === 0) insertReady(ready, p, entries);
    }
    return (this.order = order);
  }

  /** Whether the head brings its own VFI (is not a merge that re-carries one). */
  headIsPublication(): boolean {
    return this.isPublication(this.entries[this.byCommit.get(this.head)!]!);
  }

  /** `Name~n`: the n-th publication before the one the head carries. */
  back(n: number): LineageEntry | undefined {
    return this.publications()[n];
  }

  /** How many publications there are before the one the head carries. */
  depth(): number {
    return this.publications().length - 1;
  }

  /** Distinct VFI ids ever published here that start with `prefix`. */
  idsWithPrefix(prefix: string): string[] {
    this.ids ??= [...new Set(this.entries.map((e) => e.id))];
    return this.ids.filter((id) => id.startsWith(prefix));
  }

  indexOf(commit: string): number | undefined {
    return this.byCommit.get(commit);
  }

  private isPublication(e: LineageEntry): boolean {
    return e.parents.length < 2 || !e.parents.some((p) => this.entries[p]!.id === e.id);
  }

  /** The publication whose VFI commit `i` carries: down the parents with its VFI, the later (then smaller id) first. */
  private carriedBy(i: number): number {
    for (let e = this.entries[i]!; !this.isPublication(e); e = this.entries[i]!) {
      const same = e.parents.filter((p) => this.entries[p]!.id === e.id);
      i = same.reduce((a, b) => (isNewer(this.entries[b]!, this.entries[a]!) ? b : a));
    }
    return i;
  }
}

/** Newer in publication order: later committer time, then the smaller commit id. */
const isNewer = (a: LineageEntry, b: LineageEntry): boolean => (a.time !== b.time ? a.time > b.time : a.commit < b.commit);

/** Keep `ready` sorted oldest first, so that pop() takes the newest. */
function insertReady(ready: number[], i: number, entries: readonly LineageEntry[]): void {
  let at = ready.length;
  while (at > 0 && isNewer(entries[ready[at - 1]!]!, entries[i]!)) at--;
  ready.splice(at, 0, i);
}

export class LineageIndex {
  private readonly loaded = new Map<string, Lineage>();
  private readonly quick = new Map<string, { head: string; file: PublicationFile }>();
  private readonly dir: string;

  constructor(private readonly store: Store) {
    this.dir = path.join(store.gitdir, 'vfi-cache', 'lineages');
  }

  /** The lineage of `name` as its ref says now, or undefined when there is no such ref. */
  async load(name: string): Promise<Lineage | undefined> {
    const head = this.store.refs.read(`refs/vfi/${name}`);
    if (!head) return undefined;
    const memo = this.loaded.get(name);
    if (memo && memo.head === head) return memo;
    const cached = memo ?? this.readCache(name);
    let lineage = cached && cached.head === head ? cached : undefined;
    if (!lineage) {
      try {
        lineage = (cached && (await this.extend(name, cached, head))) ?? (await this.extend(name, undefined, head))!;
      } catch (e) {
        // An object the lineage needs is gone: the store is damaged, the lineage is not "not found".
        if (!(e instanceof VfiError) || e.code !== 'NOT_FOUND') throw e;
        throw new VfiError('STORE_DAMAGED', `refs/vfi/${name}: ${e.message}`, { name, ...e.data }, 'run `vfi fsck`; restore the object from a clone of the store');
      }
      this.writeCache(lineage);
    } else if (!this.publicationFile(name)) {
      this.writePublications(lineage); // a cache from before the publication file
    }
    this.loaded.set(name, lineage);
    return lineage;
  }

  /**
   * The publications of `name` as its ref says now, read from their fixed-width file without
   * loading the lineage; undefined when there is no such ref or the file is missing or stale.
   */
  publicationFile(name: string): PublicationFile | undefined {
    const head = this.store.refs.read(`refs/vfi/${name}`);
    if (!head) return undefined;
    const memo = this.quick.get(name);
    if (memo?.head === head) return memo.file;
    const file = PublicationFile.open(path.join(this.dir, `${name}.pub`), head);
    if (file) this.quick.set(name, { head, file });
    return file;
  }

  /** Record commits just published on top of `from` without walking the objects again. */
  recordPublished(name: string, from: string | undefined, published: Omit<LineageEntry, 'parents'>[]): boolean {
    if (from !== undefined && !this.loaded.has(name) && this.appendPublished(name, from, published)) return true;
    const base = this.loaded.get(name) ?? this.readCache(name);
    if ((base?.head ?? undefined) !== from) return false; // the cache is elsewhere: the next load walks
    const entries = base ? [...base.entries] : [];
    let parent = from === undefined ? undefined : base!.indexOf(from);
    for (const p of published) {
      entries.push({ ...p, parents: parent === undefined ? [] : [parent] });
      parent = entries.length - 1;
    }
    const lineage = new Lineage(name, published.at(-1)!.commit, entries);
    this.loaded.set(name, lineage);
    this.writeCache(lineage);
    return true;
  }

  /**
   * recordPublished on a cache not loaded, without loading it: a lineage's cache is ~130 bytes of
   * JSON a publication (1.3 MB at 10,000, 13 MB at 100,000), parsed and written again whole by
   * every daily pull or publication before (a few tens of ms at 10,000, growing with the lineage).
   * The rows are copied as bytes and the new ones put after them; the header states the row count,
   * and the head is always the last row (every writer puts it last). Taken only when the old head
   * brings its own VFI (one parent at most), as the new publications then simply come before the
   * old ones; anything else, or a file not as expected, goes the whole way (false).
   */
  private appendPublished(name: string, from: string, published: Omit<LineageEntry, 'parents'>[]): boolean {
    if (published.length === 0) return false;
    const file = this.cacheFile(name);
    let read: fs.Stats;
    let head: Buffer;
    let tail: Buffer;
    let pub: PublicationFile | undefined;
    try {
      // Its ends only: the header, and the last row (the old head's), well within its last 64 KB.
      const fd = fs.openSync(file, 'r');
      try {
        read = fs.fstatSync(fd);
        head = readAt(fd, 0, Math.min(128, read.size));
        tail = readAt(fd, Math.max(0, read.size - 65536), Math.min(65536, read.size));
      } finally {
        fs.closeSync(fd);
      }
    } catch {
      return false;
    }
    const header = CACHE_HEADER.exec(head.toString('latin1'));
    if (!header || header[1] !== from || tail.toString('latin1', tail.length - 2) !== ']}') return false;
    const count = Number(header[2]);
    // A quote inside a string is escaped, so `["<commit>",` only ever starts a row.
    const last = tail.lastIndexOf(`["${from}",`);
    if (last < 0 || count < 1) return false; // not before the row is parsed: from 0 it would be the whole file
    let parents: unknown[];
    try {
      const row = JSON.parse(tail.toString('utf8', last, tail.length - 2)) as unknown[];
      parents = row.slice(5);
      if (row[0] !== from || parents.length > 1) return false;
      pub = PublicationFile.open(path.join(this.dir, `${name}.pub`), from);
      if (!pub) return false;
      let parent = count - 1;
      const rows = published.map((p) => `,${JSON.stringify([p.commit, p.id, p.time, p.author, p.subject, parent++])}`).join('');
      const newHead = published.at(-1)!.commit;
      const rowsAt = header[0].length;
      const start = Buffer.from(`{"v":${VERSION},"head":"${newHead}","n":${count + published.length},"rows":[`);
      const end = Buffer.from(`${rows}]}`);
      if (start.length !== rowsAt || !appendToCopy(file, read, start, end)) {
        const buf = fs.readFileSync(file);
        if (buf.length !== read.size || !buf.subarray(0, head.length).equals(head)) return false; // rewritten meanwhile
        writeFileAtomic(file, Buffer.concat([start, buf.subarray(rowsAt, buf.length - 2), end]));
      }
      pub.writeWithNewer(path.join(this.dir, `${name}.pub`), newHead, published.map((p) => p.id).reverse());
      pub.close();
      pub = undefined;
      this.quick.get(name)?.file.close();
      this.quick.delete(name);
      return true;
    } catch {
      return false;
    } finally {
      pub?.close();
    }
  }

  /**
   * Record a chain of commits just published on top of `from` (`vfi import`'s: each the parent of
   * the next, all with one time, author and subject), read one at a time from where the caller
   * keeps them: the cache is written piece by piece, never held whole. Below a head that
   * re-carries an older VFI (a pull's merge) the publications are not simply the new ones then the
   * old ones, so they are worked out as recordPublished does.
   */
  recordChain(name: string, from: string | undefined, count: number, at: (k: number) => { id: string; commit: string }, common: Omit<LineageEntry, 'parents' | 'id' | 'commit'>): void {
    const base = this.loaded.get(name) ?? this.readCache(name);
    if ((base?.head ?? undefined) !== from || count === 0) return;
    if (base && !base.headIsPublication()) {
      this.recordPublished(name, from, Array.from({ length: count }, (_, k) => ({ ...at(k), ...common })));
      return;
    }
    const head = at(count - 1).commit;
    const before = base ? base.entries.length : 0;
    const row = (r: Row, first: boolean) => `${first ? '' : ','}${JSON.stringify(r)}`;
    writeFileAtomic(this.cacheFile(name), (put) => {
      put(`{"v":${VERSION},"head":"${head}","n":${before + count},"rows":[`);
      base?.entries.forEach((e, i) => put(row([e.commit, e.id, e.time, e.author, e.subject, ...e.parents], i === 0)));
      const parent0 = from === undefined ? [] : [base!.indexOf(from)!];
      for (let k = 0; k < count; k++) {
        const { commit, id } = at(k);
        put(row([commit, id, common.time, common.author, common.subject, ...(k === 0 ? parent0 : [before + k - 1])], before + k === 0));
      }
      put(']}');
    });
    const newestFirst: string[] = [];
    for (let k = count - 1; k >= 0; k--) newestFirst.push(at(k).id);
    for (const e of base?.publications() ?? []) newestFirst.push(e.id);
    this.loaded.delete(name);
    this.quick.get(name)?.file.close();
    this.quick.delete(name);
    PublicationFile.write(path.join(this.dir, `${name}.pub`), head, newestFirst);
  }

  /**
   * Walk from `head` down to commits `base` already knows, appending the new ones parents-first.
   * Returns undefined when `base.head` is not reachable from `head` (the ref was rewritten).
   */
  private async extend(name: string, base: Lineage | undefined, head: string): Promise<Lineage | undefined> {
    const entries = base ? [...base.entries] : [];
    const index = new Map<string, number>(entries.map((e, i) => [e.commit, i]));
    const parentsOf = new Map<string, string[]>();
    const info = new Map<string, Omit<LineageEntry, 'parents'>>();
    let reachesBase = base === undefined || head === base.head;
    // Iterative post-order DFS: a commit is appended once all its parents have been.
    const stack: { commit: string; expanded: boolean }[] = [{ commit: head, expanded: false }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (index.has(top.commit)) {
        stack.pop();
        continue;
      }
      if (!top.expanded) {
        top.expanded = true;
        const c = await readCommit(this.store.objects, top.commit, { where: `refs/vfi/${name}` });
        parentsOf.set(top.commit, c.parents);
        info.set(top.commit, {
          commit: top.commit,
          id: await this.store.vfiIdOfTree(c.tree, top.commit),
          time: c.committer.timestamp,
          author: c.author.name,
          subject: c.message.split('\n', 1)[0]!,
        });
        for (const p of c.parents) {
          if (p === base?.head) reachesBase = true;
          if (!index.has(p)) stack.push({ commit: p, expanded: false });
        }
        continue;
      }
      stack.pop();
      const parents = parentsOf.get(top.commit)!.map((p) => index.get(p)!);
      entries.push({ ...info.get(top.commit)!, parents });
      index.set(top.commit, entries.length - 1);
    }
    if (!reachesBase) return undefined;
    return new Lineage(name, head, entries);
  }

  private cacheFile(name: string): string {
    return path.join(this.dir, `${name}.json`);
  }

  private readCache(name: string): Lineage | undefined {
    try {
      const data = JSON.parse(fs.readFileSync(this.cacheFile(name), 'utf8')) as { v: number; head: string; rows: Row[] };
      if (data.v !== VERSION) return undefined;
      const entries = data.rows.map(([commit, id, time, author, subject, ...parents]) => ({ commit, id, time, author, subject, parents }));
      return new Lineage(name, data.head, entries);
    } catch {
      return undefined; // missing or unreadable: rebuilt from git
    }
  }

  private writeCache(lineage: Lineage): void {
    const rows: Row[] = lineage.entries.map((e) => [e.commit, e.id, e.time, e.author, e.subject, ...e.parents]);
    writeFileAtomic(this.cacheFile(lineage.name), JSON.stringify({ v: VERSION, head: lineage.head, n: rows.length, rows }));
    this.writePublications(lineage);
  }

  private writePublications(lineage: Lineage): void {
    this.quick.get(lineage.name)?.file.close();
    this.quick.delete(lineage.name);
    PublicationFile.write(path.join(this.dir, `${lineage.name}.pub`), lineage.head, lineage.publications().map((e) => e.id));
  }
}

/**
 * Write a cache file by temp-and-rename, so readers see the old or the new content, never half.
 * A cache is derived: failing to write one (a full disk, a file-size limit, a store the user may
 * only read) never fails the command, whose publication has landed by then; the next command
 * that needs the cache rebuilds it from git. Said once, unless the store is simply not writable.
 */
export function writeFileAtomic(file: string, content: string | Buffer | Pieces): void {
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    // never the store itself: one moved away meanwhile is not begun again where it was
    const store = file.lastIndexOf(`${path.sep}vfi-cache${path.sep}`);
    mkdirs(path.dirname(file), store > 0 ? file.slice(0, store) : undefined);
    if (typeof content === 'function') writePieces(tmp, content);
    else fs.writeFileSync(tmp, content);
    fs.renameSync(tmp, file);
  } catch (e) {
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      /* the directory itself is gone or unwritable */
    }
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || cacheWarned) return;
    cacheWarned = true;
    warnCache(`vfi: warning: could not update the cache ${file} (${code ?? (e as Error).message}); ` +
      'the store itself is complete (what this command wrote has landed), and a later command rebuilds the cache');
  }
}

/**
 * Replace `file` by a copy of it (made by the kernel) whose header is `start` (as long as the old
 * one) and whose last two bytes are replaced by `end`; false, leaving `file` as it was, when the
 * file is no longer the one `was` describes (a writer renamed another over it) or anything fails.
 */
function appendToCopy(file: string, was: fs.Stats, start: Buffer, end: Buffer): boolean {
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    fs.copyFileSync(file, tmp);
    const now = fs.statSync(file);
    if (now.ino !== was.ino || now.size !== was.size || now.mtimeMs !== was.mtimeMs || fs.statSync(tmp).size !== was.size) throw new Error('the cache moved');
    const fd = fs.openSync(tmp, 'r+');
    try {
      fs.writeSync(fd, start, 0, start.length, 0);
      fs.writeSync(fd, end, 0, end.length, was.size - 2);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
    return true;
  } catch {
    fs.rmSync(tmp, { force: true });
    return false;
  }
}

/** Content made piece by piece, for a cache too big to hold whole as one string (a 100,000-line import's). */
export type Pieces = (put: (text: string) => void) => void;

function writePieces(file: string, pieces: Pieces): void {
  const fd = fs.openSync(file, 'wx');
  try {
    let held: string[] = [];
    let size = 0;
    const flush = () => {
      const b = Buffer.from(held.join(''));
      for (let done = 0; done < b.length; ) done += fs.writeSync(fd, b, done, b.length - done);
      held = [];
      size = 0;
    };
    pieces((text) => {
      held.push(text);
      if ((size += text.length) >= 1 << 20) flush();
    });
    flush();
  } finally {
    fs.closeSync(fd);
  }
}

let cacheWarned = false;
/** Said once a process, as cacheWarned is, so it goes where the last store opened sends its warnings (Store.open's warn). */
let warnCache: (line: string) => void = () => {};
export function sendCacheWarningsTo(warn: (line: string) => void): void {
  warnCache = warn;
}
