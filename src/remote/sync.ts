/**
 * `vfi pull` and `vfi push`: read the refs on both sides, decide per ref (remote/merge.ts), then
 * write. A pull fetches every ref that differs before it moves any local ref, so a pull that
 * fails midway leaves every ref of the store as it was (objects already fetched may stay:
 * unreferenced, harmless). A push sends each lineage that fast-forwards the remote, then the
 * assertions, and refuses any ref the remote has moved past the store: pull first.
 */
import * as fs from 'node:fs';
import { encodeCommit } from '../core/gitObject.js';
import { VfiError } from '../errors.js';
import { unionTrees, type UnionConflict } from '../store/merge.js';
import type { Store } from '../store/store.js';
import type { RemoteTarget } from './config.js';
import { CommitReader, relate, type Relation } from './graph.js';
import { writeLineageMerge, type WrittenLineageMerge } from './lineageMerge.js';
import { assertionsMergeCommit, MERGE_NAME, pullAction, pushAction, shownComponent, type MergeSide, type PushAction, type RefAction } from './merge.js';
import { sweepScratch } from './cleanup.js';
import { refusalKind, type RefUpdate } from './receivePack.js';
import { recordTracking, TRACKING_PREFIX, trackingRef } from './tracking.js';
import { scrubCredentials } from './url.js';
import { ASSERTIONS_REF, isRecordRef, RECORD_REFS, RemoteSession, type SessionOptions } from './transport.js';
import { POLICY_REF, TRUST_REF } from '../store/events.js';

export interface RefOutcome {
  ref: string;
  action: RefAction['kind'] | PushAction['kind'];
  /** local head before, remote head, local head after (pull) */
  local?: string;
  remote?: string;
  head?: string;
}

export interface SyncReport {
  url: string;
  outcomes: RefOutcome[];
  /** lines for stderr, in order */
  messages: string[];
}

export interface SyncHooks {
  /** tests: runs after the plan is made and before anything is written or sent */
  afterPlan?: () => Promise<void>;
}

const short = (id: string | undefined) => (id ? id.slice(0, 12) : '(none)');
const label = (ref: string) => (ref === ASSERTIONS_REF ? 'assertions' : ref === TRUST_REF ? 'trust list' : ref === POLICY_REF ? 'policies' : ref.slice('refs/vfi/'.length));

