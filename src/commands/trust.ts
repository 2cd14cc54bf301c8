/** `vfi key generate`, `vfi trust add|list|rm`, `vfi policy set|show`. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import type { Context } from '../context.js';
import { VfiError } from '../errors.js';
import { firstNewAt, formatMicros, shownAt } from '../core/assertion.js';
import { generateKeyPair, parsePrivateKey, parsePublicKey, type SigningKey } from '../core/dsse.js';
import { checkClaim, checkName } from '../core/names.js';
import { checkSigner, effectiveRules, foldTrust, makeEvent, policyBody, trustAddBody, type EventFile } from '../core/trust.js';
import { appendEvent, POLICY_REF, TRUST_REF } from '../store/events.js';
import { currentPerson, recordNow } from '../store/identity.js';
import { loadPolicies, loadTrust } from '../store/trust.js';
import { lineageRef } from '../store/store.js';
import { formatTable, printJson } from './table.js';
import { errnoWords } from '../errno.js';

/** Read a key file, with its errors as one line each. */
function readKeyFile(file: string, what: string): string {
  try {
    const st = fs.statSync(file);
    if (st.size > 64 * 1024) throw new VfiError('INVALID_INPUT', `${file} is too large to be a ${what}`, { file });
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof VfiError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new VfiError(code === 'ENOENT' ? 'NOT_FOUND' : 'INVALID_INPUT', `cannot read ${what} ${file}: ${code === 'ENOENT' ? 'no such file' : errnoWords(e)}`, { file });
  }
}

/**
 * A key generate killed between its two files leaves vfi.key alone: the next one writes the public
 * key that belongs to it (never a new private key). False when vfi.key is no whole private key.
 */
function completeKeyPair(ctx: Context, privateFile: string, publicFile: string, opts: { json?: boolean }): boolean {
  let key: SigningKey;
  try {
    key = parsePrivateKey(readKeyFile(privateFile, 'private key'), privateFile);
  } catch {
    return false;
  }
  fs.writeFileSync(publicFile, crypto.createPublicKey(key.key).export({ type: 'spki', format: 'pem' }).toString(), { mode: 0o644, flag: 'wx' });
  if (opts.json) printJson(ctx.out, { private: privateFile, public: publicFile, keyid: key.keyid, algorithm: key.algorithm });
  else {
    ctx.out(key.keyid);
    ctx.note(`vfi: ${privateFile} was there without its public key (an interrupted vfi key generate): wrote ${publicFile} from it`);
  }
  return true;
}

/** The signing key of `--sign FILE`, else $VFI_SIGNING_KEY, else none (unsigned records). */
export function signingKey(ctx: Context, option: string | undefined): SigningKey | undefined {
  const file = option ?? (ctx.env.VFI_SIGNING_KEY || undefined);
  if (file === undefined) return undefined;
  return parsePrivateKey(readKeyFile(file, 'signing key'), option !== undefined ? file : `VFI_SIGNING_KEY (${file})`);
}

export async function keyGenerate(ctx: Context, opts: { out?: string; json?: boolean }): Promise<void> {
  const dir = path.resolve(opts.out ?? '.');
  const privateFile = path.join(dir, 'vfi.key');
  const publicFile = path.join(dir, 'vfi.pub');
  if (fs.existsSync(privateFile) && !fs.existsSync(publicFile) && completeKeyPair(ctx, privateFile, publicFile, opts)) return;
  for (const f of [privateFile, publicFile]) {
    if (fs.existsSync(f)) throw new VfiError('USAGE', `${f} already exists; vfi never overwrites a key`, { file: f }, 'choose another --out');
  }
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // EEXIST/ENOTDIR: --out (or a folder on its way) is a file, which is the user's mistake, not the disk's.
    if (code === 'EEXIST' || code === 'ENOTDIR') throw new VfiError('USAGE', `--out ${opts.out ?? '.'} is not a directory`, { out: dir }, 'name a directory (vfi creates it if missing)');
    throw new VfiError('STORE_IO', `cannot create ${dir}: ${(e as Error).message}`, { out: dir });
  }
  const pair = generateKeyPair();
  // `wx`: created here or not at all, so a file made meanwhile is not overwritten either.
  fs.writeFileSync(privateFile, pair.privatePem, { mode: 0o600, flag: 'wx' });
  fs.writeFileSync(publicFile, pair.publicPem, { mode: 0o644, flag: 'wx' });
  if (opts.json) printJson(ctx.out, { private: privateFile, public: publicFile, keyid: pair.keyid, algorithm: 'ed25519' });
  else {
    ctx.out(pair.keyid);
    ctx.note(`vfi: wrote ${privateFile} (private, keep it secret) and ${publicFile} (public: vfi trust add NAME ${publicFile})`);
  }
}

/** The time of a new event: the clock, or just after the latest event already there. */
function eventAt(ctx: Context, events: readonly EventFile[]): string {
  const latest = events.reduce<number | undefined>((m, e) => (m === undefined || e.at > m ? e.at : m), undefined);
  return formatMicros(firstNewAt(recordNow(ctx.env).getTime() * 1000, latest));
}

