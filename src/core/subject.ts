/**
 * What an assertion can be about (SPEC §1 "Assertion"), parsed once at the edge: a VFI (any REF
 * form of SPEC §2) or a component, pinned. A component is identified by its digest, never its
 * tag: an image by its manifest digest (`registry/repo[:tag]@sha256:<64 hex>`), a git component
 * by its commit (`<url>@<40 hex>`). Pure.
 */
import { VfiError } from '../errors.js';
import { tryParseGitAddress } from './gitAddress.js';
import { tryParseImageReference } from './imageRef.js';
import { parseVfiRef, type VfiRef } from './vfiRef.js';

/** A pinned image or git commit: what a component record's in-toto subject names. */
export interface ComponentSubject {
  type: 'dockerImage' | 'git';
  /** the repository: an image's name normalized as docker does (docker.io/library/ubuntu), a git URL */
  name: string;
  /** 64 hex (an image's sha256 manifest digest) or 40 hex (a git commit) */
  digest: string;
}

export type AssertionSubject = { kind: 'vfi'; text: string; ref: VfiRef } | { kind: 'component'; text: string; component: ComponentSubject };

const SHA256 = /^sha256:([0-9a-f]{64})$/;

/** A pinned image or git address as a component subject, or why it is not one. */
export function componentSubjectOf(type: string, address: string): ComponentSubject | string {
  if (type === 'git') {
    const g = tryParseGitAddress(address);
    return g.ok ? { type: 'git', name: g.address.url, digest: g.address.commit } : `not a git address: ${g.reason}`;
  }
  if (type !== 'dockerImage') return `a ${type} component is not an image or a git commit`;
  const r = tryParseImageReference(address);
  if (!r.ok) return `not an image reference: ${r.reason}`;
  if (r.ref.digest === undefined) return 'not pinned: a tag names different images over time';
  const m = SHA256.exec(r.ref.digest);
  if (!m) return `only sha256 digests are supported, not ${r.ref.digest.split(':')[0]}`;
  return { type: 'dockerImage', name: r.ref.fullName, digest: m[1]! };
}

/** How a component subject is written back: `docker.io/polyverse/router@sha256:…`, `https://…@<commit>`. */
export const formatComponentSubject = (c: ComponentSubject): string =>
  `${c.name}@${c.type === 'dockerImage' ? 'sha256:' : ''}${c.digest}`;

/**
 * Parse the subject of `vfi assert`, `assert --batch` and `vfi assertions`: a git address, a
 * pinned image, else a VFI reference. An image named by tag alone is refused: what the tag names
 * today is not what it named when the claim was observed.
 */
export function parseSubject(text: string): AssertionSubject {
  if (/@[0-9a-f]{40}$/.test(text) && tryParseGitAddress(text).ok) {
    return { kind: 'component', text, component: componentSubjectOf('git', text) as ComponentSubject };
  }
  if (text.includes('@') && text.slice(text.lastIndexOf('@') + 1).includes(':')) {
    const c = componentSubjectOf('dockerImage', text);
    if (typeof c === 'string') {
      throw new VfiError('INVALID_REFERENCE', `invalid subject ${JSON.stringify(text)}: ${c}`, { ref: text },
        'a pinned image is registry/repo[:tag]@sha256:<64 hex>');
    }
    return { kind: 'component', text, component: c };
  }
  try {
    return { kind: 'vfi', text, ref: parseVfiRef(text) };
  } catch (e) {
    const image = tryParseImageReference(text);
    if (image.ok && image.ref.digest === undefined) {
      throw new VfiError('INVALID_REFERENCE', `${JSON.stringify(text)} is an image tag, not a digest: a tag names different images over time`,
        { ref: text }, `pin it first: vfi resolve a VFI holding it, or docker buildx imagetools inspect ${text}, then give ${image.ref.familiarName}@sha256:…`);
    }
    throw e;
  }
}
