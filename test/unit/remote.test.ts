/** Remote configuration, URLs, credentials and the upload-pack codec: table-driven, no network. */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  addRemote,
  listRemotes,
  parseConfig,
  remotesOf,
  removeRemote,
  resolveRemote,
  withoutRemoteSection,
} from '../../src/remote/config.js';
import { credentialFromEnv, credentialRequest, parseCredentialReply } from '../../src/remote/credentials.js';
import { checkPack, readUploadPackResult, uploadPackRequest } from '../../src/remote/uploadPack.js';
import { pktLine, ProtocolError } from '../../src/remote/pktLine.js';
import { looksLikePath, looksLikeUrl, parseRemoteUrl, scrubCredentials } from '../../src/remote/url.js';
import { redirectProblem, withoutCredentials } from '../../src/remote/http.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vfi-remote-unit-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('remote URLs', () => {
  it.each([
    ['https://git.example.com/team/store.git', { protocol: 'https', host: 'git.example.com', path: 'team/store.git', hasCredentials: false }],
    ['http://127.0.0.1:8080/x.git/', { protocol: 'http', host: '127.0.0.1:8080', path: 'x.git/', hasCredentials: false, url: 'http://127.0.0.1:8080/x.git' }],
    ['https://u:p%40ss@git.example.com/a', { hasCredentials: true, display: 'https://git.example.com/a' }],
    ['https://token@git.example.com/a', { hasCredentials: true, display: 'https://git.example.com/a' }],
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
    expect(parseRemoteUrl(input)).toEqual({ url: abs, display: abs, protocol: 'file', host: '', path: abs, hasCredentials: false });
  });

  it.each([
    'ssh://git@host/x', 'git@github.com:team/x.git', 'file://otherhost/x.git', 'not a url', '/srv/x\n.git',
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

describe('redirects', () => {
  it.each([
    ['https://a/x/info/refs', 'https://b/y/info/refs', false],
    ['http://a/x/info/refs', 'https://a/x/info/refs', false],
    ['http://a/x/info/refs', 'http://b:8080/x/info/refs', false],
    ['https://a/x/info/refs', 'http://a/x/info/refs', true],
    ['https://a/x/info/refs', 'http://b/x/info/refs', true],
    ['https://a/x/info/refs', 'file:///etc/passwd', true],
  ])('%s -> %s refused: %s', (from, to, refused) => {
    expect(redirectProblem(new URL(from), new URL(to)) !== undefined).toBe(refused);
  });

  it('drops every credential header, whatever its case', () => {
    expect(withoutCredentials({ Authorization: 'Basic x', authorization: 'Basic y', Cookie: 'c', accept: 'a', 'Proxy-Authorization': 'p' })).toEqual({ accept: 'a' });
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

  it('adds, lists, resolves and removes remotes in a store config that git reads too', () => {
    const gitdir = path.join(tmp, 'store');
    fs.mkdirSync(gitdir);
    fs.writeFileSync(path.join(gitdir, 'config'), '[core]\n\tbare = true\n');
    addRemote(gitdir, 'origin', 'https://git.example.com/team/store.git');
    addRemote(gitdir, 'backup', 'http://127.0.0.1:9/x');
    expect(listRemotes(gitdir)).toEqual([
      { name: 'origin', url: 'https://git.example.com/team/store.git' },
      { name: 'backup', url: 'http://127.0.0.1:9/x' },
    ]);
    const config = fs.readFileSync(path.join(gitdir, 'config'), 'utf8');
    expect(config).toContain('\tfetch = +refs/vfi/*:refs/vfi-remotes/origin/vfi/*\n');
    expect(resolveRemote(gitdir, undefined)).toMatchObject({ name: 'origin', host: 'git.example.com' });
    expect(resolveRemote(gitdir, 'backup')).toMatchObject({ name: 'backup', host: '127.0.0.1:9' });
    expect(resolveRemote(gitdir, 'https://other/x')).toMatchObject({ name: undefined, host: 'other' });
    expect(() => addRemote(gitdir, 'origin', 'https://h/y')).toThrowError(expect.objectContaining({ code: 'USAGE' }));
    expect(() => addRemote(gitdir, 'bad name', 'https://h/y')).toThrowError(expect.objectContaining({ code: 'USAGE' }));
    expect(() => addRemote(gitdir, 'creds', 'https://u:p@h/y')).toThrowError(expect.objectContaining({ code: 'USAGE' }));
    expect(() => resolveRemote(gitdir, 'nope')).toThrowError(expect.objectContaining({ code: 'NOT_FOUND' }));
    expect(resolveRemote(gitdir, '/tmp/x.git')).toMatchObject({ name: undefined, protocol: 'file', path: '/tmp/x.git' });
    expect(resolveRemote(gitdir, 'file:///tmp/x.git')).toMatchObject({ name: undefined, protocol: 'file', path: '/tmp/x.git' });
    for (const bad of ['ssh://h/x.git', 'file://h/x.git']) expect(() => resolveRemote(gitdir, bad)).toThrowError(expect.objectContaining({ code: 'USAGE' }));
    expect(() => addRemote(gitdir, 'nohost', 'http:///x.git')).toThrowError(expect.objectContaining({ code: 'USAGE' }));
    expect(() => addRemote(gitdir, 'newline', 'http://h/x\n[core]\n\tbare = false')).toThrowError(expect.objectContaining({ code: 'USAGE' }));
    removeRemote(gitdir, 'origin');
    expect(resolveRemote(gitdir, undefined)).toMatchObject({ name: 'backup' }); // the only one left
    expect(() => removeRemote(gitdir, 'origin')).toThrowError(expect.objectContaining({ code: 'NOT_FOUND' }));
    addRemote(gitdir, 'third', 'https://h/3');
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

  it('asks git credential with protocol, host and path, and reads its answer', () => {
    expect(credentialRequest(parseRemoteUrl('http://127.0.0.1:81/team/s.git'))).toBe('protocol=http\nhost=127.0.0.1:81\npath=team/s.git\n\n');
    expect(parseCredentialReply('protocol=http\nhost=h\nusername=bob\npassword=a=b\n')).toEqual({ username: 'bob', password: 'a=b' });
    expect(parseCredentialReply('protocol=http\nhost=h\n')).toBeUndefined();
  });
});

describe('upload-pack codec', () => {
  const A = 'a'.repeat(40);
  const B = 'b'.repeat(40);

  it('writes wants with capabilities on the first, a flush, haves and done', () => {
    const body = uploadPackRequest([A, B, A], [B], new Set(['side-band-64k', 'ofs-delta', 'multi_ack', 'agent=git/2.39.5']));
    expect(body.toString()).toBe(`0058want ${A} side-band-64k ofs-delta agent=git/vfi\n0032want ${B}\n00000032have ${B}\n0009done\n`);
    // no agent to a server that names none (some refuse capabilities they did not offer)
    expect(uploadPackRequest([A], [], new Set(['side-band']))).toEqual(Buffer.concat([pktLine(`want ${A} side-band\n`), Buffer.from('0000'), pktLine('done\n')]));
    expect(() => uploadPackRequest([A], [], new Set(['ofs-delta']))).toThrowError(ProtocolError);
  });

  const emptyPack = () => {
    const head = Buffer.from('5041434b0000000200000000', 'hex');
    return Buffer.concat([head, createHash('sha1').update(head).digest()]);
  };
  const stream = (...parts: Buffer[]) => (async function* () { for (const p of parts) yield p; })();
  const band = (n: number, data: Buffer | string) => Buffer.concat([Buffer.from(((typeof data === 'string' ? Buffer.byteLength(data) : data.length) + 5).toString(16).padStart(4, '0')), Buffer.from([n]), Buffer.from(data)]);

  it('reads ACK/NAK, progress and the pack from the side-band', async () => {
    const pack = emptyPack();
    const progress: string[] = [];
    const r = await readUploadPackResult(stream(pktLine(`ACK ${A}\n`), band(2, 'Counting objects: 1\r'), band(1, pack.subarray(0, 10)), band(1, pack.subarray(10)), Buffer.from('0000')), (l) => progress.push(l));
    expect(r).toEqual({ pack: undefined, common: A }); // zero objects: nothing to store
    expect(progress).toEqual(['Counting objects: 1']);
  });

  it('refuses a cut or corrupt pack, and reports server errors', async () => {
    const pack = emptyPack();
    await expect(readUploadPackResult(stream(pktLine('NAK\n'), band(1, pack.subarray(0, 20))))).rejects.toMatchObject({ kind: 'truncated' });
    await expect(readUploadPackResult(stream(pktLine('NAK\n'), band(1, pack), Buffer.from('00')))).rejects.toMatchObject({ kind: 'truncated' });
    await expect(readUploadPackResult(stream(pktLine('NAK\n'), band(3, 'upload-pack: not our ref')))).rejects.toMatchObject({ kind: 'server' });
    await expect(readUploadPackResult(stream(Buffer.from('<html>')))).rejects.toMatchObject({ kind: 'protocol' });
    const bad = Buffer.from(pack);
    bad.writeUInt8(bad.readUInt8(bad.length - 1) ^ 1, bad.length - 1);
    expect(() => checkPack(bad)).toThrowError(ProtocolError);
  });
});
