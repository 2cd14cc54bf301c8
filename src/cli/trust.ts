/** Commander registration of `vfi key`, `vfi trust` and `vfi policy` (issue 10). */
import type { Command } from 'commander';
import { parseCount } from '../cli.js';
import type { Act } from './act.js';

const claimList = (value: string, previous: string[] = []) => [...previous, value];

export function registerTrust(program: Command, act: Act): void {
  const key = program.command('key').description('signing keys for assertions');
  key
    .command('generate')
    .description('make an ed25519 key pair: vfi.key (PKCS#8 private key, mode 0600) and vfi.pub (SPKI public key)')
    .option('--out <dir>', 'where to write them (default: the current directory); existing files are never overwritten')
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nExample:\n  $ vfi key generate --out ~/.config/vfi\n  $ vfi assert Runtime tests-passed --sign ~/.config/vfi/vfi.key')
    .action(act(async () => (await import('../commands/trust.js')).keyGenerate));

  const trust = program.command('trust').description('the signers whose signed assertions count, per claim (kept in the store)');
  trust
    .command('add')
    .description('trust SIGNER\'s public key, for every claim or only --claims; replaces an earlier entry of SIGNER')
    .argument('<signer>', 'a name for the signer, e.g. ci')
    .argument('<pubkey>', 'the signer\'s public key, PEM (SPKI), e.g. vfi.pub')
    .option('--claims <claims...>', 'only these claims (a,b or repeated)', claimList)
    .addHelpText('after', '\nOnce the store trusts a key, only records signed by a key trusted for their claim count in\npick, find and scores.\n\nExample:\n  $ vfi trust add ci ci.pub --claims tests-passed,smoke-verified')
    .action(act(async () => (await import('../commands/trust.js')).trustAdd));
  trust
    .command('list')
    .alias('ls')
    .description('the trusted signers, their keyids and claims')
    .option('--json', 'machine-readable output')
    .action(act(async () => (await import('../commands/trust.js')).trustList));
  trust
    .command('rm')
    .description('stop trusting SIGNER')
    .argument('<signer>', 'the signer')
    .action(act(async () => (await import('../commands/trust.js')).trustRm));

  const policy = program.command('policy').description('release policies per lineage (kept in the store), applied by pick and find');
  policy
    .command('set')
    .description('set the release policy of lineage NAME (replaces the previous one)')
    .argument('<name>', 'lineage')
    .option('--require <claims...>', 'claims a candidate must pass (a,b or repeated)', claimList)
    .option('--min-score <n>', 'the lowest score a candidate may have (default 1)', parseCount)
    .option('--allow-unpinned', 'let VFIs whose images are not pinned by digest be candidates')
    .addHelpText('after', '\nExample:\n  $ vfi policy set Runtime --require tests-passed,reviewed --min-score 2')
    .action(act(async () => (await import('../commands/trust.js')).policySet));
  policy
    .command('show')
    .description('the release policy of lineage NAME, and the rules pick applies')
    .argument('<name>', 'lineage')
    .option('--json', 'machine-readable output')
    .action(act(async () => (await import('../commands/trust.js')).policyShow));
}