function splitClaims(values: string[] | undefined, option: string): string[] | undefined {
  if (values === undefined) return undefined;
  const words = values.flatMap((v) => v.split(',')).map((w) => w.trim());
  if (words.includes('')) throw new VfiError('USAGE', `${option}: empty claim`, { option });
  return [...new Set(words.map(checkClaim))].sort();
}

export async function trustAdd(ctx: Context, signer: string, pubkey: string, opts: { claims?: string[] }): Promise<void> {
  checkSigner(signer);
  const claims = splitClaims(opts.claims, '--claims');
  const key = parsePublicKey(readKeyFile(pubkey, 'public key'), pubkey);
  const store = ctx.store({ create: true });
  const by = currentPerson(ctx.env).name;
  await appendEvent(store, TRUST_REF, (events) =>
    makeEvent('add', eventAt(ctx, events), trustAddBody({ signer, keyid: key.keyid, publicKey: key.pem, by, ...(claims ? { claims } : {}) })),
  `trust add ${signer} ${key.keyid}${claims ? ` for ${claims.join(',')}` : ' for every claim'}`);
  ctx.out(`${signer} ${key.keyid} ${claims ? claims.join(',') : '*'}`);
}

export async function trustRm(ctx: Context, signer: string): Promise<void> {
  checkSigner(signer);
  const store = ctx.store({ create: false });
  await appendEvent(store, TRUST_REF, (events) => {
    if (!foldTrust(events).signers.has(signer)) {
      throw new VfiError('NOT_FOUND', `no trusted signer named ${JSON.stringify(signer)}`, { signer }, 'vfi trust list shows them');
    }
    return makeEvent('rm', eventAt(ctx, events), { signer, by: currentPerson(ctx.env).name });
  }, `trust rm ${signer}`);
  ctx.note(`vfi: ${signer} is no longer trusted`);
}

export async function trustList(ctx: Context, opts: { json?: boolean }): Promise<void> {
  const store = ctx.store({ create: false });
  const signers = [...(await loadTrust(store)).state.signers.values()].sort((a, b) => (a.signer < b.signer ? -1 : 1));
  if (opts.json) {
    printJson(ctx.out, signers.map((s) => ({ signer: s.signer, keyid: s.keyid, claims: s.claims ?? null, at: s.at, by: s.by, publicKey: s.publicKey })));
    return;
  }
  if (signers.length === 0) {
    ctx.note('vfi: no trusted signers: every record counts, signed or not (vfi trust add SIGNER KEY.pub)');
    return;
  }
  for (const line of formatTable([['SIGNER', 'KEYID', 'CLAIMS', 'ADDED', 'BY'],
    ...signers.map((s) => [s.signer, s.keyid, s.claims ? s.claims.join(',') : '*', shownAt(s.at), s.by])])) ctx.out(line);
}

export async function policySet(ctx: Context, name: string, opts: { require?: string[]; minScore?: number; allowUnpinned?: boolean }): Promise<void> {
  checkName(name);
  const require = splitClaims(opts.require, '--require') ?? [];
  const minScore = opts.minScore; // checked by the option's parser (cli.ts parseCount)
  const store = ctx.store({ create: false });
  if (!store.refs.read(lineageRef(name))) ctx.note(`vfi: warning: no lineage named ${name} yet; the policy applies once it exists`);
  const body = policyBody({ lineage: name, require, allowUnpinned: Boolean(opts.allowUnpinned), by: currentPerson(ctx.env).name, ...(minScore !== undefined ? { minScore } : {}) });
  await appendEvent(store, POLICY_REF, (events) => makeEvent('set', eventAt(ctx, events), body), `policy set ${name}`);
  await policyShow(ctx, name, {});
}

export async function policyShow(ctx: Context, name: string, opts: { json?: boolean }): Promise<void> {
  checkName(name);
  const store = ctx.store({ create: false });
  const policy = (await loadPolicies(store)).get(name);
  if (!policy) await store.lineage(name); // neither a policy nor a lineage of that name: NOT_FOUND
  const rules = effectiveRules(policy, {});
  if (opts.json) {
    printJson(ctx.out, {
      lineage: name,
      policy: policy ? { require: policy.require, minScore: policy.minScore ?? null, allowUnpinned: policy.allowUnpinned, at: policy.at, by: policy.by } : null,
      rules: { require: rules.require, minScore: rules.minScore, allowUnpinned: rules.allowUnpinned },
    });
    return;
  }
  if (!policy) ctx.note(`vfi: no policy for ${name}; pick applies the defaults`);
  ctx.out(`lineage ${name}`);
  ctx.out(`require ${rules.require.length > 0 ? rules.require.join(',') : '-'}`);
  ctx.out(`min-score ${rules.minScore}`);
  ctx.out(`unpinned ${rules.allowUnpinned ? 'allowed' : 'refused'}`);
  if (policy) ctx.out(`set ${shownAt(policy.at)} by ${policy.by}`);
}

