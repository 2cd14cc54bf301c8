/**
 * Admission of fetched data (`vfi pull`) and of data about to be sent (`vfi push`): a ref may
 * move to a commit only if every object it reaches beyond the ref's old head is in the store and
 * is what vfi itself writes: well-formed commits with writable dates; for a lineage, a tree of
 * exactly one `vfi.json` holding a valid VFI in canonical form (the checks of `vfi add`); for the
 * assertions, records `vfi assert` could have written, filed under names that say what they say.
 * Every object is read with a size bound, so a small pack that inflates to gigabytes is refused
 * without being inflated. Only the new part is walked: what the old head reaches was admitted before.
 * A few objects are read in this process; more, through one `git cat-file --batch`
 * (git/catFile.ts), many at a time, so git inflates them and node only checks them. The new
 * commits of a ref are walked here when they are a few on top of its old head, else listed by `git rev-list`.
 */
import { VfiError } from '../errors.js';
import { commitProblem, filedRecordProblem, MAX_RECORD_BYTES, MAX_VFI_BYTES, plainRecordSha256 } from '../core/admission.js';
import { decodeCommit, decodeTree, type TreeEntry } from '../core/gitObject.js';
import type { GitObject } from '../git/objects.js';
import { checkDepth, parseIJson } from '../core/ijson.js';
import { canonicalVfi, describeVfiPath, vfiSha256 } from '../core/vfi.js';
import { nameProblem } from '../core/names.js';
import { parseRecordFileName } from '../core/assertion.js';
import { validateVfi } from '../schema/validate.js';
import { readCommit, walkCommits } from '../git/commits.js';
import { BatchReader } from '../git/catFile.js';
import { repositoryFreeEnv } from '../git/env.js';
import { execFile } from 'node:child_process';
import { ASSERTIONS_REF, COMPONENTS_DIR } from './assertions.js';
import { POLICY_REF, TRUST_REF } from './events.js';
import { parseEventFileName } from '../core/trust.js';
import { canonicalText, type JsonValue } from '../core/canonical.js';
import { LINEAGE_PREFIX, VFI_FILE, type Store } from './store.js';
import type { LineageEntry } from './lineageIndex.js';
import { recordAdmitted } from './admitted.js';

export { MAX_RECORD_BYTES, MAX_VFI_BYTES };
/** commits and trees: a lineage tree holds one entry; an assertions tree one per record of a VFI */
export const MAX_COMMIT_BYTES = 1024 * 1024;
export const MAX_TREE_BYTES = 64 * 1024 * 1024;
/** commits asked for ahead of the walk */
const PREFETCH = 256;
/**
 * Shards of an assertions tree checked side by side, and commits of a lineage whose trees are:
 * enough to keep git's pipe full, few enough that what waits on git stays young. With 8 shards
 * the checks in flight outlived young-generation GCs: a full pull's admission of 100,000 records
 * promoted 520 MB to the old generation, 90 MB with 2 (--trace-gc-nvp).
 */
const SHARDS_AT_ONCE = 2;
const TREES_AT_ONCE = 256;
/** refs whose new commits git is listing at once */
const LISTED_AHEAD = 4;

export interface RefUpdate {
  /** destination, e.g. refs/vfi/Runtime or refs/vfi-assertions/main */
  ref: string;
  old: string | null;
  /** fetched commit id, readable via store.objects */
  new: string;
}

/** A lineage's new commits as admitted, parents first, when they make one line (what the lineage cache records). */
export interface AdmittedLine {
  from: string | null;
  commits: Omit<LineageEntry, 'parents'>[];
}

export interface Refusal {
  ref: string;
  object: string;
  rule: string;
  message: string;
}

/** A refusal on its way out of the walk. */
class Refused extends Error {
  constructor(readonly object: string, readonly rule: string, message: string) {
    super(message);
  }
}

/**
 * Check each update; without `skipInvalid`, one refused update admits none (the caller throws
 * refusalError), with it the valid ones are admitted and the others listed.
 */
