/**
 * `vfi pull` and `vfi push`, through git (remote/git.ts). A pull has `git fetch` bring the remote's
 * vfi refs into a quarantine namespace of the store (refs/vfi-incoming/<remote>-<pid>-<hex>/, with
 * fsck on every object), passes them through the admission hook (store/admit.ts), decides per ref
 * (core/sharing.ts) and merges (core/merge.ts, written by remote/merge.ts), moves each ref by compare-and-swap, and drops the quarantine.
 * So a pull that fails midway leaves every ref of the store as it was (objects already fetched may
 * stay: unreferenced, harmless). A push lists the remote's refs (`git ls-remote`), sends each ref
 * that fast-forwards the remote with `git push --force-with-lease=<ref>:<the value planned
 * against>`, and reads git's porcelain status per ref: a ref the remote moved past is "pull first".
 */
import * as fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { nameProblem } from '../core/names.js';
import { VfiError } from '../errors.js';
import { admitIncoming, discardRefused, refusalError, type Refusal, type RefUpdate as Admission } from '../store/admit.js';
import { pastAdmitted } from '../store/admitted.js';
import { ASSERTIONS_REF } from '../store/assertions.js';
import type { Store } from '../store/store.js';
import { listRemotes, SHARED_PREFIXES, type PendingTarget, type RemoteTarget } from './config.js';
import { curlTrace, gitEnv, gitFailure, masked, runGit, saidLines, webPageAt, webPageError, type GitRunOptions } from './git.js';
import { CommitReader } from '../git/commits.js';
import { relate } from '../git/graph.js';
import { MERGE_NAME, shownComponent, type UnionConflict } from '../core/merge.js';
import { pullAction, pushAction, type PushAction, type RefAction, type Relation } from '../core/sharing.js';
import { writeLineageMerge, writeUnionMerge, type StoredMergeSide, type WrittenLineageMerge } from './merge.js';
import { sweepScratch } from './cleanup.js';
import { boundedFetchConfig, boundedLsRemote, exceededError, GitWatch, pullBounds, sweepPartialPacks } from './bounds.js';
import { deleteRefsUnder, recordTracking, trackingRef } from './tracking.js';

export { ASSERTIONS_REF };

const [LINEAGES, ...UNION_PREFIXES] = SHARED_PREFIXES;
// UNION_PREFIXES: refs whose trees are content-named, append-only files: two sides merge as the union of both trees.
const QUARANTINE_PREFIX = 'refs/vfi-incoming/';

const isUnionRef = (ref: string) => UNION_PREFIXES.some((p) => ref.startsWith(p));

/** Is this a ref vfi exchanges? (lineages with valid names, and the union refs: assertions, trust, policy) */
export function isVfiRef(ref: string): boolean {
  const prefix = SHARED_PREFIXES.find((p) => ref.startsWith(p));
  return prefix !== undefined && nameProblem(ref.slice(prefix.length)) === undefined;
}

export interface SessionOptions extends GitRunOptions {
  /** pull: take the refs the admission hook accepts, and list the others (instead of refusing all) */
  skipInvalid?: boolean;
}

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
const label = (ref: string) => (ref === ASSERTIONS_REF ? 'assertions' : ref.startsWith(LINEAGES) ? ref.slice(LINEAGES.length) : ref.slice('refs/'.length));

