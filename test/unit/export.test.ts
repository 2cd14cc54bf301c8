/** `vfi export` renderers, flattening and the pinning rule: tables of VFIs in, documents out. */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkPinned, flattenVfi, type Deployable } from '../../src/core/export/deployables.js';
import { freightName } from '../../src/core/export/freightName.js';
import { kargoGitUrl } from '../../src/core/export/kargoGitUrl.js';
import { envName, kubernetesName, renderExport } from '../../src/core/export/render.js';
import type { ErrorCode } from '../../src/errors.js';
import { VfiError } from '../../src/errors.js';
import type { Vfi } from '../../src/core/vfi.js';

const D1 = `sha256:${'a'.repeat(64)}`;
const D2 = `sha256:${'b'.repeat(64)}`;
const C1 = '1'.repeat(40);
const OPTS = { lineage: 'Runtime', id: 'f'.repeat(40) };

const flat = (vfi: Vfi, nested: Record<string, Vfi> = {}): Deployable[] => flattenVfi(vfi, new Map(Object.entries(nested)));
const img = (address: string, x: Record<string, string> = {}) => ({ type: 'dockerImage' as const, address, ...x });

function codeOf(f: () => unknown): ErrorCode | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof VfiError) return e.code;
    throw e;
  }
  return undefined;
}

describe('flattenVfi', () => {
  it('names nested components by their path and sorts them', () => {
    const inner: Vfi = { router: img(`polyverse/router:1@${D1}`), db: img(`postgres@${D2}`) };
    const items = flat({ web: img(`nginx@${D2}`), runtime: { type: 'vfi', address: `Inner@${C1}` } }, { [`Inner@${C1}`]: inner });
    expect(items.map((d) => d.name)).toEqual(['runtime.db', 'runtime.router', 'web']);
  });

  it.each<[string, Vfi, Record<string, Vfi>, ErrorCode]>([
    ['a name collision after flattening', { 'runtime.router': img(`a@${D1}`), runtime: { type: 'vfi', address: `Inner@${C1}` } }, { [`Inner@${C1}`]: { router: img(`b@${D1}`) } }, 'INVALID_INPUT'],
    ['a nested VFI that is not given', { runtime: { type: 'vfi', address: `Inner@${C1}` } }, {}, 'NOT_FOUND'],
    ['a VFI that contains itself', { runtime: { type: 'vfi', address: `Inner@${C1}` } }, { [`Inner@${C1}`]: { again: { type: 'vfi', address: `Inner@${C1}` } } }, 'INVALID_INPUT'],
  ])('refuses %s', (_title, vfi, nested, code) => {
    expect(codeOf(() => flat(vfi, nested))).toBe(code);
  });
});

describe('checkPinned', () => {
  it.each<[string, Vfi, ErrorCode | undefined]>([
    ['all by digest', { a: img(`nginx:1.25@${D1}`), g: { type: 'git', address: `https://example.com/a.git@${C1}` } }, undefined],
    ['a tag only', { a: img(`nginx@${D1}`), b: img('nsqio/nsq:v0.3.8') }, 'UNPINNED'],
    ['no tag, no digest', { a: img('nginx') }, 'UNPINNED'],
  ])('%s', (_title, vfi, code) => {
    expect(codeOf(() => checkPinned(flat(vfi), 'Runtime@x'))).toBe(code);
  });
});

describe('compose', () => {
  it.each<[string, Vfi, Record<string, { image: string }>]>([
    ['service = component name, image = familiar name @ digest', { web: img(`docker.io/library/nginx:1.25@${D1}`) }, { web: { image: `nginx@${D1}` } }],
    ['x-compose-service renames the service', { router: img(`localhost:5000/router:v2@${D2}`, { 'x-compose-service': 'edge' }) }, { edge: { image: `localhost:5000/router@${D2}` } }],
    ['git components are left out', { web: img(`nginx@${D1}`), api: { type: 'git', address: `https://example.com/api.git@${C1}` } }, { web: { image: `nginx@${D1}` } }],
  ])('%s', (_title, vfi, services) => {
    expect(renderExport('compose', flat(vfi), OPTS).document).toEqual({ yaml: { services } });
  });

  it.each<[string, Vfi]>([
    ['a git component asked for as a service', { api: { type: 'git', address: `https://example.com/api.git@${C1}`, 'x-compose-service': 'api' } }],
    ['two components on one service', { a: img(`nginx@${D1}`, { 'x-compose-service': 'web' }), b: img(`httpd@${D2}`, { 'x-compose-service': 'web' }) }],
    ['a service name compose refuses', { a: img(`nginx@${D1}`, { 'x-compose-service': 'web server' }) }],
  ])('refuses %s (exit 2)', (_title, vfi) => {
    expect(codeOf(() => renderExport('compose', flat(vfi), OPTS))).toBe('INVALID_INPUT');
  });
});