export async function admitIncoming(store: Store, updates: RefUpdate[], opts: { skipInvalid?: boolean; signal?: AbortSignal } = {}): Promise<{ admitted: RefUpdate[]; refused: Refusal[]; lines: Map<string, AdmittedLine> }> {
  const objects = new AdmissionObjects(store);
  const cancel = () => objects.close();
  opts.signal?.addEventListener('abort', cancel);
  // git lists the next refs' new commits while this one is checked (a few: a pull may bring a thousand lineages)
  const listed: Promise<Set<string> | undefined>[] = [];
  const list = (i: number) => {
    for (let j = listed.length; j < Math.min(updates.length, i + LISTED_AHEAD); j++) {
      const u = updates[j]!;
      listed.push(newCommitsNearby(store, u.new, u.old).then((near) => near ?? newCommits(store.gitdir, store.env, u.new, u.old)));
    }
    return listed[i]!;
  };
  const checker = new Admission(store, objects);
  const admitted: RefUpdate[] = [];
  const refused: Refusal[] = [];
  try {
    for (const [i, u] of updates.entries()) {
      opts.signal?.throwIfAborted();
      try {
        await checker.check(u, list(i));
        admitted.push(u);
      } catch (e) {
        if (e instanceof Refused) refused.push({ ref: u.ref, object: e.object, rule: e.rule, message: e.message });
        else throw e;
      }
    }
  } finally {
    opts.signal?.removeEventListener('abort', cancel);
    objects.close();
  }
  if (refused.length === 0 || opts.skipInvalid) recordAdmitted(store, admitted);
  return { admitted: refused.length > 0 && !opts.skipInvalid ? [] : admitted, refused, lines: checker.lines };
}

/** The error for refused updates: one line naming the ref, the object and the rule. */
export function refusalError(refused: Refusal[]): VfiError {
  const [first] = refused;
  if (!first) throw new Error('refusalError needs at least one refusal');
  const more = refused.length > 1 ? ` (and ${refused.length - 1} more)` : '';
  return new VfiError('REMOTE', `${first.ref}: object ${first.object} refused (${first.rule}): ${first.message}${more}`,
    { reason: 'invalid', ref: first.ref, refused }, 'no ref was moved; vfi fsck names what is damaged in a store');
}

/**
 * Drop the malformed commits a refused fetch left loose: `git fsck --strict` checks unreachable
 * objects too, and vfi never writes such a commit, so no other writer can be sharing it.
 */
export function discardRefused(store: Store, refused: Refusal[]): void {
  for (const r of refused) if (r.rule === 'commit') store.objects.discardLoose(r.object);
}

/** Why VFI bytes stored under `id` are not what `vfi add` writes: the rule broken and the reason, or undefined. */
export function storedVfiProblem(bytes: Buffer, id: string): { rule: string; message: string } | undefined {
  if (isStoredVfi(bytes, id)) return undefined;
  let value;
  try {
    value = parseIJson(bytes, { describe: describeVfiPath });
  } catch (e) {
    return { rule: 'vfi-json', message: (e as Error).message };
  }
  let stored;
  try {
    stored = canonicalVfi(validateVfi(value));
  } catch (e) {
    return { rule: 'vfi-schema', message: (e as Error).message };
  }
  if (stored.id !== id) return { rule: 'vfi-canonical', message: 'not in canonical form' };
  return undefined;
}

// A lone surrogate is written escaped in canonical text; such text takes the full parse, which refuses it.
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

/**
 * The common case, cheaply: bytes that are exactly the canonical text of a valid VFI, read with
 * JSON.parse instead of the located I-JSON parse. What that parse alone refuses cannot pass here
 * (a duplicate key, a rounded number, invalid UTF-8 or a BOM make the canonical bytes differ; a
 * lone surrogate and too deep a nesting are looked for), and any doubt goes to the full check,
 * which says why.
 */
function isStoredVfi(bytes: Buffer, id: string): boolean {
  try {
    const text = bytes.toString('utf8');
    if (SURROGATE_ESCAPE.test(text)) return false;
    checkDepth(text);
    const stored = canonicalVfi(validateVfi(JSON.parse(text) as JsonValue));
    return stored.id === id && stored.bytes.equals(bytes);
  } catch {
    return false;
  }
}

class Admission {
  /** objects already found good (VFIs, records, trees by path) */
  private readonly good = new Set<string>();
  /**
   * Assertions directories and records being checked, by the key `good` gets: the trees of a ref's
   * commits are checked side by side, and each shares nearly all its directories with the next, so
   * a check of one already under way is waited for (and is then good, or checked again to be said
   * in its own place) instead of run once per commit: a pull of 20 commits of 100,000 records
   * otherwise checked 2 million.
   */
  private readonly checking = new Map<string, Promise<void>>();
  /** the sha256 of each VFI's bytes, read once however many records name it; null when the store lacks it */
  private readonly vfiShas = new Map<string, string | null>();
  /** the VFI (blob id) of each lineage tree admitted */
  private readonly vfiOfTree = new Map<string, string>();
  /** by lineage ref: its new commits, parents first, when they form one line from the old head */
  readonly lines = new Map<string, AdmittedLine>();

