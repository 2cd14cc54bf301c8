/**
 * The commander program: subcommands, options and examples. Each command's module is imported
 * only when that command runs, so `vfi show` never loads ajv, momoa or dockerode; help walking,
 * completion scripts and the like are loaded by the commands that print them.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { isVfiError, VfiError } from './errors.js';
import { errnoError } from './errno.js';
import { processContext, processIo, type Context, type ProcessEnds, type ProcessIo } from './context.js';
import { registerDeploy } from './cli/deploy.js';
import { registerCompletion } from './cli/completion.js';
import { registerCreds } from './cli/creds.js';
import { registerTrust } from './cli/trust.js';
import { registerCompose } from './cli/compose.js';

export type { Action } from './cli/act.js';
import type { Action } from './cli/act.js';

export const VERSION = '0.1.0';

/**
 * Set by scripts/bundle.mjs in the builds made for one hot command (pick and find, show,
 * assertions): those register only it. dist/main.js runs such a build only when that command is the
 * command word and no option of the program's other than --store and --json comes first, nor -v or
 * -V anywhere: then the other commands take no part in parsing, and the program's help, version and
 * suggestions are the whole program's.
 */
declare const VFI_ONLY_COMMANDS: string | undefined; // comma-separated: a string esbuild inlines
const everything = typeof VFI_ONLY_COMMANDS === 'undefined';
const wanted = (name: string): boolean => everything || VFI_ONLY_COMMANDS!.split(',').includes(name);

const storeHelp = [
  '',
  'The store, found as git finds a repository: --store DIR, else $VFI_STORE, else $GIT_DIR, else the',
  'nearest git repository at or above the current directory (bare, or its .git) when it is a vfi store',
  '(it has refs/vfi/*, refs/vfi-assertions/* or vfi-cache/), else $XDG_DATA_HOME/vfi/store',
  '(~/.local/share/vfi/store).',
  '',
  'Every command takes --json; with it, or with VFI_ERROR_FORMAT=json, an error is one JSON line on',
  'stderr: {"ok":false,"code":"NOT_FOUND","exit":3,"message":"…","hint":"…"}.',
  '',
  'vfi help COMMAND [SUBCOMMAND] shows a command\'s help; vfi completion bash|zsh|fish prints a shell',
  'completion script.',
].join('\n');

