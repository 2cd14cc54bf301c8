/**
 * Commits and trees of the store, read once each: the one commit reader, the one tree reader and
 * the one commit walker every part of vfi uses (the encodings themselves are core/gitObject.ts).
 * An object that is not what its place says (a tree where a commit should be, a commit git could
 * not parse) is STORE_DAMAGED, named by `where` when the caller gives one (the ref it hangs from).
 */
import { VfiError } from '../errors.js';
import { decodeCommit, decodeTree, findTreeEntry, type Commit, type TreeEntry } from '../core/gitObject.js';
import type { ObjectStore } from './objects.js';

export interface StoredCommit extends Commit {
  id: string;
  /** committer time, seconds since the epoch */
  time: number;
}

export interface ReadOptions {
  /** read what git accepts but vfi would not write (core/gitObject.ts decodeCommit) */
  lenient?: boolean;
  /** refuse a larger object before inflating it whole (ObjectStore.read) */
  maxBytes?: number;
  /** what the object is to the caller, for messages: "refs/vfi/Runtime" */
  where?: string;
}

const HINT = 'run `vfi fsck`; restore the ref or the object from a clone of the store';

function damaged(id: string, what: string, where: string | undefined): VfiError {
  return new VfiError('STORE_DAMAGED', `${where ? `${where}: ` : ''}object ${id} ${what}`, { id }, HINT);
}

/** Read and parse one commit. */
export async function readCommit(objects: ObjectStore, id: string, opts: ReadOptions = {}): Promise<StoredCommit> {
  const obj = await objects.read(id, { maxBytes: opts.maxBytes });
  if (obj.type !== 'commit') throw damaged(id, `is a ${obj.type}, not a commit`, opts.where);
  let c: Commit;
  try {
    c = decodeCommit(obj.body, { lenient: opts.lenient });
  } catch (e) {
    throw damaged(id, `is not a well-formed commit (${(e as Error).message})`, opts.where);
  }
  return { id, ...c, time: c.committer.timestamp };
}

/** Read and parse one tree. */
export async function readTree(objects: ObjectStore, id: string, where?: string): Promise<TreeEntry[]> {
  return parseTree(id, await treeBody(objects, id, where), where, decodeTree);
}

async function treeBody(objects: ObjectStore, id: string, where: string | undefined): Promise<Buffer> {
  const obj = await objects.read(id);
  if (obj.type !== 'tree') throw damaged(id, `is a ${obj.type}, not a tree`, where);
  return obj.body;
}

function parseTree<T>(id: string, body: Buffer, where: string | undefined, parse: (body: Buffer) => T): T {
  try {
    return parse(body);
  } catch (e) {
    throw damaged(id, `is not a well-formed tree (${(e as Error).message})`, where);
  }
}

/** Reads commits once per reader (commits are immutable); with `bodies`, keeps each commit's bytes there too. */
export class CommitReader {
  private readonly memo = new Map<string, StoredCommit>();

  constructor(
    private readonly objects: ObjectStore,
    private readonly opts: ReadOptions = {},
  ) {}

  async read(id: string): Promise<StoredCommit> {
    let c = this.memo.get(id);
    if (!c) {
      c = await readCommit(this.objects, id, this.opts);
      this.memo.set(id, c);
    }
    return c;
  }
}

/** Reads trees once per reader: trees are immutable, and a retry re-reads mostly the same ones. */
export class TreeReader {
  private readonly memo = new Map<string, TreeEntry[]>();
  /** trees looked in by entry(), as read: a second lookup in one (another name) reads it once */
  private readonly bodies = new Map<string, Buffer>();
  private readonly objects: ObjectStore;

  /** `from`: the object store, or anything that has one (a Store). `context` prefixes messages: the ref the trees hang from. */
  constructor(from: ObjectStore | { objects: ObjectStore }, private readonly context?: string) {
    this.objects = 'objects' in from ? from.objects : from;
  }

  /** The entries of tree `id`; `where` says what it is ("root tree", "ab/cdef…") in a message. */
  async read(id: string, where?: string): Promise<TreeEntry[]> {
    let entries = this.memo.get(id);
    if (!entries) {
      entries = await readTree(this.objects, id, this.at(where));
      this.memo.set(id, entries);
    }
    return entries;
  }

  /** The first entry of tree `id` named `name` (of `mode`, if given), as read(id).find would give it, decoding no other entry. */
  async entry(id: string, name: string, where?: string, mode?: TreeEntry['mode']): Promise<TreeEntry | undefined> {
    const entries = this.memo.get(id);
    if (entries) return entries.find((e) => e.name === name && (mode === undefined || e.mode === mode));
    let body = this.bodies.get(id);
    if (!body) this.bodies.set(id, (body = await treeBody(this.objects, id, this.at(where))));
    return parseTree(id, body, this.at(where), (b) => findTreeEntry(b, name, mode));
  }

  private at(where: string | undefined): string | undefined {
    return [this.context, where].filter(Boolean).join(': ') || undefined;
  }
}

export interface WalkOptions {
  /** commits not to enter, nor walk below (already known) */
  stop?: (id: string) => boolean;
  /**
   * A commit that cannot be read (or that `visit` throws on): the walk goes on past it, without
   * its parents. Without it, the walk stops by throwing.
   */
  problem?: (id: string, error: Error) => void;
}

/**
 * The one commit walker: visit every commit reachable from `heads` once, depth first (a commit
 * before its parents), reading each through `read` (a CommitReader's, or one that checks more).
 */
export async function walkCommits<C extends { id: string; parents: readonly string[] }>(
  read: (id: string) => Promise<C>,
  heads: string | readonly string[],
  visit: (commit: C) => Promise<void> | void,
  opts: WalkOptions = {},
): Promise<void> {
  const seen = new Set<string>();
  const todo = typeof heads === 'string' ? [heads] : [...heads].reverse();
  while (todo.length > 0) {
    const id = todo.pop()!;
    if (seen.has(id) || opts.stop?.(id)) continue;
    seen.add(id);
    try {
      const commit = await read(id);
      for (let i = commit.parents.length - 1; i >= 0; i--) todo.push(commit.parents[i]!);
      await visit(commit);
    } catch (e) {
      if (!opts.problem) throw e;
      opts.problem(id, e as Error);
    }
  }
}
