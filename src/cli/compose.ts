/** Commands about compositions (issue 11): `vfi contains`. */
import type { Command } from 'commander';
import type { Act } from './act.js';

export function registerCompose(program: Command, act: Act): void {
  program
    .command('contains')
    .description('every VFI that contains an image digest, a git commit or a VFI, directly or through nested VFIs')
    .argument('<subject>', 'a pinned image (repo[:tag]@sha256:…), a git commit (<url>@<40 hex>) or a VFI REF')
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nExample:\n  $ vfi contains polyverse/router@sha256:8d3f…\n  Runtime@b383463cf0f42b9a2095b40fc4cc597443da47f2  router  released')
    .action(act(async () => (await import('../commands/contains.js')).contains));
}
