/** Remote configuration, URLs as git takes them, credentials from the environment: table-driven, no network. */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  addRemote,
  listRemotes,
  parseConfig,
  remotesOf,
  removeRemote,
  resolveRemote,
  withoutRemoteSection,
} from '../../src/remote/config.js';
import { credentialFromEnv, gitEnv } from '../../src/remote/git.js';
import { porcelainStatus } from '../../src/remote/sync.js';
import { looksLikePath, looksLikeUrl, parseRemoteUrl, scrubCredentials } from '../../src/remote/url.js';
import { tempDir } from '../helpers/cli.js';

const tmp = tempDir('vfi-remote-unit-');

describe('remote URLs', () => {
  it.each([
    ['https://git.example.com/team/store.git', { protocol: 'https', path: 'team/store.git', hasCredentials: false }],
    ['http://127.0.0.1:8080/x.git/', { protocol: 'http', path: 'x.git/', hasCredentials: false, url: 'http://127.0.0.1:8080/x.git' }],
    ['https://u:p%40ss@git.example.com/a', { hasCredentials: true, display: 'https://git.example.com/a', url: 'https://git.example.com/a', credentials: { username: 'u', password: 'p@ss' } }],
    ['https://token@git.example.com/a', { hasCredentials: true, display: 'https://git.example.com/a', credentials: { username: 'token', password: '' } }],
    ['ssh://git@git.example.com/team/store.git', { protocol: 'ssh', hasCredentials: false, display: 'ssh://git@git.example.com/team/store.git' }],
    ['git@github.com:team/x.git', { protocol: 'ssh', path: 'team/x.git', hasCredentials: false, display: 'git@github.com:team/x.git' }],
    ['git.example.com:team/x.git', { protocol: 'ssh', path: 'team/x.git' }],
  ])('%s', (input, expected) => {
    expect(parseRemoteUrl(input)).toMatchObject(expected);
  });

  it.each([
    ['/srv/git/store.git', '/srv/git/store.git'],
    ['/srv/git/store.git/', '/srv/git/store.git'],
    ['/srv/team store.git', '/srv/team store.git'], // a space is fine in a path
    ['./x.git', path.resolve('x.git')],
    ['../x.git', path.resolve('..', 'x.git')],
    ['file:///srv/git/store.git', '/srv/git/store.git'],
    ['file://localhost/srv/a%20b.git', '/srv/a b.git'],
  ])('a repository on disk: %s', (input, abs) => {
    expect(parseRemoteUrl(input)).toEqual({ url: abs, display: abs, protocol: 'file', path: abs, hasCredentials: false });
  });

  it.each([
    'gh:org/repo', 'user:secret@host:x', 'http://127.0.0.1:1/%', 'file://otherhost/x.git', 'not a url', '/srv/x\n.git',
    // no host (WHATWG URL would take "x.git" for one), and what URL parsing silently drops or encodes
    'http:///x.git', 'https://', 'http://u:p@/x', 'http://h/x\n.git', 'http://h/x\r', 'http://h/a b.git', 'http://h/\tx', 'http://h/x\u0000', 'http://h/x\u007f',
  ])('refuses %j', (input) => {
    expect(() => parseRemoteUrl(input)).toThrowError(expect.objectContaining({ code: 'USAGE' }));
  });

  it.each([
    ['/srv/git/store.git', true],
    ['./store.git', true],
    ['../store.git', true],
    ['team/store.git', true],
    ['.', true],
    ['origin', false],
    ['https://h/x', false],
    [tmp, true],
  ])('looksLikePath(%s) is %s', (s, expected) => {
    expect(looksLikePath(s)).toBe(expected);
  });

  it('takes an existing directory for a path unless a remote has its name', () => {
    const cwd = process.cwd();
    process.chdir(tmp);
    try {
      fs.mkdirSync('here.git', { recursive: true });
      expect(looksLikePath('here.git')).toBe(true);
      expect(looksLikePath('here.git', (n) => n === 'here.git')).toBe(false);
      expect(looksLikePath('not-here.git')).toBe(false);
    } finally {
      process.chdir(cwd);
    }
  });

  it('scrubs credentials from any text', () => {
    expect(scrubCredentials('cannot reach https://alice:s3cret@h.example/x and http://tok@h/y')).toBe('cannot reach https://h.example/x and http://h/y');
  });

  it.each([
    ['origin', false],
    ['https://h/x', true],
    ['git@github.com:a/b', true],
    ['team-remote', false],
  ])('looksLikeUrl(%s) is %s', (s, expected) => {
    expect(looksLikeUrl(s)).toBe(expected);
  });
});

