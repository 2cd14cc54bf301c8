/**
 * `vfi export` formats: a flattened VFI in, the document a deploy tool reads out (a JS object the
 * command writes as YAML, or text). Pure. Each format is written as the tool that reads it
 * documents it:
 *
 * - compose: an override file, `services.<service>.image` (compose-spec "image"); merged over a
 *   base file with `docker compose -f base.yml -f vfi.yml`.
 * - kustomize: a kustomize Component with `images` entries (name, newName, digest): an overlay
 *   lists it under `components:` and every manifest naming those images gets the digests.
 * - helm: a values file, `<component>.image.{repository,tag,digest}`.
 * - imageslock: Carvel imgpkg's `ImagesLock` (imgpkg.carvel.dev/v1alpha1), the lock file kbld
 *   writes and `imgpkg push --lock-output` reads: every image by digest, annotated.
 * - freight: a Kargo `Freight` (kargo.akuity.io/v1alpha1) named as Kargo names it (freightName.ts).
 * - env: `COMPONENT_IMAGE=repo@sha256:…` lines for a shell or a CI step.
 */
import { VfiError } from '../../errors.js';
import type { JsonValue } from '../canonical.js';
import { imageString, type Deployable } from './deployables.js';
import { freightName } from './freightName.js';

export const EXPORT_FORMATS = ['compose', 'kustomize', 'helm', 'imageslock', 'freight', 'env', 'intoto'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface Rendered {
  /** a YAML document (written with the yaml package) or text written as it is */
  document: { yaml: Record<string, unknown> } | { text: string };
  /** components the format has no place for (git commits in an image list), to say so on stderr */
  skipped: string[];
}

export interface RenderOptions {
  /** the lineage the VFI is published under (Freight origin default) */
  lineage: string;
  /** the VFI id, for annotations */
  id: string;
  /** Kargo Warehouse the Freight comes from (default: the lineage name as a Kubernetes name) */
  warehouse?: string;
}

type Image = Extract<Deployable, { kind: 'image' }>;
type Commit = Extract<Deployable, { kind: 'commit' }>;

const images = (items: readonly Deployable[]): Image[] => items.filter((d): d is Image => d.kind === 'image');
const commits = (items: readonly Deployable[]): Commit[] => items.filter((d): d is Commit => d.kind === 'commit');
const names = (items: readonly Deployable[]): string[] => items.map((d) => d.name);

/** An `x-` key that must be a non-empty string when present. */
function extension(d: Deployable, key: string): string | undefined {
  const v: JsonValue | undefined = Object.hasOwn(d.component, key) ? d.component[key] : undefined;
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '') {
    throw new VfiError('INVALID_INPUT', `component ${JSON.stringify(d.name)}: "${key}" must be a non-empty string`, { component: d.name, field: key });
  }
  return v;
}

function refuseDuplicate(seen: Map<string, string>, key: string, name: string, what: string): void {
  const other = seen.get(key);
  if (other !== undefined) {
    throw new VfiError('INVALID_INPUT', `components ${JSON.stringify(other)} and ${JSON.stringify(name)} both export as ${what} ${JSON.stringify(key)}`,
      { components: [other, name], [what]: key });
  }
  seen.set(key, name);
}

export function renderCompose(items: readonly Deployable[]): Rendered {
  const services: Record<string, { image: string }> = {};
  const seen = new Map<string, string>();
  const skipped: string[] = [];
  for (const d of items) {
    const service = extension(d, 'x-compose-service');
    if (d.kind !== 'image') {
      // A git component asked for by name as a service has no image to run: that is an error,
      // not something to drop silently.
      if (service !== undefined) {
        throw new VfiError('INVALID_INPUT', `component ${JSON.stringify(d.name)} (x-compose-service ${JSON.stringify(service)}) is a ${d.component.type} component: it has no image for compose`,
          { component: d.name }, 'remove x-compose-service from it, or point the service at an image component');
      }
      skipped.push(d.name);
      continue;
    }
    const name = service ?? d.name;
    if (!/^[a-zA-Z0-9._-]+$/.test(name)) {
      throw new VfiError('INVALID_INPUT', `component ${JSON.stringify(d.name)}: ${JSON.stringify(name)} is not a compose service name ([a-zA-Z0-9._-]+)`, { component: d.name },
        service === undefined ? 'set "x-compose-service" on the component' : 'change its "x-compose-service"');
    }
    refuseDuplicate(seen, name, d.name, 'service');
    services[name] = { image: imageString(d.image) };
  }
  return { document: { yaml: { services } }, skipped };
}

export function renderKustomize(items: readonly Deployable[]): Rendered {
  const seen = new Map<string, string>();
  const entries = images(items).map((d) => {
    // The name the manifests use; the VFI's repository replaces it when they differ (a mirror, a
    // registry of its own).
    const name = extension(d, 'x-kustomize-name') ?? d.image.familiarName;
    refuseDuplicate(seen, name, d.name, 'image name');
    const entry: Record<string, string> = { name };
    if (name !== d.image.familiarName) entry.newName = d.image.familiarName;
    if (d.image.digest) entry.digest = d.image.digest;
    else if (d.image.tag !== undefined) entry.newTag = d.image.tag;
    return entry;
  });
  return {
    document: { yaml: { apiVersion: 'kustomize.config.k8s.io/v1alpha1', kind: 'Component', images: entries } },
    skipped: names(commits(items)),
  };
}

