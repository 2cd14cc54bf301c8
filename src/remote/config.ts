/**
 * Remotes in the store's own git config (`<store>/config`), written the way `git remote add` writes
 * them, so plain git in the store sees the same remotes:
 *
 *   [remote "origin"]
 *   	url = https://git.example.com/team/vfi-store.git
 *   	fetch = +refs/vfi/*:refs/vfi-remotes/origin/vfi/*
 *   	fetch = +refs/vfi-assertions/*:refs/vfi-remotes/origin/vfi-assertions/*
 *   	fetch = +refs/vfi-trust/*:refs/vfi-remotes/origin/vfi-trust/*
 *   	fetch = +refs/vfi-policy/*:refs/vfi-remotes/origin/vfi-policy/*
 *   	push = refs/vfi/*:refs/vfi/*
 *   	push = refs/vfi-assertions/*:refs/vfi-assertions/*
 *   	push = refs/vfi-trust/*:refs/vfi-trust/*
 *   	push = refs/vfi-policy/*:refs/vfi-policy/*
 *
 * (`git fetch origin` then fills the same tracking refs vfi keeps, and `git push origin` pushes
 * what `vfi push` pushes, refusing non-fast-forwards). Credentials are never written here.
 * Parsing follows git-config(1) "Syntax" for the parts remotes use: quoted subsections, quoted
 * values with \" \\ \n \t escapes, `#`/`;` comments, and line continuations.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { VfiError } from '../errors.js';
import { FileLock, type LockIo } from '../git/lock.js';
import { expandUrl } from './git.js';
import { looksLikePath, looksLikeUrl, parseRemoteUrl, type RemoteUrl } from './url.js';

/** The refs a store shares, by prefix: lineages, then the union refs (assertions, trust list, release policies). */
export const SHARED_PREFIXES = ['refs/vfi/', 'refs/vfi-assertions/', 'refs/vfi-trust/', 'refs/vfi-policy/'] as const;

export interface RemoteEntry {
  name: string;
  url: string;
}

/** Where `vfi push`/`vfi pull` go: a configured remote (name set) or a URL given on the command line. */
export interface RemoteTarget extends RemoteUrl {
  name: string | undefined;
}

const REMOTE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function checkRemoteName(name: string): string {
  if (!REMOTE_NAME.test(name) || name.includes('..') || name.endsWith('.lock')) {
    throw new VfiError('USAGE', `invalid remote name ${JSON.stringify(name)}`, { name },
      'a remote name is letters, digits, ".", "_" and "-", starting with a letter or digit (e.g. origin)');
  }
  return name;
}

interface ConfigLine {
  section: string | undefined;
  subsection: string | undefined;
  key: string | undefined;
  value: string | undefined;
}

/** Parse a git config text into (section, subsection, key, value) rows; headers give key undefined. */
export function parseConfig(text: string): ConfigLine[] {
  const out: ConfigLine[] = [];
  let section: string | undefined;
  let subsection: string | undefined;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.replace(/\r$/, '');
    // A value may continue on the next line after a trailing backslash.
    while (/(^|[^\\])(\\\\)*\\$/.test(line) && i + 1 < lines.length) line = line.slice(0, -1) + lines[++i]!.replace(/\r$/, '');
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) continue;
    if (trimmed.startsWith('[')) {
      const m = /^\[\s*([A-Za-z0-9.-]+)(?:\s+"((?:[^"\\]|\\.)*)")?\s*\]/.exec(trimmed);
      if (!m) {
        section = undefined;
        continue;
      }
      const name = m[1]!;
      if (m[2] !== undefined) {
        section = name.toLowerCase();
        subsection = m[2].replace(/\\(.)/g, '$1');
      } else if (name.includes('.')) {
        // deprecated [section.subsection] form
        const dot = name.indexOf('.');
        section = name.slice(0, dot).toLowerCase();
        subsection = name.slice(dot + 1).toLowerCase();
      } else {
        section = name.toLowerCase();
        subsection = undefined;
      }
      out.push({ section, subsection, key: undefined, value: undefined });
      const rest = trimmed.slice(m[0].length).trim();
      if (rest && !rest.startsWith('#') && !rest.startsWith(';')) out.push({ section, subsection, ...parseKeyValue(rest) });
      continue;
    }
    out.push({ section, subsection, ...parseKeyValue(trimmed) });
  }
  return out;
}