describe('git config remotes', () => {
  const text = [
    '[core]',
    '\tbare = true',
    '[remote "origin"]',
    '\turl = https://git.example.com/a.git ; a comment',
    '\tfetch = +refs/heads/*:refs/remotes/origin/*',
    '[Remote "with space"]',
    '\turl = "https://h/b c.git"',
    '[remote.old]',
    '\turl = http://h/old',
    '[remote "nourl"]',
    '\tfetch = x',
    '',
  ].join('\n');

  it('reads remotes and their URLs, as git does', () => {
    expect(remotesOf(text)).toEqual([
      { name: 'origin', url: 'https://git.example.com/a.git' },
      { name: 'with space', url: 'https://h/b c.git' },
      { name: 'old', url: 'http://h/old' },
    ]);
  });

  it('parses escapes, quotes and continuations', () => {
    const rows = parseConfig('[a]\n\tk = "x\\"y" z # c\n\tm = a\\\n b\n\tflag\n');
    expect(rows.filter((r) => r.key).map((r) => [r.key, r.value])).toEqual([['k', 'x"y z'], ['m', 'a b'], ['flag', undefined]]);
  });

  it('removes one remote section and keeps the rest', () => {
    const out = withoutRemoteSection(text, 'origin');
    expect(remotesOf(out).map((r) => r.name)).toEqual(['with space', 'old']);
    expect(out).toContain('[core]');
  });

  it('adds, lists, resolves and removes remotes in a store config that git reads too', async () => {
    const gitdir = path.join(tmp, 'store');
    fs.mkdirSync(gitdir);
    fs.writeFileSync(path.join(gitdir, 'config'), '[core]\n\tbare = true\n');
    await addRemote(gitdir, 'origin', 'https://git.example.com/team/store.git');
    await addRemote(gitdir, 'backup', 'http://127.0.0.1:9/x');
    expect(listRemotes(gitdir)).toEqual([
      { name: 'origin', url: 'https://git.example.com/team/store.git' },
      { name: 'backup', url: 'http://127.0.0.1:9/x' },
    ]);
    const config = fs.readFileSync(path.join(gitdir, 'config'), 'utf8');
    for (const kind of ['vfi', 'vfi-assertions', 'vfi-trust', 'vfi-policy']) {
      expect(config).toContain(`\tfetch = +refs/${kind}/*:refs/vfi-remotes/origin/${kind}/*\n`);
      expect(config).toContain(`\tpush = refs/${kind}/*:refs/${kind}/*\n`);
    }
    await expect(resolveRemote(gitdir, undefined).ready).resolves.toMatchObject({ name: 'origin', display: 'https://git.example.com/team/store.git' });
    await expect(resolveRemote(gitdir, 'backup').ready).resolves.toMatchObject({ name: 'backup', protocol: 'http' });
    await expect(resolveRemote(gitdir, 'https://other/x').ready).resolves.toMatchObject({ name: undefined, url: 'https://other/x' });
    await expect(addRemote(gitdir, 'origin', 'https://h/y')).rejects.toMatchObject({ code: 'USAGE' });
    await expect(addRemote(gitdir, 'bad name', 'https://h/y')).rejects.toMatchObject({ code: 'USAGE' });
    await expect(addRemote(gitdir, 'creds', 'https://u:p@h/y')).rejects.toMatchObject({ code: 'USAGE' });
    expect(() => resolveRemote(gitdir, 'nope')).toThrowError(expect.objectContaining({ code: 'NOT_FOUND' }));
    await expect(resolveRemote(gitdir, '/tmp/x.git').ready).resolves.toMatchObject({ name: undefined, protocol: 'file', path: '/tmp/x.git' });
    await expect(resolveRemote(gitdir, 'file:///tmp/x.git').ready).resolves.toMatchObject({ name: undefined, protocol: 'file', path: '/tmp/x.git' });
    for (const bad of ['gh:org/x', 'file://h/x.git']) await expect(resolveRemote(gitdir, bad).ready).rejects.toMatchObject({ code: 'USAGE' });
    await expect(addRemote(gitdir, 'nohost', 'http:///x.git')).rejects.toMatchObject({ code: 'USAGE' });
    await expect(addRemote(gitdir, 'newline', 'http://h/x\n[core]\n\tbare = false')).rejects.toMatchObject({ code: 'USAGE' });
    removeRemote(gitdir, 'origin');
    await expect(resolveRemote(gitdir, undefined).ready).resolves.toMatchObject({ name: 'backup' }); // the only one left
    expect(() => removeRemote(gitdir, 'origin')).toThrowError(expect.objectContaining({ code: 'NOT_FOUND' }));
    await addRemote(gitdir, 'third', 'https://h/3');
    expect(() => resolveRemote(gitdir, undefined)).toThrowError(expect.objectContaining({ code: 'USAGE' })); // two, neither is origin
    expect(fs.readFileSync(path.join(gitdir, 'config'), 'utf8')).toMatch(/^\[core\]\n\tbare = true\n/);
  });
});

