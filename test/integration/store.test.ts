/** The core commands on real temp stores, checked against git's own CLI. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { git, gitIn, runtimeVfi, snapshot, tempDir, vfi, vfiIn } from '../helpers/cli.js';

const ID = /^Runtime@([0-9a-f]{40})\n$/;
const COMMIT = '72e5e550d1835013832f64597cb1368b7155bd53';

/** What git itself says about a store: its refs and how many objects it holds. */
function gitState(store: string): { refs: string; objects: string } {
  return {
    refs: git(store, ['for-each-ref']).stdout,
    objects: git(store, ['count-objects', '-v']).stdout.split('\n').filter((l) => /^(count|in-pack):/.test(l)).join(' '),
  };
}

describe('publish and expand', () => {
  const dir = tempDir();
  const store = path.join(dir, 'store');
  const file = path.join(dir, 'runtime.json');
  let first = '';

  beforeAll(() => {
    fs.writeFileSync(file, JSON.stringify(runtimeVfi()));
    const r = vfi(store, ['add', 'Runtime', file]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    first = ID.exec(r.stdout)![1]!;
  });

  it('creates a plain bare git repository on first write', () => {
    expect(git(store, ['rev-parse', '--is-bare-repository']).stdout.trim()).toBe('true');
    const fsck = git(store, ['fsck', '--strict', '--no-dangling']);
    expect(fsck.code).toBe(0);
    expect(fsck.stdout).toBe('');
  });

  it('shows exactly the stored bytes, which git hashes to the id', () => {
    const shown = vfi(store, ['show', `Runtime@${first}`]);
    expect(shown.code).toBe(0);
    expect(git(store, ['hash-object', '--stdin'], shown.stdout).stdout.trim()).toBe(first);
    expect(git(store, ['cat-file', '-p', first]).stdout).toBe(shown.stdout);
    expect(shown.stdout.endsWith('}\n')).toBe(true);
    expect(JSON.parse(shown.stdout)).toEqual(runtimeVfi());
  });

  it('gives the same id for the same composition written with other key order and spacing', () => {
    const reordered = Object.fromEntries(Object.entries(runtimeVfi()).reverse().map(([k, v]) => [k, { address: v.address, type: v.type }]));
    const r = vfi(store, ['add', 'Runtime', '-'], { input: JSON.stringify(reordered, null, 4) });
    expect(r.stdout).toBe(`Runtime@${first}\n`);
    expect(git(store, ['rev-list', '--count', 'refs/vfi/Runtime']).stdout.trim()).toBe('1');
  });

  it('expands every reference form of SPEC §2', () => {
    const expected = vfi(store, ['show', `Runtime@${first}`]).stdout;
    for (const ref of [`Runtime@${first}`, `Runtime@${first.slice(0, 7)}`, `Runtime@${first.slice(0, 4)}`, first, first.slice(0, 7), 'Runtime', 'Runtime~0']) {
      const r = vfi(store, ['show', ref]);
      expect({ ref, code: r.code, out: r.stdout }).toEqual({ ref, code: 0, out: expected });
    }
  });

  it('set and rm publish new VFIs on the lineage, and git log tells the story', () => {
    const set = vfi(store, ['set', 'Runtime', 'router=polyverse/router:1.0.3', 'extra=nsqio/nsq:v1.2.1']);
    expect(set.code).toBe(0);
    const second = ID.exec(set.stdout)![1]!;
    const rm = vfi(store, ['rm', 'Runtime', 'extra']);
    const third = ID.exec(rm.stdout)![1]!;
    expect(JSON.parse(vfi(store, ['show', third]).stdout).router.address).toBe('polyverse/router:1.0.3');
    expect(vfi(store, ['show', 'Runtime~1']).stdout).toBe(vfi(store, ['show', second]).stdout);
    expect(vfi(store, ['show', 'Runtime~2']).stdout).toBe(vfi(store, ['show', first]).stdout);
    expect(git(store, ['log', '--format=%s', 'refs/vfi/Runtime']).stdout).toBe(
      'rm extra\nset router=polyverse/router:1.0.3 extra=nsqio/nsq:v1.2.1\nadd runtime.json\n');
    const log = JSON.parse(vfi(store, ['log', 'Runtime', '--json']).stdout);
    expect(log.map((e: { id: string }) => e.id)).toEqual([third, second, first]);
    expect(log[0]).toMatchObject({ author: 'Test Author', at: '2026-11-01T12:00:00Z', message: 'rm extra' });
    const list = JSON.parse(vfi(store, ['list', '--json']).stdout);
    expect(list).toEqual([expect.objectContaining({ name: 'Runtime', head: third, publications: 3 })]);
    const diff = JSON.parse(vfi(store, ['diff', 'Runtime~2', 'Runtime', '--json']).stdout);
    expect(diff.changed).toEqual([expect.objectContaining({ component: 'router' })]);
    expect(diff.added).toEqual([]);
    expect(vfi(store, ['diff', 'Runtime~2', 'Runtime']).stdout).toMatch(/~\s+router\s+polyverse\/router:1\.0\.2\s+polyverse\/router:1\.0\.3/);
  });

  it('set --from starts from any VFI and may publish on another lineage', () => {
    const r = vfi(store, ['set', 'Canary', 'router=polyverse/router:2.0.0-rc1', '--from', `Runtime@${first.slice(0, 8)}`]);
    expect(r.code).toBe(0);
    const shown = JSON.parse(vfi(store, ['show', 'Canary']).stdout);
    expect(shown).toEqual({ ...runtimeVfi(), router: { type: 'dockerImage', address: 'polyverse/router:2.0.0-rc1' } });
    expect(git(store, ['log', '-1', '--format=%B', 'refs/vfi/Canary']).stdout).toContain(`from Runtime@${first}`);
  });

  it('refuses a VFI asked for under a name it was never published under', () => {
    const canary = /@(\w+)/.exec(vfi(store, ['list']).stdout.split('\n').find((l) => l.startsWith('Canary'))!.replace(/\s+/, '@'))![1]!;
    const r = vfi(store, ['show', `Runtime@${canary}`]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/never published under Runtime/);
  });

  it('works on a plain `git clone --mirror` of the store, whose objects are packed', () => {
    const mirror = path.join(dir, 'mirror.git');
    gitIn(dir, ['clone', '-q', '--mirror', '--no-local', store, mirror]);
    expect(fs.readdirSync(path.join(mirror, 'objects', 'pack')).some((f) => f.endsWith('.pack'))).toBe(true);
    expect(vfi(mirror, ['show', `Runtime@${first.slice(0, 6)}`]).stdout).toBe(vfi(store, ['show', first]).stdout);
    expect(vfi(mirror, ['log', 'Runtime', '--json']).stdout).toBe(vfi(store, ['log', 'Runtime', '--json']).stdout);
    expect(vfi(mirror, ['fsck']).code).toBe(0);
    // and writing into a packed store still works
    expect(vfi(mirror, ['set', 'Runtime', 'nsq=nsqio/nsq:v1.3.0']).code).toBe(0);
    expect(git(mirror, ['fsck', '--strict']).code).toBe(0);
  });

  it('fsck reports a damaged VFI blob and exits 1', () => {
    const damaged = path.join(dir, 'damaged');
    fs.cpSync(store, damaged, { recursive: true });
    const obj = path.join(damaged, 'objects', first.slice(0, 2), first.slice(2));
    fs.chmodSync(obj, 0o644);
    fs.writeFileSync(obj, Buffer.from('garbage'));
    const r = vfi(damaged, ['fsck']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`damaged: .*${first}`));
    expect(vfi(damaged, ['show', first]).code).toBe(1);
  });
});

