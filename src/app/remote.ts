/** Sharing the store through a git remote: `vfi push` and `vfi pull` over src/remote. */
import type { Context } from '../context.js';
import { VfiError } from '../errors.js';
import { addRemote, listRemotes, removeRemote, resolveRemote } from '../remote/config.js';
import { deleteTracking } from '../remote/tracking.js';
import { looksLikePath, looksLikeUrl } from '../remote/url.js';

/** Forget a remote and its tracking refs; nothing is deleted on the server. */
export function forgetRemote(ctx: Context, name: string): void {
  const store = ctx.store({ create: false });
  const io = { env: store.env, warn: store.warn };
  removeRemote(store.gitdir, name, io);
  deleteTracking(store.gitdir, name, io);
}

/**
 * A transfer whose promise never settles would let node exit quietly with status 0 once nothing
 * is left to wait for; say so and fail instead.
 */
async function settled<T>(note: Context['note'], work: Promise<T>): Promise<T> {
  let done = false;
  const guard = () => {
    if (done) return;
    done = true;
    note('vfi: internal error: the transfer stopped before it finished (this is a bug; VFI_DEBUG=1 shows where)');
    process.exitCode = 1;
  };
  process.once('beforeExit', guard);
  try {
    return await work;
  } finally {
    done = true;
    process.off('beforeExit', guard);
  }
}

function sessionOptions(ctx: Context, skipInvalid?: boolean) {
  return {
    env: ctx.env,
    interactive: ctx.progressAllowed && ctx.inIsTerminal,
    progress: ctx.progressAllowed ? ctx.errStream : undefined,
    skipInvalid,
  };
}

/** `vfi push`: every lineage and the assertions sent to a remote; what happened to each ref (also said on stderr). */
export async function pushTo(ctx: Context, remote: string | undefined): Promise<Transfer> {
  const store = ctx.store({ create: false });
  // git says the remote's URL while the push plans from the store
  const target = resolveRemote(store.gitdir, remote, ctx.env);
  target.ready.catch(() => {});
  const { push: run } = await import('../remote/sync.js');
  try {
    const report = await settled(ctx.note, run(store, target, sessionOptions(ctx)));
    for (const m of report.messages) ctx.note(m);
    return transferJson(report);
  } catch (e) {
    if (e instanceof VfiError && Array.isArray(e.data.messages)) for (const m of e.data.messages as string[]) ctx.note(m);
    throw e;
  }
}

/** `vfi pull`: lineages and assertions fetched and merged (into a new store, with the remote as origin, when there is none); what happened to each ref. */
export async function pullFrom(ctx: Context, remote: string | undefined, opts: { skipInvalid?: boolean } = {}): Promise<Transfer> {
  let store;
  try {
    store = ctx.store({ create: false });
  } catch (e) {
    if (!(e instanceof VfiError && e.code === 'NOT_FOUND' && remote !== undefined && (looksLikeUrl(remote) || looksLikePath(remote)))) throw e;
    // A new team member's first pull: the store is made by it, and remembers where it came from
    // as its origin, with tracking refs, so that a push later tells "behind" from "pull first".
    const target = await resolveRemote(ctx.storePath, remote, ctx.env).ready;
    const { pull: run } = await import('../remote/sync.js');
    const { withNewStore } = await import('../remote/newStore.js');
    const { report, origin } = await withNewStore(ctx.storePath, async (made) => {
      const named = listRemotes(made.gitdir).length === 0;
      const done = await settled(ctx.note, run(made, named ? { ...target, name: 'origin' } : target, sessionOptions(ctx, opts.skipInvalid)));
      return { report: done, origin: named ? await addRemote(made.gitdir, 'origin', target.display, ctx.env) : undefined };
    }, { env: ctx.env, warn: ctx.note });
    for (const m of report.messages) ctx.note(m);
    if (origin) ctx.note(`added remote origin ${origin.url} (vfi push and vfi pull go there by default)`);
    return transferJson(report);
  }
  // git says the remote's URL while the pull loads and prepares the store
  const target = resolveRemote(store.gitdir, remote, ctx.env);
  target.ready.catch(() => {});
  const { pull: run } = await import('../remote/sync.js');
  const report = await settled(ctx.note, run(store, target, sessionOptions(ctx, opts.skipInvalid)));
  for (const m of report.messages) ctx.note(m);
  return transferJson(report);
}

/** push and pull with --json: the remote and what happened to each ref (stderr has the same in words). */
export type Transfer = ReturnType<typeof transferJson>;

const transferJson = (report: { url: string; outcomes: readonly object[]; messages: readonly string[] }) =>
  ({ url: report.url, refs: report.outcomes, messages: report.messages });
