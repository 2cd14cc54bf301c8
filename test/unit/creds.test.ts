import { describe, expect, it } from 'vitest';
import {
  DOCKER_HUB_KEY,
  checkName,
  configOf,
  configOfSecret,
  contentsOf,
  credentialOf,
  credentialsOfConfig,
  decodeBase64,
  encodeBase64,
  mergeIntoConfig,
  normalizeRegistry,
  parseConfig,
  parseSecret,
  reconcileConfig,
  removeFromConfig,
  renderSecret,
  secretOf,
  withConfig,
} from '../../src/creds/convert.js';
import { VfiError } from '../../src/errors.js';

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return e instanceof VfiError ? e.code : 'NOT_A_VFI_ERROR';
  }
  return undefined;
}

describe('normalizeRegistry: keys as docker and kubelet match them', () => {
  it.each([
    ['docker.io', DOCKER_HUB_KEY],
    ['index.docker.io', DOCKER_HUB_KEY],
    ['registry-1.docker.io', DOCKER_HUB_KEY],
    ['https://index.docker.io/v1/', DOCKER_HUB_KEY],
    ['https://index.docker.io/v1', DOCKER_HUB_KEY],
    ['Registry.Example.com', 'registry.example.com'],
    ['https://registry.example.com/v1/', 'registry.example.com'],
    // kubelet drops a leading /v1/ or /v2/ and matches by host: a key ending in /v2 would only match images under /v2/
    ['https://registry.example.com/v2/', 'registry.example.com'],
    ['registry.example.com:5000/v2', 'registry.example.com:5000'],
    ['https://index.docker.io/v2/', DOCKER_HUB_KEY],
    ['reg.example.com/v2/team/', 'reg.example.com/team'],
    ['reg.example.com/v10/team', 'reg.example.com/v10/team'],
    ['http://127.0.0.1:5000/', '127.0.0.1:5000'],
    ['quay.io/team', 'quay.io/team'],
    ['*.gcr.io', '*.gcr.io'],
    ['[::1]:5000', '[::1]:5000'],
    ['localhost:5000', 'localhost:5000'],
    ['docker.io:443', 'docker.io:443'],
  ])('%s -> %s', (input, key) => expect(normalizeRegistry(input)).toBe(key));

  it.each(['', 'not a host', 'https://', 'reg.example.com:99999', '-bad.example.com', 'user@reg.example.com', 'reg..example.com', 'a_b.example.com'])(
    'refuses %j',
    (input) => expect(codeOf(() => normalizeRegistry(input))).toBe('INVALID_INPUT'),
  );
});

describe('base64', () => {
  it.each(['', 'a', 'alice:p@ss:word', 'ünïcödé:🔑'])('round trips %j like Buffer does', (s) => {
    expect(encodeBase64(s)).toBe(Buffer.from(s, 'utf8').toString('base64'));
    expect(decodeBase64(encodeBase64(s))).toBe(s);
  });
  it.each(['!!!', 'YWJj=', 'YQ', '/w=='])('refuses %j (not base64, or not UTF-8)', (s) => expect(decodeBase64(s)).toBeUndefined());
});

describe('auth and username/password', () => {
  it('reads user:password from auth alone, keeping colons in the password', () => {
    expect(credentialOf('r.example.com', { auth: encodeBase64('alice:a:b') })).toEqual({ registry: 'r.example.com', username: 'alice', password: 'a:b' });
  });
  it('refuses an auth that disagrees with username/password, or is not base64', () => {
    expect(codeOf(() => credentialOf('r.example.com', { username: 'bob', password: 'x', auth: encodeBase64('alice:x') }))).toBe('INVALID_INPUT');
    expect(codeOf(() => credentialOf('r.example.com', { auth: 'bm9jb2xvbg==' }))).toBe('INVALID_INPUT'); // "nocolon"
    expect(codeOf(() => credentialOf('r.example.com', { auth: '%%%' }))).toBe('INVALID_INPUT');
  });
  it('writes entries in kubectl order with auth matching', () => {
    const config = configOf([{ registry: 'https://r.example.com/v1/', username: 'u', password: 'p', email: 'e@x' }]);
    expect(JSON.stringify(config)).toBe(`{"auths":{"r.example.com":{"username":"u","password":"p","email":"e@x","auth":"${encodeBase64('u:p')}"}}}`);
  });
  it('reconcileConfig fills auth from username/password and back, keeping tokens and other fields', () => {
    const config = {
      auths: {
        'a.example.com': { username: 'u', password: 'p:1', email: 'e@x' },
        'b.example.com': { auth: encodeBase64('v:p2') },
        'c.example.com': { identitytoken: 'tok' },
        'd.example.com': {},
      },
      credsStore: 'pass',
    };
    expect(reconcileConfig(config)).toEqual({
      auths: {
        'a.example.com': { username: 'u', password: 'p:1', email: 'e@x', auth: encodeBase64('u:p:1') },
        'b.example.com': { username: 'v', password: 'p2', auth: encodeBase64('v:p2') },
        'c.example.com': { identitytoken: 'tok' },
        'd.example.com': {},
      },
      credsStore: 'pass',
    });
    expect(codeOf(() => reconcileConfig({ auths: { 'a.example.com': { auth: '%%%' } } }))).toBe('INVALID_INPUT');
    expect(codeOf(() => reconcileConfig({ auths: { 'a.example.com': { username: 'x', auth: encodeBase64('y:p') } } }))).toBe('INVALID_INPUT');
  });
  it('refuses empty usernames and passwords, and a ":" in a username', () => {
    for (const row of [{ username: '', password: 'p' }, { username: 'u', password: '' }, { username: 'a:b', password: 'p' }]) {
      expect(codeOf(() => configOf([{ registry: 'r.example.com', ...row }]))).toBe('INVALID_INPUT');
    }
  });
});

