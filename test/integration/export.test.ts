/**
 * `vfi export`: each format read by the tool that reads it (docker-compose merging an override
 * over a base file, kubectl kustomize rendering a Deployment) or checked against the published
 * shape (Carvel ImagesLock, Kargo Freight CRD fields), and the bad inputs that must write nothing.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { Ajv } from 'ajv';
import { ok, tempDir, vfi } from '../helpers/cli.js';
import { parseImageReference } from '../../src/core/imageRef.js';

const D_WEB = `sha256:${'a1'.repeat(32)}`;
const D_ROUTER = `sha256:${'b2'.repeat(32)}`;
const D_DB = `sha256:${'c3'.repeat(32)}`;
const COMMIT = '72e5e550d1835013832f64597cb1368b7155bd53';

const dir = tempDir('vfi-export-');
const store = path.join(dir, 'store');

/** vfi in this suite's store, expected to succeed: its output, trimmed. */
const run = (args: string[]): string => ok(store, args).trim();

function tool(cmd: string, args: string[], cwd?: string): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd, env: { ...process.env, COMPOSE_PROJECT_NAME: 'vfiexport' } });
  expect(r.status, `${cmd} ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

let release = '';
let inner = '';

beforeAll(() => {
  fs.writeFileSync(path.join(dir, 'data.json'), JSON.stringify({ db: { type: 'dockerImage', address: `postgres:16@${D_DB}` } }));
  inner = run(['add', 'Data', path.join(dir, 'data.json')]);
  fs.writeFileSync(path.join(dir, 'runtime.json'), JSON.stringify({
    web: { type: 'dockerImage', address: `nginx:1.25@${D_WEB}`, 'x-kustomize-name': 'nginx' },
    router: { type: 'dockerImage', address: `localhost:5000/polyverse/router:1.0.3@${D_ROUTER}`, 'x-compose-service': 'edge', 'x-kustomize-name': 'polyverse/router' },
    api: { type: 'git', address: `https://github.com/polyverse/api.git@${COMMIT}` },
    data: { type: 'vfi', address: inner },
  }));
  release = run(['add', 'Runtime', path.join(dir, 'runtime.json')]);
  run(['assert', release, 'tests-passed', '--by', 'ci', '--evidence', 'https://ci.example.com/1']);
  run(['assert', inner, 'reviewed', '--by', 'alice']);
  run(['release', release, '--by', 'release-manager']);
});