export async function runCli(argv: string[], ends: ProcessEnds): Promise<number> {
  let exitCode = 0;
  const io = processIo(ends);
  const jsonErrors = io.env.VFI_ERROR_FORMAT === 'json' || argv.includes('--json');
  const program = new Command('vfi')
    .description('Content-addressed compositions of software components (VFIs) in a git-backed store')
    .option('--store <dir>', 'the store (see below for where it is found without this)')
    .addHelpText('after', storeHelp)
    .showSuggestionAfterError()
    .exitOverride()
    // One line, as every error is: commander puts its "(Did you mean …?)" on a line of its own.
    .configureOutput({
      // Through the process's ends, as a command's output goes (src/main.ts: a reader that went away).
      writeOut: (s) => ends.writeOut(s),
      writeErr: (s) => void ends.stderr.write(s),
      outputError: (s, write) => {
        const message = s.replace(/^error: /, '').trim().replace(/\s*\n\s*/g, ' ');
        write(jsonErrors ? `${JSON.stringify({ ok: false, code: 'USAGE', exit: 2, message })}\n` : `vfi: ${message}\n`);
      },
    });

  /** Wrap a lazily imported command: errors become one line and an exit code. */
  const act = (load: () => Promise<Action>) =>
    async function (this: Command, ...args: unknown[]) {
      // `vfi remote --json add` and `vfi remote add --json` alike: commander gives the flag to the parent.
      const json = Boolean(this.optsWithGlobals().json);
      if (json) this.setOptionValue('json', true);
      const ctx = processContext(ends, program.opts().store);
      try {
        const run = await load();
        await run(ctx, ...args.slice(0, -1));
      } catch (e) {
        exitCode = report(e, json || jsonErrors, io);
      }
    };

  if (wanted('add')) program
    .command('add')
    .description('validate a VFI file, store it and publish it under NAME')
    .argument('<name>', 'lineage name, e.g. Runtime')
    .argument('<file>', 'a JSON file, or - for stdin')
    .option('--allow-missing', 'accept nested VFIs (type vfi) the store does not have')
    .addHelpText('after', '\nExample:\n  $ vfi add Runtime runtime.json\n  Runtime@b383463cf0f42b9a2095b40fc4cc597443da47f2')
    .action(act(async () => (await import('./commands/add.js')).add));

  if (wanted('show')) program
    .command('show')
    .description('expand a reference into its VFI: exactly the stored bytes, hash verified')
    .argument('<ref>', 'Name@<id>, Name@<prefix>, <id>, Name or Name~N')
    .option('--expand', 'inline nested VFIs, recursively: {"type": "vfi", "address": …, "vfi": {…}}')
    .action(act(async () => (await import('./commands/show.js')).show));

  if (wanted('set')) program
    .command('set')
    .description('publish a new VFI: the head (or --from REF) with components replaced or added')
    .argument('<name>', 'lineage to publish on')
    .argument('<assignments...>', 'component=address')
    .option('--from <ref>', 'start from this VFI instead of the head of NAME')
    .option('--from-best', 'start from what vfi pick NAME chooses (exit 3 when nothing qualifies)')
    .option('--require <claim>', 'with --from-best: as vfi pick --require (repeat, or a,b; comp:claim, *:claim)', (v: string, p: string[] = []) => [...p, v])
    .option('--resolve', 'pin the tags of the images this command sets, in the same publication')
    .option('--registry', "with --resolve: pin the registry's digest, not a local image's")
    .option('--timeout <seconds>', 'with --resolve: per engine call (default 60)', parseSeconds)
    .option('--allow-missing', 'accept nested VFIs the store does not have')
    .addOption(new Option('--type <type>', 'type of every component this command sets (default: from the address for a new one, kept for a replaced one)').choices(['dockerImage', 'git', 'vfi']))
    .addHelpText('after', '\nExamples:\n  $ vfi set Runtime router=polyverse/router@sha256:…\n  $ vfi set Runtime router=polyverse/router:1.0.4 --from-best --require tests-passed --resolve')
    .action(act(async () => (await import('./commands/set.js')).set));

  if (wanted('rm')) program
    .command('rm')
    .description('publish a new VFI without these components')
    .argument('<name>', 'lineage to publish on')
    .argument('<components...>', 'component names')
    .option('--from <ref>', 'start from this VFI instead of the head of NAME')
    .option('--from-best', 'start from what vfi pick NAME chooses (exit 3 when nothing qualifies)')
    .option('--require <claim>', 'with --from-best: as vfi pick --require', (v: string, p: string[] = []) => [...p, v])
    .action(act(async () => (await import('./commands/set.js')).rm));

  if (wanted('diff')) program
    .command('diff')
    .description('components added, removed and changed between two VFIs')
    .argument('<from>', 'reference')
    .argument('<to>', 'reference')
    .option('--json', 'machine-readable output')
    .option('--short', 'digests and commits shortened to 12 hex, rows cut to 100 columns')
    .option('--no-headers', 'no header row (for scripts)')
    .action(act(async () => (await import('./commands/diff.js')).diff));

  if (wanted('log')) program
    .command('log')
    .description('the lineage of NAME, newest first')
    .argument('<name>', 'lineage name')
    .option('-n, --max-count <n>', 'show at most n publications', parseCount)
    .option('--json', 'machine-readable output')
    .option('--no-headers', 'no header row (for scripts)')
    .action(act(async () => (await import('./commands/log.js')).log));

  if (wanted('list')) program
    .command('list')
    .alias('ls')
    .description('lineages with their head VFIs')
    .option('--json', 'machine-readable output')
    .option('--no-headers', 'no header row (for scripts)')
    .action(act(async () => (await import('./commands/log.js')).list));

  if (wanted('import')) program
    .command('import')
    .description('publish many VFIs, one JSON object per line, as successive publications of NAME')
    .argument('<name>', 'lineage name')
    .argument('<file>', 'a JSON Lines file, or - for stdin')
    .option('--again', 'publish a VFI again even when the lineage already has it (by default such lines are skipped and counted)')
    .option('--json', 'print the publications and the counts as JSON')
    .action(act(async () => (await import('./commands/add.js')).importMany));

  if (wanted('fsck')) program
    .command('fsck')
    .description('verify the whole store: every lineage, VFI and assertion')
    .option('--json', 'machine-readable output')
    .action(act(async () => (await import('./commands/fsck.js')).fsck));

  const engineFlags = (c: Command) =>
    c
      .option('--timeout <seconds>', 'per engine call, and the longest a pull may go without progress (default 60)', parseSeconds)
      .option('--concurrency <n>', 'components resolved at once (default 8)', parsePositiveCount)
      .option('--json', 'machine-readable output');

  if (wanted('resolve')) engineFlags(
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
          '\nThe engine is the docker CLI\'s: $DOCKER_HOST, else the context $DOCKER_CONTEXT or config.json\'s\n' +
          'currentContext names, else /var/run/docker.sock; registry credentials come from\n' +
          '$DOCKER_CONFIG/config.json (credHelpers, credsStore, auths).\n\nExamples:\n  $ vfi resolve Runtime\n  Runtime@…\n  $ vfi resolve --registry Runtime',
      ),
  ).action(act(async () => (await import('./commands/resolve.js')).resolve));

  if (wanted('verify')) engineFlags(
    program
      .command('verify')
      .description('check that every pinned image digest still exists, locally or in its registry')
      .argument('<ref>', 'the VFI to verify')
      .option('--no-headers', 'no header row (for scripts)')
      .option('--local', 'accept a digest carried by a local image (default: only the registry counts)')
      .option('--allow-unpinned', 'do not fail on images that are not pinned by digest')
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

  if (wanted('assert')) program
    .command('assert')
    .alias('bless')
    .description('record assertions about a VFI or a component: each CLAIM passes (or fails, with --fail)')
    .argument('[ref]', 'the VFI (Name@<id>, Name@<prefix>, <id>, Name, Name~N), a pinned image (repo[:tag]@sha256:…) or git commit (<url>@<40 hex>)')
    .argument('[claims...]', 'claims, e.g. tests-passed smoke-verified')
    .option('--fail', 'record the claims as failing')
    .option('--note <text>', 'a one-line note kept with each record')
    .option('--evidence <url>', 'an http(s) URL backing the claim (CI run, report)')
    .option('--by <who>', 'who asserts (default: $GIT_AUTHOR_NAME, git config user.name, else $USER)')
    .option('--sign <key.pem>', 'sign each record (a DSSE envelope) with this ed25519 or ECDSA P-256 private key (default: $VFI_SIGNING_KEY)')
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

  if (wanted('assertions')) program
    .command('assertions')
    .description("a VFI's assertions, oldest first, and its current score")
    .argument('<ref>', 'the VFI')
    .option('--json', 'machine-readable output')
    .option('--no-headers', 'no header row (for scripts)')
    .addOption(new Option('--format <format>', 'text, json, or intoto (one in-toto Statement per line: a .intoto.jsonl bundle)')
      .choices(['text', 'json', 'intoto']))
    .action(act(async () => (await import('./commands/assertions.js')).assertions));

  if (wanted('pick')) program
    .command('pick')
    .description('the release candidate: highest score, ties to the most recently published, then the smaller id')
    .argument('[name]', 'lineage (default: every lineage of the store)')
    .option('--require <claims...>', 'only VFIs whose latest records pass these claims (--require a b, a,b, or repeated); comp:claim on a component, *:claim on every image and git component', claimList)
    .option('--top <n>', 'print the best n candidates, best first', parsePositiveCount)
    .option('--min-score <n>', 'a VFI scoring less is not a candidate (default 1, or the policy\'s; 0 allows untested VFIs)', parseCount)
    .option('--allow-unpinned', 'let VFIs whose images are not pinned by digest be candidates')
    .option('--explain', 'write the ranking, and why each runner-up lost, to stderr')
    .option('--json', 'machine-readable output: ref, name, id, score, claims (an array with --top)')
    .addHelpText('after', `${claimsThenName('--require')}\n\nExample:\n  $ vfi pick Runtime --require tests-passed --explain\n  Runtime@b383463cf0f42b9a2095b40fc4cc597443da47f2`)
    .action(act(async () => (await import('./commands/pick.js')).pick));

  if (wanted('find')) program
    .command('find')
    .description('the newest release candidate whose latest records pass every --has claim')
    .argument('[name]', 'lineage (default: every lineage of the store)')
    .option('--has <claims...>', 'claims that must pass (--has a b, a,b, or repeated; comp:claim, *:claim on parts)', claimList)
    .option('--any', 'any VFI, also one that is not a candidate (a failing claim on it or inside it)')
    .option('--min-score <n>', 'only VFIs scoring at least n', parseCount)
    .option('--allow-unpinned', 'let VFIs whose images are not pinned by digest match when the policy forbids them')
    .option('--json', 'machine-readable output, with candidate: true|false and why')
    .addHelpText('after', `${claimsThenName('--has')}\n\nExample:\n  $ vfi find --has supports-scrambling reviewed Runtime\n  Runtime@b383463cf0f42b9a2095b40fc4cc597443da47f2`)
    .action(act(async () => (await import('./commands/pick.js')).find));

  if (wanted('release')) program
    .command('release')
    .description('record the "released" claim on a VFI (after vfi pick)')
    .argument('<ref>', 'the VFI')
    .option('--note <text>', 'a one-line note kept with the record')
    .option('--evidence <url>', 'an http(s) URL (the deploy, the release notes)')
    .option('--by <who>', 'who releases')
    .option('--sign <key.pem>', 'sign the record with this private key (default: $VFI_SIGNING_KEY)')
    .addHelpText('after', '\nExample:\n  $ vfi release "$(vfi pick Runtime)"\n  Runtime@b383463cf0f42b9a2095b40fc4cc597443da47f2 released pass')
    .action(act(async () => (await import('./commands/assert.js')).release));

  // Sharing the store through a git remote (issue 5).
  if (wanted('remote')) {
    const remote = program
      .command('remote')
      .description('the git remotes the store is shared through (kept in the store\'s git config); alone, lists them')
      .option('--json', 'machine-readable output (the list)')
      .option('--no-headers', 'no header row (for scripts)')
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
      .option('--no-headers', 'no header row (for scripts)')
      // `vfi remote` has --json too, and commander gives it the flag wherever it is written.
      .action(act(async () => {
        const { remoteList } = await import('./commands/remote.js');
        return (ctx: Context, opts: { json?: boolean; headers?: boolean }) => remoteList(ctx, { json: opts.json || remote.opts().json, headers: opts.headers !== false && remote.opts().headers !== false });
      }));
    remote
      .command('remove')
      .alias('rm')
      .description('forget a remote (and its tracking refs); nothing is deleted on the server')
      .argument('<name>', 'remote name')
      .action(act(async () => (await import('./commands/remote.js')).remoteRemove));
  }

  const credentialsHelp = [
    '',
    'The transfer is git\'s own (git fetch, git push): ssh keys and agent, credential helpers,',
    'http.sslCAInfo, proxies and url.<base>.insteadOf from your git config (and the store\'s) apply.',
    'Credentials from the environment come first: $VFI_REMOTE_TOKEN (with $VFI_REMOTE_USERNAME if',
    'the server wants one), or $VFI_REMOTE_USERNAME and $VFI_REMOTE_PASSWORD. Never stored, never printed.',
  ].join('\n');
  if (wanted('push')) program
    .command('push')
    .description('send every lineage and the assertions to a remote; refused when the remote has publications the store lacks')
    .argument('[remote]', 'remote name, URL or path (default: origin, or the only remote)')
    .addHelpText('after', `${credentialsHelp}\n\nExample:\n  $ vfi push origin`)
    .action(act(async () => (await import('./commands/remote.js')).push));
  if (wanted('pull')) program
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

  if (everything) registerDeploy(program, act);

  if (wanted('help')) program
    .command('help')
    .description("a command's help: vfi help remote add")
    .argument('[command...]', 'a command, and a subcommand of it')
    .action(act(async () => (_ctx: Context, words: string[]) => showHelp(program, words)));

  if (everything) registerCreds(program, act);
  if (everything) registerCompletion(program, act);
  if (everything) registerTrust(program, act);
  if (everything) registerCompose(program, act);

  try {
    applyConventions(program);
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return 2; // commander has printed its one line already
    }
    return report(e, jsonErrors, io);
  }
  return exitCode;
}