/** Lineages first (sorted), the record refs last: records name VFIs the lineages carry. */
function refOrder(a: string, b: string): number {
  if (isRecordRef(a) || isRecordRef(b)) return isRecordRef(a) && isRecordRef(b) ? RECORD_REFS.indexOf(a) - RECORD_REFS.indexOf(b) : isRecordRef(a) ? 1 : -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function localVfiRefs(store: Store): Map<string, string> {
  const refs = new Map(store.refs.list('refs/vfi/'));
  for (const ref of RECORD_REFS) {
    const head = store.refs.read(ref);
    if (head) refs.set(ref, head);
  }
  return new Map([...refs].sort(([a], [b]) => refOrder(a, b)));
}

async function withSession<T>(store: Store, target: RemoteTarget, opts: SessionOptions, run: (s: RemoteSession) => Promise<T>): Promise<T> {
  if (target.protocol === 'file') checkOnDisk(target);
  const session = new RemoteSession(store, target, opts);
  try {
    return await run(session);
  } finally {
    session.close();
  }
}

/**
 * A path that is no directory cannot be a repository: say so by cause, before git says something
 * obscure about it ("invalid gitfile format") that reads like a passing failure.
 */
function checkOnDisk(target: RemoteTarget): void {
  let stat: fs.Stats | undefined;
  let under = false;
  try {
    stat = fs.statSync(target.path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') return; // git will say what is wrong
    under = code === 'ENOTDIR';
  }
  const data = { url: target.display, reason: 'not-a-repository' };
  if (!stat) {
    throw new VfiError('REMOTE', `${target.display} is not a git repository: there is nothing at that path`, data, under
      ? 'check the path: a part of it is a file, not a directory'
      : `check the path; to share through a new repository there, make it first: git init --bare ${target.display}`);
  }
  if (!stat.isDirectory()) {
    throw new VfiError('REMOTE', `${target.display} is a file, not a git repository`, data,
      /\.json$/i.test(target.path)
        ? 'push and pull take a git repository, a directory or a URL; to publish a VFI from a JSON file, use vfi add NAME FILE'
        : 'push and pull take a git repository, a directory (e.g. one made with git init --bare) or a URL');
  }
}

/** Fetch the remote's vfi refs and merge them into the store. */
export async function pull(store: Store, target: RemoteTarget, opts: SessionOptions, hooks: SyncHooks = {}): Promise<SyncReport> {
  return withSession(store, target, opts, async (session) => {
    const remoteRefs = [...(await session.listRefs(false))].sort(([a], [b]) => refOrder(a, b));
    // 1. Fetch everything that differs, in one request; no local ref moves in this phase.
    const wants: string[] = [];
    for (const [, remote] of remoteRefs) if (!wants.includes(remote) && !(await store.objects.has(remote))) wants.push(remote);
    if (wants.length > 0) await session.fetch(wants, await haves(store, target.name));
    const reader = new CommitReader(store.objects);
    for (const [ref, remote] of remoteRefs) await checkRemoteHead(store, reader, ref, remote, target);
    await hooks.afterPlan?.();
    // 2. Merge ref by ref, each by compare-and-swap (a local publication meanwhile is kept too).
    const report: SyncReport = { url: target.display, outcomes: [], messages: [] };
    for (const [ref, remote] of remoteRefs) {
      const outcome = await mergeRef(store, reader, ref, remote, report.messages);
      report.outcomes.push(outcome);
      recordTracking(store, target.name, ref, remote);
    }
    // Bring the lineage caches up to date now: the first `vfi log` after a big pull would
    // otherwise pay for it.
    for (const o of report.outcomes) {
      if (!isRecordRef(o.ref) && o.head !== o.local) await store.lineages.load(o.ref.slice('refs/vfi/'.length));
    }
    const count = (k: string) => report.outcomes.filter((o) => o.action === k).length;
    const changed = count('create') + count('fast-forward') + count('merge');
    report.messages.push(remoteRefs.length === 0
      ? `${target.display} has no vfi data yet`
      : changed === 0
        ? `already up to date with ${target.display}`
        : `pulled from ${target.display}: ${[`${count('create')} new`, `${count('fast-forward')} fast-forwarded`, `${count('merge')} merged`, `${count('up-to-date') + count('local-ahead')} unchanged`].join(', ')}`);
    return report;
  });
}

/**
 * Commits to offer as "have"s: the tips of the store's vfi refs and of the remote's tracking refs,
 * and some first-parent ancestors of each (1, 2, 4, … back: 512 for lineages, from the lineage
 * cache; 64 for the assertions), so that even after both sides moved, and without tracking refs
 * (a pull from a URL), the server finds a recent common commit and sends little.
 */
async function haves(store: Store, remote: string | undefined): Promise<string[]> {
  const out = new Set<string>();
  for (const oid of localVfiRefs(store).values()) out.add(oid);
  if (remote) for (const oid of store.refs.list(`${TRACKING_PREFIX}${remote}/`).values()) out.add(oid);
  for (const name of store.lineageNames()) {
    const lineage = await store.lineages.load(name);
    for (let back = 1; lineage && back <= 512 && out.size < 1024; back *= 2) {
      const entry = lineage.back(back);
      if (!entry) break;
      out.add(entry.commit);
    }
  }
  const assertions = store.refs.read(ASSERTIONS_REF);
  if (assertions) {
    const reader = new CommitReader(store.objects);
    let commit: string | undefined = assertions;
    for (let steps = 1, next = 1; commit && steps <= 64; steps++) {
      commit = (await reader.read(commit)).parents[0];
      if (commit && steps === next) {
        out.add(commit);
        next *= 2;
      }
    }
  }
  const present: string[] = [];
  for (const oid of out) if (await store.objects.has(oid)) present.push(oid);
  return present;
}

/** A remote head must be what vfi writes: a commit, and for a lineage one that holds a VFI. */
async function checkRemoteHead(store: Store, reader: CommitReader, ref: string, remote: string, target: RemoteTarget): Promise<void> {
  try {
    await reader.read(remote);
    if (!isRecordRef(ref)) await store.vfiIdOfCommit(remote);
  } catch (e) {
    if (!(e instanceof VfiError) || e.code !== 'STORE_DAMAGED') throw e;
    throw new VfiError('REMOTE', `${target.display}: ${ref} is not vfi data (${e.message})`, { url: target.display, ref },
      'the remote holds something else under that ref; nothing was changed in the store');
  }
}

async function mergeRef(store: Store, reader: CommitReader, ref: string, remote: string, messages: string[]): Promise<RefOutcome> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const local = store.refs.read(ref);
    const relation: Relation | undefined = local === undefined ? undefined : await relate(reader, local, remote);
    const action = pullAction(local, remote, relation);
    let next: string | undefined;
    const conflicts: UnionConflict[] = [];
    let lineageMerge: WrittenLineageMerge | undefined;
    if (action.kind === 'create' || action.kind === 'fast-forward') next = action.next;
    else if (action.kind === 'merge' && isRecordRef(ref)) {
      const [a, b] = await Promise.all([reader.read(local!), reader.read(remote)]);
      next = store.objects.write('commit', encodeCommit(assertionsMergeCommit(a, b, await unionTrees(store, a.tree, b.tree, conflicts))));
    } else if (action.kind === 'merge') {
      lineageMerge = await writeLineageMerge(store, reader, local!, remote);
      next = lineageMerge.commit;
    }
    if (next === undefined) {
      if (action.kind === 'local-ahead') messages.push(`${label(ref)}: the store is ahead of the remote (vfi push sends it)`);
      return { ref, action: action.kind, local, remote, head: local };
    }
    if (!store.refs.compareAndSwap(ref, local, next)) continue; // published locally meanwhile: decide again
    if (lineageMerge) messages.push(...(await describeLineageMerge(store, label(ref), lineageMerge, local!)));
    else messages.push(await describe(store, ref, action.kind, local, next, conflicts));
    return { ref, action: action.kind, local, remote, head: next };
  }
  throw new VfiError('STORE_BUSY', `could not update ${ref}: it kept moving during the pull`, { ref });
}

