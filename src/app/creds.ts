/** Registry credentials between plain rows, docker config.json and an image pull Secret: reading, converting and writing files for `vfi creds`. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { VfiError, withSource } from '../errors.js';
import type { Context } from '../context.js';
import { readInput } from '../commands/input.js';
import { errnoWords } from '../errno.js';
import { processAlive } from '../remote/cleanup.js';
import {
  checkName,
  configOf,
  configOfSecret,
  contentsOf,
  looksLikeSecret,
  mergeIntoConfig,
  parseConfig,
  parseSecret,
  reconcileConfig,
  removeFromConfig,
  renderConfig,
  renderSecret,
  secretOf,
  withConfig,
  type Credential,
  type DockerConfig,
} from '../creds/convert.js';


export interface RowOptions {
  registry: string;
  username: string;
  passwordStdin?: boolean;
  password?: string;
  dockerPassword?: string;
  email?: string;
}

export interface OutputOptions {
  output?: 'yaml' | 'json';
}

/** The one row given on the command line; the password only ever comes from stdin. */
export async function rowFromOptions(ctx: Context, o: RowOptions): Promise<Credential> {
  if (o.password !== undefined || o.dockerPassword !== undefined) throw new VfiError('USAGE', 'a password is never taken from the command line (shell history, ps, CI logs)', {}, 'echo "$PASSWORD" | vfi creds … --password-stdin');
  if (!o.passwordStdin) throw new VfiError('USAGE', '--password-stdin is required: a password is never taken from the command line', {}, 'echo "$PASSWORD" | vfi creds …');
  const password = (await ctx.readStdin()).toString('utf8').replace(/\r?\n$/, '');
  return { registry: o.registry, username: o.username, password, ...(o.email ? { email: o.email } : {}) };
}

/** Write a file atomically with mode 0600: a temporary file beside it, then a rename. */
export function writePrivateFile(target: string, text: string): void {
  // A config.json linked from a dotfiles repository stays a link: write where it points.
  const file = fs.existsSync(target) ? fs.realpathSync(target) : target;
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  removeStaleTemps(file);
  try {
    fs.writeFileSync(tmp, text, { mode: 0o600, flag: 'wx' });
    fs.chmodSync(tmp, 0o600);
    fs.renameSync(tmp, file);
  } catch (e) {
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      /* no temp was made (a part of the path is a file): the error below says why */
    }
    throw new VfiError('STORE_IO', `cannot write ${file}: ${errnoWords(e)}`, { file });
  }
}

/**
 * The temp files of writers that were killed (`.<file>.<pid>.tmp`, passwords in the clear): removed
 * once their process is gone, so a SIGKILL leaves no copy of the credentials behind for long.
 */
function removeStaleTemps(file: string): void {
  const prefix = `.${path.basename(file)}.`;
  let names: string[];
  try {
    names = fs.readdirSync(path.dirname(file));
  } catch {
    return; // the write that follows says what is wrong with the directory
  }
  for (const n of names) {
    const pid = Number(n.startsWith(prefix) && n.endsWith('.tmp') ? n.slice(prefix.length, -'.tmp'.length) : NaN);
    if (Number.isSafeInteger(pid) && pid > 0 && (pid === process.pid || !processAlive(pid))) fs.rmSync(path.join(path.dirname(file), n), { force: true });
  }
}

export function nameOptions(o: { name?: string; namespace?: string }): { name: string; namespace?: string } {
  return { name: checkName(o.name ?? 'regcred', 'name'), ...(o.namespace ? { namespace: checkName(o.namespace, 'namespace') } : {}) };
}

async function configFromFile(ctx: Context, file: string): Promise<{ source: string; config: DockerConfig }> {
  const { source, bytes } = await readInput(ctx, file);
  return { source, config: await from(source, () => parseConfig(bytes.toString('utf8'))) };
}

/** Run f; an error it throws names the file it was about. */
async function from<T>(source: string, f: () => T | Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    throw withSource(e, source);
  }
}

/** vfi creds secret: one registry's credentials as an image pull Secret, as kubectl makes it. */
export async function secretText(ctx: Context, o: RowOptions & OutputOptions & { name?: string; namespace?: string }): Promise<string> {
  const names = nameOptions(o);
  const config = configOf([await rowFromOptions(ctx, o)]);
  return renderSecret(secretOf(config, names), o.output ?? 'yaml');
}

/** vfi creds config: one registry's credentials as config.json text, or with `into` merged into that file (and nothing returned). */
export async function configText(ctx: Context, o: RowOptions & { into?: string }): Promise<string | undefined> {
  const row = await rowFromOptions(ctx, o);
  if (o.into) {
    const existing = fs.existsSync(o.into) ? (await configFromFile(ctx, o.into)).config : {};
    writePrivateFile(o.into, renderConfig(mergeIntoConfig(existing, [row])));
    ctx.note(`vfi: ${o.into}: credentials for ${configOfRegistry(row)} written`);
    warnCredsStore(ctx, o.into, existing);
    return undefined;
  }
  return renderConfig(configOf([row]));
}

