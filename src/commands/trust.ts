/** `vfi key generate`, `vfi trust add|list|rm`, `vfi policy set|show`. */
import type { Context } from '../context.js';
import { shownAt } from '../core/assertion.js';
import { generateKeys, readPolicy, setPolicy, trustedSigners, trustSigner, untrustSigner } from '../app/trust.js';
import { formatTable, printJson } from './table.js';

export async function keyGenerate(ctx: Context, opts: { out?: string; json?: boolean }): Promise<void> {
  const { privateFile, publicFile, keyid, algorithm, completed } = generateKeys(opts.out);
  if (opts.json) printJson(ctx.out, { private: privateFile, public: publicFile, keyid, algorithm });
  else {
    ctx.out(keyid);
    ctx.note(completed
      ? `vfi: ${privateFile} was there without its public key (an interrupted vfi key generate): wrote ${publicFile} from it`
      : `vfi: wrote ${privateFile} (private, keep it secret) and ${publicFile} (public: vfi trust add NAME ${publicFile})`);
  }
}

export async function trustAdd(ctx: Context, signer: string, pubkey: string, opts: { claims?: string[] }): Promise<void> {
  const added = await trustSigner(ctx, signer, pubkey, opts);
  ctx.out(`${added.signer} ${added.keyid} ${added.claims ? added.claims.join(',') : '*'}`);
}

export async function trustRm(ctx: Context, signer: string): Promise<void> {
  await untrustSigner(ctx, signer);
}

export async function trustList(ctx: Context, opts: { json?: boolean }): Promise<void> {
  const signers = await trustedSigners(ctx);
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
  printPolicy(ctx, name, await setPolicy(ctx, name, opts), {});
}

export async function policyShow(ctx: Context, name: string, opts: { json?: boolean }): Promise<void> {
  printPolicy(ctx, name, await readPolicy(ctx, name), opts);
}

function printPolicy(ctx: Context, name: string, { policy, rules }: Awaited<ReturnType<typeof readPolicy>>, opts: { json?: boolean }): void {
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