describe('bad input: one line, the right exit code, the store untouched', () => {
  const dir = tempDir();
  const store = path.join(dir, 'store');
  const write = (name: string, content: string | Buffer) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, content);
    return f;
  };
  let head = '';
  beforeAll(() => {
    head = ID.exec(vfi(store, ['add', 'Runtime', write('ok.json', JSON.stringify(runtimeVfi()))]).stdout)![1]!;
    vfi(store, ['import', 'Many', '-'], { input: Array.from({ length: 1200 }, (_, i) => JSON.stringify({ c: { type: 'dockerImage', address: `img:${i}` } })).join('\n') });
  });

  const cases: [string, string[], number, RegExp][] = [
    ['not JSON', ['add', 'Runtime', 'FILE:notjson.json:{"a":'], 2, /notjson\.json: not JSON/],
    ['wrong shape', ['add', 'Runtime', 'FILE:shape.json:["nsq"]'], 2, /shape\.json: expected a JSON object/],
    ['unknown type', ['add', 'Runtime', 'FILE:type.json:{"a":{"type":"tarball","address":"x"}}'], 2, /type\.json: component "a": "type" must be one of/],
    ['typo in a key', ['add', 'Runtime', 'FILE:typo.json:{"router":{"type":"dockerImage","adress":"x"}}'], 2, /typo\.json: component "router": unknown field "adress"/],
    ['invalid image reference', ['add', 'Runtime', 'FILE:img.json:{"router":{"type":"dockerImage","address":"polyverse/Router:v1"}}'], 2, /img\.json: component "router": "address" is not a valid image reference: .*lowercase/],
    ['duplicate key', ['add', 'Runtime', 'FILE:dup.json:{"a":{"type":"dockerImage","address":"x"},"a":{"type":"dockerImage","address":"y"}}'], 2, /dup\.json: duplicate key "a"/],
    ['empty file', ['add', 'Runtime', 'FILE:empty.json:'], 2, /empty\.json: empty input/],
    ['binary file', ['add', 'Runtime', 'BIN:bin.json'], 2, /bin\.json: not JSON/],
    ['missing file', ['add', 'Runtime', 'nope.json'], 2, /nope\.json: no such file/],
    ['invalid name ../x', ['add', '../x', 'FILE:ok2.json:{}'], 2, /invalid name "\.\.\/x"/],
    ['invalid name a..b', ['set', 'a..b', 'x=nsq'], 2, /invalid name "a\.\.b"/],
    ['invalid name x.lock', ['add', 'x.lock', 'FILE:ok3.json:{}'], 2, /must not end in "\.lock"/],
    ['invalid image in set', ['set', 'Runtime', 'router=UPPER/Case:-bad'], 2, /component "router": "address" is not a valid image reference/],
    ['bad assignment', ['set', 'Runtime', 'router'], 2, /expected component=address/],
    ['rm of an absent component', ['rm', 'Runtime', 'nosuch'], 3, /no component "nosuch"/],
    ['unknown lineage', ['show', 'Nope'], 3, /no lineage named "Nope"/],
    ['unknown id', ['show', 'Runtime@0000000'], 3, /never published under Runtime/],
    ['unknown bare id', ['show', '0000000'], 3, /no VFI with id 0000000/],
    ['set on an unknown lineage', ['set', 'Nope', 'a=nsq'], 3, /no lineage named "Nope"/],
    ['malformed reference', ['show', 'Runtime@xyz'], 2, /invalid reference/],
    ['too far back', ['show', 'Runtime~5'], 3, /only 0 publications before its head/],
    ['bad import line', ['import', 'Runtime', 'FILE:batch.jsonl:{"a":{"type":"dockerImage","address":"x"}}\n{"a":{"type":"dockerImage","address":"x"},}'], 2, /batch\.jsonl:2: not JSON/],
    ['a raw control character in a string', ['add', 'Runtime', 'FILE:ctl.json:{"a":{"type":"dockerImage","address":"x:1","x-s":"a\u0001b"}}'], 2, /ctl\.json: not JSON at line 1, column 52: unescaped control character U\+0001/],
    ['a raw tab in a string', ['add', 'Runtime', 'FILE:tab.json:{"a":{"type":"dockerImage","address":"x:1","x-s":"a\tb"}}'], 2, /tab\.json: not JSON at line 1, column 52: .*U\+0009/],
    ['a raw newline in a string', ['add', 'Runtime', 'FILE:nl.json:{"a":{"type":"dockerImage","address":"x:1",\n"x-s":"a\nb"}}'], 2, /nl\.json: not JSON at line 2, column 9: .*U\+000A/],
    ['a raw control character in an import line', ['import', 'Runtime', 'FILE:ctl.jsonl:{"a":{"type":"dockerImage","address":"x:1"}}\n{"a":{"type":"dockerImage","address":"x:1\u001f"}}'], 2, /ctl\.jsonl:2: not JSON at line 1, column 42/],
    ['invalid UTF-8 in an import line', ['import', 'Runtime', 'BADUTF8:bad.jsonl'], 2, /bad\.jsonl:2: not JSON: invalid UTF-8/],
    ['a name with a trailing dot', ['add', 'a.', 'FILE:ok4.json:{}'], 2, /invalid name "a\.": must not end in "\."/],
    ['set on a name with a trailing dot', ['set', 'Runtime.', 'x=nsq'], 2, /invalid name "Runtime\."/],
    ['a reference with a trailing dot', ['show', 'Runtime.'], 2, /invalid reference "Runtime\."/],
    ['an empty component name', ['add', 'Runtime', 'FILE:noname.json:{"":{"type":"dockerImage","address":"x:1"}}'], 2, /noname\.json: invalid component name "": is empty/],
    ['a component name with a slash', ['add', 'Runtime', 'FILE:slash.json:{"a/b":{"type":"dockerImage","address":"x:1"}}'], 2, /slash\.json: invalid component name "a\/b": may contain only/],
    ['a git address with a password', ['set', 'Runtime', `api=https://u:pw@h/r@${COMMIT}`, '--type', 'git'], 2, /component "api": "address" is not a valid git address: the URL carries credentials/],
    ['a git address that is not a URL', ['set', 'Runtime', `api=h@${COMMIT}`, '--type', 'git'], 2, /not a valid git address/],
    ['a git address with two commits', ['set', 'Runtime', `api=https://h/r@${COMMIT}@${COMMIT}`, '--type', 'git'], 2, /more than one "@<commit>"/],
    ['a javascript: git address', ['add', 'Runtime', `FILE:js.json:{"api":{"type":"git","address":"javascript:alert(1)@${COMMIT}"}}`], 2, /js\.json: component "api": "address" is not a valid git address/],
    ['nesting 3000 levels deep', ['add', 'Runtime', `FILE:deep.json:{"a":{"type":"dockerImage","address":"x:1","x-d":${'['.repeat(3000)}${']'.repeat(3000)}}}`], 2, /deep\.json: too deeply nested at line 1, column \d+: more than 128 levels/],
    ['nesting 50000 levels deep', ['add', 'Runtime', `FILE:deeper.json:{"a":{"type":"dockerImage","address":"x:1","x-d":${'['.repeat(50000)}${']'.repeat(50000)}}}`], 2, /deeper\.json: too deeply nested/],
    ['a number beyond double precision', ['add', 'Runtime', 'FILE:big.json:{"a":{"type":"dockerImage","address":"x:1","x-n":123456789012345678901234567890}}'], 2, /big\.json: component "a": "x-n": number 123456789012345678901234567890 .*would be stored as 1\.2345678901234568e\+29.*quote it as a string/],
    ['a number out of range', ['add', 'Runtime', 'FILE:huge.json:{"a":{"type":"dockerImage","address":"x:1","x-n":1e400}}'], 2, /huge\.json: component "a": "x-n": number 1e400 .*out of range/],
    ['a component set twice', ['set', 'Runtime', 'router=x:1', 'router=x:2'], 2, /component "router" is given more than once/],
    ['a component removed twice', ['rm', 'Runtime', 'nsq', 'nsq'], 2, /component "nsq" is given more than once/],
    ['a ~N too large', ['show', 'Runtime~99999999999999999999'], 2, /"~99999999999999999999" is not a count of publications/],
    ['a ~ without N', ['show', 'Runtime~'], 2, /"~" is not a count of publications/],
    ['a ~N too large as --from', ['set', 'Runtime', 'router=x:1', '--from', 'Runtime~99999999999999999999'], 2, /is not a count of publications/],
    ['unknown command', ['frobnicate'], 2, /unknown command 'frobnicate'/],
    ['unknown option', ['show', '--bogus', 'Runtime'], 2, /unknown option '--bogus'/],
    ['missing argument', ['add', 'Runtime'], 2, /missing required argument/],
  ];

  it.each(cases)('%s', (_name, args, code, message) => {
    const argv = args.map((a) => {
      if (a.startsWith('FILE:')) {
        const [, name, ...rest] = a.split(':');
        return write(name!, rest.join(':'));
      }
      if (a.startsWith('BIN:')) return write(a.slice(4), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 0xff]));
      if (a.startsWith('BADUTF8:')) {
        return write(a.slice(8), Buffer.concat([Buffer.from('{"a":{"type":"dockerImage","address":"x:1"}}\n{"a":{"type":"dockerImage","address":"x:2","x-s":"'),
          Buffer.from([0xff]), Buffer.from('"}}\n')]));
      }
      return a;
    });
    const before = snapshot(store);
    const gitBefore = gitState(store);
    const r = vfi(store, argv);
    expect(r.code).toBe(code);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\n\s+at |internal error|undefined/);
    expect(snapshot(store)).toEqual(before);
    expect(gitState(store)).toEqual(gitBefore);
    expect(vfi(store, ['show', 'Runtime']).stdout).toBe(vfi(store, ['show', head]).stdout);
  });

  it('lists the candidates of an ambiguous prefix (exit 2)', () => {
    const ids = JSON.parse(vfi(store, ['log', 'Many', '--json']).stdout).map((e: { id: string }) => e.id as string);
    const seen = new Map<string, string>();
    const prefix = ids.map((id: string) => id.slice(0, 4)).find((p: string) => (seen.has(p) ? true : (seen.set(p, p), false)));
    expect(prefix, '1200 ids should share some 4-hex prefix').toBeTruthy();
    for (const ref of [`Many@${prefix}`, prefix]) {
      const r = vfi(store, ['show', ref]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`ambiguous.*candidates: .*${prefix}`));
    }
  });

  it('a stack trace appears only with VFI_DEBUG=1', () => {
    const r = vfi(store, ['show', 'Nope'], { env: { VFI_DEBUG: '1' } });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/\n\s+at /);
  });

  it('a reading command on a missing store says so (exit 3) and creates nothing', () => {
    const missing = path.join(dir, 'missing');
    const r = vfi(missing, ['show', 'Runtime']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/no vfi store at/);
    expect(fs.existsSync(missing)).toBe(false);
  });
});