/**
 * What every command gets, whoever registered it: --json (results and errors as JSON), `vfi help
 * X Y` in place of commander's own help command (which shows only X's help and exits 0 on a topic
 * it does not know), and -v for --version unless some command already uses -v.
 */
function applyConventions(program: Command): void {
  const all: Command[] = [];
  const walk = (c: Command) => {
    all.push(c);
    c.commands.forEach(walk);
  };
  walk(program);
  for (const c of all) {
    c.helpCommand(false);
    const noJson = c === program || c.name() === 'help' || c.name() === 'completion' || (c as unknown as { _hidden?: boolean })._hidden;
    if (!noJson && !c.options.some((o) => o.long === '--json')) c.option('--json', 'machine-readable output');
  }
  const vTaken = all.some((c) => c.options.some((o) => o.short === '-v'));
  program.version(VERSION, vTaken ? '-V, --version' : '-v, --version', 'print the version');
}

/** `vfi help A B`: B's help, B a subcommand of A (aliases too); an unknown topic is bad usage. */
async function showHelp(program: Command, words: readonly string[]): Promise<void> {
  let cmd = program;
  for (const w of words) {
    const next = cmd.commands.find((c) => (c.name() === w || c.aliases().includes(w)) && !(c as unknown as { _hidden?: boolean })._hidden);
    if (!next) {
      const known = cmd.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden).map((c) => c.name());
      throw new VfiError('USAGE', `no help topic ${JSON.stringify(words.join(' '))}: ${cmd === program ? 'vfi' : `vfi ${cmd.name()}`} has no command ${JSON.stringify(w)}`, { topic: words.join(' ') },
        `one of: ${known.join(', ')}`);
    }
    cmd = next;
  }
  cmd.outputHelp();
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