/** With a credsStore, docker asks that helper for every registry and never reads the entry just written. */
function warnCredsStore(ctx: Context, file: string, config: DockerConfig): void {
  if (typeof config.credsStore !== 'string' || config.credsStore === '') return;
  ctx.note(`vfi: ${file}: its credsStore is ${JSON.stringify(config.credsStore)}, so docker itself asks docker-credential-${config.credsStore} and ignores this entry (kubelet and to-secret read it); for docker, use docker login`);
}

function configOfRegistry(row: Credential): string {
  return Object.keys(configOf([row]).auths ?? {})[0] ?? row.registry;
}

/** A row as `from-secret --list` shows it: the password itself only with `showSecrets`, else whether there is one. */
export type ListedRow = { registry: string; username: string; password: string | boolean; email?: string };

/** vfi creds from-secret: the config.json text inside a Secret, or with `list` its registries. */
export async function secretContents(ctx: Context, file: string, o: { list?: boolean; showSecrets?: boolean }): Promise<{ config: string } | { rows: ListedRow[] }> {
  const { source, bytes } = await readInput(ctx, file);
  const config = await from(source, async () => reconcileConfig(configOfSecret((await parseSecret(bytes.toString('utf8'))).secret)));
  if (!o.list) return { config: renderConfig(config) };
  const rows = await from(source, () => contentsOf(config).credentials);
  return {
    rows: rows.map((r) => ({
      registry: r.registry,
      username: r.username,
      ...(o.showSecrets ? { password: r.password } : { password: r.password !== '' }),
      ...(r.email ? { email: r.email } : {}),
    })),
  };
}

/** vfi creds to-secret: a config.json as a Secret, credential helpers asked for their secrets. */
export async function toSecretText(ctx: Context, file: string, o: OutputOptions & { name?: string; namespace?: string; helpers?: boolean }): Promise<string> {
  const names = nameOptions(o);
  const { source, config } = await configFromFile(ctx, file);
  const contents = await from(source, () => contentsOf(config));
  if (contents.tokens.length > 0) {
    throw new VfiError('INVALID_INPUT', `${source}: ${contents.tokens[0]} has an identity token, which kubelet cannot use`, { registry: contents.tokens[0] });
  }
  const rows = [...contents.credentials];
  if (contents.helpers.length > 0) {
    if (o.helpers === false) {
      const h = contents.helpers[0]!;
      throw new VfiError('INVALID_INPUT', `${source}: the secret of ${h.registry} is kept by docker-credential-${h.helper} and --no-helpers was given`, { registry: h.registry, helper: h.helper });
    }
    const { runCredentialHelper } = await import('../docker/credentials.js');
    for (const h of contents.helpers) {
      const got = await runCredentialHelper(h.helper, h.key, { env: ctx.env });
      if (!got) throw new VfiError('NOT_FOUND', `docker-credential-${h.helper} has no credentials for ${h.registry}`, { registry: h.registry, helper: h.helper });
      if (!('password' in got)) throw new VfiError('INVALID_INPUT', `docker-credential-${h.helper} holds an identity token for ${h.registry}, which kubelet cannot use`, { registry: h.registry });
      rows.push({ registry: h.registry, username: got.username, password: got.password });
    }
  }
  return renderSecret(secretOf(configOf(rows), names), o.output ?? 'yaml');
}

/** Edit a config.json or a Secret file in place, whichever it is. */
async function editFile(ctx: Context, file: string, edit: (config: DockerConfig) => DockerConfig): Promise<DockerConfig> {
  const { source, bytes } = await readInput(ctx, file);
  if (source === '<stdin>') throw new VfiError('USAGE', 'give a file to edit in place, not -');
  const text = bytes.toString('utf8');
  if (looksLikeSecret(text)) {
    const { secret, format } = await from(source, () => parseSecret(text));
    const config = await from(source, () => configOfSecret(secret));
    const edited = await from(source, () => edit(config));
    writePrivateFile(file, await renderSecret(withConfig(secret, edited), format));
    return edited;
  }
  const config = await from(source, () => parseConfig(text));
  const edited = await from(source, () => edit(config));
  writePrivateFile(file, renderConfig(edited));
  return edited;
}

/** vfi creds rm FILE --registry R…: revoke registries from a config.json or a Secret. */
export async function removeRegistries(ctx: Context, file: string, o: { registry: string[] }): Promise<void> {
  await editFile(ctx, file, (c) => removeFromConfig(c, o.registry));
  ctx.note(`vfi: ${file}: removed ${o.registry.length} ${o.registry.length === 1 ? 'registry' : 'registries'}`);
}

/** vfi creds add FILE --registry R --username U --password-stdin: add or replace one registry. */
export async function addRegistry(ctx: Context, file: string, o: RowOptions): Promise<void> {
  const row = await rowFromOptions(ctx, o);
  const edited = await editFile(ctx, file, (c) => mergeIntoConfig(c, [row]));
  ctx.note(`vfi: ${file}: credentials for ${configOfRegistry(row)} written`);
  warnCredsStore(ctx, file, edited);
}

/** vfi creds serve: the live page on 127.0.0.1 (its URL given to `ready`), until interrupted. */
export async function servePage(ctx: Context, port: number, ready: (url: string) => void): Promise<void> {
  const { servePage: start } = await import('../creds/server.js');
  const server = await start({ port, log: (line) => ctx.note(line) });
  ready(server.url);
  await new Promise<void>((resolve) => {
    const stop = () => void server.close().then(resolve);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
