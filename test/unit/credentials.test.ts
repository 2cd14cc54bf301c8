import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, chmodSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, delimiter } from 'node:path';
import {
  credentialsFor,
  dockerCredentials,
  encodeRegistryAuth,
  registryKey,
  runCredentialHelper,
  DOCKER_HUB_KEY,
  type RegistryAuth,
} from '../../src/docker/credentials.js';
import { VfiError } from '../../src/errors.js';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

let root: string;
let bin: string;
let callLog: string;
let env: NodeJS.ProcessEnv;

/**
 * A real credential helper on PATH speaking the protocol: `get`, server URL on stdin, JSON out;
 * "credentials not found in native keychain" on stdout and exit 1 when it has none.
 */
const HELPER = `#!/bin/sh
[ "$1" = get ] || { echo "unsupported action $1" >&2; exit 2; }
url=$(cat)
printf '%s %s\\n' "$(basename "$0")" "$url" >> "$VFI_TEST_HELPER_LOG"
case "$url" in
  reg.example:5000) printf '{"ServerURL":"%s","Username":"helperuser","Secret":"helper:secret"}' "$url" ;;
  https://index.docker.io/v1/) printf '{"ServerURL":"%s","Username":"hubuser","Secret":"hubpass"}' "$url" ;;
  token.example) printf '{"ServerURL":"%s","Username":"<token>","Secret":"refresh-token-xyz"}' "$url" ;;
  broken.example) echo "keychain locked" >&2; exit 3 ;;
  leaky.example) printf '{"Secret":"leaked-secret-value"'; exit 4 ;;
  slow.example) sleep 5 ;;
  *) echo "credentials not found in native keychain"; exit 1 ;;
esac
`;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'vfi-cred-'));
  bin = join(root, 'bin');
  mkdirSync(bin);
  for (const name of ['docker-credential-test', 'docker-credential-other']) {
    writeFileSync(join(bin, name), HELPER);
    chmodSync(join(bin, name), 0o755);
  }
  callLog = join(root, 'helper.log');
  writeFileSync(callLog, '');
  env = { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ''}`, VFI_TEST_HELPER_LOG: callLog };
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

let n = 0;
function configDir(config: unknown): string {
  const dir = join(root, `cfg${n++}`);
  mkdirSync(dir);
  writeFileSync(join(dir, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config));
  return dir;
}

async function errorOf(p: Promise<unknown>): Promise<VfiError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(VfiError);
    return e as VfiError;
  }
  throw new Error('expected a rejection');
}

describe('auths', () => {
  it('decodes base64 user:password, splitting at the first colon', async () => {
    const dir = configDir({ auths: { 'reg.example:5000': { auth: b64('alice:pa:ss:word') } } });
    expect(await credentialsFor('reg.example:5000', { configDir: dir, env })).toEqual({
      username: 'alice',
      password: 'pa:ss:word',
      serveraddress: 'reg.example:5000',
    });
  });

  it('reads username/password fields and identity tokens', async () => {
    const dir = configDir({
      auths: {
        'a.example': { username: 'bob', password: 'pw' },
        'b.example': { auth: b64('carol:x'), identitytoken: 'idtok' },
      },
    });
    expect(await credentialsFor('a.example', { configDir: dir, env })).toEqual({ username: 'bob', password: 'pw', serveraddress: 'a.example' });
    expect(await credentialsFor('b.example', { configDir: dir, env })).toEqual({ identitytoken: 'idtok', serveraddress: 'b.example', username: 'carol' });
  });

  it('uses the Docker Hub key for docker.io and matches keys written as URLs', async () => {
    expect(registryKey('docker.io')).toBe(DOCKER_HUB_KEY);
    const dir = configDir({
      auths: {
        [DOCKER_HUB_KEY]: { auth: b64('hub:hubpw') },
        'https://reg.example:5000/v2/': { auth: b64('u:p') },
      },
    });
    expect(await credentialsFor('docker.io', { configDir: dir, env })).toEqual({ username: 'hub', password: 'hubpw', serveraddress: DOCKER_HUB_KEY });
    expect(await credentialsFor('reg.example:5000', { configDir: dir, env })).toEqual({ username: 'u', password: 'p', serveraddress: 'reg.example:5000' });
    expect(await credentialsFor('other.example', { configDir: dir, env })).toBeUndefined();
  });

  it('finds config.json through $DOCKER_CONFIG', async () => {
    const dir = configDir({ auths: { 'x.example': { auth: b64('x:y') } } });
    expect(await credentialsFor('x.example', { env: { ...env, DOCKER_CONFIG: dir } })).toMatchObject({ username: 'x' });
  });

  it('no config file, an empty entry or an empty file: no credentials', async () => {
    expect(await credentialsFor('x.example', { configDir: join(root, 'nowhere'), env })).toBeUndefined();
    expect(await credentialsFor('x.example', { configDir: configDir({ auths: { 'x.example': {} } }), env })).toBeUndefined();
    expect(await credentialsFor('x.example', { configDir: configDir(''), env })).toBeUndefined();
  });

  it('refuses a broken config without quoting it', async () => {
    const e = await errorOf(credentialsFor('x.example', { configDir: configDir('{"auths": {"x.example": {"auth": "c2VjcmV0'), env }));
    expect(e.code).toBe('INVALID_INPUT');
    expect(e.message).not.toContain('c2VjcmV0');
    const e2 = await errorOf(credentialsFor('x.example', { configDir: configDir({ auths: { 'x.example': { auth: b64('nocolonsecret') } } }), env }));
    expect(e2.code).toBe('INVALID_INPUT');
    expect(e2.message).not.toContain('nocolonsecret');
    expect(e2.message).not.toContain(b64('nocolonsecret'));
  });
});

describe('credential helpers', () => {
  it('credHelpers[host] wins over credsStore and auths', async () => {
    const dir = configDir({
      credHelpers: { 'reg.example:5000': 'test' },
      credsStore: 'missing-helper',
      auths: { 'reg.example:5000': { auth: b64('fromauths:x') } },
    });
    expect(await credentialsFor('reg.example:5000', { configDir: dir, env })).toEqual({
      username: 'helperuser',
      password: 'helper:secret',
      serveraddress: 'reg.example:5000',
    });
  });

  it('credsStore answers for hosts without a credHelpers entry; the hub gets its URL key', async () => {
    writeFileSync(callLog, '');
    const dir = configDir({ credsStore: 'other', credHelpers: { 'elsewhere.example': 'test' } });
    expect(await credentialsFor('docker.io', { configDir: dir, env })).toEqual({ username: 'hubuser', password: 'hubpass', serveraddress: DOCKER_HUB_KEY });
    expect(readFileSync(callLog, 'utf8')).toBe(`docker-credential-other ${DOCKER_HUB_KEY}\n`);
  });

  it('Username <token> is an identity token', async () => {
    const dir = configDir({ credsStore: 'test' });
    expect(await credentialsFor('token.example', { configDir: dir, env })).toEqual({ identitytoken: 'refresh-token-xyz', serveraddress: 'token.example' });
  });

  it('"credentials not found" means none, then auths is consulted', async () => {
    const dir = configDir({ credsStore: 'test', auths: { 'plain.example': { auth: b64('p:q') } } });
    expect(await credentialsFor('nothing.example', { configDir: dir, env })).toBeUndefined();
    expect(await credentialsFor('plain.example', { configDir: dir, env })).toEqual({ username: 'p', password: 'q', serveraddress: 'plain.example' });
  });

  it('a failing, missing, slow or leaky helper is an UNAUTHORIZED error without secrets', async () => {
    const broken = await errorOf(runCredentialHelper('test', 'broken.example', { env }));
    expect(broken.code).toBe('UNAUTHORIZED');
    expect(broken.message).toContain('docker-credential-test');
    expect(broken.message).toContain('keychain locked');

    const missing = await errorOf(credentialsFor('x.example', { configDir: configDir({ credsStore: 'nonexistent' }), env }));
    expect(missing.code).toBe('UNAUTHORIZED');
    expect(missing.message).toContain('docker-credential-nonexistent');

    const slow = await errorOf(runCredentialHelper('test', 'slow.example', { env, helperTimeoutMs: 300 }));
    expect(slow.code).toBe('UNAUTHORIZED');

    const leaky = await errorOf(runCredentialHelper('test', 'leaky.example', { env }));
    expect(leaky.message).not.toContain('leaked-secret-value');
    expect(JSON.stringify(leaky.data)).not.toContain('leaked-secret-value');
  });

  it('refuses helper names that are not plain names', async () => {
    const e = await errorOf(runCredentialHelper('../../bin/sh', 'x.example', { env }));
    expect(e.code).toBe('INVALID_INPUT');
  });
});

describe('dockerCredentials()', () => {
  it('asks each helper once per host, even concurrently', async () => {
    writeFileSync(callLog, '');
    const lookup = dockerCredentials({ configDir: configDir({ credsStore: 'test' }), env });
    const all = await Promise.all([lookup('reg.example:5000'), lookup('reg.example:5000'), lookup('nothing.example'), lookup('reg.example:5000')]);
    expect(all[0]).toMatchObject({ username: 'helperuser' });
    expect(all[2]).toBeUndefined();
    expect(readFileSync(callLog, 'utf8').trim().split('\n').sort()).toEqual(['docker-credential-test nothing.example', 'docker-credential-test reg.example:5000']);
  });
});

describe('encodeRegistryAuth', () => {
  it('is padded base64url of the JSON, which the engine decodes', () => {
    const auth: RegistryAuth = { username: 'a?>', password: 'b~~~?', serveraddress: 'h' };
    const enc = encodeRegistryAuth(auth);
    expect(enc).not.toMatch(/[+/]/);
    expect(JSON.parse(Buffer.from(enc.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8'))).toEqual(auth);
    expect(enc.length % 4).toBe(0);
  });
});
