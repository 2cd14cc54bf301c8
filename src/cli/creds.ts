/** `vfi creds …`: registry credentials between plain rows, docker config.json and an image pull Secret. */
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { Act } from './act.js';

const repeat = (value: string, previous: string[] = []) => [...previous, value];

function parsePort(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n > 65535) throw new InvalidArgumentError('expected a port, 0 to 65535.');
  return n;
}

export function registerCreds(program: Command, act: Act): void {
  const creds = program
    .command('creds')
    .description('registry credentials: plain rows <-> docker config.json <-> Kubernetes image pull Secret')
    .addHelpText('after', [
      '',
      'Registries are keyed as docker and kubelet match them: docker.io is https://index.docker.io/v1/,',
      'a scheme and a leading /v1/ or /v2/ are dropped. Passwords come from stdin only, files are written',
      'with mode 0600. A Secret is printed anywhere, as kubectl prints one; a config.json (passwords in the',
      'clear) reaches a terminal, and --list shows passwords, only with --show-secrets.',
      '',
      'Examples:',
      '  $ echo "$TOKEN" | vfi creds secret --registry ghcr.io --username me --password-stdin | kubectl apply -f -',
      '  $ kubectl get secret regcred -o yaml | vfi creds from-secret --list -',
      '  $ vfi creds rm regcred.yaml --registry old.example.com --registry docker.io',
      '  $ vfi creds serve',
    ].join('\n'));

  const row = (c: Command) =>
    c
      .requiredOption('--registry <host>', 'registry host, e.g. registry.example.com:5000 or docker.io')
      .requiredOption('--username <user>', 'user name')
      .option('--password-stdin', 'read the password from stdin (the only way to give one)')
      // Accepted only to be refused without echoing it: commander's "unknown option" would print the password.
      .addOption(new Option('-p, --password <password>').hideHelp())
      .addOption(new Option('--docker-password <password>').hideHelp())
      .option('--email <email>', 'email kept with the entry');
  const output = (c: Command) =>
    c
      .addOption(new Option('-o, --output <format>', 'yaml or json, as kubectl -o').choices(['yaml', 'json']).default('yaml'));
  const names = (c: Command) =>
    c.option('--name <name>', 'the Secret\'s name (default regcred)').option('-n, --namespace <ns>', 'the Secret\'s namespace');

  output(names(row(creds.command('secret').description('an image pull Secret for one registry, as kubectl create secret docker-registry --dry-run=client makes it'))))
    .action(act(async () => (await import('../commands/creds.js')).secret));

  row(creds.command('config').description('a docker config.json for one registry, printed or merged --into a file'))
    .option('--into <file>', 'merge into this config.json (created if missing), written atomically with mode 0600')
    .option('--show-secrets', 'print the config.json on a terminal (it holds passwords in the clear)')
    .action(act(async () => (await import('../commands/creds.js')).config));

  creds
    .command('from-secret')
    .description('the config.json inside a Secret (kubectl get secret X -o yaml|json), or --list its registries')
    .argument('<file>', 'the Secret, or - for stdin')
    .option('--list', 'registry, username and whether a password is present, one per line')
    .option('--json', 'with --list: machine-readable output')
    .option('--show-secrets', 'print passwords with --list, or the config on a terminal')
    .action(act(async () => (await import('../commands/creds.js')).fromSecret));

  output(names(creds.command('to-secret').description('an image pull Secret holding every registry of a config.json')))
    .argument('<config>', 'a config.json, or - for stdin')
    .option('--no-helpers', 'refuse registries whose secret is in a credential helper instead of running docker-credential-<helper> get')
    .action(act(async () => (await import('../commands/creds.js')).toSecret));

  creds
    .command('rm')
    .description('remove registries from a config.json or a Secret file, in place')
    .argument('<file>', 'a config.json or a Secret (YAML or JSON)')
    .requiredOption('--registry <host>', 'a registry to remove (repeat for more)', repeat)
    .action(act(async () => (await import('../commands/creds.js')).rm));

  row(creds.command('add').description('add or replace one registry in a config.json or a Secret file, in place'))
    .argument('<file>', 'a config.json or a Secret (YAML or JSON)')
    .action(act(async () => (await import('../commands/creds.js')).add));

  creds
    .command('serve')
    .description('the live converter page on 127.0.0.1 (prints its URL); conversion runs in the browser')
    .option('--port <port>', 'port to listen on (default: a free one)', parsePort)
    .action(act(async () => (await import('../commands/creds.js')).serve));
}