describe('import', () => {
  const dir = tempDir();
  const store = path.join(dir, 'store');
  it('publishes many VFIs in order as successive publications', () => {
    const lines = Array.from({ length: 50 }, (_, i) => JSON.stringify(runtimeVfi({ router: `polyverse/router:1.0.${i}` })));
    const r = vfi(store, ['import', 'Runtime', '-'], { input: lines.join('\n') + '\n' });
    expect(r.code).toBe(0);
    const refs = r.stdout.trim().split('\n');
    expect(refs).toHaveLength(50);
    expect(git(store, ['rev-list', '--count', 'refs/vfi/Runtime']).stdout.trim()).toBe('50');
    expect(vfi(store, ['show', 'Runtime']).stdout).toBe(vfi(store, ['show', refs[49]!]).stdout);
    expect(JSON.parse(vfi(store, ['show', 'Runtime~49']).stdout).router.address).toBe('polyverse/router:1.0.0');
    expect(git(store, ['fsck', '--strict']).code).toBe(0);
  });
});

describe('numeric options: one line saying which option and why, exit 2', () => {
  const dir = tempDir();
  const store = path.join(dir, 'store');
  beforeAll(() => {
    expect(vfi(store, ['add', 'Runtime', '-'], { input: JSON.stringify(runtimeVfi()) }).code).toBe(0);
  });

  // [command words, option, values it refuses, a value it takes]
  const options: [string[], string, string[], string | undefined][] = [
    [['log', 'Runtime'], '-n', ['abc', '-1', '1.5', '1e3', '0x10', '', ' 1', '99999999999999999999'], '0'],
    [['log', 'Runtime'], '--max-count', ['abc', '-1'], '1'],
    [['pick', 'Runtime'], '--top', ['abc', '0', '-1', '2.5', ''], undefined],
    [['resolve', 'Runtime'], '--timeout', ['abc', '0', '-1', '0.0001', '1e3', '86401', 'Infinity', 'NaN', ''], undefined],
    [['resolve', 'Runtime'], '--concurrency', ['abc', '0', '-1', '2.5', ''], undefined],
    [['verify', 'Runtime'], '--timeout', ['abc', '0', '0.0001'], undefined],
    [['verify', 'Runtime'], '--concurrency', ['abc', '0', '2.5'], undefined],
    [['set', 'Runtime', 'router=polyverse/router:9', '--resolve'], '--timeout', ['abc', '0', '86401'], undefined],
    [['pick', 'Runtime'], '--min-score', ['abc', '-1', '2.5', ''], undefined],
    [['find', 'Runtime', '--has', 'tests-passed'], '--min-score', ['abc', '-1'], undefined],
    [['policy', 'set', 'Runtime'], '--min-score', ['abc', '-1', '2.5'], undefined],
  ];
  const rows = options.flatMap(([words, option, bad]) => bad.map((value) => [`${words[0]} ${option} ${JSON.stringify(value)}`, words, option, value] as const));

  it.each(rows)('%s', (_name, words, option, value) => {
    const before = snapshot(store);
    const r = vfi(store, [...words, option, value]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^vfi: option '[^']*${option.replace(/-/g, '\\-')}[^']*' argument '.*' is invalid\\. expected `));
    expect(snapshot(store)).toEqual(before);
  });

  it('takes good values', () => {
    expect(vfi(store, ['log', 'Runtime', '-n', '0'])).toMatchObject({ code: 0, stdout: '' });
    expect(vfi(store, ['log', 'Runtime', '--max-count', '1', '--no-headers']).stdout.trim().split('\n')).toHaveLength(1);
  });

  /** Every option of every command (and subcommand) whose argument is a number, from the CLI's own help. */
  function numericOptions(words: string[] = []): string[] {
    const help = vfi(store, [...words, '--help']).stdout;
    const found = [...help.matchAll(/^\s+(?:-\w, )?(--[\w-]+) <(n|count|seconds|number|ms)>/gm)].map((m) => `${words.join(' ')} ${m[1]}`);
    const commands = /^Commands:\n([\s\S]*)/m.exec(help)?.[1] ?? '';
    for (const m of commands.matchAll(/^ {2}(\w[\w-]*)/gm)) {
      if (m[1] !== 'help') found.push(...numericOptions([...words, m[1]!]));
    }
    return found;
  }

  it('covers every numeric option the CLI has', () => {
    const command = (words: string[]) => words.slice(0, words[0] === 'policy' ? 2 : 1).join(' ');
    const tested = new Set(options.map(([words, option]) => `${command(words)} ${option === '-n' ? '--max-count' : option}`));
    const all = numericOptions();
    expect(all.length).toBeGreaterThanOrEqual(5);
    expect(all.filter((o) => !tested.has(o))).toEqual([]);
  });
});

describe('the clock and the store path', () => {
  const dir = tempDir();
  const store = path.join(dir, 'store');
  const file = path.join(dir, 'runtime.json');
  beforeAll(() => {
    fs.writeFileSync(file, JSON.stringify(runtimeVfi()));
    expect(vfi(store, ['add', 'Runtime', file]).code).toBe(0);
  });

  it.each([
    ['VFI_NOW', 'garbage', ['set', 'Runtime', 'router=polyverse/router:9']],
    ['VFI_NOW', '2026', ['rm', 'Runtime', 'nsq']],
    ['VFI_NOW', 'garbage', ['add', 'Runtime', 'FILE']],
    ['VFI_NOW', 'garbage', ['import', 'Runtime', 'FILE']],
    ['GIT_AUTHOR_DATE', 'yesterday', ['set', 'Runtime', 'router=polyverse/router:9']],
  ])('%s=%s is refused (exit 2) by %j, the store untouched', (variable, value, args) => {
    const env = { VFI_NOW: '', [variable]: value };
    const argv = args.map((a) => (a === 'FILE' ? path.join(dir, 'other.json') : a));
    fs.writeFileSync(path.join(dir, 'other.json'), JSON.stringify(runtimeVfi({ router: 'polyverse/router:7' })));
    const before = snapshot(store);
    const r = vfi(store, argv, { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^vfi: ${variable}="${value}" is not a date`));
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(snapshot(store)).toEqual(before);
  });

  it('a bad VFI_NOW does not create a store on the first add', () => {
    const fresh = path.join(dir, 'fresh');
    const r = vfi(fresh, ['add', 'Runtime', file], { env: { VFI_NOW: 'garbage' } });
    expect(r.code).toBe(2);
    expect(fs.existsSync(fresh)).toBe(false);
  });

  it('VFI_NOW in a form git takes fixes the publication time', () => {
    const r = vfi(store, ['set', 'Runtime', 'router=polyverse/router:8'], { env: { VFI_NOW: '@1800000000 +0000' } });
    expect(r.code).toBe(0);
    expect(git(store, ['log', '-1', '--format=%at', 'refs/vfi/Runtime']).stdout.trim()).toBe('1800000000');
  });

  it.each([
    ['a regular file', (f: string) => f, /it is a file, not a directory/],
    ['a path under a regular file', (f: string) => path.join(f, 'store'), /a parent of it is a file/],
  ])('--store naming %s is a clean error naming the path (exit 1), the file untouched', (_name, storeOf, why) => {
    const regular = path.join(dir, `regular-${Math.random().toString(36).slice(2)}`);
    fs.writeFileSync(regular, 'not a store\n');
    for (const args of [['add', 'Runtime', file], ['import', 'Runtime', file]]) {
      const r = vfi(storeOf(regular), args);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(why);
      expect(r.stderr).toContain(storeOf(regular));
      expect(r.stderr).not.toMatch(/internal error|ENOTDIR/);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(fs.readFileSync(regular, 'utf8')).toBe('not a store\n');
  });
});