/** Print an error as one line (a JSON line with `json`) and return its exit code; stack traces only with VFI_DEBUG=1. */
export function report(e: unknown, json: boolean, io: ProcessIo): number {
  const debug = io.env.VFI_DEBUG === '1';
  const say = (code: string, exit: number, message: string, hint?: string) =>
    io.writeErr(json
      ? `${JSON.stringify({ ok: false, code, exit, message, ...(hint ? { hint } : {}) })}\n`
      : `vfi: ${message}${hint ? ` (${hint})` : ''}\n`);
  const err = e as NodeJS.ErrnoException;
  // A reader that stopped early (`vfi list | head -1`) ends the command quietly; a broken pipe to
  // a socket or a child process is a failure like any other.
  if (!isVfiError(e) && err?.code === 'EPIPE' && io.stdoutClosed()) return 0;
  const known = isVfiError(e) ? e : errnoError(e);
  if (known) {
    say(known.code, known.exitCode, known.message, known.hint);
    // an errno's own stack: where the system call failed, not where it was worded
    if (debug) io.writeErr(`${err?.stack}\n`);
    return known.exitCode;
  }
  say('INTERNAL', 1, `internal error: ${err?.message ?? String(e)}`, 'this is a bug; VFI_DEBUG=1 shows where');
  if (debug) io.writeErr(`${err?.stack}\n`);
  return 1;
}
