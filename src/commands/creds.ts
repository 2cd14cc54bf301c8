/** `vfi creds …`: registry credentials between plain rows, config.json and an image pull Secret. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { VfiError, withSource } from '../errors.js';
import type { Context } from '../context.js';
import { readInput } from './input.js';
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

interface RowOptions {
  registry: string;
  username: string;
  passwordStdin?: boolean;
  password?: string;
  dockerPassword?: string;
  email?: string;
}

interface OutputOptions {
  output?: 'yaml' | 'json';
}

/** The one row given on the command line; the password only ever comes from stdin. */
async function rowFromOptions(ctx: Context, o: RowOptions): Promise<Credential> {
  if (o.password !== undefined || o.dockerPassword !== undefined) throw new VfiError('USAGE', 'a password is never taken from the command line (shell history, ps, CI logs)', {}, 'echo "$PASSWORD" | vfi creds … --password-stdin');
  if (!o.passwordStdin) throw new VfiError('USAGE', '--password-stdin is required: a password is never taken from the command line', {}, 'echo "$PASSWORD" | vfi creds …');
  const password = (await ctx.readStdin()).toString('utf8').replace(/\r?\n$/, '');
  return { registry: o.registry, username: o.username, password, ...(o.email ? { email: o.email } : {}) };
}

/**
 * A config.json holds passwords in the clear: it goes to a pipe or a file, and to a terminal only
 * with --show-secrets. A Secret is printed anywhere, as kubectl prints one: its data is base64.
 */
function printConfig(ctx: Context, text: string, o: { showSecrets?: boolean }): void {
  if (process.stdout.isTTY && !o.showSecrets) {
    throw new VfiError('USAGE', 'this config.json holds passwords in the clear: not printed on a terminal', {}, 'redirect it to a file or add --show-secrets');
  }
  ctx.outBytes(Buffer.from(text, 'utf8'));
}

function printSecret(ctx: Context, text: string): void {
  ctx.outBytes(Buffer.from(text, 'utf8'));
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

function nameOptions(o: { name?: string; namespace?: string }): { name: string; namespace?: string } {
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
export async function secret(ctx: Context, o: RowOptions & OutputOptions & { name?: string; namespace?: string }): Promise<void> {
  const names = nameOptions(o);
  const config = configOf([await rowFromOptions(ctx, o)]);
  printSecret(ctx, await renderSecret(secretOf(config, names), o.output ?? 'yaml'));
}

/** vfi creds config: one registry's credentials as config.json, printed or merged --into a file. */
export async function config(ctx: Context, o: RowOptions & { into?: string; showSecrets?: boolean }): Promise<void> {
  const row = await rowFromOptions(ctx, o);
  if (o.into) {
    const existing = fs.existsSync(o.into) ? (await configFromFile(ctx, o.into)).config : {};
    writePrivateFile(o.into, renderConfig(mergeIntoConfig(existing, [row])));
    ctx.note(`vfi: ${o.into}: credentials for ${configOfRegistry(row)} written`);
    warnCredsStore(ctx, o.into, existing);
    return;
  }
  printConfig(ctx, renderConfig(configOf([row])), o);
}

/** With a credsStore, docker asks that helper for every registry and never reads the entry just written. */
function warnCredsStore(ctx: Context, file: string, config: DockerConfig): void {
  if (typeof config.credsStore !== 'string' || config.credsStore === '') return;
  ctx.note(`vfi: ${file}: its credsStore is ${JSON.stringify(config.credsStore)}, so docker itself asks docker-credential-${config.credsStore} and ignores this entry (kubelet and to-secret read it); for docker, use docker login`);
}

function configOfRegistry(row: Credential): string {
  return Object.keys(configOf([row]).auths ?? {})[0] ?? row.registry;
}

/** vfi creds from-secret: the config.json inside a Secret, or --list its registries. */
export async function fromSecret(ctx: Context, file: string, o: { list?: boolean; json?: boolean; showSecrets?: boolean }): Promise<void> {
  const { source, bytes } = await readInput(ctx, file);
  const config = await from(source, async () => reconcileConfig(configOfSecret((await parseSecret(bytes.toString('utf8'))).secret)));
  if (!o.list) return printConfig(ctx, renderConfig(config), o);
  const rows = await from(source, () => contentsOf(config).credentials);
  listRows(ctx, rows, o);
}

function listRows(ctx: Context, rows: Credential[], o: { showSecrets?: boolean; json?: boolean }): void {
  const shown = rows.map((r) => ({
    registry: r.registry,
    username: r.username,
    ...(o.showSecrets ? { password: r.password } : { password: r.password !== '' }),
    ...(r.email ? { email: r.email } : {}),
  }));
  if (o.json) return ctx.out(JSON.stringify(shown));
  for (const r of shown) ctx.out([r.registry, r.username, o.showSecrets ? r.password : r.password ? 'password' : 'no-password'].join('\t'));
}

/** vfi creds to-secret: a config.json as a Secret, credential helpers asked for their secrets. */
export async function toSecret(ctx: Context, file: string, o: OutputOptions & { name?: string; namespace?: string; helpers?: boolean }): Promise<void> {
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
  printSecret(ctx, await renderSecret(secretOf(configOf(rows), names), o.output ?? 'yaml'));
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
export async function rm(ctx: Context, file: string, o: { registry: string[] }): Promise<void> {
  await editFile(ctx, file, (c) => removeFromConfig(c, o.registry));
  ctx.note(`vfi: ${file}: removed ${o.registry.length} ${o.registry.length === 1 ? 'registry' : 'registries'}`);
}

/** vfi creds add FILE --registry R --username U --password-stdin: add or replace one registry. */
export async function add(ctx: Context, file: string, o: RowOptions): Promise<void> {
  const row = await rowFromOptions(ctx, o);
  const edited = await editFile(ctx, file, (c) => mergeIntoConfig(c, [row]));
  ctx.note(`vfi: ${file}: credentials for ${configOfRegistry(row)} written`);
  warnCredsStore(ctx, file, edited);
}

/** vfi creds serve: the live page on 127.0.0.1, until interrupted. */
export async function serve(ctx: Context, o: { port?: number }): Promise<void> {
  const { servePage } = await import('../creds/server.js');
  const server = await servePage({ port: o.port ?? 0, log: (line) => ctx.note(line) });
  ctx.out(server.url);
  await new Promise<void>((resolve) => {
    const stop = () => void server.close().then(resolve);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