describe('configs', () => {
  it('refuses JSON that is not an object, and a non-object auths', () => {
    expect(codeOf(() => parseConfig('{'))).toBe('INVALID_INPUT');
    expect(codeOf(() => parseConfig('[]'))).toBe('INVALID_INPUT');
    expect(codeOf(() => parseConfig('{"auths": []}'))).toBe('INVALID_INPUT');
    expect(parseConfig('')).toEqual({});
  });
  it('sets registries kept by helpers apart from those with credentials', () => {
    const c = contentsOf({ auths: { 'a.example.com': {}, 'b.example.com': { auth: encodeBase64('u:p') }, 'c.example.com': { identitytoken: 't' } }, credsStore: 'desktop', credHelpers: { 'gcr.io': 'gcloud' } });
    expect(c.credentials.map((r) => r.registry)).toEqual(['b.example.com']);
    expect(c.helpers).toEqual([
      { registry: 'gcr.io', key: 'gcr.io', helper: 'gcloud' },
      { registry: 'a.example.com', key: 'a.example.com', helper: 'desktop' },
    ]);
    expect(c.tokens).toEqual(['c.example.com']);
    expect(codeOf(() => credentialsOfConfig({ credHelpers: { 'gcr.io': 'gcloud' } }))).toBe('INVALID_INPUT');
  });
  it('merges by normalized key and keeps other fields; removes by normalized key', () => {
    const base = { auths: { 'https://index.docker.io/v1/': { auth: encodeBase64('old:old') }, 'q.example.com': { auth: encodeBase64('q:q') } }, credHelpers: { 'docker.io': 'x' }, psFormat: 'table' };
    const merged = mergeIntoConfig(base, [{ registry: 'docker.io', username: 'new', password: 'new' }]);
    expect(Object.keys(merged.auths!)).toEqual(['q.example.com', DOCKER_HUB_KEY]);
    expect(merged.credHelpers).toEqual({});
    expect(merged.psFormat).toBe('table');
    const removed = removeFromConfig(merged, ['https://q.example.com/v1/', 'index.docker.io']);
    expect(removed.auths).toEqual({});
    expect(codeOf(() => removeFromConfig(removed, ['q.example.com']))).toBe('NOT_FOUND');
  });
});

describe('Secrets', () => {
  const config = configOf([{ registry: 'r.example.com', username: 'u', password: 'p<&>' }]);
  it('escape <, > and & in the embedded JSON as Go (kubectl) does', () => {
    const s = secretOf(config, { name: 'x' });
    expect(decodeBase64(s.data!['.dockerconfigjson']!)).toContain('"password":"p\\u003c\\u0026\\u003e"');
    expect(configOfSecret(s)).toEqual(config);
  });
  it('read data (base64) and stringData, YAML and JSON', async () => {
    const yaml = await renderSecret(secretOf(config, { name: 'x', namespace: 'ns' }), 'yaml');
    const parsed = await parseSecret(yaml);
    expect(parsed.format).toBe('yaml');
    expect(configOfSecret(parsed.secret)).toEqual(config);
    const stringData = { kind: 'Secret', type: 'kubernetes.io/dockerconfigjson', stringData: { '.dockerconfigjson': JSON.stringify(config) } };
    const fromJson = await parseSecret(JSON.stringify(stringData));
    expect(fromJson.format).toBe('json');
    expect(configOfSecret(fromJson.secret)).toEqual(config);
  });
  it.each([
    ['another type', { kind: 'Secret', type: 'Opaque', data: {} }],
    ['another kind', { kind: 'ConfigMap', data: {} }],
    ['no .dockerconfigjson', { kind: 'Secret', type: 'kubernetes.io/dockerconfigjson', data: {} }],
    ['data not base64', { kind: 'Secret', type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': 'not base64!' } }],
  ])('refuse %s', (_, secret) => expect(codeOf(() => configOfSecret(secret))).toBe('INVALID_INPUT'));
  it('refuse bad YAML without quoting it', async () => {
    const e = await parseSecret('kind: Secret\n  password: "hunter2\n').catch((x: unknown) => x);
    expect((e as VfiError).code).toBe('INVALID_INPUT');
    expect((e as VfiError).message).not.toContain('hunter2');
  });
  it('withConfig replaces only .dockerconfigjson, keeping labels and moving stringData to data', () => {
    const s = withConfig({ kind: 'Secret', metadata: { name: 'x', labels: { a: 'b' } }, stringData: { '.dockerconfigjson': '{}' } }, config);
    expect(s.metadata).toEqual({ name: 'x', labels: { a: 'b' } });
    expect(s.stringData).toBeUndefined();
    expect(configOfSecret({ ...s, type: 'kubernetes.io/dockerconfigjson' })).toEqual(config);
  });
  it.each(['Regcred', 'a_b', '-a', ''])('refuse the name %j', (n) => expect(codeOf(() => checkName(n, 'name'))).toBe('INVALID_INPUT'));
});
