/** vfi creds on the command line, as a person uses it: real files, real kubectl to compare with. */
import { spawnSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAIN, tempDir, vfi } from '../helpers/cli.js';

const dir = tempDir('vfi-creds-');
const store = join(dir, 'store');
const creds = (args: string[], input?: string, env?: Record<string, string>) => vfi(store, ['creds', ...args], { input, env });
const mode = (file: string) => statSync(file).mode & 0o777;

function kubectl(args: string[]): string {
  const r = spawnSync('kubectl', ['create', 'secret', 'docker-registry', ...args, '--dry-run=client'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`kubectl: ${r.stderr}`);
  return r.stdout;
}

interface Row {
  registry: string;
  username: string;
  password: string;
  email?: string;
}

/** Rows whose passwords carry what breaks naive encoders: colons, quotes, <&>, unicode. */
function rows(n: number): Row[] {
  return Array.from({ length: n }, (_, i) => ({
    registry: i === 0 ? 'docker.io' : `r${i}.example.com:${5000 + i}`,
    username: `user${i}`,
    password: `pa:ss"${i}<&>ü`,
    ...(i % 3 === 0 ? { email: `u${i}@example.com` } : {}),
  }));
}

const listed = (r: Row) => ({ ...r, registry: r.registry === 'docker.io' ? 'https://index.docker.io/v1/' : r.registry });

describe('vfi creds secret is kubectl create secret docker-registry', () => {
  it.each([
    { what: 'yaml, Docker Hub', ours: ['--registry', 'docker.io'], theirs: [] as string[] },
    { what: 'yaml, a port, email, namespace', ours: ['--registry', 'reg.example.com:5000', '--email', 'a@example.com', '--namespace', 'prod'], theirs: ['--docker-server=reg.example.com:5000', '--docker-email=a@example.com', '--namespace=prod'] },
    { what: 'json, a name', ours: ['--registry', 'ghcr.io', '--name', 'pull-secret', '-o', 'json'], theirs: ['--docker-server=ghcr.io', '-o', 'json'], name: 'pull-secret' },
    { what: 'yaml, names YAML would read as a number and a boolean', ours: ['--registry', 'r.example.com', '--name', '123', '--namespace', 'true'], theirs: ['--docker-server=r.example.com', '--namespace=true'], name: '123' },
    { what: 'json, namespace as -n, email', ours: ['--registry', '10.0.0.1:443', '-n', 'ci', '--email', 'e@x.io', '-o', 'json'], theirs: ['--docker-server=10.0.0.1:443', '--namespace=ci', '--docker-email=e@x.io', '-o', 'json'] },
  ])('$what', ({ ours, theirs, name }) => {
    const password = 'p:a<s>s&"w\\ord ü';
    const r = creds(['secret', ...ours, '--username', 'alice', '--password-stdin'], `${password}\n`);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const format = theirs.includes('json') ? [] : ['-o', 'yaml'];
    expect(r.stdout).toBe(kubectl([name ?? 'regcred', ...theirs, ...format, '--docker-username=alice', `--docker-password=${password}`]));
  });
});

describe('round trips: credentials -> secret -> config.json -> credentials', () => {
  it('one registry', () => {
    const [row] = rows(1);
    const secret = creds(['secret', '--registry', row!.registry, '--username', row!.username, '--email', row!.email!, '--password-stdin'], row!.password);
    expect(secret.code).toBe(0);
    writeFileSync(join(dir, 'one.yaml'), secret.stdout);
    const config = creds(['from-secret', join(dir, 'one.yaml')]);
    expect(config.code).toBe(0);
    const list = creds(['from-secret', '--list', '--json', '--show-secrets', '-'], creds(['to-secret', '-'], config.stdout).stdout);
    expect(JSON.parse(list.stdout)).toEqual([listed(row!)]);
  });

  it('ten registries, then three revoked from the Secret in place', () => {
    const cfg = join(dir, 'ten', 'config.json');
    mkdirSync(join(dir, 'ten'));
    for (const r of rows(10)) {
      const add = creds(['config', '--into', cfg, '--registry', r.registry, '--username', r.username, '--password-stdin', ...(r.email ? ['--email', r.email] : [])], r.password);
      expect(add.code).toBe(0);
      expect(add.stdout).toBe('');
      expect(add.stderr).not.toContain(r.password);
    }
    expect(mode(cfg)).toBe(0o600);
    const secretFile = join(dir, 'ten', 'secret.json');
    const secret = creds(['to-secret', cfg, '-o', 'json', '--name', 'ten']);
    expect(secret.code).toBe(0);
    writeFileSync(secretFile, secret.stdout);
    const back = creds(['from-secret', secretFile]);
    expect(JSON.parse(back.stdout)).toEqual(JSON.parse(readFileSync(cfg, 'utf8')));
    const list = creds(['from-secret', secretFile, '--list', '--json', '--show-secrets']);
    expect(JSON.parse(list.stdout)).toEqual(rows(10).map(listed));

    const rm = creds(['rm', secretFile, '--registry', 'https://r2.example.com:5002/v1/', '--registry', 'r5.example.com:5005', '--registry', 'index.docker.io']);
    expect(rm.code).toBe(0);
    expect(mode(secretFile)).toBe(0o600);
    const after = JSON.parse(readFileSync(secretFile, 'utf8'));
    expect(after.metadata.name).toBe('ten');
    const left = JSON.parse(creds(['from-secret', secretFile, '--list', '--json']).stdout) as { registry: string }[];
    expect(left.map((r) => r.registry)).toEqual(rows(10).slice(1).filter((_, i) => i !== 1 && i !== 4).map((r) => r.registry));
  });

  it('add and rm edit a YAML Secret and a config.json in place, keeping what they do not touch', () => {
    const yamlFile = join(dir, 'edit.yaml');
    writeFileSync(yamlFile, kubectl(['keep', '--docker-server=a.example.com', '--docker-username=a', '--docker-password=pa', '-o', 'yaml']).replace('metadata:\n', 'metadata:\n  labels:\n    team: web\n'));
    expect(creds(['add', yamlFile, '--registry', 'b.example.com', '--username', 'b', '--password-stdin'], 'pb').code).toBe(0);
    expect(mode(yamlFile)).toBe(0o600);
    expect(readFileSync(yamlFile, 'utf8')).toContain('team: web');
    expect(creds(['from-secret', yamlFile, '--list']).stdout).toBe('a.example.com\ta\tpassword\nb.example.com\tb\tpassword\n');

    const cfg = join(dir, 'edit.json');
    writeFileSync(cfg, JSON.stringify({ auths: { 'a.example.com': { auth: Buffer.from('a:pa').toString('base64') } }, psFormat: 'table' }));
    expect(creds(['rm', cfg, '--registry', 'a.example.com']).code).toBe(0);
    expect(JSON.parse(readFileSync(cfg, 'utf8'))).toEqual({ auths: {}, psFormat: 'table' });
    expect(mode(cfg)).toBe(0o600);
    const missing = creds(['rm', cfg, '--registry', 'a.example.com']);
    expect(missing.code).toBe(3);

    // A config.json that is a link (to a dotfiles repository) stays a link; its target is written.
    const link = join(dir, 'link.json');
    symlinkSync(cfg, link);
    expect(creds(['config', '--into', link, '--registry', 'c.example.com', '--username', 'c', '--password-stdin'], 'pc').code).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(Object.keys(JSON.parse(readFileSync(cfg, 'utf8')).auths)).toEqual(['c.example.com']);
  });
});

describe('secrets stay out of sight', () => {
  const secretFile = join(dir, 'list.yaml');
  it('from-secret --list shows that a password exists, never the password', () => {
    writeFileSync(secretFile, kubectl(['x', '--docker-server=q.example.com', '--docker-username=quinn', '--docker-password=s3cr3t-Value', '-o', 'yaml']));
    for (const args of [['--list'], ['--list', '--json']]) {
      const r = creds(['from-secret', secretFile, ...args]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('quinn');
      expect(r.stdout + r.stderr).not.toContain('s3cr3t-Value');
    }
    expect(JSON.parse(creds(['from-secret', secretFile, '--list', '--json']).stdout)).toEqual([{ registry: 'q.example.com', username: 'quinn', password: true }]);
    expect(creds(['from-secret', secretFile, '--list', '--show-secrets']).stdout).toBe('q.example.com\tquinn\ts3cr3t-Value\n');
  });

  // util-linux's script gives the command a pseudo-terminal as stdout, as a person's shell does.
  function onTerminal(args: string[], stdinFile: string): { code: number | null; output: string } {
    const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
    const command = [process.execPath, MAIN, '--store', store, 'creds', ...args].map(quote).join(' ') + ` < ${quote(stdinFile)}`;
    const r = spawnSync('script', ['-qec', command, '/dev/null'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    return { code: r.status, output: r.stdout };
  }

  it('on a terminal a Secret is printed as kubectl prints one; a config.json, passwords in the clear, only with --show-secrets', () => {
    const pw = join(dir, 'tty-pw.txt');
    writeFileSync(pw, 's3cr3t-Value\n');
    const secret = onTerminal(['secret', '--registry', 'q.example.com', '--username', 'quinn', '--password-stdin'], pw);
    expect(secret.code).toBe(0);
    expect(secret.output).toContain('type: kubernetes.io/dockerconfigjson');
    expect(secret.output).not.toContain('s3cr3t-Value');

    const config = onTerminal(['config', '--registry', 'q.example.com', '--username', 'quinn', '--password-stdin'], pw);
    expect(config.code).toBe(2);
    expect(config.output).not.toContain('s3cr3t-Value');
    const shown = onTerminal(['config', '--registry', 'q.example.com', '--username', 'quinn', '--password-stdin', '--show-secrets'], pw);
    expect(shown.code).toBe(0);
    expect(shown.output).toContain('"password": "s3cr3t-Value"');

    writeFileSync(secretFile, kubectl(['x', '--docker-server=q.example.com', '--docker-username=quinn', '--docker-password=s3cr3t-Value', '-o', 'yaml']));
    const fromSecret = onTerminal(['from-secret', secretFile], pw);
    expect(fromSecret.code).toBe(2);
    expect(fromSecret.output).not.toContain('s3cr3t-Value');
    expect(onTerminal(['from-secret', secretFile, '--show-secrets'], pw).output).toContain('s3cr3t-Value');
  });

  it('a password is taken from stdin only', () => {
    const r = creds(['secret', '--registry', 'q.example.com', '--username', 'u'], 'pw');
    expect(r.code).toBe(2);
  });

  it('a password typed on the command line, as docker login or kubectl take it, is refused without echoing it', () => {
    for (const flag of [['--password=s3cr3t-Value'], ['-p', 's3cr3t-Value'], ['--docker-password=s3cr3t-Value']]) {
      const r = creds(['secret', '--registry', 'q.example.com', '--username', 'u', ...flag]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^vfi: [^\n]+\n$/);
      expect(r.stderr).not.toContain('s3cr3t-Value');
    }
  });
});

describe('bad input: one line, exit 2, file untouched', () => {
  const secret = 's3cr3t-Value';
  it.each([
    ['a Secret of another type', ['from-secret', '-'], kubectlGeneric()],
    ['a config.json with a non-base64 auth', ['to-secret', '-'], JSON.stringify({ auths: { 'r.example.com': { auth: `${secret}!!` } } })],
    ['a Secret whose config.json has a non-base64 auth', ['from-secret', '-'], JSON.stringify({ kind: 'Secret', apiVersion: 'v1', type: 'kubernetes.io/dockerconfigjson', stringData: { '.dockerconfigjson': JSON.stringify({ auths: { 'r.example.com': { auth: `${secret}!!` } } }) } })],
    ['a registry that is not a host', ['secret', '--registry', 'https://not a host/', '--username', 'u', '--password-stdin'], secret],
    ['a Secret that is not YAML', ['from-secret', '-'], `kind: Secret\n  data: "${secret}\n`],
    ['a config that is not JSON', ['to-secret', '-'], `{"auths": {"r.example.com": {"password": "${secret}"`],
    ['an invalid Secret name', ['secret', '--registry', 'r.example.com', '--username', 'u', '--password-stdin', '--name', 'Not_Valid'], secret],
  ])('%s', (_, args, input) => {
    const r = creds(args, input);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^vfi: [^\n]+\n$/);
    expect(r.stderr).not.toContain(secret);
  });

  it('rm on a file of the wrong kind leaves it untouched', () => {
    const file = join(dir, 'opaque.yaml');
    writeFileSync(file, kubectlGeneric());
    chmodSync(file, 0o644);
    const r = creds(['rm', file, '--registry', 'r.example.com']);
    expect(r.code).toBe(2);
    expect(readFileSync(file, 'utf8')).toBe(kubectlGeneric());
    expect(mode(file)).toBe(0o644);
  });
});

function kubectlGeneric(): string {
  const r = spawnSync('kubectl', ['create', 'secret', 'generic', 'g', '--from-literal=password=s3cr3t-Value', '--dry-run=client', '-o', 'yaml'], { encoding: 'utf8' });
  return r.stdout;
}

describe('to-secret and credential helpers', () => {
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  // A credential helper speaking docker's protocol: `get`, the server URL on stdin, JSON out.
  writeFileSync(join(bin, 'docker-credential-vfitest'), `#!/bin/sh\n[ "$1" = get ] || exit 2\nurl=$(cat)\nprintf '{"ServerURL":"%s","Username":"helped","Secret":"from-helper"}' "$url"\n`);
  chmodSync(join(bin, 'docker-credential-vfitest'), 0o755);
  const env = { PATH: `${bin}${delimiter}${process.env.PATH}` };
  const config = JSON.stringify({ auths: { 'plain.example.com': { auth: Buffer.from('p:pp').toString('base64') }, 'store.example.com': {} }, credsStore: 'vfitest', credHelpers: { 'gcr.io': 'vfitest' } });

  it('asks docker-credential-<helper> get for registries kept by helpers', () => {
    const r = creds(['to-secret', '-', '-o', 'json'], config, env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const list = creds(['from-secret', '-', '--list', '--json', '--show-secrets'], r.stdout);
    expect(JSON.parse(list.stdout)).toEqual([
      { registry: 'plain.example.com', username: 'p', password: 'pp' },
      { registry: 'gcr.io', username: 'helped', password: 'from-helper' },
      { registry: 'store.example.com', username: 'helped', password: 'from-helper' },
    ]);
  });

  it('--no-helpers refuses instead', () => {
    const r = creds(['to-secret', '-', '--no-helpers'], config, env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^vfi: [^\n]+\n$/);
  });
});

describe('from-secret writes a config.json docker and kubelet both read', () => {
  it('a stringData Secret with only username/password gets its auth', () => {
    const secret = { kind: 'Secret', apiVersion: 'v1', type: 'kubernetes.io/dockerconfigjson', stringData: { '.dockerconfigjson': JSON.stringify({ auths: { 'r.example.com': { username: 'u', password: 'p:ü' } } }) } };
    const r = creds(['from-secret', '-'], JSON.stringify(secret));
    expect(r.code).toBe(0);
    const entry = JSON.parse(r.stdout).auths['r.example.com'];
    expect(Buffer.from(entry.auth, 'base64').toString('utf8')).toBe('u:p:ü');
    expect(entry).toMatchObject({ username: 'u', password: 'p:ü' });
  });
});

describe('a config.json with a credsStore', () => {
  it('config --into and add say that docker will ask the helper, not the entry written', () => {
    for (const how of ['config', 'add'] as const) {
      const file = join(dir, `store-${how}.json`);
      writeFileSync(file, JSON.stringify({ auths: {}, credsStore: 'desktop' }));
      const args = how === 'config' ? ['config', '--into', file] : ['add', file];
      const r = creds([...args, '--registry', 'r.example.com', '--username', 'u', '--password-stdin'], 's3cr3t-Value\n');
      expect(r.code).toBe(0);
      expect(r.stderr).toContain('docker-credential-desktop');
      expect(r.stderr).not.toContain('s3cr3t-Value');
      expect(JSON.parse(readFileSync(file, 'utf8')).auths['r.example.com'].password).toBe('s3cr3t-Value');
    }
    const plain = join(dir, 'no-store.json');
    const r = creds(['config', '--into', plain, '--registry', 'r.example.com', '--username', 'u', '--password-stdin'], 'pw\n');
    expect(r.stderr).not.toContain('docker-credential');
  });
});
