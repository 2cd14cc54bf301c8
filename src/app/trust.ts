/** Signing keys, the trust list and release policies: `vfi key`, `vfi trust`, `vfi policy`. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import type { Context } from '../context.js';
import { VfiError } from '../errors.js';
import { firstNewAt, formatMicros } from '../core/assertion.js';
import { generateKeyPair, parsePrivateKey, parsePublicKey, type SigningKey } from '../core/dsse.js';
import { checkClaim, checkName } from '../core/names.js';
import { checkSigner, effectiveRules, foldTrust, makeEvent, policyBody, trustAddBody, type EventFile, type PickRules, type Policy, type TrustedSigner } from '../core/trust.js';
import { appendEvent, POLICY_REF, TRUST_REF } from '../store/events.js';
import { currentPerson, recordNow } from '../store/identity.js';
import { loadPolicies, loadTrust } from '../store/trust.js';
import { lineageRef } from '../store/store.js';
import { readKeyFile } from './keys.js';

/**
 * A key generate killed between its two files leaves vfi.key alone: the next one writes the public
 * key that belongs to it (never a new private key). Undefined when vfi.key is no whole private key.
 */
function completeKeyPair(privateFile: string, publicFile: string): SigningKey | undefined {
  let key: SigningKey;
  try {
    key = parsePrivateKey(readKeyFile(privateFile, 'private key'), privateFile);
  } catch {
    return undefined;
  }
  fs.writeFileSync(publicFile, crypto.createPublicKey(key.key).export({ type: 'spki', format: 'pem' }).toString(), { mode: 0o644, flag: 'wx' });
  return key;
}

/** A new ed25519 pair written as vfi.key (mode 0600) and vfi.pub in `out`; existing files are never overwritten. */
export function generateKeys(out: string | undefined): { privateFile: string; publicFile: string; keyid: string; algorithm: string; completed?: true } {
  const dir = path.resolve(out ?? '.');
  const privateFile = path.join(dir, 'vfi.key');
  const publicFile = path.join(dir, 'vfi.pub');
  if (fs.existsSync(privateFile) && !fs.existsSync(publicFile)) {
    const completed = completeKeyPair(privateFile, publicFile);
    if (completed) return { privateFile, publicFile, keyid: completed.keyid, algorithm: completed.algorithm, completed: true };
  }
  for (const f of [privateFile, publicFile]) {
    if (fs.existsSync(f)) throw new VfiError('USAGE', `${f} already exists; vfi never overwrites a key`, { file: f }, 'choose another --out');
  }
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // EEXIST/ENOTDIR: --out (or a folder on its way) is a file, which is the user's mistake, not the disk's.
    if (code === 'EEXIST' || code === 'ENOTDIR') throw new VfiError('USAGE', `--out ${out ?? '.'} is not a directory`, { out: dir }, 'name a directory (vfi creates it if missing)');
    throw new VfiError('STORE_IO', `cannot create ${dir}: ${(e as Error).message}`, { out: dir });
  }
  const pair = generateKeyPair();
  // `wx`: created here or not at all, so a file made meanwhile is not overwritten either.
  fs.writeFileSync(privateFile, pair.privatePem, { mode: 0o600, flag: 'wx' });
  fs.writeFileSync(publicFile, pair.publicPem, { mode: 0o644, flag: 'wx' });
  return { privateFile, publicFile, keyid: pair.keyid, algorithm: 'ed25519' };
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

/** Trust SIGNER's public key (for `claims`, else every claim); what the store now trusts of it. */
export async function trustSigner(ctx: Context, signer: string, pubkey: string, opts: { claims?: string[] }): Promise<{ signer: string; keyid: string; claims: string[] | undefined }> {
  checkSigner(signer);
  const claims = splitClaims(opts.claims, '--claims');
  const key = parsePublicKey(readKeyFile(pubkey, 'public key'), pubkey);
  const store = ctx.store({ create: true });
  const by = currentPerson(ctx.env).name;
  await appendEvent(store, TRUST_REF, (events) =>
    makeEvent('add', eventAt(ctx, events), trustAddBody({ signer, keyid: key.keyid, publicKey: key.pem, by, ...(claims ? { claims } : {}) })),
  `trust add ${signer} ${key.keyid}${claims ? ` for ${claims.join(',')}` : ' for every claim'}`);
  return { signer, keyid: key.keyid, claims };
}

/** Stop trusting SIGNER (NOT_FOUND when it is not trusted). */
export async function untrustSigner(ctx: Context, signer: string): Promise<void> {
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

/** The trusted signers, by name. */
export async function trustedSigners(ctx: Context): Promise<TrustedSigner[]> {
  const store = ctx.store({ create: false });
  return [...(await loadTrust(store)).state.signers.values()].sort((a, b) => (a.signer < b.signer ? -1 : 1));
}

/** Set the release policy of lineage NAME (replacing the previous one); the policy as readPolicy then reads it. */
export async function setPolicy(ctx: Context, name: string, opts: { require?: string[]; minScore?: number; allowUnpinned?: boolean }): Promise<{ policy: Policy | undefined; rules: PickRules }> {
  checkName(name);
  const require = splitClaims(opts.require, '--require') ?? [];
  const minScore = opts.minScore; // checked by the option's parser (cli.ts parseCount)
  const store = ctx.store({ create: false });
  if (!store.refs.read(lineageRef(name))) ctx.note(`vfi: warning: no lineage named ${name} yet; the policy applies once it exists`);
  const body = policyBody({ lineage: name, require, allowUnpinned: Boolean(opts.allowUnpinned), by: currentPerson(ctx.env).name, ...(minScore !== undefined ? { minScore } : {}) });
  await appendEvent(store, POLICY_REF, (events) => makeEvent('set', eventAt(ctx, events), body), `policy set ${name}`);
  return readPolicy(ctx, name);
}

/** The policy of lineage NAME (undefined when it has none) and the rules pick applies with it. */
export async function readPolicy(ctx: Context, name: string): Promise<{ policy: Policy | undefined; rules: PickRules }> {
  checkName(name);
  const store = ctx.store({ create: false });
  const policy = (await loadPolicies(store)).get(name);
  if (!policy) await store.lineage(name); // neither a policy nor a lineage of that name: NOT_FOUND
  return { policy, rules: effectiveRules(policy, {}) };
}