describe('diff shows what changed inside a component', () => {
  const dir = tempDir();
  const store = path.join(dir, 'store');
  it('names an x- key or type change in the table and in --json', () => {
    const before = { a: { type: 'dockerImage', address: 'x:1', 'x-note': 'a' }, b: { type: 'dockerImage', address: 'y:1' }, c: { type: 'dockerImage', address: 'z:1', 'x-gone': true } };
    const after = { a: { type: 'dockerImage', address: 'x:1', 'x-note': 'b' }, b: { type: 'dockerImage', address: 'y:2', 'x-new': [1] }, c: { type: 'dockerImage', address: 'z:1' } };
    for (const v of [before, after]) expect(vfi(store, ['add', 'R', '-'], { input: JSON.stringify(v) }).code).toBe(0);
    const table = vfi(store, ['diff', 'R~1', 'R']);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n').map((l) => l.split(/\s{2,}/))).toEqual([
      ['', 'COMPONENT', 'FROM', 'TO'],
      ['~', 'a', 'x-note: "a"', 'x-note: "b"'],
      ['~', 'b', 'y:1', 'y:2'],
      ['~', 'b', '(no x-new)', 'x-new: [1]'],
      ['~', 'c', 'x-gone: true', '(no x-gone)'],
      [''],
    ]);
    const json = JSON.parse(vfi(store, ['diff', 'R~1', 'R', '--json']).stdout);
    expect(json.changed.map((c: { component: string; fields: unknown }) => [c.component, c.fields])).toEqual([
      ['a', [{ field: 'x-note', before: 'a', after: 'b' }]],
      ['b', [{ field: 'address', before: 'y:1', after: 'y:2' }, { field: 'x-new', after: [1] }]],
      ['c', [{ field: 'x-gone', before: true }]],
    ]);
  });
});