  constructor(private readonly store: Store, private readonly objects: AdmissionObjects) {}

  async check(u: RefUpdate, listed: Promise<Set<string> | undefined>): Promise<void> {
    const lineage = u.ref.startsWith(LINEAGE_PREFIX);
    if (lineage) {
      const problem = nameProblem(u.ref.slice(LINEAGE_PREFIX.length));
      if (problem) throw new Refused(u.new, 'ref-name', `not a lineage name: it ${problem}`);
    } else if (u.ref !== ASSERTIONS_REF && u.ref !== TRUST_REF && u.ref !== POLICY_REF) {
      throw new Refused(u.new, 'ref-name', `vfi keeps no such ref (lineages are refs/vfi/<Name>, assertions ${ASSERTIONS_REF}, ${TRUST_REF}, ${POLICY_REF})`);
    }
    const events = u.ref === TRUST_REF || u.ref === POLICY_REF;
    // The new commits as git lists them (`rev-list new --not old`): the walk stops at the others,
    // and their bodies are asked for ahead of it, so the walk does not wait on git once per commit.
    const fresh = await listed;
    const stop = fresh ? (id: string) => !fresh.has(id)
      : u.old ? await this.before(u, lineage ? u.ref.slice(LINEAGE_PREFIX.length) : undefined) : () => false;
    const order = fresh ? [...fresh] : [];
    const at = new Map(order.map((id, i) => [id, i]));
    const ahead = new Map<string, Promise<Buffer>>();
    let asked = 0;
    const commitBody = (id: string): Promise<Buffer> => {
      const i = at.get(id);
      for (; i !== undefined && asked < order.length && asked <= i + PREFETCH; asked++) {
        const next = this.read(order[asked]!, 'commit', MAX_COMMIT_BYTES);
        next.catch(() => {}); // a refusal counts when the walk reaches it
        ahead.set(order[asked]!, next);
      }
      const body = ahead.get(id) ?? this.read(id, 'commit', MAX_COMMIT_BYTES);
      ahead.delete(id);
      return body;
    };
    const oldTree = u.old && !lineage ? (await this.readLenient(u.old))?.tree : undefined;
    // Each commit's tree is checked while the walk reads on (the reads share one pipe to git);
    // what is refused first in walk order is what is reported, as if checked one by one.
    const trees: Promise<void>[] = [];
    const walked: (LineageEntry & { tree: string; parentIds: string[] })[] = [];
    try {
      await walkCommits(async (id) => {
        const body = await commitBody(id);
        const problem = commitProblem(body);
        if (problem) throw new Refused(id, 'commit', `not a commit vfi writes: ${problem}`);
        return { id, ...decodeCommit(body) };
      }, u.new, (commit) => {
        if (lineage) walked.push({ commit: commit.id, id: '', tree: commit.tree, time: commit.committer.timestamp, author: commit.author.name, subject: commit.message.split('\n', 1)[0]!, parents: [], parentIds: commit.parents });
        const check = lineage ? this.checkLineageTree(commit.tree) : events ? this.checkEventsTree(commit.tree) : this.checkAssertionsTree(commit.tree, oldTree, 0, '');
        check.catch(() => {}); // reported by inOrder, in walk order
        trees.push(check);
        return trees.length > TREES_AT_ONCE ? trees[trees.length - 1 - TREES_AT_ONCE]!.catch(() => {}) : undefined;
      }, { stop });
    } catch (e) {
      await inOrder(trees);
      throw e;
    }
    await inOrder(trees);
    if (lineage) this.recordLine(u, walked.reverse());
  }

  /** A walk down one line of commits (each the parent of the next, the first on the old head) is what the lineage cache appends. */
  private recordLine(u: RefUpdate, walked: { commit: string; tree: string; time: number; author: string; subject: string; parentIds: string[] }[]): void {
    let prev = u.old;
    for (const c of walked) {
      if (c.parentIds.length !== (prev === null ? 0 : 1) || (prev !== null && c.parentIds[0] !== prev)) return;
      prev = c.commit;
    }
    if (walked.length === 0 || prev !== u.new) return;
    this.lines.set(u.ref, { from: u.old, commits: walked.map((c) => ({ commit: c.commit, id: this.vfiOfTree.get(c.tree)!, time: c.time, author: c.author, subject: c.subject })) });
  }

