/** What a pull and a push do with each ref, decided from values alone (src/core/sharing.ts). */
import { describe, expect, it } from 'vitest';
import { pullAction, pushAction } from '../../src/core/sharing.js';

const L = '1111111111111111111111111111111111111111';
const R = '2222222222222222222222222222222222222222';

describe('pullAction', () => {
  it.each([
    [undefined, R, undefined, { kind: 'create', next: R }],
    [L, R, 'equal', { kind: 'up-to-date' }],
    [L, R, 'ahead', { kind: 'local-ahead' }],
    [L, R, 'behind', { kind: 'fast-forward', next: R }],
    [L, R, 'diverged', { kind: 'merge' }],
  ] as const)('local %s, remote %s, %s', (local, remote, relation, expected) => {
    expect(pullAction(local, remote, relation)).toEqual(expected);
  });
});

describe('pushAction', () => {
  it.each([
    [L, undefined, undefined, undefined, { kind: 'create' }],
    [L, L, undefined, undefined, { kind: 'up-to-date' }],
    [L, R, 'ahead', undefined, { kind: 'fast-forward' }],
    [L, R, 'behind', undefined, { kind: 'behind' }], // the store fetched the remote head and has nothing beyond it
    [L, R, undefined, 'equal', { kind: 'behind' }], // the local head is what the store last saw of the remote
    [L, R, undefined, 'behind', { kind: 'behind' }], // ... or below it
    [L, R, undefined, 'ahead', { kind: 'rejected', reason: 'fetch-first' }], // published since, and the remote moved on
    [L, R, undefined, 'diverged', { kind: 'rejected', reason: 'fetch-first' }],
    [L, R, undefined, undefined, { kind: 'rejected', reason: 'fetch-first' }], // no tracking ref: cannot tell
    [L, R, 'diverged', undefined, { kind: 'rejected', reason: 'diverged' }],
  ] as const)('local %s, remote %s, %s, tracking %s', (local, remote, relation, tracking, expected) => {
    expect(pushAction(local, remote, relation, tracking)).toEqual(expected);
  });
});