describe('kustomize', () => {
  it.each<[string, Vfi, Record<string, string>[]]>([
    ['name and digest', { web: img(`nginx:1.25@${D1}`) }, [{ name: 'nginx', digest: D1 }]],
    ['x-kustomize-name: the manifests name another registry, newName moves it', { web: img(`registry.example.com/mirror/nginx:1.25@${D1}`, { 'x-kustomize-name': 'nginx' }) },
      [{ name: 'nginx', newName: 'registry.example.com/mirror/nginx', digest: D1 }]],
    ['unpinned (with --allow-unpinned): the tag', { web: img('nginx:1.25') }, [{ name: 'nginx', newTag: '1.25' }]],
  ])('%s', (_title, vfi, images) => {
    expect(renderExport('kustomize', flat(vfi), OPTS).document).toEqual({ yaml: { apiVersion: 'kustomize.config.k8s.io/v1alpha1', kind: 'Component', images } });
  });
});

describe('helm', () => {
  it.each<[string, Vfi, Record<string, unknown>]>([
    ['<component>.image', { router: img(`polyverse/router:1.0.3@${D1}`) }, { router: { image: { repository: 'polyverse/router', tag: '1.0.3', digest: D1 } } }],
    ['x-helm-path', { router: img(`polyverse/router@${D1}`, { 'x-helm-path': 'edge.proxy.image' }) }, { edge: { proxy: { image: { repository: 'polyverse/router', digest: D1 } } } }],
    ['nested components nest', { 'runtime.router': img(`r@${D1}`), 'runtime.db': img(`d@${D2}`) }, { runtime: { router: { image: { repository: 'r', digest: D1 } }, db: { image: { repository: 'd', digest: D2 } } } }],
  ])('%s', (_title, vfi, values) => {
    expect(renderExport('helm', flat(vfi), OPTS).document).toEqual({ yaml: values });
  });

  it('refuses two components writing one path', () => {
    const vfi = { a: img(`x@${D1}`, { 'x-helm-path': 'img' }), b: img(`y@${D1}`, { 'x-helm-path': 'img.repository' }) };
    expect(codeOf(() => renderExport('helm', flat(vfi), OPTS))).toBe('INVALID_INPUT');
  });
});

describe('imageslock', () => {
  it('every image fully qualified by digest, annotated with what it was resolved from', () => {
    const doc = renderExport('imageslock', flat({ web: img(`nginx:1.25@${D1}`) }), OPTS).document;
    expect(doc).toEqual({ yaml: {
      apiVersion: 'imgpkg.carvel.dev/v1alpha1',
      kind: 'ImagesLock',
      images: [{ image: `docker.io/library/nginx@${D1}`, annotations: { 'kbld.carvel.dev/id': 'nginx:1.25', 'vfi.dev/component': 'web', 'vfi.dev/vfi': `Runtime@${OPTS.id}` } }],
    } });
  });

  it('refuses an image without a digest even with --allow-unpinned: imgpkg rejects a lock entry that is not a digest reference', () => {
    expect(codeOf(() => renderExport('imageslock', flat({ web: img('nginx:1.25'), db: img(`postgres@${D1}`) }), OPTS))).toBe('INVALID_INPUT');
  });
});

