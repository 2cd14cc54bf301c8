/**
 * The commander program: subcommands, options and examples. Each command's module is imported
 * only when that command runs, so `vfi show` never loads ajv, momoa or dockerode.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { isVfiError } from './errors.js';
import { processContext, type Context } from './context.js';

type Action = (ctx: Context, ...args: any[]) => Promise<void> | void;

export async function runCli(argv: string[]): Promise<number> {
  let exitCode = 0;
  const program = new Command('vfi')
    .description('Content-addressed compositions of software components (VFIs) in a git-backed store')
    .version('0.1.0')
    .option('--store <dir>', 'the store (default: $VFI_STORE, else $XDG_DATA_HOME/vfi/store)')
    .showSuggestionAfterError()
    .exitOverride()
    // One line, as every error is: commander puts its "(Did you mean …?)" on a line of its own.
    .configureOutput({ outputError: (s, write) => write(`vfi: ${s.replace(/^error: /, '').trim().replace(/\s*\n\s*/g, ' ')}\n`) });

  /** Wrap a lazily imported command: errors become one line and an exit code. */
  const act = (load: () => Promise<Action>) =>
    async function (this: Command, ...args: unknown[]) {
      const ctx = processContext(program.opts().store);
      try {
        const run = await load();
        await run(ctx, ...args.slice(0, -1));
      } catch (e) {
        exitCode = report(e);
      }
    };

  program
    .command('add')
    .description('validate a VFI file, store it and publish it under NAME')
    .argument('<name>', 'lineage name, e.g. Runtime')
    .argument('<file>', 'a JSON file, or - for stdin')
    .addHelpText('after', '\nExample:\n  $ vfi add Runtime runtime.json\n  Runtime@b383463cf0f42b9a2095b40fc4cc597443da47f2')
    .action(act(async () => (await import('./commands/add.js')).add));

  program
    .command('show')
    .description('expand a reference into its VFI: exactly the stored bytes, hash verified')
    .argument('<ref>', 'Name@<id>, Name@<prefix>, <id>, Name or Name~N')
    .action(act(async () => (await import('./commands/show.js')).show));

  program
    .command('set')
    .description('publish a new VFI: the head (or --from REF) with components replaced or added')
    .argument('<name>', 'lineage to publish on')
    .argument('<assignments...>', 'component=address')
    .option('--from <ref>', 'start from this VFI instead of the head of NAME')
    .addOption(new Option('--type <type>', 'type of every component this command sets (default: from the address for a new one, kept for a replaced one)').choices(['dockerImage', 'git', 'vfi']))
    .addHelpText('after', '\nExample:\n  $ vfi set Runtime router=polyverse/router@sha256:…')
    .action(act(async () => (await import('./commands/set.js')).set));

  program
    .command('rm')
    .description('publish a new VFI without these components')
    .argument('<name>', 'lineage to publish on')
    .argument('<components...>', 'component names')
    .option('--from <ref>', 'start from this VFI instead of the head of NAME')
    .action(act(async () => (await import('./commands/set.js')).rm));

  program
    .command('diff')
    .description('components added, removed and changed between two VFIs')
    .argument('<from>', 'reference')
    .argument('<to>', 'reference')
    .option('--json', 'machine-readable output')
    .action(act(async () => (await import('./commands/diff.js')).diff));

  program
    .command('log')
    .description('the lineage of NAME, newest first')
    .argument('<name>', 'lineage name')
    .option('-n, --max-count <n>', 'show at most n publications', parseCount)
    .option('--json', 'machine-readable output')
    .action(act(async () => (await import('./commands/log.js')).log));

  program
    .command('list')
    .alias('ls')
    .description('lineages with their head VFIs')
    .option('--json', 'machine-readable output')
    .action(act(async () => (await import('./commands/log.js')).list));

  program
    .command('import')
    .description('publish many VFIs, one JSON object per line, as successive publications of NAME')
    .argument('<name>', 'lineage name')
    .argument('<file>', 'a JSON Lines file, or - for stdin')
    .action(act(async () => (await import('./commands/add.js')).importMany));

  program
    .command('fsck')
    .description('verify the whole store: every lineage, VFI and assertion')
    .option('--json', 'machine-readable output')
    .action(act(async () => (await import('./commands/fsck.js')).fsck));

  const engineFlags = (c: Command) =>
    c
      .option('--timeout <seconds>', 'per engine call, and the longest a pull may go without progress (default 60)', parseSeconds)
      .option('--concurrency <n>', 'components resolved at once (default 8)', parsePositiveCount)
      .option('--json', 'machine-readable output');

  engineFlags(
    program
      .command('resolve')
      .description('pin every dockerImage tag to its digest through the Docker engine; publish the pinned VFI')
      .argument('<ref>', 'the VFI to resolve')
      .option('--registry', "skip local images: pin the digest the registry's tag has now")
      .option('--pull', 'last resort: pull the image when the engine cannot ask the registry otherwise')
      .option('--platform <os/arch>', "pin this platform's child manifest instead of a multi-platform index")
      .addHelpText(
        'after',
        '\nEach tag\'s digest comes from, in order:\n' +
          "  1. the local image's RepoDigest, when it belongs to this tag (skipped with --registry);\n" +
          "     it may be older than the registry's tag\n" +
          "  2. the engine's distribution inspect: the registry's digest now, no pull\n" +
          '  3. with --pull, a pull and an image inspect, when 2 is not possible on this engine\n' +
          '\nThe engine is $DOCKER_HOST or /var/run/docker.sock; registry credentials come from\n' +
          '$DOCKER_CONFIG/config.json (credHelpers, credsStore, auths).\n\nExamples:\n  $ vfi resolve Runtime\n  Runtime@…\n  $ vfi resolve --registry Runtime',
      ),
  ).action(act(async () => (await import('./commands/resolve.js')).resolve));

  engineFlags(
    program
      .command('verify')
      .description('check that every pinned image digest still exists, locally or in its registry')
      .argument('<ref>', 'the VFI to verify')
      .addHelpText('after', '\nEach image is reported ok, MISSING (the digest is gone) or ERROR (it could not be checked).\nExit 3 when every failure is MISSING, else 1.'),
  ).action(act(async () => (await import('./commands/resolve.js')).verify));

  // Assertions and release selection (SPEC §1 "Assertion", "Release candidate").
  const claimList = (value: string, previous: string[] = []) => [...previous, value];
  const claimsThenName = (option: string) => [
    '',
    `${option} takes every word up to the next option, NAME included. NAME is the last of those words`,
    'when it names a lineage of the store and no record is about a claim of that name; to be explicit,',
    `write NAME first (vfi ${option === '--has' ? 'find' : 'pick'} Runtime ${option} a b) or after -- (${option} a b -- Runtime).`,
  ].join('\n');

  program
    .command('assert')
    .alias('bless')
    .description('record assertions about a VFI: each CLAIM passes (or fails, with --fail)')
    .argument('[ref]', 'the VFI: Name@<id>, Name@<prefix>, <id>, Name or Name~N')
    .argument('[claims...]', 'claims, e.g. tests-passed smoke-verified')
    .option('--fail', 'record the claims as failing')
    .option('--note <text>', 'a one-line note kept with each record')
    .option('--evidence <url>', 'an http(s) URL backing the claim (CI run, report)')
    .option('--by <who>', 'who asserts (default: $GIT_AUTHOR_NAME, git config user.name, else $USER)')
    .option('--batch <file>', 'record many: JSON Lines {"vfi", "claim", "result", "note"?, "evidence"?, "by"?}, or - for stdin; prints the count')
    .addHelpText('after', [
      '',
      'Examples:',
      '  $ vfi assert Runtime@b383463 tests-passed reviewed --evidence https://ci.example.com/run/812',
      '  Runtime@b383463cf0f42b9a2095b40fc4cc597443da47f2 tests-passed pass',
      '  Runtime@b383463cf0f42b9a2095b40fc4cc597443da47f2 reviewed pass',
      '  $ vfi assert Runtime~1 smoke-verified --fail --note "router 502s under load"',
      '  $ vfi assert --batch results.jsonl',
    ].join('\n'))
    .action(act(async () => (await import('./commands/assert.js')).assert));

  program
    .command('assertions')
    .description("a VFI's assertions, oldest first, and its current score")
    .argument('<ref>', 'the VFI')
    .option('--json', 'machine-readable output')
    .addOption(new Option('--format <format>', 'text, json, or intoto (one in-toto Statement per line: a .intoto.jsonl bundle)')
      .choices(['text', 'json', 'intoto']))
    .action(act(async () => (await import('./commands/assert.js')).assertions));

  program
    .command('pick')
    .description('the release candidate: highest score, ties to the most recently published, then the smaller id')
    .argument('[name]', 'lineage (default: every lineage of the store)')
    .option('--require <claims...>', 'only VFIs whose latest records pass these claims (--require a b, a,b, or repeated)', claimList)
    .option('--top <n>', 'print the best n candidates, best first', parsePositiveCount)
    .option('--explain', 'write the ranking, and why each runner-up lost, to stderr')
    .option('--json', 'machine-readable output: ref, name, id, score, claims (an array with --top)')
    .addHelpText('after', `${claimsThenName('--require')}\n\nExample:\n  $ vfi pick Runtime --require tests-passed --explain\n  Runtime@b383463cf0f42b9a2095b40fc4cc597443da47f2`)
    .action(act(async () => (await import('./commands/pick.js')).pick));

  program
    .command('find')
    .description('the newest VFI whose latest records pass every --has claim')
    .argument('[name]', 'lineage (default: every lineage of the store)')
    .option('--has <claims...>', 'claims that must pass (--has a b, a,b, or repeated)', claimList)
    .option('--json', 'machine-readable output')
    .addHelpText('after', `${claimsThenName('--has')}\n\nExample:\n  $ vfi find --has supports-scrambling reviewed Runtime\n  Runtime@b383463cf0f42b9a2095b40fc4cc597443da47f2`)
    .action(act(async () => (await import('./commands/pick.js')).find));

  program
    .command('release')
    .description('record the "released" claim on a VFI (after vfi pick)')
    .argument('<ref>', 'the VFI')
    .option('--note <text>', 'a one-line note kept with the record')
    .option('--evidence <url>', 'an http(s) URL (the deploy, the release notes)')
    .option('--by <who>', 'who releases')
    .addHelpText('after', '\nExample:\n  $ vfi release "$(vfi pick Runtime)"\n  Runtime@b383463cf0f42b9a2095b40fc4cc597443da47f2 released pass')
    .action(act(async () => (await import('./commands/assert.js')).release));

  // Sharing the store through a git remote (issue 5).
  const remote = program
    .command('remote')
    .description('the git remotes the store is shared through (kept in the store\'s git config); alone, lists them')
    .option('--json', 'machine-readable output (the list)')
    .action(act(async () => (await import('./commands/remote.js')).remoteList));
  remote
    .command('add')
    .description('add a remote: a git URL of a repository (e.g. an empty one on GitHub or GitLab), or a repository on disk')
    .argument('<name>', 'remote name, e.g. origin')
    .argument('<url>', 'what git fetch takes: https://, ssh://, git@host:path (no credentials: see vfi push --help), or a path or file:///path')
    .action(act(async () => (await import('./commands/remote.js')).remoteAdd));
  remote
    .command('list')
    .alias('ls')
    .description('the remotes, with their URLs')
    .option('--json', 'machine-readable output')
    // `vfi remote` has --json too, and commander gives it the flag wherever it is written.
    .action(act(async () => {
      const { remoteList } = await import('./commands/remote.js');
      return (ctx: Context, opts: { json?: boolean }) => remoteList(ctx, { json: opts.json || remote.opts().json });
    }));
  remote
    .command('remove')
    .alias('rm')
    .description('forget a remote (and its tracking refs); nothing is deleted on the server')
    .argument('<name>', 'remote name')
    .action(act(async () => (await import('./commands/remote.js')).remoteRemove));

  const credentialsHelp = [
    '',
    'The transfer is git\'s own (git fetch, git push): ssh keys and agent, credential helpers,',
    'http.sslCAInfo, proxies and url.<base>.insteadOf from your git config (and the store\'s) apply.',
    'Credentials from the environment come first: $VFI_REMOTE_TOKEN (with $VFI_REMOTE_USERNAME if',
    'the server wants one), or $VFI_REMOTE_USERNAME and $VFI_REMOTE_PASSWORD. Never stored, never printed.',
  ].join('\n');
  program
    .command('push')
    .description('send every lineage and the assertions to a remote; refused when the remote has publications the store lacks')
    .argument('[remote]', 'remote name, URL or path (default: origin, or the only remote)')
    .addHelpText('after', `${credentialsHelp}\n\nExample:\n  $ vfi push origin`)
    .action(act(async () => (await import('./commands/remote.js')).push));
  program
    .command('pull')
    .description('fetch lineages and assertions from a remote and merge them into the store (a new store is made, with the remote as origin)')
    .argument('[remote]', 'remote name, URL or path (default: origin, or the only remote)')
    .option('--skip-invalid', 'take the refs that pass the admission checks, list the refused ones on stderr (default: refuse the whole pull)')
    .addHelpText('after', [
      '',
      'A lineage that moved on both sides gets a merge commit whose parents are both heads, so both',
      'publications stay reachable; the head carries the VFI published later, and stderr says so.',
      'Assertions are merged as the union of both sides\' records.',
      credentialsHelp,
      '',
      'Example:',
      '  $ vfi pull origin',
    ].join('\n'))
    .action(act(async () => (await import('./commands/remote.js')).pull));

  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return 2; // commander has printed its one line already
    }
    return report(e);
  }
  return exitCode;
}

// Option parsers throw InvalidArgumentError, which commander prints (as one `vfi: option … is
// invalid. …` line, through configureOutput) and exits 2 on; any other error it would not print.

