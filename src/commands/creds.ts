/** `vfi creds …`: registry credentials between plain rows, config.json and an image pull Secret. */
import { VfiError } from '../errors.js';
import type { Context } from '../context.js';
import {
  addRegistry,
  configText,
  removeRegistries,
  secretContents,
  secretText,
  servePage,
  toSecretText,
  type OutputOptions,
  type RowOptions,
} from '../app/creds.js';

/** vfi creds secret: one registry's credentials as an image pull Secret, as kubectl makes it. */
export async function secret(ctx: Context, o: RowOptions & OutputOptions & { name?: string; namespace?: string }): Promise<void> {
  printSecret(ctx, await secretText(ctx, o));
}

/** vfi creds config: one registry's credentials as config.json, printed or merged --into a file. */
export async function config(ctx: Context, o: RowOptions & { into?: string; showSecrets?: boolean }): Promise<void> {
  const text = await configText(ctx, o);
  if (text !== undefined) printConfig(ctx, text, o);
}

/** vfi creds from-secret: the config.json inside a Secret, or --list its registries. */
export async function fromSecret(ctx: Context, file: string, o: { list?: boolean; json?: boolean; showSecrets?: boolean }): Promise<void> {
  const found = await secretContents(ctx, file, o);
  if ('config' in found) return printConfig(ctx, found.config, o);
  if (o.json) return ctx.out(JSON.stringify(found.rows));
  for (const r of found.rows) ctx.out([r.registry, r.username, o.showSecrets ? r.password : r.password ? 'password' : 'no-password'].join('\t'));
}

/** vfi creds to-secret: a config.json as a Secret, credential helpers asked for their secrets. */
export async function toSecret(ctx: Context, file: string, o: OutputOptions & { name?: string; namespace?: string; helpers?: boolean }): Promise<void> {
  printSecret(ctx, await toSecretText(ctx, file, o));
}

/** vfi creds rm FILE --registry R…: revoke registries from a config.json or a Secret. */
export async function rm(ctx: Context, file: string, o: { registry: string[] }): Promise<void> {
  await removeRegistries(ctx, file, o);
}

/** vfi creds add FILE --registry R --username U --password-stdin: add or replace one registry. */
export async function add(ctx: Context, file: string, o: RowOptions): Promise<void> {
  await addRegistry(ctx, file, o);
}

/** vfi creds serve: the live page on 127.0.0.1, until interrupted. */
export async function serve(ctx: Context, o: { port?: number }): Promise<void> {
  await servePage(ctx, o.port ?? 0, (url) => ctx.out(url));
}

/**
 * A config.json holds passwords in the clear: it goes to a pipe or a file, and to a terminal only
 * with --show-secrets. A Secret is printed anywhere, as kubectl prints one: its data is base64.
 */
function printConfig(ctx: Context, text: string, o: { showSecrets?: boolean }): void {
  if (ctx.outIsTerminal && !o.showSecrets) {
    throw new VfiError('USAGE', 'this config.json holds passwords in the clear: not printed on a terminal', {}, 'redirect it to a file or add --show-secrets');
  }
  ctx.outBytes(Buffer.from(text, 'utf8'));
}

function printSecret(ctx: Context, text: string): void {
  ctx.outBytes(Buffer.from(text, 'utf8'));
}