describe('fsck and lineage names git refuses', () => {
  const dir = tempDir();
  const store = path.join(dir, 'store');
  it('reports a lineage ref whose name git refuses (exit 1)', () => {
    expect(vfi(store, ['add', 'Runtime', '-'], { input: JSON.stringify(runtimeVfi()) }).code).toBe(0);
    expect(vfi(store, ['fsck']).code).toBe(0);
    // Written as an older vfi would have: git itself refuses to create this ref.
    const head = git(store, ['rev-parse', 'refs/vfi/Runtime']).stdout.trim();
    expect(git(store, ['update-ref', 'refs/vfi/a.', head]).code).not.toBe(0);
    fs.writeFileSync(path.join(store, 'refs', 'vfi', 'a.'), `${head}\n`);
    const r = vfi(store, ['fsck']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/refs\/vfi\/a\.: not a valid lineage name: it must not end in "\."/);
  });
});

describe('import of repeated lines', () => {
  const dir = tempDir();
  const store = path.join(dir, 'store');
  it('prints one ref per line, publishes each change once, and says how many were published', () => {
    const a = JSON.stringify(runtimeVfi());
    const b = JSON.stringify(runtimeVfi({ router: 'polyverse/router:2.0.0' }));
    const r = vfi(store, ['import', 'Runtime', '-'], { input: [a, a, a, b, '', b, a].join('\n') });
    expect(r.code).toBe(0);
    const refs = r.stdout.trim().split('\n');
    expect(refs).toHaveLength(6);
    expect(new Set([refs[0], refs[1], refs[2], refs[5]]).size).toBe(1);
    expect(refs[3]).toBe(refs[4]);
    expect(git(store, ['rev-list', '--count', 'refs/vfi/Runtime']).stdout.trim()).toBe('3');
    expect(r.stderr).toMatch(/^vfi: imported 3 of 6 VFIs on Runtime \(3 equal to the VFI before them: re-publishing it is a no-op\)$/m);
    // and importing a VFI the lineage already has publishes nothing (a CI retry)
    const again = vfi(store, ['import', 'Runtime', '-'], { input: a });
    expect(again.stdout).toBe(`${refs[5]}\n`);
    expect(again.stderr).toMatch(/imported 0 of 1 VFI on Runtime, skipped 1 already published/);
    expect(git(store, ['rev-list', '--count', 'refs/vfi/Runtime']).stdout.trim()).toBe('3');
  });
});