describe('freight', () => {
  it('images with repoURL/tag/digest, commits with repoURL/id, origin the warehouse, named as Kargo names it', () => {
    const vfi = { web: img(`nginx:1.25@${D1}`), api: { type: 'git' as const, address: `https://github.com/polyverse/api.git@${C1}` } };
    const { yaml } = renderExport('freight', flat(vfi), OPTS).document as { yaml: Record<string, any> };
    expect(yaml.apiVersion).toBe('kargo.akuity.io/v1alpha1');
    expect(yaml.kind).toBe('Freight');
    expect(yaml.origin).toEqual({ kind: 'Warehouse', name: 'runtime' });
    expect(yaml.images).toEqual([{ repoURL: 'nginx', tag: '1.25', digest: D1 }]);
    expect(yaml.commits).toEqual([{ repoURL: 'https://github.com/polyverse/api.git', id: C1 }]);
    // Freight.GenerateID: sha1 of "<kind>/<name>:" + sorted artifacts joined by "|", the commit's URL
    // normalized as Kargo normalizes it (no .git), while the Freight keeps it as written
    const expected = createHash('sha1').update(`Warehouse/runtime:https://github.com/polyverse/api:${C1}|nginx:1.25@${D1}`).digest('hex');
    expect(yaml.metadata.name).toBe(expected);
  });

  it.each<[string, { repoURL: string; tag?: string; digest?: string }[], string]>([
    ['artifacts are sorted', [{ repoURL: 'b', tag: 't', digest: D1 }, { repoURL: 'a', digest: D2 }], `Warehouse/w:a:@${D2}|b:t@${D1}`],
    ['no images', [], 'Warehouse/w:'],
  ])('freightName: %s', (_title, images, hashed) => {
    expect(freightName({ kind: 'Warehouse', name: 'w' }, images, [])).toBe(createHash('sha1').update(hashed).digest('hex'));
  });

  // Expected values are what Kargo's own NormalizeGit gives for these inputs (pkg/urls/git_test.go).
  it.each([
    ['https://github.com/', 'https://github.com'],
    ['https://github.com/Example/Repo.git/', 'https://github.com/example/repo'],
    ['https://foo:bar@localhost:8443/example/repo.git', 'https://localhost:8443/example/repo'],
    ['http://github.com/example/repo?foo=bar', 'http://github.com/example/repo?foo=bar'],
    ['ssh://git@localhost:2222/example/repo.git/', 'ssh://git@localhost:2222/example/repo'],
    ['ssh://git.example.com/', 'ssh://git.example.com'],
    ['git@github.com:example/repo.git', 'ssh://git@github.com/example/repo'],
    ['github.com:example/repo/', 'ssh://github.com/example/repo'],
    ['git@git.example.com', 'ssh://git@git.example.com'],
    ['https://host/a%2Fb.git', 'https://host/a/b'],
    ['https://host/a%2Fb', 'https://host/a%2fb'],
    ['not even remotely a url', 'not even remotely a url'],
  ])('kargoGitUrl(%s) = %s', (url, normal) => {
    expect(kargoGitUrl(url)).toBe(normal);
  });

  it('a commit URL names the same Freight however its .git and case are written', () => {
    const name = (url: string) => freightName({ kind: 'Warehouse', name: 'w' }, [], [{ repoURL: url, id: C1 }]);
    expect(name('https://GitHub.com/org/api.git')).toBe(name('https://github.com/org/api'));
    expect(name('git@github.com:org/api.git')).toBe(createHash('sha1').update(`Warehouse/w:ssh://git@github.com/org/api:${C1}`).digest('hex'));
  });

  it.each([['Runtime', 'runtime'], ['my_App.v2', 'my-app-v2'], ['___', 'vfi']])('kubernetesName(%s) = %s', (name, k8s) => {
    expect(kubernetesName(name)).toBe(k8s);
  });
});

describe('env', () => {
  it('COMPONENT_IMAGE=repo@digest lines, git components left out', () => {
    const r = renderExport('env', flat({ 'runtime.router': img(`polyverse/router:1@${D1}`), eventService: img(`e@${D2}`), api: { type: 'git', address: `https://x.example/api.git@${C1}` } }), OPTS);
    expect(r.document).toEqual({ text: `EVENTSERVICE_IMAGE=e@${D2}\nRUNTIME_ROUTER_IMAGE=polyverse/router@${D1}\n` });
    expect(r.skipped).toEqual(['api']);
  });

  it.each([['web', 'WEB_IMAGE'], ['runtime.router', 'RUNTIME_ROUTER_IMAGE'], ['a-b.c_d', 'A_B_C_D_IMAGE']])('envName(%s) = %s', (c, v) => {
    expect(envName(c)).toBe(v);
  });

  it('refuses two components with one variable name', () => {
    expect(codeOf(() => renderExport('env', flat({ 'a.b': img(`x@${D1}`), a_b: img(`y@${D1}`) }), OPTS))).toBe('INVALID_INPUT');
  });
});