/** The line for a ref created, fast-forwarded, or (assertions) merged. */
async function describe(store: Store, ref: string, kind: RefAction['kind'], local: string | undefined, head: string, conflicts: UnionConflict[]): Promise<string> {
  const name = label(ref);
  if (isRecordRef(ref)) {
    const base = kind === 'merge' ? `${name}: merged the records of both sides` : kind === 'create' ? `${name}: fetched` : `${name}: fast-forward`;
    const warn = conflicts.map((c) => `; warning: ${c.path} differs on the two sides (${short(c.ids[0])} / ${short(c.ids[1])}), both kept`).join('');
    return `${base}${warn}`;
  }
  const vfi = `${name}@${await store.vfiIdOfCommit(head)}`;
  return kind === 'create' ? `${name}: new lineage, head ${vfi}` : `${name}: fast-forward ${short(local)}..${short(head)}, head ${vfi}`;
}

/**
 * What a lineage merge did, in the words of this store ("local", "remote", with the author of each
 * head): one line for the merge and what the head holds, then one per conflict with both values.
 */
async function describeLineageMerge(store: Store, name: string, merge: WrittenLineageMerge, local: string): Promise<string[]> {
  const [mine, theirs] = merge.sides[0].commit.id === local ? merge.sides : [merge.sides[1], merge.sides[0]];
  const authors = new Map<string, string>();
  for (const s of merge.sides) {
    const author = await authorOf(store, s.commit.id);
    authors.set(s.commit.id, author && author !== MERGE_NAME ? ` (${author})` : '');
  }
  const sideOf = (commit: string) => `${commit === local ? 'local' : 'remote'}${authors.get(commit)}`;
  const head = (s: MergeSide) => `${s.commit.id === local ? 'local' : 'remote'} ${name}@${s.vfi.id}${authors.get(s.commit.id)}`;
  const base = merge.base ? `against their merge base ${name}@${await store.vfiIdOfCommit(merge.base)}` : 'against an empty VFI (no common history)';
  const holds = merge.components.map((c) =>
    c.kind === 'same' ? `${c.component} changed alike on both sides`
      : `${c.component} ${c.value === undefined ? 'removed by' : 'from'} ${sideOf(c.from)}${c.kind === 'conflict' ? ' (conflict)' : ''}`);
  const result = merge.carried ? `${merge.carried.commit.id === local ? 'local' : 'remote'}'s VFI` : 'a new VFI';
  const lines = [`${name}: diverged; merged ${head(mine)} and ${head(theirs)} ${base}; head is now ${name}@${merge.vfi.id}, ${result}${holds.length ? `: ${holds.join(', ')}` : ''}`];
  for (const c of merge.components) {
    if (c.kind !== 'conflict') continue;
    lines.push(`${name}: conflict on component ${JSON.stringify(c.component)}: ${sideOf(c.from)} has ${shownComponent(c.value)}, ${sideOf(c.other)} has ${shownComponent(c.otherValue)}; kept ${c.from === local ? 'local' : 'remote'}'s, published later`);
  }
  return lines;
}

