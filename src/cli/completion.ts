/**
 * `vfi completion bash|zsh|fish`, and the hidden `vfi __complete lineages|remotes` its scripts call
 * for names that live in the store. The script is written from the program itself (commandSpec),
 * so a new command is completed without touching this file.
 */
import { Argument, type Command, type Option } from 'commander';
import type { Context } from '../context.js';
import type { ArgumentSpec, CommandSpec, Completion, OptionSpec } from '../core/completion.js';
import type { Act } from './act.js';

export function registerCompletion(program: Command, act: Act): void {
  program
    .command('completion')
    .description('print a shell completion script: commands, options, and lineage and remote names from the store')
    .addArgument(new Argument('<shell>', 'bash, zsh or fish').choices(['bash', 'zsh', 'fish']))
    .addHelpText('after', [
      '',
      'Examples:',
      '  $ echo \'eval "$(vfi completion bash)"\' >> ~/.bashrc',
      '  $ echo \'eval "$(vfi completion zsh)"\' >> ~/.zshrc',
      '  $ vfi completion fish > ~/.config/fish/completions/vfi.fish',
    ].join('\n'))
    .action(act(async () => {
      const { completionScript } = await import('../core/completion.js');
      return (ctx: Context, shell: 'bash' | 'zsh' | 'fish') => void ctx.outBytes(Buffer.from(completionScript(commandSpec(program), shell)));
    }));

  program
    .command('__complete', { hidden: true })
    .argument('<what>', 'lineages or remotes')
    .action(act(async () => completeNames));
}

/** Names for a completing shell: nothing at all (not an error) when there is no store yet. */
async function completeNames(ctx: Context, what: string): Promise<void> {
  let names: string[] = [];
  try {
    const store = ctx.store({ create: false });
    if (what === 'lineages') names = store.lineageNames();
    else if (what === 'remotes') names = (await import('../remote/config.js')).listRemotes(store.gitdir).map((r) => r.name);
  } catch {
    return;
  }
  if (names.length) ctx.out(names.join('\n'));
}

/** The command tree as completion needs it; hidden commands are left out. */
export function commandSpec(cmd: Command, path: readonly string[] = [], topNames: readonly string[] = []): CommandSpec {
  const visible = cmd.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden);
  if (path.length === 0) topNames = visible.map((c) => c.name());
  return {
    name: cmd.name(),
    aliases: cmd.aliases(),
    description: cmd.description(),
    options: cmd.options.filter((o) => !o.hidden).map(optionSpec),
    args: cmd.registeredArguments.map((a): ArgumentSpec => {
      const complete = argumentCompletion(path, a.name(), a.argChoices);
      return { name: a.name(), variadic: a.variadic, ...(complete ? { complete } : cmd.name() === 'help' ? { complete: topNames } : {}) };
    }),
    commands: visible.map((c) => commandSpec(c, [...path, c.name()], topNames)),
  };
}

function optionSpec(o: Option): OptionSpec {
  const complete: Completion | undefined = o.argChoices ?? { '--store': 'dirs', '--from': 'lineages', '--batch': 'files' }[o.long ?? ''] as Completion | undefined;
  return {
    flags: [o.long, o.short].filter((f): f is string => Boolean(f)),
    description: o.description,
    takesValue: o.required || o.optional,
    ...(complete ? { complete } : {}),
  };
}

/**
 * What an argument completes to, from its name as the commands write it: a REF or lineage NAME
 * gives lineage names (under `remote`, NAME is a remote's), FILE a file name.
 */
function argumentCompletion(path: readonly string[], name: string, choices: readonly string[] | undefined): Completion | undefined {
  if (choices) return choices;
  if (path[0] === 'remote') return name === 'name' && path[1] === 'remove' ? 'remotes' : undefined;
  if (name === 'remote') return 'remotes';
  if (name === 'file') return 'files';
  if (['ref', 'name', 'from', 'to'].includes(name)) return 'lineages';
  return undefined;
}
