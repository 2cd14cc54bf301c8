/** Subjects of assertions parsed at the edge: VFI REFs, pinned images, git commits; tags refused. */
import { describe, expect, it } from 'vitest';
import { isVfiError } from '../../src/errors.js';
import { parseSubject } from '../../src/core/subject.js';

const D = 'a'.repeat(64);
const C = '72e5e550d1835013832f64597cb1368b7155bd53';

function refused(text: string): { code: string; exit: number; hint: string | undefined } {
  try {
    parseSubject(text);
  } catch (e) {
    if (isVfiError(e)) return { code: e.code, exit: e.exitCode, hint: e.hint };
    throw e;
  }
  throw new Error(`${text} was accepted`);
}

describe('parseSubject', () => {
  it.each([
    ['Runtime', { kind: 'vfi', ref: { kind: 'head', name: 'Runtime', back: 0 } }],
    ['Runtime~2', { kind: 'vfi', ref: { kind: 'head', name: 'Runtime', back: 2 } }],
    ['Runtime@b383463', { kind: 'vfi', ref: { kind: 'id', name: 'Runtime', prefix: 'b383463' } }],
    [`Runtime@${C}`, { kind: 'vfi', ref: { kind: 'id', name: 'Runtime', prefix: C } }],
    ['b383463c', { kind: 'vfi', ref: { kind: 'bare', prefix: 'b383463c', alsoName: true } }],
  ])('%s is a VFI reference', (text, want) => {
    expect(parseSubject(text)).toMatchObject(want);
  });

  it.each([
    [`polyverse/router@sha256:${D}`, 'docker.io/polyverse/router'],
    [`polyverse/router:1.0.3@sha256:${D}`, 'docker.io/polyverse/router'],
    [`ubuntu@sha256:${D}`, 'docker.io/library/ubuntu'],
    [`localhost:5000/router:v2@sha256:${D}`, 'localhost:5000/router'],
    [`quay.io/coreos/etcd:v3.5.9@sha256:${D}`, 'quay.io/coreos/etcd'],
  ])('%s is an image, named %s, identified by its digest', (text, name) => {
    expect(parseSubject(text)).toEqual({ kind: 'component', text, component: { type: 'dockerImage', name, digest: D } });
  });

  it.each([
    [`https://github.com/polyverse/api.git@${C}`, 'https://github.com/polyverse/api.git'],
    [`git@github.com:polyverse/api.git@${C}`, 'git@github.com:polyverse/api.git'],
    [`ssh://git@example.com/x/y.git@${C}`, 'ssh://git@example.com/x/y.git'],
  ])('%s is a git commit', (text, name) => {
    expect(parseSubject(text)).toEqual({ kind: 'component', text, component: { type: 'git', name, digest: C } });
  });

  it.each(['router:v2', 'polyverse/router', 'polyverse/router:1.0.3', 'localhost:5000/router:v2'])(
    'a tag without a digest (%s) is refused, exit 2, with a hint to pin it first', (text) => {
      const r = refused(text);
      expect(r.exit).toBe(2);
      expect(r.hint).toMatch(/pin it first/);
    });

  it.each([
    [`router@sha256:${'a'.repeat(63)}`],
    [`router@sha512:${'a'.repeat(128)}`],
    [`Router@sha256:${D}`],
    ['Runtime@xyz'],
    [''],
  ])('%s is refused with exit 2', (text) => {
    expect(refused(text).exit).toBe(2);
  });
});
