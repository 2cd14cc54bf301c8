/** Commands that take a release to deploy tools and to customers: export, releases, notes (issue 12). */
import { Option, type Command } from 'commander';
import type { Act } from './act.js';

export function registerDeploy(program: Command, act: Act): void {
  program
    .command('export')
    .description('write a VFI as the file a deploy tool reads: compose, kustomize, helm, imageslock, freight, env or intoto')
    .argument('<ref>', 'the VFI (e.g. "$(vfi pick Runtime)")')
    .requiredOption('--format <format>', 'compose | kustomize | helm | imageslock | freight | env | intoto')
    .option('--out <file>', 'write to FILE (atomically) instead of stdout')
    .option('--force', 'replace an existing --out file')
    .option('--allow-unpinned', 'export images without a digest as their tags (else refused: vfi resolve pins them)')
    .option('--warehouse <name>', 'freight: the Kargo Warehouse it comes from (default: the lineage name, lowercased)')
    .addHelpText('after', [
      '',
      'Component keys that steer a format: x-compose-service (compose service name), x-kustomize-name',
      '(the image name the manifests use), x-helm-path (dotted values path, default <component>.image).',
      'Nested vfi components are flattened: runtime.router.',
      '',
      'Examples:',
      '  $ vfi export Runtime --format compose --out docker-compose.vfi.yml',
      '  $ docker compose -f docker-compose.yml -f docker-compose.vfi.yml up -d',
      '  $ vfi export "$(vfi pick Runtime)" --format kustomize > overlays/prod/images.yaml',
    ].join('\n'))
    .action(act(async () => (await import('../commands/export.js')).exportVfi));

  program
    .command('releases')
    .description('every VFI that was released, newest first: when, by whom, score then and now, still a candidate')
    .argument('[name]', 'lineage (default: every lineage)')
    .option('--since <date>', 'only releases at or after DATE (2026-11-01 or RFC 3339)')
    .option('--json', 'machine-readable output')
    .action(act(async () => (await import('../commands/releases.js')).releases));

  program
    .command('notes')
    .description('release notes: what changed from FROM to TO, TO\'s assertions, and the commits between (with --repos)')
    .argument('[from]', 'the earlier VFI (with --since: the lineage NAME)')
    .argument('[to]', 'the later VFI')
    .addOption(new Option('--format <format>', 'markdown or json').choices(['markdown', 'json']).default('markdown'))
    .option('--repos <dir>', 'where local clones are: DIR/<repository name>[.git], read with git log, no network')
    .option('--since <date>', 'with NAME: every release since DATE, each against the release before it')
    .addHelpText('after', '\nExamples:\n  $ vfi notes Runtime~3 Runtime --repos ~/src\n  $ vfi notes --since 2026-11-01 Runtime > november.md')
    .action(act(async () => (await import('../commands/notes.js')).notes));
}