function parseKeyValue(s: string): { key: string; value: string | undefined } {
  const m = /^([A-Za-z][A-Za-z0-9-]*)\s*(=)?(.*)$/.exec(s);
  if (!m) return { key: '', value: undefined };
  const key = m[1]!.toLowerCase();
  if (!m[2]) return { key, value: undefined };
  let value = '';
  let quoted = false;
  let pendingSpace = '';
  const raw = m[3]!.replace(/^\s+/, '');
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === '\\') {
      const n = raw[++i];
      const escapes: Record<string, string> = { n: '\n', t: '\t', b: '\b', '"': '"', '\\': '\\' };
      value += pendingSpace + (escapes[n ?? ''] ?? '');
      pendingSpace = '';
    } else if (c === '"') {
      quoted = !quoted;
    } else if (!quoted && (c === '#' || c === ';')) {
      break;
    } else if (!quoted && /\s/.test(c)) {
      pendingSpace += c;
    } else {
      value += pendingSpace + c;
      pendingSpace = '';
    }
  }
  return { key, value };
}

/** The remotes a config text declares, with their (first) url, in order of appearance. */
export function remotesOf(text: string): RemoteEntry[] {
  const urls = new Map<string, string>();
  const order: string[] = [];
  for (const l of parseConfig(text)) {
    if (l.section !== 'remote' || l.subsection === undefined) continue;
    if (!order.includes(l.subsection)) order.push(l.subsection);
    if (l.key === 'url' && l.value !== undefined && !urls.has(l.subsection)) urls.set(l.subsection, l.value);
  }
  return order.filter((n) => urls.has(n)).map((name) => ({ name, url: urls.get(name)! }));
}

function quoteValue(v: string): string {
  const escaped = v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\t/g, '\\t');
  return /^\s|\s$|[#;"\\]/.test(v) || escaped !== v ? `"${escaped}"` : v;
}

/** The config section `vfi remote add` appends. */
export function remoteSection(name: string, url: string): string {
  return [
    `[remote "${name}"]`,
    `\turl = ${quoteValue(url)}`,
    ...SHARED_PREFIXES.map((p) => `\tfetch = +${p}*:refs/vfi-remotes/${name}/${p.slice('refs/'.length)}*`),
    ...SHARED_PREFIXES.map((p) => `\tpush = ${p}*:${p}*`),
    '',
  ].join('\n');
}

/** The config text without the `[remote "name"]` sections (other sections and comments kept). */
export function withoutRemoteSection(text: string, name: string): string {
  const lines = text.split('\n');
  const out: string[] = [];
  let skipping = false;
  for (const line of lines) {
    const trimmed = line.trim();
    if (trimmed.startsWith('[')) {
      const header = parseConfig(trimmed)[0];
      skipping = header?.section === 'remote' && header.subsection === name;
    }
    if (!skipping) out.push(line);
  }
  return out.join('\n');
}

const configFile = (gitdir: string) => path.join(gitdir, 'config');

