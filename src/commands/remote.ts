/** `vfi remote add|list|remove`, `vfi push`, `vfi pull`: thin wrappers over src/remote. */
import type { Context } from '../context.js';
import { addRemote, listRemotes } from '../remote/config.js';
import { displayUrl } from '../remote/url.js';
import { forgetRemote, pullFrom, pushTo } from '../app/remote.js';
import { formatTable, printJson, printResult } from './table.js';

export async function remoteAdd(ctx: Context, name: string, url: string, opts: { json?: boolean } = {}): Promise<void> {
  const store = ctx.store({ create: true });
  const added = await addRemote(store.gitdir, name, url, ctx.env);
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
  forgetRemote(ctx, name);
  ctx.note(`removed remote ${name}`);
  if (opts.json) printResult(ctx.out, { remote: name, removed: true });
}

export async function push(ctx: Context, remote: string | undefined, opts: { json?: boolean } = {}): Promise<void> {
  const transfer = await pushTo(ctx, remote);
  if (opts.json) printResult(ctx.out, transfer);
}

export async function pull(ctx: Context, remote: string | undefined, opts: { json?: boolean; skipInvalid?: boolean } = {}): Promise<void> {
  const transfer = await pullFrom(ctx, remote, opts);
  if (opts.json) printResult(ctx.out, transfer);
}