/** A whole number, 0 or more: `-n 0` shows nothing, as in git log. */
export const parseCount = (v: string): number => wholeNumber(v, 0);

/** A whole number, 1 or more. */
export const parsePositiveCount = (v: string): number => wholeNumber(v, 1);

function wholeNumber(v: string, min: number): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`expected a whole number, ${min} or more.`);
  return n;
}

export const MAX_TIMEOUT_SECONDS = 86_400;

/** Seconds, to the millisecond, more than 0 and at most a day. */
export function parseSeconds(v: string): number {
  const n = Number(v);
  if (!/^\d+(\.\d{1,3})?$/.test(v) || n <= 0 || n > MAX_TIMEOUT_SECONDS) {
    throw new InvalidArgumentError(`expected seconds, more than 0 and at most ${MAX_TIMEOUT_SECONDS}, to the millisecond (e.g. 30 or 2.5).`);
  }
  return n;
}

/** Print an error as one line and return its exit code; stack traces only with VFI_DEBUG=1. */
export function report(e: unknown): number {
  const debug = process.env.VFI_DEBUG === '1';
  if (isVfiError(e)) {
    process.stderr.write(`vfi: ${e.message}${e.hint ? ` (${e.hint})` : ''}\n`);
    if (debug) process.stderr.write(`${e.stack}\n`);
    return e.exitCode;
  }
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'EPIPE') return 0;
  if (err?.code === 'EACCES' || err?.code === 'EROFS' || err?.code === 'ENOSPC') {
    process.stderr.write(`vfi: cannot write: ${err.message}\n`);
    return 1;
  }
  process.stderr.write(`vfi: internal error: ${err?.message ?? String(e)} (this is a bug; VFI_DEBUG=1 shows where)\n`);
  if (debug) process.stderr.write(`${err?.stack}\n`);
  return 1;
}