describe('credentials', () => {
  it.each([
    [{ VFI_REMOTE_TOKEN: 't0k' }, { username: 't0k', password: '' }],
    [{ VFI_REMOTE_TOKEN: 't0k', VFI_REMOTE_USERNAME: 'oauth2' }, { username: 'oauth2', password: 't0k' }],
    [{ VFI_REMOTE_USERNAME: 'alice', VFI_REMOTE_PASSWORD: 'pw' }, { username: 'alice', password: 'pw' }],
    [{ VFI_REMOTE_USERNAME: 'alice' }, undefined],
    [{}, undefined],
  ])('from %j', (env, expected) => {
    const c = credentialFromEnv(env);
    expect(c === undefined ? undefined : { username: c.username, password: c.password }).toEqual(expected);
  });

  it('hands them to git through a helper in the environment, never on a command line', () => {
    const env = gitEnv(parseRemoteUrl('https://h/x'), { env: { VFI_REMOTE_TOKEN: 't0k' }, interactive: false });
    const config = Object.entries(env).filter(([k]) => k.startsWith('GIT_CONFIG_VALUE_')).map(([, v]) => v).join('\n');
    expect(config).not.toContain('t0k');
    expect(env.VFI_GIT_USERNAME).toBe('t0k');
    expect(env.GIT_TERMINAL_PROMPT).toBe('0');
    expect(config).toContain('never'); // no https -> http redirect
  });
});

describe('git push --porcelain', () => {
  it('reads the status of each ref', () => {
    const out = 'To /srv/x.git\n*\tabc:refs/vfi/A\t[new reference]\n!\tdef:refs/vfi/B\t[rejected] (stale info)\n!\t123:refs/vfi/C\t[remote rejected] (hook declined)\nDone\n';
    expect([...porcelainStatus(out)]).toEqual([
      ['refs/vfi/A', { flag: '*', summary: '[new reference]' }],
      ['refs/vfi/B', { flag: '!', summary: '[rejected] (stale info)' }],
      ['refs/vfi/C', { flag: '!', summary: '[remote rejected] (hook declined)' }],
    ]);
  });
});
