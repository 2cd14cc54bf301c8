/** The pure parts of the trust layer: PAE, envelopes, the trust and policy folds, the candidate rules. */
import * as crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { makeRecord, makeSignedRecord, parseRecord, parseRecordFileName, recordFileName, recordProblem, type Assertion } from '../../src/core/assertion.js';
import { envelopeVerifies, generateKeyPair, pae, parseEnvelope, parsePrivateKey, parsePublicKey } from '../../src/core/dsse.js';
import { exclusion, pickReleaseCandidate, type Candidate } from '../../src/core/pick.js';
import {
  effectiveRules, foldPolicies, foldTrust, makeEvent, parseEventFileName, policyBody, trustAddBody, unpinnedImages, untrustedReason,
  type EventFile, type Policy, type TrustState,
} from '../../src/core/trust.js';
import type { JsonValue } from '../../src/core/canonical.js';

const A: Assertion = {
  name: 'Runtime', vfi: 'ab'.padEnd(40, '0'), sha256: 'cd'.padEnd(64, '0'), claim: 'tests-passed', result: 'pass', by: 'ci', at: '2026-11-01T12:00:00.000000Z',
};

describe('PAE (DSSE protocol v1)', () => {
  it.each([
    ['application/vnd.in-toto+json', '', 'DSSEv1 28 application/vnd.in-toto+json 0 '],
    ['http://example.com/HelloWorld', 'hello world', 'DSSEv1 29 http://example.com/HelloWorld 11 hello world'],
    // LEN counts bytes, not characters
    ['t', 'é', 'DSSEv1 1 t 2 é'],
  ])('%s / %j', (type, body, expected) => {
    expect(pae(type, Buffer.from(body, 'utf8')).toString('utf8')).toBe(expected);
  });
});

describe('signed records', () => {
  const pair = generateKeyPair();
  const key = parsePrivateKey(pair.privatePem, 'vfi.key');
  const pub = parsePublicKey(pair.publicPem, 'vfi.pub');

  it('the envelope carries the Statement bytes as payload, the keyid of the SPKI DER, a signature over PAE', () => {
    const r = makeSignedRecord(A, key);
    const env = JSON.parse(r.bytes.toString('utf8'));
    expect(Object.keys(env)).toEqual(['payload', 'payloadType', 'signatures']);
    expect(env.payloadType).toBe('application/vnd.in-toto+json');
    expect(Buffer.from(env.payload, 'base64').equals(makeRecord(A).bytes)).toBe(true);
    expect(env.signatures[0].keyid).toBe(crypto.createHash('sha256').update(pub.key.export({ type: 'spki', format: 'der' })).digest('hex'));
    expect(env.signatures[0].keyid).toBe(pair.keyid);
    expect(envelopeVerifies(env, pub.key)).toBe(true);
    expect(recordProblem(parseRecord(r.bytes))).toBeUndefined();
    expect(parseRecord(r.bytes)).toMatchObject({ claim: 'tests-passed', result: 'pass', record: r.record, signed: { keyid: pair.keyid } });
  });

  it('a changed payload no longer verifies', () => {
    const env = JSON.parse(makeSignedRecord(A, key).bytes.toString('utf8'));
    const tampered = { ...env, payload: makeRecord({ ...A, by: 'mallory' }).bytes.toString('base64') };
    expect(envelopeVerifies(tampered, pub.key)).toBe(false);
    expect(envelopeVerifies(env, parsePublicKey(generateKeyPair().publicPem, 'other').key)).toBe(false);
  });

  it('ECDSA P-256 keys sign too (DER signatures)', () => {
    const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const k = parsePrivateKey(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 'ec.key');
    expect(k.algorithm).toBe('ecdsa-p256');
    const env = JSON.parse(makeSignedRecord(A, k).bytes.toString('utf8'));
    expect(envelopeVerifies(env, publicKey)).toBe(true);
  });

  it('file names: a signed record ends in .dsse.json and parses back', () => {
    const r = makeSignedRecord(A, key);
    const file = recordFileName(r);
    expect(file).toBe(`20261101T120000.000000Z-tests-passed-pass-${r.record}.dsse.json`);
    expect(parseRecordFileName(file)).toEqual({ claim: 'tests-passed', result: 'pass', at: Date.parse('2026-11-01T12:00:00Z') * 1000, record: r.record, signed: true });
    expect(parseRecordFileName(file.replace('.dsse.json', '.json'))).not.toHaveProperty('signed');
  });

  const goodEnvelope = JSON.parse(makeSignedRecord(A, key).bytes.toString('utf8')) as { [k: string]: JsonValue };
  it.each<[string, JsonValue]>([
    ['another payloadType', { ...goodEnvelope, payloadType: 'text/plain' }],
    ['payload not base64', { ...goodEnvelope, payload: '***' }],
    ['no signatures', { ...goodEnvelope, signatures: [] }],
    ['two signatures', { ...goodEnvelope, signatures: [...(goodEnvelope.signatures as JsonValue[]), ...(goodEnvelope.signatures as JsonValue[])] }],
    ['a keyid that is not 64 hex', { ...goodEnvelope, signatures: [{ keyid: 'abc', sig: 'AA==' }] }],
    ['an unknown key', { ...goodEnvelope, extra: 1 }],
  ])('refuses an envelope with %s', (_what, env) => {
    expect(() => parseEnvelope(env)).toThrow();
  });
});