  /** Which commits the old head reaches (admitted before), when git could not list the new ones: from the lineage cache, else walked leniently. */
  private async before(u: RefUpdate, lineage: string | undefined): Promise<(id: string) => boolean> {
    const old = await this.reachable(u.old!, lineage);
    return (id) => old.has(id);
  }

  /** Commits reachable from `head` (already admitted), read leniently: a damaged old history ends the walk there. */
  private async reachable(head: string, lineage: string | undefined): Promise<Set<string>> {
    // The lineage cache already lists every commit of the local head (the common case of a pull).
    const known = lineage === undefined ? undefined : await this.store.lineages.load(lineage).catch(() => undefined);
    if (known?.head === head) return new Set(known.entries.map((e) => e.commit));
    const out = new Set<string>();
    // An older head of it (a push's remote head, one publication behind): walk the cache, not the objects.
    if (known?.indexOf(head) !== undefined) {
      const fromCache = async (id: string) => ({ id, parents: known.entries[known.indexOf(id)!]!.parents.map((p) => known.entries[p]!.commit) });
      await walkCommits(fromCache, head, (c) => void out.add(c.id));
      return out;
    }
    await walkCommits((id) => readCommit(this.store.objects, id, { lenient: true, maxBytes: MAX_COMMIT_BYTES }), head, (c) => {
      out.add(c.id);
    }, { problem: (id) => out.add(id) });
    return out;
  }

  private async readLenient(id: string) {
    return readCommit(this.store.objects, id, { lenient: true, maxBytes: MAX_COMMIT_BYTES }).catch(() => undefined);
  }

  /** An object's body, of the type expected, within `maxBytes`; else refused. */
  private async read(id: string, type: string, maxBytes: number): Promise<Buffer> {
    let obj;
    try {
      obj = await this.objects.read(id, { maxBytes });
    } catch (e) {
      if (!(e instanceof VfiError)) throw e;
      if (e.code === 'NOT_FOUND') throw new Refused(id, 'missing-object', `the remote did not send ${type} ${id}`);
      if (e.data.tooLarge) throw new Refused(id, 'size', `the ${type} is larger than ${maxBytes} bytes`);
      throw new Refused(id, 'corrupt-object', e.message);
    }
    if (obj.type !== type) throw new Refused(id, 'object-type', `expected a ${type}, found a ${obj.type}`);
    return obj.body;
  }

  private async tree(id: string): Promise<TreeEntry[]> {
    const body = await this.read(id, 'tree', MAX_TREE_BYTES);
    try {
      return decodeTree(body);
    } catch (e) {
      throw new Refused(id, 'tree', (e as Error).message);
    }
  }

  private async checkLineageTree(id: string): Promise<void> {
    if (this.good.has(id)) return;
    const entries = await this.tree(id);
    const [entry] = entries;
    if (entries.length !== 1 || entry!.name !== VFI_FILE || entry!.mode !== '100644') {
      throw new Refused(id, 'tree', `a lineage commit's tree must hold exactly one file ${VFI_FILE} (found ${entries.map((e) => e.name).join(', ') || 'none'})`);
    }
    if (!this.good.has(entry!.id)) {
      const bytes = await this.read(entry!.id, 'blob', MAX_VFI_BYTES);
      const problem = storedVfiProblem(bytes, entry!.id);
      if (problem) throw new Refused(entry!.id, problem.rule, problem.message);
      this.vfiShas.set(entry!.id, vfiSha256(bytes)); // what records about it must state, without reading it again
      this.good.add(entry!.id);
    }
    this.vfiOfTree.set(id, entry!.id);
    this.good.add(id);
  }

  /**
   * An assertions tree, level by level (0: shards, 1: VFI directories, 2: records); an entry
   * equal to the one at the same place in the old head's tree was admitted before.
   */
  private async checkAssertionsTree(id: string, old: string | undefined, level: number, path: string): Promise<void> {
    const key = `${path}:${id}`;
    if (id === old || this.good.has(key)) return;
    await this.once(key, () => this.checkAssertionsTreeNow(id, old, level, path, key));
  }

