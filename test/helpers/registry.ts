/**
 * Talking to the test registries over their HTTP API (distribution v2), for what the docker CLI
 * cannot do here: push an image whose config says another platform (`docker import --platform`
 * is ignored by dockerd 20.10 without experimental mode: the image stays amd64), and delete a
 * manifest (the registries run with `storage.delete.enabled: true`).
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { makeTar } from './engine.js';

export interface Creds {
  user: string;
  password: string;
}

export const MEDIA = {
  manifest: 'application/vnd.docker.distribution.manifest.v2+json',
  list: 'application/vnd.docker.distribution.manifest.list.v2+json',
  config: 'application/vnd.docker.container.image.v1+json',
  layer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
} as const;

const sha256 = (b: Buffer | string) => 'sha256:' + createHash('sha256').update(b).digest('hex');

function headers(creds?: Creds, extra: Record<string, string> = {}): Record<string, string> {
  const h: Record<string, string> = { ...extra };
  if (creds) h.Authorization = 'Basic ' + Buffer.from(`${creds.user}:${creds.password}`).toString('base64');
  return h;
}

async function expectStatus(res: Response, ok: number[], what: string): Promise<void> {
  if (!ok.includes(res.status)) {
    const body = await res.text().catch(() => '');
    throw new Error(`${what}: HTTP ${res.status} ${body.slice(0, 300)}`);
  }
}

export async function uploadBlob(host: string, repo: string, data: Buffer, creds?: Creds): Promise<string> {
  const digest = sha256(data);
  const head = await fetch(`http://${host}/v2/${repo}/blobs/${digest}`, { method: 'HEAD', headers: headers(creds) });
  if (head.status === 200) return digest;
  const start = await fetch(`http://${host}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers: headers(creds) });
  await expectStatus(start, [202], `start upload to ${host}/${repo}`);
  await start.arrayBuffer();
  const location = new URL(start.headers.get('location') ?? '', `http://${host}`);
  location.searchParams.set('digest', digest);
  const put = await fetch(location, {
    method: 'PUT',
    headers: headers(creds, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(data.length) }),
    body: new Uint8Array(data),
  });
  await expectStatus(put, [201], `upload blob to ${host}/${repo}`);
  await put.arrayBuffer();
  return digest;
}

export async function putManifest(host: string, repo: string, reference: string, body: Buffer, mediaType: string, creds?: Creds): Promise<string> {
  const res = await fetch(`http://${host}/v2/${repo}/manifests/${reference}`, {
    method: 'PUT',
    headers: headers(creds, { 'Content-Type': mediaType }),
    body: new Uint8Array(body),
  });
  await expectStatus(res, [201], `put manifest ${host}/${repo}:${reference}`);
  await res.arrayBuffer();
  const digest = sha256(body);
  const reported = res.headers.get('docker-content-digest');
  if (reported && reported !== digest) throw new Error(`registry reported ${reported} for a manifest whose sha256 is ${digest}`);
  return digest;
}

/**
 * Push a one-layer image made of `files` whose config names `platform`, as `repo:tag`.
 * Returns the manifest digest.
 */
export async function pushPlatformImage(
  host: string,
  repo: string,
  tag: string,
  files: Record<string, string>,
  platform: { os: string; architecture: string; variant?: string },
  creds?: Creds,
): Promise<string> {
  const tar = makeTar(files);
  const layer = gzipSync(tar);
  const config = Buffer.from(
    JSON.stringify({
      architecture: platform.architecture,
      os: platform.os,
      ...(platform.variant ? { variant: platform.variant } : {}),
      config: {},
      rootfs: { type: 'layers', diff_ids: [sha256(tar)] },
      history: [{ created: '2026-01-01T00:00:00Z', created_by: 'vfi test fixture' }],
    }),
  );
  const layerDigest = await uploadBlob(host, repo, layer, creds);
  const configDigest = await uploadBlob(host, repo, config, creds);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.manifest,
      config: { mediaType: MEDIA.config, size: config.length, digest: configDigest },
      layers: [{ mediaType: MEDIA.layer, size: layer.length, digest: layerDigest }],
    }),
  );
  return putManifest(host, repo, tag, manifest, MEDIA.manifest, creds);
}

/** The manifest digest a tag points to right now (HEAD, manifest and index media types). */
export async function headDigest(host: string, repo: string, reference: string, creds?: Creds): Promise<string | undefined> {
  const res = await fetch(`http://${host}/v2/${repo}/manifests/${reference}`, {
    method: 'HEAD',
    headers: headers(creds, { Accept: [MEDIA.list, MEDIA.manifest, MEDIA.ociIndex, MEDIA.ociManifest].join(', ') }),
  });
  if (res.status === 404) return undefined;
  await expectStatus(res, [200], `HEAD ${host}/${repo}:${reference}`);
  return res.headers.get('docker-content-digest') ?? undefined;
}

/** Delete a manifest by digest (needs `storage.delete.enabled: true`). */
export async function deleteManifest(host: string, repo: string, digest: string, creds?: Creds): Promise<void> {
  const res = await fetch(`http://${host}/v2/${repo}/manifests/${digest}`, { method: 'DELETE', headers: headers(creds) });
  await expectStatus(res, [202], `delete ${host}/${repo}@${digest}`);
  await res.arrayBuffer();
}