describe('a hurried user', () => {
  const dir = tempDir();
  const store = path.join(dir, 'store');
  beforeAll(() => {
    expect(vfi(store, ['add', 'Runtime', '-'], { input: JSON.stringify(runtimeVfi()) }).code).toBe(0);
    expect(vfi(store, ['set', 'Runtime', 'nsq=nsqio/nsq:v1.2.1']).code).toBe(0);
  });

  it('--store "" (an unset variable) is bad usage, and writes nothing where it runs', () => {
    const cwd = path.join(dir, 'project');
    fs.mkdirSync(cwd);
    const r = vfiIn(cwd, ['--store', '', 'add', 'X', '-'], { input: JSON.stringify(runtimeVfi()) });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^vfi: --store: the path is empty/);
    expect(fs.readdirSync(cwd)).toEqual([]);
  });

  it('a --store that is a file is refused for reading too (exit 1), naming it', () => {
    const file = path.join(dir, 'runtime.json');
    fs.writeFileSync(file, JSON.stringify(runtimeVfi()));
    const r = vfi(file, ['list']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/runtime\.json is a file, not a vfi store/);
  });

  it('a lineage ref that points at a blob: that lineage is damage (exit 1, one line), the others still work', () => {
    const damaged = path.join(dir, 'damaged');
    expect(git(dir, ['clone', '-q', '--mirror', store, damaged]).code).toBe(0);
    expect(vfi(damaged, ['add', 'Other', '-'], { input: JSON.stringify(runtimeVfi({ router: 'polyverse/router:9' })) }).code).toBe(0);
    const blob = JSON.parse(vfi(damaged, ['log', 'Runtime', '--json']).stdout)[0].id as string;
    expect(git(damaged, ['update-ref', 'refs/vfi/Runtime', blob]).code).toBe(0);
    fs.rmSync(path.join(damaged, 'vfi-cache'), { recursive: true, force: true });
    for (const args of [['show', 'Runtime'], ['log', 'Runtime'], ['list'], ['pick', '--allow-unpinned', '--min-score', '0']]) {
      const r = vfi(damaged, args);
      expect([args, r.code]).toEqual([args, 1]);
      expect(r.stderr).toMatch(/^vfi: refs\/vfi\/Runtime: object [0-9a-f]{40} is a blob, not a commit/);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(vfi(damaged, ['show', 'Other']).code).toBe(0);
    expect(vfi(damaged, ['fsck']).code).toBe(1);
  });

  it('set --from a VFI that is not the head says what the new head leaves out', () => {
    const r = vfi(store, ['set', 'Runtime', 'router=polyverse/router:1.0.9', '--from', 'Runtime~1']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^vfi: published from Runtime@[0-9a-f]{40}, not from the head of Runtime \(Runtime@[0-9a-f]{40}\)/);
    expect(vfi(store, ['show', 'Runtime']).stdout).not.toContain('nsqio/nsq:v1.2.1');
    const fromHead = vfi(store, ['set', 'Runtime', 'router=polyverse/router:1.1.0', '--from', 'Runtime']);
    expect([fromHead.code, fromHead.stderr]).toEqual([0, '']);
  });

  it('an address of another type for a component: refused, with the --type that would change it', () => {
    const r = vfi(store, ['set', 'Runtime', `nsq=https://github.com/nsqio/nsq.git@${COMMIT}`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/it is a git address: add --type git/);
    expect(vfi(store, ['set', 'Runtime', `nsq=https://github.com/nsqio/nsq.git@${COMMIT}`, '--type', 'git']).code).toBe(0);
  });

  it('a typo\'d command gets its suggestion on the same, one line', () => {
    const r = vfi(store, ['shwo', 'Runtime']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("vfi: unknown command 'shwo' (Did you mean show?)\n");
  });
});