  /** Run `check` unless a check of `key` is under way: then wait for it, and run `check` only if that one did not find it good. */
  private async once(key: string, check: () => Promise<void>): Promise<void> {
    const running = this.checking.get(key);
    if (running) {
      await running.catch(() => {});
      if (this.good.has(key)) return;
    }
    const now = check();
    this.checking.set(key, now);
    try {
      await now;
    } finally {
      if (this.checking.get(key) === now) this.checking.delete(key);
    }
  }

  private async checkAssertionsTreeNow(id: string, old: string | undefined, level: number, path: string, key: string): Promise<void> {
    // Records about VFIs fan out at the root; records about components (by digest: 40 or 64 hex) under components/.
    const components = path.startsWith(`${COMPONENTS_DIR}/`);
    const depth = components ? level - 1 : level;
    const [entries, prior] = await Promise.all([this.tree(id), old ? this.tree(old).catch(() => []) : []]);
    const before = new Map(prior.map((e) => [e.name, e]));
    // Entries are checked side by side (their reads share one pipe to git), refusals reported in tree order.
    const checks: Promise<void>[] = [];
    for (const e of entries) {
      const where = path + e.name;
      if (before.get(e.name)?.id === e.id && before.get(e.name)?.mode === e.mode) continue;
      if (depth < 2) {
        const dir = level === 0 && e.name === COMPONENTS_DIR ? true
          : (depth === 0 ? /^[0-9a-f]{2}$/ : components ? /^([0-9a-f]{38}|[0-9a-f]{62})$/ : /^[0-9a-f]{38}$/).test(e.name);
        if (!dir || e.mode !== '40000') {
          checks.push(Promise.reject(new Refused(id, 'unknown-file', `${where}: not a directory of records vfi writes`)));
          break;
        }
        const was = before.get(e.name);
        const sub = this.checkAssertionsTree(e.id, was?.mode === '40000' ? was.id : undefined, level + 1, `${where}/`);
        checks.push(sub);
        // a few shards at a time: what waits for git stays a few shards' worth, not the whole tree's
        if (level === 0 && checks.length >= SHARDS_AT_ONCE) await checks[checks.length - SHARDS_AT_ONCE]!.catch(() => {});
      } else {
        const subject = path.slice(components ? COMPONENTS_DIR.length + 1 : 0).replace(/\//g, '');
        checks.push(this.checkRecord(e, subject, where, components));
      }
    }
    await inOrder(checks);
    this.good.add(key);
  }

  /** A trust or policy log: a flat tree of event files, each canonical JSON saying the event its name says. */
  private async checkEventsTree(id: string): Promise<void> {
    if (this.good.has(id)) return;
    for (const e of await this.tree(id)) {
      const n = parseEventFileName(e.name);
      if (!n || e.mode !== '100644') throw new Refused(id, 'unknown-file', `${e.name}: not an event file (<time>-<event>-<id>.json)`);
      if (n.id !== e.id) throw new Refused(e.id, 'event', `${e.name}: the name says ${n.id}, the entry holds ${e.id}`);
      if (this.good.has(e.id)) continue;
      const bytes = await this.read(e.id, 'blob', MAX_RECORD_BYTES);
      let value: JsonValue;
      try {
        value = parseIJson(bytes) as JsonValue;
      } catch (err) {
        throw new Refused(e.id, 'event', `${e.name}: ${(err as Error).message}`);
      }
      if (value === null || typeof value !== 'object' || Array.isArray(value) || value.event !== n.event || canonicalText(value) !== bytes.toString('utf8')) {
        throw new Refused(e.id, 'event', `${e.name}: not a canonical event object saying event ${n.event}`);
      }
      this.good.add(e.id);
    }
    this.good.add(id);
  }

  private async checkRecord(e: TreeEntry, vfi: string, where: string, component = false): Promise<void> {
    const key = `${vfi}:${e.id}`;
    // The common case in one read of the bytes (what it accepts, the checks below accept); any doubt, a failed read included, takes the checks below, which say why.
    if (!component && e.mode === '100644' && !this.good.has(key)) {
      let bytes: Buffer | undefined;
      try {
        bytes = await this.read(e.id, 'blob', MAX_RECORD_BYTES);
      } catch {
        /* said by the checks below, in their order */
      }
      const sha = bytes && plainRecordSha256({ id: e.id, bytes, name: e.name, subject: vfi });
      // (the VFI's hash is known after its first record: no wait for it then)
      if (sha !== undefined && sha === ((this.vfiShas.get(vfi) ?? (await this.vfiSha(vfi))) ?? sha)) {
        this.good.add(key);
        return;
      }
    }
    const name = parseRecordFileName(e.name);
    if (!name || e.mode !== '100644') throw new Refused(e.id, 'unknown-file', `${where}: not a record file name (<time>-<claim>-<pass|fail>-<record id>.json)`);
    if (this.good.has(key)) return;
    const refuse = (message: string) => new Refused(e.id, 'record', `${where}: ${message}`);
    if (name.record !== e.id) throw refuse(`the name says record ${name.record} but the entry holds ${e.id}`);
    const bytes = await this.read(e.id, 'blob', MAX_RECORD_BYTES);
    const checked = filedRecordProblem({ id: e.id, bytes, name: e.name, subject: vfi, component });
    if ('problem' in checked) throw refuse(checked.problem);
    if (!component) {
      const sha = await this.vfiSha(vfi);
      if (sha !== null && sha !== checked.sha256) throw refuse(`states sha256 ${checked.sha256}, but the VFI's bytes hash to ${sha}`);
    }
    this.good.add(key);
  }

  /** The sha256 of a VFI's bytes, looked up and hashed once however many records name it (null: not in the store). */
  private async vfiSha(vfi: string): Promise<string | null> {
    let sha = this.vfiShas.get(vfi);
    if (sha === undefined) {
      sha = (await this.store.objects.has(vfi)) ? vfiSha256(await this.read(vfi, 'blob', MAX_VFI_BYTES)) : null;
      this.vfiShas.set(vfi, sha);
    }
    return sha;
  }
}

/** Commits a walk reads itself before it leaves the listing to git. */
const NEARBY_COMMITS = 64;

/**
 * newCommits without starting git, for the daily pull (a few commits on top of the old head): the
 * commits reached from `head` without passing `old`, when every path from `head` meets `old`
 * within NEARBY_COMMITS of them. Any doubt (a new ref, a root or a damaged commit on the way, more
 * commits, diverged histories) is undefined, and git lists them. What it returns is exactly
 * newCommits' set: a commit also below `old` would lead on to a root without meeting `old`.
 */
async function newCommitsNearby(store: Store, head: string, old: string | null): Promise<Set<string> | undefined> {
  if (old === null) return undefined;
  const out = new Set<string>();
  const todo = [head];
  while (todo.length > 0) {
    const id = todo.pop()!;
    if (id === old || out.has(id)) continue;
    if (out.size === NEARBY_COMMITS) return undefined;
    const commit = await readCommit(store.objects, id, { lenient: true, maxBytes: MAX_COMMIT_BYTES }).catch(() => undefined);
    if (!commit || commit.parents.length === 0) return undefined;
    out.add(id);
    for (let p = commit.parents.length - 1; p >= 0; p--) todo.push(commit.parents[p]!);
  }
  return out;
}

/** Objects read in this process up to this many; past it, through git cat-file. */
const READS_IN_PROCESS = 2000;

/**
 * Where admission reads objects: in this process while few (a daily pull reads a few dozen, and
 * starting git costs more than reading them), then through one `git cat-file --batch`, many at a
 * time, so git inflates them on the other core while node checks them (a full pull's 100,000).
 */
class AdmissionObjects {
  private reads = 0;
  private batch: BatchReader | undefined;

