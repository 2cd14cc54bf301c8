import { spawnSync } from 'node:child_process';
import { Command, Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { commandSpec } from '../../src/cli/completion.js';
import { completionScript } from '../../src/core/completion.js';

/** A program shaped like vfi's: options with values and choices, aliases, nested subcommands, a hidden command. */
function program(): Command {
  const p = new Command('vfi').option('--store <dir>', 'the store');
  p.command('add').argument('<name>').argument('<file>').option('--json', 'json');
  p.command('log').argument('<name>').option('-n, --max-count <n>', 'at most n').option('--no-headers', 'no header');
  p.command('set').argument('<name>').argument('<assignments...>').option('--from <ref>', 'start here')
    .addOption(new Option('--type <type>', 'type').choices(['dockerImage', 'git', 'vfi']));
  const remote = p.command('remote');
  remote.command('add').argument('<name>').argument('<url>');
  remote.command('remove').alias('rm').argument('<name>');
  p.command('release').argument('<ref>');
  p.command('__complete', { hidden: true }).argument('<what>');
  return p;
}

/** Source the script in bash and run its completion function on `line` (the cursor at its end). */
function complete(script: string, line: string): string[] {
  const words = line.split(' ');
  const bash = [
    script,
    `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')})`,
    `COMP_CWORD=${words.length - 1}`,
    'COMP_LINE=$1; COMP_POINT=${#COMP_LINE}',
    '_vfi',
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join('\n');
  const r = spawnSync('bash', ['--norc', '-c', bash, 'bash', line], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  return r.stdout.split('\n').filter(Boolean).sort();
}

describe('commandSpec', () => {
  it('describes commands, aliases, options and what their values complete to, leaving hidden commands out', () => {
    const spec = commandSpec(program());
    expect(spec.commands.map((c) => c.name)).toEqual(['add', 'log', 'set', 'remote', 'release']);
    const set = spec.commands.find((c) => c.name === 'set')!;
    expect(set.args).toEqual([{ name: 'name', variadic: false, complete: 'lineages' }, { name: 'assignments', variadic: true }]);
    expect(set.options).toEqual([
      { flags: ['--from'], description: 'start here', takesValue: true, complete: 'lineages' },
      { flags: ['--type'], description: 'type', takesValue: true, complete: ['dockerImage', 'git', 'vfi'] },
    ]);
    const remote = spec.commands.find((c) => c.name === 'remote')!;
    expect(remote.commands.map((c) => [c.name, c.aliases, c.args.map((a) => a.complete)])).toEqual([
      ['add', [], [undefined, undefined]],
      ['remove', ['rm'], ['remotes']],
    ]);
    expect(spec.commands.find((c) => c.name === 'add')!.args.map((a) => a.complete)).toEqual(['lineages', 'files']);
    expect(spec.options[0]).toMatchObject({ flags: ['--store'], complete: 'dirs' });
  });
});

describe('bash completion, sourced in bash', () => {
  const script = completionScript(commandSpec(program()), 'bash');

  it('completes commands, then subcommands with their aliases', () => {
    expect(complete(script, 'vfi re')).toEqual(['release', 'remote']);
    expect(complete(script, 'vfi remote ')).toEqual(['add', 'remove', 'rm']);
    expect(complete(script, 'vfi --store /tmp/s remote r')).toEqual(['remove', 'rm']);
  });

  it("completes a command's options and the program's, not another command's", () => {
    expect(complete(script, 'vfi log --')).toEqual(['--help', '--max-count', '--no-headers', '--store']);
    expect(complete(script, 'vfi remote rm -')).toEqual(['--help', '--store', '-h']);
  });

  it("completes an option's choices, and skips option values when counting arguments", () => {
    expect(complete(script, 'vfi set --type ')).toEqual(['dockerImage', 'git', 'vfi']);
    expect(complete(script, 'vfi set --type g')).toEqual(['git']);
    // `-n 5` is an option and its value: the next word is still the first argument, no subcommand.
    expect(complete(script, 'vfi log -n 5 --no-headers x')).toEqual([]);
  });

  it('completes file names where a file goes', () => {
    expect(complete(script, 'vfi add Runtime /etc/host')).toContain('/etc/hostname');
  });

  it('zsh gets the same functions through bashcompinit; fish gets its own complete lines', () => {
    const zsh = completionScript(commandSpec(program()), 'zsh');
    expect(zsh).toMatch(/^#compdef vfi\n/);
    expect(zsh).toContain('bashcompinit');
    expect(zsh).toContain('complete -F _vfi vfi');
    const fish = completionScript(commandSpec(program()), 'fish');
    expect(fish).toContain(`complete -c vfi -n "__vfi_in ''" -a 'remote'`);
    expect(fish).toContain(`complete -c vfi -n "__vfi_in 'remote'" -a 'remove'`);
    expect(fish).toContain(`complete -c vfi -n "__vfi_in 'set'" -l type -r -xa 'dockerImage git vfi' -d 'type'`);
    expect(fish).toContain(`complete -c vfi -n "__vfi_in 'log'" -xa '(__vfi_names lineages)'`);
    expect(fish).toContain(`case '--store' '--max-count' '-n' '--from' '--type'
`);
    expect(fish).not.toContain('__complete\'');
  });
});