describe('vfi export', () => {
  it('compose: docker-compose merges the override over a base file and shows the digests', () => {
    const project = path.join(dir, 'compose');
    fs.mkdirSync(project);
    fs.writeFileSync(path.join(project, 'docker-compose.yml'), [
      "version: '3.8'",
      'services:',
      '  web:',
      '    image: nginx:1.25',
      '    ports: ["8080:80"]',
      '  edge:',
      '    image: localhost:5000/polyverse/router:1.0.2',
      '  data.db:',
      '    image: postgres:16',
      '',
    ].join('\n'));
    run(['export', release, '--format', 'compose', '--out', path.join(project, 'vfi.yml')]);
    const merged = YAML.parse(tool('docker-compose', ['-f', 'docker-compose.yml', '-f', 'vfi.yml', 'config'], project));
    expect(merged.services.web.image).toBe(`nginx@${D_WEB}`);
    expect(merged.services.web.ports).toHaveLength(1); // the base file's settings stay
    expect(merged.services.edge.image).toBe(`localhost:5000/polyverse/router@${D_ROUTER}`);
    expect(merged.services['data.db'].image).toBe(`postgres@${D_DB}`);
  });

  it('kustomize: kubectl kustomize renders the Deployment with the digests', () => {
    const k = path.join(dir, 'kustomize');
    fs.mkdirSync(path.join(k, 'base'), { recursive: true });
    fs.mkdirSync(path.join(k, 'prod'));
    fs.writeFileSync(path.join(k, 'base', 'deployment.yaml'), YAML.stringify({
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'runtime' },
      spec: { selector: { matchLabels: { app: 'runtime' } }, template: { metadata: { labels: { app: 'runtime' } }, spec: { containers: [
        { name: 'web', image: 'nginx:1.25' },
        { name: 'router', image: 'polyverse/router:1.0.2' },
        { name: 'db', image: 'postgres:16' },
      ] } } },
    }));
    fs.writeFileSync(path.join(k, 'base', 'kustomization.yaml'), 'resources:\n- deployment.yaml\n');
    fs.writeFileSync(path.join(k, 'prod', 'kustomization.yaml'), 'resources:\n- ../base\ncomponents:\n- vfi\n');
    fs.mkdirSync(path.join(k, 'prod', 'vfi'));
    run(['export', release, '--format', 'kustomize', '--out', path.join(k, 'prod', 'vfi', 'kustomization.yaml')]);
    const rendered = YAML.parse(tool('kubectl', ['kustomize', path.join(k, 'prod')]));
    expect(rendered.kind).toBe('Deployment');
    const images = Object.fromEntries(rendered.spec.template.spec.containers.map((c: { name: string; image: string }) => [c.name, c.image]));
    expect(images).toEqual({
      web: `nginx@${D_WEB}`,
      // the VFI's registry replaces the one the manifests name (newName)
      router: `localhost:5000/polyverse/router@${D_ROUTER}`,
      db: `postgres@${D_DB}`,
    });
  });

  it('helm: values at <component>.image, nested components nested', () => {
    const values = YAML.parse(run(['export', release, '--format', 'helm']));
    expect(values.web.image).toEqual({ repository: 'nginx', tag: '1.25', digest: D_WEB });
    expect(values.router.image).toEqual({ repository: 'localhost:5000/polyverse/router', tag: '1.0.3', digest: D_ROUTER });
    expect(values.data.db.image).toEqual({ repository: 'postgres', tag: '16', digest: D_DB });
  });

  it('imageslock: a Carvel ImagesLock as imgpkg reads it (every image a digest reference)', () => {
    const lock = YAML.parse(run(['export', release, '--format', 'imageslock']));
    expect(lock.apiVersion).toBe('imgpkg.carvel.dev/v1alpha1');
    expect(lock.kind).toBe('ImagesLock');
    expect(Object.keys(lock).sort()).toEqual(['apiVersion', 'images', 'kind']);
    expect(lock.images.map((i: { image: string }) => i.image).sort()).toEqual([
      `docker.io/library/nginx@${D_WEB}`,
      `docker.io/library/postgres@${D_DB}`,
      `localhost:5000/polyverse/router@${D_ROUTER}`,
    ]);
    for (const entry of lock.images) {
      expect(Object.keys(entry).sort()).toEqual(['annotations', 'image']);
      // imgpkg refuses lock entries that are not digest references
      const ref = parseImageReference(entry.image);
      expect(ref.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(ref.tag).toBeUndefined();
      for (const v of Object.values(entry.annotations)) expect(typeof v).toBe('string');
    }
  });

  it('freight: a Kargo Freight with the CRD\'s fields only', () => {
    const freight = YAML.parse(run(['export', release, '--format', 'freight', '--warehouse', 'runtime']));
    // The fields of Kargo's Freight, GitCommit and Image types (api/v1alpha1/freight_types.go).
    const strict = (properties: Record<string, unknown>, required: string[] = []) => ({ type: 'object', properties, required, additionalProperties: false });
    const str = { type: 'string', minLength: 1 };
    const schema = strict({
      apiVersion: { const: 'kargo.akuity.io/v1alpha1' },
      kind: { const: 'Freight' },
      metadata: { type: 'object', properties: { name: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 253 } }, required: ['name'] },
      alias: str,
      origin: strict({ kind: { const: 'Warehouse' }, name: str }, ['kind', 'name']),
      commits: { type: 'array', items: strict({ repoURL: str, id: str, branch: str, tag: str, message: str, author: str, committer: str }, ['repoURL', 'id']) },
      images: { type: 'array', items: strict({ repoURL: str, gitRepoURL: str, tag: str, digest: str, annotations: { type: 'object' } }, ['repoURL']) },
      charts: { type: 'array' },
    }, ['apiVersion', 'kind', 'metadata', 'origin']);
    const ajv = new Ajv({ allErrors: true });
    expect(ajv.validate(schema, freight), ajv.errorsText()).toBe(true);
    expect(freight.commits).toEqual([{ repoURL: 'https://github.com/polyverse/api.git', id: COMMIT }]);
    expect(freight.images).toContainEqual({ repoURL: 'postgres', tag: '16', digest: D_DB });
  });

  it('--out - is stdout, not a file named "-"', () => {
    const r = vfi(store, ['export', release, '--format', 'env', '--out', '-']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(run(['export', release, '--format', 'env']) + '\n');
    expect(fs.existsSync('-')).toBe(false); // the CLI runs in the test's working directory
  });

  it('env: lines a shell can source', () => {
    const file = path.join(dir, 'release.env');
    run(['export', release, '--format', 'env', '--out', file]);
    const r = spawnSync('bash', ['-c', 'set -eu; source "$1"; printf "%s\\n" "$WEB_IMAGE" "$ROUTER_IMAGE" "$DATA_DB_IMAGE"', 'bash', file], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual([`nginx@${D_WEB}`, `localhost:5000/polyverse/router@${D_ROUTER}`, `postgres@${D_DB}`]);
  });

  it('intoto: the VFI\'s records as vfi assertions --format intoto writes them, then its components\'', () => {
    const lines = run(['export', release, '--format', 'intoto']).split('\n');
    const own = run(['assertions', release, '--format', 'intoto']).split('\n');
    const nested = run(['assertions', inner, '--format', 'intoto']).split('\n');
    expect(lines).toEqual([...own, ...nested]);
    for (const l of lines) expect(JSON.parse(l)._type).toBe('https://in-toto.io/Statement/v1');
  });
});

describe('vfi export refuses, writing nothing', () => {
  it.each<[string, string[], number]>([
    ['an unknown format', ['--format', 'terraform'], 2],
    ['no format', [], 2],
    ['a --warehouse no Kubernetes object can be named', ['--format', 'freight', '--warehouse', 'My Warehouse'], 2],
    ['--warehouse with a format other than freight', ['--format', 'env', '--warehouse', 'runtime'], 2],
  ])('%s (exit %d)', (title, args, code) => {
    const out = path.join(dir, `refused-${title.replace(/\W+/g, '-')}.yml`);
    const r = vfi(store, ['export', release, ...args, '--out', out]);
    expect(r.code).toBe(code);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('a git component asked for as a compose service (exit 2)', () => {
    fs.writeFileSync(path.join(dir, 'bad.json'), JSON.stringify({ api: { type: 'git', address: `https://github.com/polyverse/api.git@${COMMIT}`, 'x-compose-service': 'api' } }));
    const bad = run(['add', 'Bad', path.join(dir, 'bad.json')]);
    const out = path.join(dir, 'bad.yml');
    const r = vfi(store, ['export', bad, '--format', 'compose', '--out', out]);
    expect(r.code).toBe(2);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('an unpinned image (exit 1), unless --allow-unpinned', () => {
    fs.writeFileSync(path.join(dir, 'tagged.json'), JSON.stringify({ web: { type: 'dockerImage', address: 'nginx:1.25' }, router: { type: 'dockerImage', address: `polyverse/router@${D_ROUTER}` } }));
    const tagged = run(['add', 'Tagged', path.join(dir, 'tagged.json')]);
    const out = path.join(dir, 'unpinned.env');
    const r = vfi(store, ['export', tagged, '--format', 'env', '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/unpinned/);
    expect(fs.existsSync(out)).toBe(false);
    expect(run(['export', tagged, '--format', 'env', '--allow-unpinned'])).toContain('WEB_IMAGE=nginx:1.25');
    // imgpkg rejects a lock entry that is not a digest reference: no --allow-unpinned for imageslock
    const lock = vfi(store, ['export', tagged, '--format', 'imageslock', '--allow-unpinned', '--out', out]);
    expect(lock.code).toBe(2);
    expect(lock.stderr.trim().split('\n')).toHaveLength(1);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('an existing --out file (exit 2) unless --force, which replaces it whole', () => {
    const out = path.join(dir, 'exists.env');
    fs.writeFileSync(out, 'KEEP=1\n');
    const r = vfi(store, ['export', release, '--format', 'env', '--out', out]);
    expect(r.code).toBe(2);
    expect(fs.readFileSync(out, 'utf8')).toBe('KEEP=1\n');
    run(['export', release, '--format', 'env', '--out', out, '--force']);
    expect(fs.readFileSync(out, 'utf8')).toMatch(/^DATA_DB_IMAGE=postgres@sha256:/);
    expect(fs.readdirSync(dir).filter((f) => f.includes('.vfi-'))).toEqual([]); // no temp file left
  });

  it('a name collision after flattening (exit 2)', () => {
    fs.writeFileSync(path.join(dir, 'collide.json'), JSON.stringify({ 'data.db': { type: 'dockerImage', address: `postgres@${D_DB}` }, data: { type: 'vfi', address: inner } }));
    const collide = run(['add', 'Collide', path.join(dir, 'collide.json')]);
    const r = vfi(store, ['export', collide, '--format', 'helm']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
  });
});