  constructor(private readonly store: Store) {}

  read(id: string, opts: { maxBytes?: number }): Promise<GitObject> {
    if (this.batch === undefined && ++this.reads <= READS_IN_PROCESS) return this.store.objects.read(id, opts);
    this.batch ??= new BatchReader(this.store.gitdir, this.store.env);
    return this.batch.read(id, opts);
  }

  close(): void {
    this.batch?.close();
  }
}

/** The commits `head` reaches and `old` does not, in git's order; undefined when git cannot list them (a damaged history). */
function newCommits(gitdir: string, env: NodeJS.ProcessEnv, head: string, old: string | null): Promise<Set<string> | undefined> {
  return new Promise((resolve) => {
    execFile('git', ['--no-replace-objects', '--git-dir', gitdir, 'rev-list', head, ...(old ? ['--not', old] : []), '--'], { env: repositoryFreeEnv(env), maxBuffer: 1 << 30 },
      (err, stdout) => resolve(err ? undefined : new Set(stdout.split('\n').filter(Boolean))));
  });
}

/** Wait for all; the first of them (in the order given) that failed is what is thrown. */
async function inOrder(checks: Promise<void>[]): Promise<void> {
  const settled = await Promise.allSettled(checks);
  const bad = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (bad) throw bad.reason;
}