function readConfigText(gitdir: string): string {
  try {
    return fs.readFileSync(configFile(gitdir), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw e;
  }
}

/** The store's remotes. */
export function listRemotes(gitdir: string): RemoteEntry[] {
  return remotesOf(readConfigText(gitdir));
}

/** Rewrite the config under git's own `config.lock`. */
function editConfig(gitdir: string, edit: (text: string) => string, io: LockIo = {}): void {
  const lock = FileLock.acquire(configFile(gitdir), io);
  try {
    lock.commit(edit(readConfigText(gitdir)));
  } finally {
    lock.release();
  }
}

/** `vfi remote add NAME URL`. */
export async function addRemote(gitdir: string, name: string, rawUrl: string, env: NodeJS.ProcessEnv = {}): Promise<RemoteEntry> {
  checkRemoteName(name);
  const url = await gitUrl(gitdir, rawUrl, env);
  if (url.hasCredentials) {
    throw new VfiError('USAGE', `the URL for remote ${name} carries credentials; vfi does not store them`, { name, url: url.display },
      `add ${url.display} and give credentials through a git credential helper, VFI_REMOTE_TOKEN or VFI_REMOTE_USERNAME/VFI_REMOTE_PASSWORD`);
  }
  editConfig(gitdir, (text) => {
    if (remotesOf(text).some((r) => r.name === name)) {
      throw new VfiError('USAGE', `remote ${name} already exists`, { name }, `see \`vfi remote list\`; \`vfi remote remove ${name}\` first to change it`);
    }
    return `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}${remoteSection(name, url.url)}`;
  }, { env });
  return { name, url: url.url };
}

/** `vfi remote remove NAME`: the config section goes; the caller drops the tracking refs. */
export function removeRemote(gitdir: string, name: string, io: LockIo = {}): void {
  editConfig(gitdir, (text) => {
    if (!remotesOf(text).some((r) => r.name === name)) {
      throw new VfiError('NOT_FOUND', `no remote named ${JSON.stringify(name)}`, { name }, remotesHint(remotesOf(text)));
    }
    return withoutRemoteSection(text, name);
  }, io);
}

function remotesHint(remotes: RemoteEntry[]): string {
  return remotes.length === 0 ? 'the store has no remotes; add one with `vfi remote add origin URL`' : `remotes: ${remotes.map((r) => r.name).join(', ')}`;
}

/** A remote whose name is known and whose URL git may still be expanding (resolveRemote). */
export interface PendingTarget {
  name: string | undefined;
  ready: Promise<RemoteTarget>;
}

/**
 * What `vfi push [REMOTE|URL]` and `vfi pull [REMOTE|URL]` talk to: the URL given, the remote of
 * that name, else `origin`, else the only remote. Its name is known at once (what a push plans
 * with; a name that is no remote throws here), its URL once git has said what its
 * url.<base>.insteadOf rules make of it (a URL that is refused rejects `ready`).
 */
export function resolveRemote(gitdir: string, arg: string | undefined, env: NodeJS.ProcessEnv = {}): PendingTarget {
  const { name, raw } = chooseRemote(gitdir, arg);
  return { name, ready: gitUrl(gitdir, raw, env).then((url) => ({ name, ...url }), (e: unknown) => Promise.reject(inRemote(name, e))) };
}

/** The remote `arg` names (its name, when it is one of the store's) and the URL or path written for it. */
function chooseRemote(gitdir: string, arg: string | undefined): { name: string | undefined; raw: string } {
  if (arg !== undefined && looksLikeUrl(arg)) return { name: undefined, raw: arg };
  const remotes = listRemotes(gitdir);
  if (arg !== undefined && looksLikePath(arg, (n) => remotes.some((r) => r.name === n))) return { name: undefined, raw: arg };
  // a word git's url.<base>.insteadOf turns into a URL (gh:org/repo)
  if (arg !== undefined && !remotes.some((r) => r.name === arg) && /:/.test(arg)) return { name: undefined, raw: arg };
  let chosen: RemoteEntry | undefined;
  if (arg !== undefined) {
    chosen = remotes.find((r) => r.name === arg);
    if (!chosen) throw new VfiError('NOT_FOUND', `no remote named ${JSON.stringify(arg)}`, { name: arg }, remotesHint(remotes));
  } else {
    chosen = remotes.find((r) => r.name === 'origin') ?? (remotes.length === 1 ? remotes[0] : undefined);
    if (!chosen) {
      throw new VfiError('USAGE', remotes.length === 0 ? 'the store has no remote' : `which remote? the store has ${remotes.length} and none is "origin"`,
        { remotes: remotes.map((r) => r.name) }, remotes.length === 0 ? 'add one with `vfi remote add origin URL`, or give a URL' : remotesHint(remotes));
    }
  }
  return { name: chosen.name, raw: chosen.url };
}

/** A configured remote's URL that is refused says which remote it is. */
function inRemote(name: string | undefined, e: unknown): unknown {
  return name !== undefined && e instanceof VfiError ? new VfiError(e.code, `remote ${name}: ${e.message}`, { ...e.data, name }, e.hint) : e;
}

/** A remote URL as git takes it: after git's url.<base>.insteadOf rules, when they apply. */
async function gitUrl(gitdir: string, raw: string, env: NodeJS.ProcessEnv): Promise<RemoteUrl> {
  return parseRemoteUrl(raw, asksGit(gitdir, raw) ? await expandUrl(gitdir, raw, env) : undefined);
}

/** Whether git is asked what `raw` expands to (a path on disk or a word git cannot take is not). */
const asksGit = (gitdir: string, raw: string) => !(!looksLikeUrl(raw) && looksLikePath(raw)) && !/[\x00-\x1f\x7f]/.test(raw) && fs.existsSync(gitdir);