/** The author name of a commit, read leniently (undefined when it has none vfi can read). */
async function authorOf(store: Store, commit: string): Promise<string | undefined> {
  const body = (await store.objects.read(commit)).body.toString('utf8');
  return /^author (.*) <[^>]*> \d+/m.exec(body.slice(0, body.indexOf('\n\n')))?.[1];
}

/** What the remote has that the store lacks: lineages counted, assertions named apart. */
function remoteOnlyNote(remoteRefs: Map<string, string>, store: Store): string | undefined {
  const lineages = [...remoteRefs.keys()].filter((r) => !isRecordRef(r) && !store.refs.read(r)).length;
  const assertions = remoteRefs.has(ASSERTIONS_REF) && !store.refs.read(ASSERTIONS_REF);
  if (lineages === 0 && !assertions) return undefined;
  const what = [lineages > 0 ? `${lineages} lineage(s)` : '', assertions ? 'assertions' : ''].filter(Boolean).join(' and ');
  return `the remote has ${what} the store does not: vfi pull fetches them`;
}

/**
 * Send the store's vfi refs that the remote lacks or is behind on, in one request. A ref that is
 * merely behind the remote (its head is what the store last saw there, or below the remote head)
 * has nothing to send and is skipped; one with commits the remote lacks while the remote moved on
 * is held back (pull first). The assertions go whatever happens to the lineages: their records
 * name VFIs as data, not as git links, so the remote stays whole without them. The server then
 * takes or refuses each ref on its own, so a ref it refuses (it moved meanwhile, or a hook) does
 * not hold back the others.
 */