describe('keys', () => {
  const ed = generateKeyPair();
  it.each([
    ['a public key', ed.publicPem],
    ['an encrypted key', crypto.generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'x' }).toString()],
    ['garbage', '-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n'],
    ['an RSA key', crypto.generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()],
  ])('parsePrivateKey refuses %s with INVALID_INPUT', (_what, pem) => {
    expect(() => parsePrivateKey(pem, 'k.pem')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
  it('parsePublicKey refuses a private key', () => {
    expect(() => parsePublicKey(ed.privatePem, 'k.pem')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
});

/** Events as the store would hold them. */
function ev(event: string, at: string, body: Record<string, JsonValue>): EventFile {
  const e = makeEvent(event, at, body);
  return { file: e.file, event, at: parseEventFileName(e.file)!.at, id: e.id, bytes: e.bytes };
}

describe('the trust fold', () => {
  const k1 = generateKeyPair();
  const k2 = generateKeyPair();
  const add = (signer: string, k: typeof k1, at: string, claims?: string[]) =>
    ev('add', at, trustAddBody({ signer, keyid: k.keyid, publicKey: k.publicPem, by: 'admin', ...(claims ? { claims } : {}) }));
  const rm = (signer: string, at: string) => ev('rm', at, { signer, by: 'admin' });
  const T = (s: number) => `2026-11-01T12:00:0${s}.000000Z`;

  it.each<[string, EventFile[], Record<string, string>]>([
    ['nothing', [], {}],
    ['one add', [add('ci', k1, T(1))], { ci: k1.keyid }],
    ['add then rm', [add('ci', k1, T(1)), rm('ci', T(2))], {}],
    ['rm then add again', [add('ci', k1, T(1)), rm('ci', T(2)), add('ci', k2, T(3))], { ci: k2.keyid }],
    ['the latest add replaces the key', [add('ci', k1, T(1)), add('ci', k2, T(2))], { ci: k2.keyid }],
    ['order of arrival does not matter', [rm('ci', T(2)), add('ci', k1, T(1)), add('qa', k2, T(1))], { qa: k2.keyid }],
  ])('%s', (_what, events, expected) => {
    const state = foldTrust(events);
    expect(Object.fromEntries([...state.signers].map(([s, t]) => [s, t.keyid]))).toEqual(expected);
    expect(state.problems).toEqual([]);
  });

  it('keeps every key it ever saw, for fsck', () => {
    expect([...foldTrust([add('ci', k1, T(1)), rm('ci', T(2))]).keys.keys()]).toEqual([k1.keyid]);
  });

  const state = foldTrust([add('ci', k1, T(1), ['tests-passed']), add('qa', k2, T(1))]);
  it.each<[string, TrustState | undefined, string, Parameters<typeof untrustedReason>[2], string | undefined]>([
    ['no trust list: everything counts', undefined, 'x', { kind: 'unsigned' }, undefined],
    ['an empty trust list: everything counts', foldTrust([]), 'x', { kind: 'unsigned' }, undefined],
    ['unsigned', state, 'tests-passed', { kind: 'unsigned' }, 'unsigned'],
    ['trusted key, trusted claim', state, 'tests-passed', { kind: 'good', keyid: k1.keyid }, undefined],
    ['trusted key, another claim', state, 'reviewed', { kind: 'good', keyid: k1.keyid }, 'signed by ci, not trusted for reviewed'],
    ['a key trusted for every claim', state, 'reviewed', { kind: 'good', keyid: k2.keyid }, undefined],
    ['an unknown key', state, 'reviewed', { kind: 'good', keyid: 'f'.repeat(64) }, `signed by key ffffffffffff, which is not trusted`],
    ['a bad signature', state, 'tests-passed', { kind: 'bad', keyid: k1.keyid }, `bad signature (key ${k1.keyid.slice(0, 12)}): the envelope was changed after signing`],
  ])('untrustedReason: %s', (_what, st, claim, sig, expected) => {
    expect(untrustedReason(st, claim, sig)).toBe(expected);
  });
});

describe('the policy fold and the rules pick applies', () => {
  const set = (lineage: string, at: string, p: Partial<Policy>) =>
    ev('set', at, policyBody({ lineage, require: p.require ?? [], allowUnpinned: p.allowUnpinned ?? false, by: 'lead', ...(p.minScore !== undefined ? { minScore: p.minScore } : {}) }));

  it('the latest set per lineage wins, whatever the order of arrival', () => {
    const { policies } = foldPolicies([
      set('Runtime', '2026-11-01T12:00:02.000000Z', { require: ['b'] }),
      set('Runtime', '2026-11-01T12:00:01.000000Z', { require: ['a'], minScore: 3 }),
      set('Canary', '2026-11-01T12:00:01.000000Z', { allowUnpinned: true }),
    ]);
    expect(policies.get('Runtime')).toMatchObject({ require: ['b'], allowUnpinned: false });
    expect(policies.get('Runtime')).not.toHaveProperty('minScore');
    expect(policies.get('Canary')).toMatchObject({ allowUnpinned: true });
  });

  it('a policy naming an invalid claim is refused', () => {
    expect(() => policyBody({ lineage: 'R', require: ['no good'], allowUnpinned: false, by: 'x' })).toThrow(expect.objectContaining({ code: 'INVALID_CLAIM' }));
  });

  const policy = (p: Partial<Policy>): Policy => ({ lineage: 'R', require: [], allowUnpinned: false, at: '', by: '', ...p });
  it.each<[string, Policy | undefined, Parameters<typeof effectiveRules>[1], { require: string[]; minScore: number; allowUnpinned: boolean }]>([
    ['defaults', undefined, {}, { require: [], minScore: 1, allowUnpinned: false }],
    ['--min-score 0 lowers the default', undefined, { minScore: 0 }, { require: [], minScore: 0, allowUnpinned: false }],
    ['flags add required claims', policy({ require: ['a'] }), { require: ['b', 'a'] }, { require: ['a', 'b'], minScore: 1, allowUnpinned: false }],
    ['a flag never goes under the policy\'s minimum', policy({ minScore: 2 }), { minScore: 0 }, { require: [], minScore: 2, allowUnpinned: false }],
    ['a flag may raise it', policy({ minScore: 2 }), { minScore: 3 }, { require: [], minScore: 3, allowUnpinned: false }],
    ['a policy of min score 0', policy({ minScore: 0 }), {}, { require: [], minScore: 0, allowUnpinned: false }],
    ['the policy allows unpinned', policy({ allowUnpinned: true }), {}, { require: [], minScore: 1, allowUnpinned: true }],
    ['--allow-unpinned', undefined, { allowUnpinned: true }, { require: [], minScore: 1, allowUnpinned: true }],
  ])('effectiveRules: %s', (_what, p, flags, expected) => {
    expect(effectiveRules(p, flags)).toMatchObject(expected);
  });

  const c = (over: Partial<Candidate>): Candidate => ({ id: '1'.repeat(40), name: 'R', recency: 0, passing: [], failing: [], ...over });
  it.each<[string, Candidate, Parameters<typeof exclusion>[1], string | undefined]>([
    ['score 0 under the default minimum', c({}), { minScore: 1 }, 'low-score'],
    ['score 0 allowed', c({}), { minScore: 0 }, undefined],
    ['unpinned', c({ passing: ['t'], unpinned: true }), { allowUnpinned: false, minScore: 1 }, 'unpinned'],
    ['unpinned allowed', c({ passing: ['t'], unpinned: true }), { allowUnpinned: true, minScore: 1 }, undefined],
    ['a failing claim comes first', c({ failing: ['t'], unpinned: true }), { allowUnpinned: false }, 'disqualified'],
    ['a missing claim before the score', c({ passing: ['t'] }), { require: ['r'], minScore: 5 }, 'missing'],
    ['released does not score', c({ passing: ['released'] }), { minScore: 1 }, 'low-score'],
  ])('exclusion: %s', (_what, cand, rules, kind) => {
    expect(exclusion(cand, rules)?.kind).toBe(kind);
  });

  it('pick counts each rule and names it in the verdict', () => {
    const r = pickReleaseCandidate([
      c({ id: 'a'.repeat(40), passing: ['t'], recency: 1 }),
      c({ id: 'b'.repeat(40), passing: ['t'], unpinned: true, recency: 2 }),
      c({ id: 'c'.repeat(40), recency: 3 }),
    ], { minScore: 1, allowUnpinned: false, limit: 5 });
    expect(r.ranked.map((x) => x.candidate.id[0])).toEqual(['a']);
    expect(r.rejected.map((x) => [x.candidate.id[0], x.verdict.kind])).toEqual([['c', 'low-score'], ['b', 'unpinned']]);
    expect(r.counts).toMatchObject({ qualified: 1, unpinned: 1, lowScore: 1 });
  });

  it.each<[string, Record<string, { type: string; address: string }>, string[]]>([
    ['a tag', { a: { type: 'dockerImage', address: 'nsqio/nsq:v1' } }, ['a']],
    ['a digest', { a: { type: 'dockerImage', address: `nsqio/nsq:v1@sha256:${'1'.repeat(64)}` } }, []],
    ['git components do not count', { g: { type: 'git', address: `https://x/y.git@${'1'.repeat(40)}` } }, []],
  ])('unpinnedImages: %s', (_what, vfi, expected) => {
    expect(unpinnedImages(vfi as never)).toEqual(expected);
  });
});

describe('key errors', () => {
  // The CLI prints a hint in parentheses after the message: a hint with parentheses of its own read as `(… (…))`.
  it('the wrong half of a pair is INVALID_INPUT with a hint the CLI can wrap', () => {
    const pair = generateKeyPair();
    for (const attempt of [() => parsePrivateKey(pair.publicPem, 'vfi.pub'), () => parsePublicKey(pair.privatePem, 'vfi.key')]) {
      let caught: unknown;
      try {
        attempt();
      } catch (e) {
        caught = e;
      }
      expect(caught).toMatchObject({ code: 'INVALID_INPUT' });
      expect((caught as { hint?: string }).hint).toMatch(/^[^()]+$/);
    }
  });
});