/** Lineages first (sorted), the union refs last: records name VFIs the lineages carry. */
function refOrder(a: string, b: string): number {
  const [ua, ub] = [isUnionRef(a), isUnionRef(b)];
  if (ua !== ub) return ua ? 1 : -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function localVfiRefs(store: Store): Map<string, string> {
  const refs = new Map<string, string>();
  for (const prefix of SHARED_PREFIXES) for (const [ref, oid] of store.refs.list(prefix)) if (isVfiRef(ref)) refs.set(ref, oid);
  return new Map([...refs].sort(([a], [b]) => refOrder(a, b)));
}

/** What git is told to talk to: the remote by name when the store's config has it (so remote.<name>.* applies), else the URL. */
function remoteArg(store: Store, target: RemoteTarget): string {
  return target.name !== undefined && listRemotes(store.gitdir).some((r) => r.name === target.name) ? target.name : target.url;
}

/** How git reaches `target`: its environment and the remote's argument, a path remote checked to be a repository on disk first. */
function reach(store: Store, target: RemoteTarget, opts: SessionOptions): { env: NodeJS.ProcessEnv; where: string } {
  if (target.protocol === 'file') checkOnDisk(target);
  return { env: gitEnv(target, opts), where: remoteArg(store, target) };
}

const sentCredentials = (target: RemoteTarget, opts: SessionOptions) => Boolean(target.credentials ?? gitEnv(undefined, opts).VFI_GIT_USERNAME);

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

/** Fetch the remote's vfi refs into quarantine, admit them, and merge them into the store. */
export async function pull(store: Store, given: RemoteTarget | PendingTarget, opts: SessionOptions, hooks: SyncHooks = {}): Promise<SyncReport> {
  // What needs no URL is done while git says what the remote's is (config.ts resolveRemote).
  // git would fetch, then fail to store the objects and say only "could not read from remote
  // repository": a store this user cannot write to is said as such, before anything is fetched.
  fs.accessSync(`${store.gitdir}/objects`, fs.constants.W_OK);
  sweepPartialPacks(store.gitdir); // what an earlier pull, killed, left
  const quarantine = `${QUARANTINE_PREFIX}${given.name ?? 'url'}-${process.pid}-${randomBytes(4).toString('hex')}/`;
  const target = 'ready' in given ? await given.ready : given;
  if (target.protocol === 'file') checkOnDisk(target);
  try {
    // 1. Fetch everything that differs into quarantine refs; no ref under refs/vfi*/ moves here
    // (--refmap= keeps git from updating the remote's tracking refs on its own).
    const env = gitEnv(target, opts);
    const specs = SHARED_PREFIXES.map((p) => `+${p}*:${quarantine}${p.slice('refs/'.length)}*`);
    const watch = new GitWatch(store.gitdir, pullBounds(opts.env));
    const fetched = await runGit(store.gitdir, ['-c', 'transfer.fsckObjects=true', '-c', 'fetch.fsckObjects=true', '-c', 'core.fsync=committed', ...boundedFetchConfig(), 'fetch', '--no-tags', '--no-write-fetch-head', '--refmap=',
      ...(opts.progress ? ['--progress'] : []), '--', remoteArg(store, target), ...specs], env, { progress: opts.progress, onSpawn: watch.attach });
    const exceeded = watch.finish();
    if (exceeded) throw exceededError(exceeded, target.display);
    if (fetched.code !== 0) throw gitFailure(fetched.stderr, target, 'fetch from', sentCredentials(target, opts));
    const remoteRefs = [...store.refs.list(quarantine)]
      .map(([q, oid]): [string, string] => [`refs/${q.slice(quarantine.length)}`, oid])
      .filter(([ref]) => isVfiRef(ref))
      .sort(([a], [b]) => refOrder(a, b));
    if (remoteRefs.length === 0) await refuseWebPage(store, target, env, 'fetch from');
    const reader = new CommitReader(store.objects, { lenient: true });
    for (const [ref, remote] of remoteRefs) await checkRemoteHead(store, reader, ref, remote, target);
    // 2. The admission hook sees every ref that would change, before any moves.
    const report: SyncReport = { url: target.display, outcomes: [], messages: [] };
    const changes: Admission[] = remoteRefs.filter(([ref, oid]) => store.refs.read(ref) !== oid).map(([ref, oid]) => ({ ref, old: store.refs.read(ref) ?? null, new: oid }));
    const { admitted, refused, lines } = await admitIncoming(store, changes, { skipInvalid: opts.skipInvalid });
    // Malformed commits a refused fetch left loose would fail `git fsck --strict` (it checks unreachable objects too).
    discardRefused(store, refused);
    if (refused.length > 0 && !opts.skipInvalid) throw refusalError(refused);
    const skipped = new Set(changes.filter((c) => !admitted.some((a) => a.ref === c.ref)).map((c) => c.ref));
    for (const r of refused) report.messages.push(`${label(r.ref)}: refused, not taken: ${masked(`${r.rule}: ${r.message}`)} (${r.object.slice(0, 12)})`);
    await hooks.afterPlan?.();
    // 3. Merge ref by ref, each by compare-and-swap (a local publication meanwhile is kept too).
    for (const [ref, remote] of remoteRefs) {
      if (skipped.has(ref)) continue;
      const outcome = await mergeRef(store, reader, ref, remote, report.messages);
      report.outcomes.push(outcome);
      recordTracking(store, target.name, ref, remote);
    }
    // Bring the lineage caches up to date now: the first `vfi log` after a big pull would
    // otherwise pay for it. A line of commits the admission read is recorded as it is, without reading them again.
    for (const o of report.outcomes) {
      if (!o.ref.startsWith(LINEAGES) || o.head === o.local) continue;
      const line = lines.get(o.ref);
      const recorded = line && line.from === (o.local ?? null) && o.head === o.remote && store.lineages.recordPublished(o.ref.slice(LINEAGES.length), o.local, line.commits);
      if (!recorded) await store.lineages.load(o.ref.slice(LINEAGES.length));
    }
    const count = (k: string) => report.outcomes.filter((o) => o.action === k).length;
    const changed = count('create') + count('fast-forward') + count('merge');
    report.messages.push(remoteRefs.length === 0
      ? `${target.display} has no vfi data yet`
      : changed === 0 && skipped.size === 0
        ? `already up to date with ${target.display}`
        : `pulled from ${target.display}: ${[`${count('create')} new`, `${count('fast-forward')} fast-forwarded`, `${count('merge')} merged`, `${count('up-to-date') + count('local-ahead')} unchanged`, ...(skipped.size ? [`${skipped.size} refused`] : [])].join(', ')}`);
    return report;
  } finally {
    deleteRefsUnder(store.gitdir, quarantine, { env: store.env, warn: store.warn });
  }
}

/** A remote over http that has no refs for vfi may be no git repository at all, but a web page: say so. */
async function refuseWebPage(store: Store, target: RemoteTarget, env: NodeJS.ProcessEnv, verb: 'fetch from' | 'push to'): Promise<void> {
  if (target.protocol !== 'http' && target.protocol !== 'https') return;
  const page = await webPageAt(store.gitdir, remoteArg(store, target), env);
  if (page) throw webPageError(target, page, verb);
}

/** A remote head must be what vfi writes: a commit, and for a lineage one that holds a VFI. */
async function checkRemoteHead(store: Store, reader: CommitReader, ref: string, remote: string, target: RemoteTarget): Promise<void> {
  try {
    await reader.read(remote);
    if (!isUnionRef(ref)) await store.vfiIdOfCommit(remote);
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
    else if (action.kind === 'merge' && isUnionRef(ref)) next = await writeUnionMerge(store, reader, ref, local!, remote, conflicts);
    else if (action.kind === 'merge') {
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
  if (isUnionRef(ref)) {
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
    const author = s.commit.author.name;
    authors.set(s.commit.id, author && author !== MERGE_NAME ? ` (${author})` : '');
  }
  const sideOf = (commit: string) => `${commit === local ? 'local' : 'remote'}${authors.get(commit)}`;
  const head = (s: StoredMergeSide) => `${s.commit.id === local ? 'local' : 'remote'} ${name}@${s.vfi.id}${authors.get(s.commit.id)}`;
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

/** What the remote has that the store lacks: lineages counted, assertions named apart. */
function remoteOnlyNote(remoteRefs: Map<string, string>, store: Store): string | undefined {
  const lineages = [...remoteRefs.keys()].filter((r) => !isUnionRef(r) && !store.refs.read(r)).length;
  const unions = [...remoteRefs.keys()].filter((r) => isUnionRef(r) && !store.refs.read(r)).map(label);
  if (lineages === 0 && unions.length === 0) return undefined;
  const what = [lineages > 0 ? `${lineages} lineage(s)` : '', ...unions].filter(Boolean).join(' and ');
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
export async function push(store: Store, given: RemoteTarget | PendingTarget, opts: SessionOptions, hooks: SyncHooks = {}): Promise<SyncReport> {
  sweepScratch(store.gitdir);
  const pending = 'ready' in given ? given : { name: given.name, ready: Promise.resolve(given) };
  const quick = hooks.afterPlan ? undefined : await pushOnTracking(store, pending, opts);
  if (quick?.done) return quick.report;
  const target = await pending.ready;
  const { env, where } = reach(store, target, opts);
  // A remote the store never met is most often new and empty, and an empty listing over http may
  // be a web page: the listing is traced, so that telling which takes no second request.
  const http = target.protocol === 'http' || target.protocol === 'https';
  const trace = http && !metBefore(store, target) ? curlTrace(env) : undefined;
  const listed = listRemoteRefs(store, target, where, trace?.env ?? env, opts);
  // The remote most likely holds what the store last saw there: what would be sent is checked
  // against that while git lists the remote, and the check is kept when the guess was right.
  const guess = guessedAdmission(store, target);
  let remoteRefs: Map<string, string>;
  try {
    remoteRefs = await listed.catch((e: unknown) => {
      guess.cancel();
      throw e;
    });
    const page = remoteRefs.size === 0 ? trace?.page() : undefined;
    if (page) throw webPageError(target, page, 'push to');
    if (remoteRefs.size === 0 && !trace) await refuseWebPage(store, target, env, 'push to');
  } finally {
    trace?.done();
  }
  const reader = new CommitReader(store.objects, { lenient: true });
  const plan: { ref: string; local: string; remote: string | undefined; tracked: boolean; action: PushAction }[] = [];
  for (const [ref, local] of localVfiRefs(store)) {
    const remote = remoteRefs.get(ref);
    const present = remote !== undefined && (remote === local || (await store.objects.has(remote)));
    const relation = present && remote !== local ? await relate(reader, local, remote!) : undefined;
    const seen = target.name === undefined ? undefined : store.refs.read(trackingRef(target.name, ref));
    const tracking = relation === undefined && seen && (await store.objects.has(seen)) ? await relate(reader, local, seen) : undefined;
    plan.push({ ref, local, remote, tracked: tracking !== undefined, action: pushAction(local, remote, relation, tracking) });
  }
  await hooks.afterPlan?.();
  const report: SyncReport = { url: target.display, outcomes: [], messages: [] };
  const early = quick?.report.outcomes ?? [];
  const rejected: string[] = [];
  const updates: { ref: string; old: string | undefined; new: string }[] = [];
  for (const { ref, local, remote, tracked, action } of plan) {
    if (action.kind === 'up-to-date') {
      recordTracking(store, target.name, ref, local);
      if (!early.some((o) => o.ref === ref)) report.outcomes.push({ ref, action: action.kind, local, remote });
    } else if (action.kind === 'behind') {
      report.messages.push(`${label(ref)}: behind the remote, nothing to send (vfi pull fetches it)`);
      report.outcomes.push({ ref, action: action.kind, local, remote });
    } else if (action.kind === 'rejected') {
      rejected.push(ref);
      const what = isUnionRef(ref) ? 'recorded' : 'published';
      const why = action.reason === 'diverged'
        ? `the store and the remote both ${what} since they last met`
        : `the remote moved on to a head the store has not fetched, ${tracked ? `and the store ${what} since it last saw the remote` : 'and without a tracking ref the store cannot tell whether the remote has its own head'}`;
      report.messages.push(`${label(ref)}: not sent, ${why}; pull first`);
      report.outcomes.push({ ref, action: action.kind, local, remote });
    } else {
      updates.push({ ref, old: remote, new: local });
    }
  }
  // what the attempt on the tracking refs sent before it found the remote moved, where sent refs are said
  report.outcomes.push(...early);
  report.messages.push(...(quick?.report.messages ?? []));
  // Only what vfi itself would write is sent (the checks a pull applies).
  const checks = updates.map((u) => ({ ref: u.ref, old: u.old ?? null, new: u.new }));
  if (admissionKey(checks) !== guess.key) guess.cancel();
  const guessed = await guess.result.catch(() => undefined);
  if (checks.length > 0) {
    const { refused: invalid } = guessed && admissionKey(checks) === guess.key ? guessed : await checkOutgoing(store, checks);
    if (invalid.length > 0) throw refusalError(invalid);
  }
  const refused: { ref: string; reason: string }[] = [];
  const said: string[] = [];
  for (const batch of batches(updates)) {
    const args = pushArgs(batch, where, opts);
    const r = await runGit(store.gitdir, args, env, { progress: opts.progress });
    const status = porcelainStatus(r.stdout);
    if (status.size === 0) throw gitFailure(r.stderr, target, 'push to', sentCredentials(target, opts));
    said.push(...saidLines(r.stderr).filter((l) => l.startsWith('remote:')).map((l) => l.slice('remote:'.length).trim()).filter(Boolean));
    for (const u of batch) {
      const s = status.get(u.ref);
      if (s && s.flag !== '!') {
        recordSent(store, target, u, report);
        continue;
      }
      report.outcomes.push({ ref: u.ref, action: 'rejected', local: u.new, remote: u.old });
      const summary = s?.summary ?? 'git reported nothing for it';
      // [rejected] is git's own refusal before sending: the lease or the fast-forward rule failed,
      // so the remote moved; [remote rejected] is the server's (a hook, its fsck, a policy).
      if (/^\[rejected\] \((stale info|fetch first|non-fast-forward|already exists)\)/.test(summary)) {
        rejected.push(u.ref);
        report.messages.push(`${label(u.ref)}: rejected, the remote moved meanwhile`);
      } else {
        const reason = /\(([^)]*)\)\s*$/.exec(summary)?.[1] ?? summary;
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
}

/**
 * `git push` of each ref to its local head, with the lease on the head expected there (empty: none
 * yet), or (`lease: false`) under git's fast-forward rule against the head the remote advertises.
 */
const pushArgs = (batch: { ref: string; old: string | undefined; new: string }[], where: string, opts: SessionOptions, { lease = true } = {}) =>
  ['push', '--porcelain', ...(opts.progress ? ['--progress'] : []), ...(lease ? batch.map((u) => `--force-with-lease=${u.ref}:${u.old ?? ''}`) : []), '--', where, ...batch.map((u) => `${u.new}:${u.ref}`)];

/** A ref git reports sent: tracked, said, and its outcome. */
function recordSent(store: Store, target: RemoteTarget, u: { ref: string; old: string | undefined; new: string }, report: SyncReport): void {
  recordTracking(store, target.name, u.ref, u.new);
  report.messages.push(u.old === undefined ? `${label(u.ref)}: new on the remote, ${short(u.new)}` : `${label(u.ref)}: ${short(u.old)}..${short(u.new)}`);
  report.outcomes.push({ ref: u.ref, action: u.old === undefined ? 'create' : 'fast-forward', local: u.new, remote: u.old });
}

/**
 * The daily push to a named remote in one round trip: the remote most likely still holds what the
 * store last saw there (its tracking refs), so every ref is sent at once, without listing the
 * remote first and without a lease: git's own fast-forward rule decides each ref against the head
 * the remote advertises (it refuses one that is not an ancestor of the local head), and the server
 * moves a ref only from that advertised head. So vfi walks no commits before git starts; what it
 * sends is checked as past the tracking value (a commit below that value was the remote's, sent or
 * pulled by vfi, or fetched from it). A ref that is unchanged goes too, so that git says whether the
 * remote still has it. A failure of git is the push's failure. Done only when git reports every ref
 * sent or up to date: a refusal (the remote moved, the store is behind or beside it, a hook) is left
 * to the push planned against the listed remote heads, which says what happened (what was sent here
 * stays sent, said in the report's messages, and is up to date there). Undefined when the tracking
 * refs cannot say (no name, no tracking ref yet, nothing moved).
 */
async function pushOnTracking(store: Store, pending: PendingTarget, opts: SessionOptions): Promise<{ done: boolean; report: SyncReport } | undefined> {
  const name = pending.name;
  if (name === undefined) return undefined;
  const refs = [...localVfiRefs(store)].map(([ref, local]) => ({ ref, old: store.refs.read(trackingRef(name, ref)), new: local }));
  const updates = refs.filter((u) => u.old !== u.new);
  // nothing to send: the listing says whether the remote moved on; never met: it says what the remote has
  if (updates.length === 0 || refs.every((u) => u.old === undefined)) return undefined;
  // checked while git says where the remote is; a remote that cannot be reached is said first
  const checked = checkOutgoing(store, updates.map((u) => ({ ref: u.ref, old: u.old ?? null, new: u.new })));
  checked.catch(() => {});
  const target = await pending.ready;
  const { env, where } = reach(store, target, opts);
  const { refused: invalid } = await checked;
  if (invalid.length > 0) throw refusalError(invalid);
  const statuses = new Map<string, { flag: string; summary: string }>();
  for (const batch of batches(refs)) {
    const r = await runGit(store.gitdir, pushArgs(batch, where, opts, { lease: false }), env, { progress: opts.progress });
    const status = porcelainStatus(r.stdout);
    // git said nothing of the refs it was to send (it may still list those up to date): it failed, and
    // as the planned push does, the push says so (the remote may have taken them)
    const toSend = batch.filter((u) => u.old !== u.new);
    if (status.size === 0 || (toSend.length > 0 && !toSend.some((u) => status.has(u.ref)))) throw gitFailure(r.stderr, target, 'push to', sentCredentials(target, opts));
    for (const [ref, st] of status) statuses.set(ref, st);
  }
  const report: SyncReport = { url: target.display, outcomes: [], messages: [] };
  const flag = (u: { ref: string }) => statuses.get(u.ref)?.flag;
  for (const u of refs) if (flag(u) === ' ' || flag(u) === '*') recordSent(store, target, { ...u, old: flag(u) === '*' ? undefined : u.old }, report);
  if (!refs.every((u) => [' ', '*', '='].includes(flag(u) ?? ''))) return { done: false, report };
  const sent = report.outcomes.length;
  for (const u of refs) {
    if (flag(u) !== '=') continue;
    recordTracking(store, name, u.ref, u.new);
    report.outcomes.push({ ref: u.ref, action: 'up-to-date', local: u.new, remote: u.new });
  }
  report.messages.push(sent === 0 ? `everything up to date on ${target.display}` : `pushed ${sent} ref(s) to ${target.display}`);
  return { done: true, report };
}

/** Has the store a tracking ref of this remote (a push or pull met it)? */
const metBefore = (store: Store, target: RemoteTarget) =>
  target.name !== undefined && SHARED_PREFIXES.some((p) => store.refs.list(trackingRef(target.name!, p)).size > 0);

/** The remote's vfi refs, sorted, through `git ls-remote` (patterns go to the server as ref prefixes in protocol v2). */
async function listRemoteRefs(store: Store, target: RemoteTarget, where: string, env: NodeJS.ProcessEnv, opts: SessionOptions): Promise<Map<string, string>> {
  const r = await boundedLsRemote(store.gitdir, ['ls-remote', '--refs', '--', where, ...SHARED_PREFIXES.map((p) => `${p}*`)], env, pullBounds(opts.env), target.display);
  if (r.code !== 0) throw gitFailure(r.stderr, target, 'list refs of', sentCredentials(target, opts));
  const out = new Map<string, string>();
  for (const line of r.stdout.split('\n')) {
    const m = /^([0-9a-f]{40})\t(\S+)$/.exec(line);
    if (m && isVfiRef(m[2]!)) out.set(m[2]!, m[1]!);
  }
  return new Map([...out].sort(([a], [b]) => refOrder(a, b)));
}

/** Split the updates so that no git command line grows past what the system takes. */
function batches<T extends { ref: string }>(updates: T[]): T[][] {
  const out: T[][] = [];
  let size = Infinity;
  for (const u of updates) {
    if (size > 256 * 1024) {
      out.push([]);
      size = 0;
    }
    out.at(-1)!.push(u);
    size += 2 * u.ref.length + 120;
  }
  return out;
}

/**
 * The admission of what a push sends: only the commits past what the store checked when it wrote
 * or pulled them (store/admitted.ts); a ref whose head is such a commit costs no read at all.
 */
async function checkOutgoing(store: Store, updates: Admission[], signal?: AbortSignal): Promise<{ refused: Refusal[] }> {
  const checks = await pastAdmitted(store, new CommitReader(store.objects, { lenient: true }), updates);
  signal?.throwIfAborted();
  return checks.length === 0 ? { refused: [] } : admitIncoming(store, checks, { signal });
}

const admissionKey = (updates: Admission[]) => updates.map((u) => `${u.ref} ${u.old ?? ''} ${u.new}`).join('\n');

/** The admission of what a push would send if the remote held what the store last saw there (its tracking refs). */
function guessedAdmission(store: Store, target: RemoteTarget): { key: string; result: Promise<{ refused: Refusal[] }>; cancel: () => void } {
  const updates: Admission[] = [];
  for (const [ref, local] of localVfiRefs(store)) {
    const seen = target.name === undefined ? undefined : store.refs.read(trackingRef(target.name, ref));
    if (seen !== local) updates.push({ ref, old: seen ?? null, new: local });
  }
  const stop = new AbortController();
  const result = updates.length > 0 ? checkOutgoing(store, updates, stop.signal) : Promise.reject(new Error('nothing to check'));
  result.catch(() => {}); // used, or not, once the remote's refs are known
  return { key: admissionKey(updates), result, cancel: () => stop.abort() };
}

/** `git push --porcelain`'s lines: `<flag>\t<from>:<to>\t<summary>`, by destination ref. */
export function porcelainStatus(stdout: string): Map<string, { flag: string; summary: string }> {
  const out = new Map<string, { flag: string; summary: string }>();
  for (const line of stdout.split('\n')) {
    const m = /^([ +\-*!=])\t([^\t]*):([^\t]*)\t(.*)$/.exec(line);
    if (m) out.set(m[3]!, { flag: m[1]!, summary: m[4]! });
  }
  return out;
}

const oneLine = masked;

/** The error for refs the server refused for its own reasons: its words, as pulling cannot help. */
function refusal(target: RemoteTarget, refused: { ref: string; reason: string }[], said: readonly string[], messages: string[]): VfiError {
  const reasons = [...new Set(refused.map((r) => r.reason))].map(oneLine).join('; ');
  const words = said.slice(-5).map(oneLine);
  return new VfiError('REMOTE',
    `${target.display} refused ${refused.map((r) => label(r.ref)).join(', ')}: ${reasons}${words.length ? ` (the server said: ${words.join('; ')})` : ''}`,
    { url: target.display, reason: 'refused', ref: refused[0]!.ref, refused: refused.map((r) => r.ref), serverReason: reasons, serverMessages: words, messages },
    'pulling will not help: see what the server said');
}