export async function push(store: Store, target: RemoteTarget, opts: SessionOptions, hooks: SyncHooks = {}): Promise<SyncReport> {
  sweepScratch(store.gitdir);
  return withSession(store, target, opts, async (session) => {
    const remoteRefs = await session.listRefs(true);
    const reader = new CommitReader(store.objects);
    const plan: { ref: string; local: string; remote: string | undefined; tracked: boolean; action: PushAction }[] = [];
    const known: string[] = []; // heads of the server the store has: what the pack can leave out
    for (const [ref, local] of localVfiRefs(store)) {
      const remote = remoteRefs.get(ref);
      const present = remote !== undefined && (remote === local || (await store.objects.has(remote)));
      if (present) known.push(remote!);
      const relation = present && remote !== local ? await relate(reader, local, remote!) : undefined;
      const seen = target.name === undefined ? undefined : store.refs.read(trackingRef(target.name, ref));
      const tracking = relation === undefined && seen && (await store.objects.has(seen)) ? await relate(reader, local, seen) : undefined;
      plan.push({ ref, local, remote, tracked: tracking !== undefined, action: pushAction(local, remote, relation, tracking) });
    }
    await hooks.afterPlan?.();
    const report: SyncReport = { url: target.display, outcomes: [], messages: [] };
    const rejected: string[] = [];
    const updates: RefUpdate[] = [];
    for (const { ref, local, remote, tracked, action } of plan) {
      if (action.kind === 'up-to-date') {
        recordTracking(store, target.name, ref, local);
        report.outcomes.push({ ref, action: action.kind, local, remote });
      } else if (action.kind === 'behind') {
        report.messages.push(`${label(ref)}: behind the remote, nothing to send (vfi pull fetches it)`);
        report.outcomes.push({ ref, action: action.kind, local, remote });
      } else if (action.kind === 'rejected') {
        rejected.push(ref);
        const what = isRecordRef(ref) ? 'recorded' : 'published';
        const why = action.reason === 'diverged'
          ? `the store and the remote both ${what} since they last met`
          : `the remote moved on to a head the store has not fetched, ${tracked ? `and the store ${what} since it last saw the remote` : 'and without a tracking ref the store cannot tell whether the remote has its own head'}`;
        report.messages.push(`${label(ref)}: not sent, ${why}; pull first`);
        report.outcomes.push({ ref, action: action.kind, local, remote });
      } else {
        updates.push({ ref, old: remote, new: local });
      }
    }
    const refused: { ref: string; reason: string }[] = [];
    let said: string[] = [];
    if (updates.length > 0) {
      const result = await session.push(updates, known);
      said = result.messages;
      for (const u of updates) {
        const reason = result.refs.get(u.ref);
        if (reason === undefined) {
          recordTracking(store, target.name, u.ref, u.new);
          report.messages.push(u.old === undefined ? `${label(u.ref)}: new on the remote, ${short(u.new)}` : `${label(u.ref)}: ${short(u.old)}..${short(u.new)}`);
          report.outcomes.push({ ref: u.ref, action: u.old === undefined ? 'create' : 'fast-forward', local: u.new, remote: u.old });
          continue;
        }
        report.outcomes.push({ ref: u.ref, action: 'rejected', local: u.new, remote: u.old });
        if (refusalKind(reason, said) === 'moved') {
          rejected.push(u.ref);
          report.messages.push(`${label(u.ref)}: rejected by the server, it moved meanwhile`);
        } else {
          refused.push({ ref: u.ref, reason });
          report.messages.push(`${label(u.ref)}: refused by the server (${oneLine(reason)})`);
        }
      }
    }
    const missing = remoteOnlyNote(remoteRefs, store);
    if (missing) report.messages.push(missing);
    if (refused.length > 0) throw refusal(target, refused, said, report.messages);
    if (rejected.length > 0) {
      throw new VfiError('PUSH_REJECTED',
        `${target.display} moved on where the store has its own changes (${rejected.map(label).join(', ')}); pull first`,
        { url: target.display, rejected, messages: report.messages }, 'run `vfi pull`, then `vfi push` again');
    }
    const sent = report.outcomes.filter((o) => o.action === 'create' || o.action === 'fast-forward').length;
    report.messages.push(sent === 0 ? `everything up to date on ${target.display}` : `pushed ${sent} ref(s) to ${target.display}`);
    return report;
  });
}

const oneLine = (text: string) => scrubCredentials(text.replace(/[\x00-\x1f\x7f]+/g, ' ').trim());

/** The error for refs the server refused for its own reasons: its words, as pulling cannot help. */
function refusal(target: RemoteTarget, refused: { ref: string; reason: string }[], said: readonly string[], messages: string[]): VfiError {
  const reasons = [...new Set(refused.map((r) => r.reason))].map(oneLine).join('; ');
  const words = said.slice(-5).map(oneLine);
  return new VfiError('REMOTE',
    `${target.display} refused ${refused.map((r) => label(r.ref)).join(', ')}: ${reasons}${words.length ? ` (the server said: ${words.join('; ')})` : ''}`,
    { url: target.display, reason: 'refused', ref: refused[0]!.ref, refused: refused.map((r) => r.ref), serverReason: reasons, serverMessages: words, messages },
    'pulling will not help: see what the server said');
}
