/** `vfi remote add|list|remove`, `vfi push`, `vfi pull`: thin wrappers over src/remote. */
import type { Context } from '../context.js';
import { VfiError } from '../errors.js';
import { addRemote, listRemotes, removeRemote, resolveRemote } from '../remote/config.js';
import { deleteTracking } from '../remote/tracking.js';
import { displayUrl, looksLikePath, looksLikeUrl } from '../remote/url.js';
import { formatTable, printJson, printResult } from './table.js';

export function remoteAdd(ctx: Context, name: string, url: string, opts: { json?: boolean } = {}): void {
  const store = ctx.store({ create: true });
  const added = addRemote(store.gitdir, name, url, ctx.env);
  ctx.note(`added remote ${added.name} ${displayUrl(added.url)}`);
  if (opts.json) printResult(ctx.out, { remote: added.name, url: displayUrl(added.url), added: true });
}

export function remoteList(ctx: Context, opts: { json?: boolean; headers?: boolean }): void {
  const store = ctx.store({ create: false });
  const remotes = listRemotes(store.gitdir).map((r) => ({ name: r.name, url: displayUrl(r.url) }));
  if (opts.json) printJson(ctx.out, remotes);
  else for (const line of formatTable(remotes.map((r) => [r.name, r.url]), { header: ['NAME', 'URL'], headers: opts.headers })) ctx.out(line);
}

export function remoteRemove(ctx: Context, name: string, opts: { json?: boolean } = {}): void {
  const store = ctx.store({ create: false });
  removeRemote(store.gitdir, name);
  deleteTracking(store.gitdir, name);
  ctx.note(`removed remote ${name}`);
  if (opts.json) printResult(ctx.out, { remote: name, removed: true });
}

/**
 * A transfer whose promise never settles would let node exit quietly with status 0 once nothing
 * is left to wait for; say so and fail instead.
 */
async function settled<T>(work: Promise<T>): Promise<T> {
  let done = false;
  const guard = () => {
    if (done) return;
    done = true;
    process.stderr.write('vfi: internal error: the transfer stopped before it finished (this is a bug; VFI_DEBUG=1 shows where)\n');
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
    interactive: ctx.progressAllowed && Boolean(process.stdin.isTTY),
    progress: ctx.progressAllowed,
    skipInvalid,
  };
}

export async function push(ctx: Context, remote: string | undefined, opts: { json?: boolean } = {}): Promise<void> {
  const store = ctx.store({ create: false });
  const target = resolveRemote(store.gitdir, remote, ctx.env);
  const { push: run } = await import('../remote/sync.js');
  try {
    const report = await settled(run(store, target, sessionOptions(ctx)));
    for (const m of report.messages) ctx.note(m);
    if (opts.json) printResult(ctx.out, transferJson(report));
  } catch (e) {
    if (e instanceof VfiError && Array.isArray(e.data.messages)) for (const m of e.data.messages as string[]) ctx.note(m);
    throw e;
  }
}

export async function pull(ctx: Context, remote: string | undefined, opts: { json?: boolean; skipInvalid?: boolean } = {}): Promise<void> {
  const { pull: run } = await import('../remote/sync.js');
  let store;
  try {
    store = ctx.store({ create: false });
  } catch (e) {
    if (!(e instanceof VfiError && e.code === 'NOT_FOUND' && remote !== undefined && (looksLikeUrl(remote) || looksLikePath(remote)))) throw e;
    // A new team member's first pull: the store is made by it, and remembers where it came from
    // as its origin, with tracking refs, so that a push later tells "behind" from "pull first".
    const target = resolveRemote(ctx.storePath, remote, ctx.env);
    const { withNewStore } = await import('../remote/newStore.js');
    const { report, origin } = await withNewStore(ctx.storePath, async (made) => {
      const named = listRemotes(made.gitdir).length === 0;
      const done = await settled(run(made, named ? { ...target, name: 'origin' } : target, sessionOptions(ctx, opts.skipInvalid)));
      return { report: done, origin: named ? addRemote(made.gitdir, 'origin', target.display) : undefined };
    });
    for (const m of report.messages) ctx.note(m);
    if (origin) ctx.note(`added remote origin ${origin.url} (vfi push and vfi pull go there by default)`);
    if (opts.json) printResult(ctx.out, transferJson(report));
    return;
  }
  const target = resolveRemote(store.gitdir, remote, ctx.env);
  const report = await settled(run(store, target, sessionOptions(ctx, opts.skipInvalid)));
  for (const m of report.messages) ctx.note(m);
  if (opts.json) printResult(ctx.out, transferJson(report));
}

/** push and pull with --json: the remote and what happened to each ref (stderr has the same in words). */
const transferJson = (report: { url: string; outcomes: readonly object[]; messages: readonly string[] }) =>
  ({ url: report.url, refs: report.outcomes, messages: report.messages });