export function renderHelm(items: readonly Deployable[]): Rendered {
  const values: Record<string, unknown> = {};
  const claimed = new Map<string, string>();
  for (const d of images(items)) {
    const path = extension(d, 'x-helm-path') ?? `${d.name}.image`;
    const keys = path.split('.');
    if (keys.some((k) => k === '')) {
      throw new VfiError('INVALID_INPUT', `component ${JSON.stringify(d.name)}: "x-helm-path" ${JSON.stringify(path)} is not a dotted path`, { component: d.name });
    }
    // One path may not hold another's image (a.image and a.image.repository): the values would merge.
    for (const [other, by] of claimed) {
      if (other === path || other.startsWith(`${path}.`) || path.startsWith(`${other}.`)) {
        throw new VfiError('INVALID_INPUT', `components ${JSON.stringify(by)} and ${JSON.stringify(d.name)} both write the values at ${JSON.stringify(other.length < path.length ? other : path)}`,
          { components: [by, d.name] }, 'give one of them another "x-helm-path"');
      }
    }
    claimed.set(path, d.name);
    let node = values;
    for (const k of keys) node = (node[k] ??= {}) as Record<string, unknown>;
    node.repository = d.image.familiarName;
    if (d.image.tag !== undefined) node.tag = d.image.tag;
    if (d.image.digest) node.digest = d.image.digest;
  }
  return { document: { yaml: values }, skipped: names(commits(items)) };
}

export function renderImagesLock(items: readonly Deployable[], opts: RenderOptions): Rendered {
  // imgpkg refuses a lock whose images are not digest references ("Expected ref to be in digest
  // form"), so --allow-unpinned cannot make one: a tag here is a file imgpkg would reject.
  const tagged = images(items).filter((d) => !d.image.digest).map((d) => d.name);
  if (tagged.length > 0) {
    throw new VfiError('INVALID_INPUT', `imageslock holds only images by digest: ${tagged.join(', ')} ha${tagged.length > 1 ? 've' : 's'} none`,
      { components: tagged }, `vfi resolve ${opts.lineage} pins them`);
  }
  const entries = images(items).map((d) => ({
    // imgpkg relocates by digest: the image is the fully-qualified repository @digest.
    image: `${d.image.fullName}@${d.image.digest}`,
    annotations: {
      // kbld's key for "the reference this image was resolved from"
      'kbld.carvel.dev/id': d.image.original.replace(/@.*$/, ''),
      'vfi.dev/component': d.name,
      'vfi.dev/vfi': `${opts.lineage}@${opts.id}`,
    },
  }));
  return { document: { yaml: { apiVersion: 'imgpkg.carvel.dev/v1alpha1', kind: 'ImagesLock', images: entries } }, skipped: names(commits(items)) };
}

/** A Kubernetes object name (RFC 1123 label) from a lineage name. */
export function kubernetesName(name: string): string {
  const s = name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63).replace(/-+$/, '');
  return s || 'vfi';
}

export function renderFreight(items: readonly Deployable[], opts: RenderOptions): Rendered {
  const warehouse = opts.warehouse ?? kubernetesName(opts.lineage);
  const imageList = images(items).map((d) => ({
    repoURL: d.image.familiarName,
    ...(d.image.tag !== undefined ? { tag: d.image.tag } : {}),
    ...(d.image.digest ? { digest: d.image.digest } : {}),
  }));
  const commitList = commits(items).map((d) => ({ repoURL: d.url, id: d.commit }));
  const origin = { kind: 'Warehouse', name: warehouse };
  const freight: Record<string, unknown> = {
    apiVersion: 'kargo.akuity.io/v1alpha1',
    kind: 'Freight',
    metadata: {
      name: freightName(origin, imageList, commitList),
      annotations: { 'vfi.dev/vfi': `${opts.lineage}@${opts.id}` },
    },
    origin,
  };
  if (commitList.length > 0) freight.commits = commitList;
  if (imageList.length > 0) freight.images = imageList;
  return { document: { yaml: freight }, skipped: [] };
}

/** `runtime.router` → `RUNTIME_ROUTER`: what a shell variable name may hold. */
export const envName = (component: string): string => `${component.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}_IMAGE`;

export function renderEnv(items: readonly Deployable[]): Rendered {
  const seen = new Map<string, string>();
  const lines = images(items).map((d) => {
    let name = envName(d.name);
    if (/^[0-9]/.test(name)) name = `_${name}`;
    refuseDuplicate(seen, name, d.name, 'variable');
    return `${name}=${imageString(d.image)}`;
  });
  return { document: { text: lines.map((l) => `${l}\n`).join('') }, skipped: names(commits(items)) };
}

/** Render one of the formats that come from the components alone (not intoto, which is records). */
export function renderExport(format: Exclude<ExportFormat, 'intoto'>, items: readonly Deployable[], opts: RenderOptions): Rendered {
  switch (format) {
    case 'compose':
      return renderCompose(items);
    case 'kustomize':
      return renderKustomize(items);
    case 'helm':
      return renderHelm(items);
    case 'imageslock':
      return renderImagesLock(items, opts);
    case 'freight':
      return renderFreight(items, opts);
    case 'env':
      return renderEnv(items);
  }
}
