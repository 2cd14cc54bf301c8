import { describe, expect, test } from 'vitest';
import { VfiError } from '../../src/errors.js';
import {
  canonicalString,
  familiarString,
  imageRefGrammar,
  parseImageReference,
  tryParseImageReference,
  tryParseRawReference,
  withDigest,
  type ImageReference,
  type ImageRefProblem,
  type RawReference,
} from '../../src/core/imageRef.js';
import * as T from './fixtures/reference-tables.js';

const SHA = 'sha256:' + '0123456789abcdef'.repeat(4);

function ok(s: string): ImageReference {
  const r = tryParseImageReference(s);
  if (!r.ok) throw new Error(`expected ${JSON.stringify(s)} to parse, got ${r.problem}: ${r.reason}`);
  return r.ref;
}

function problemOf(s: string): ImageRefProblem | undefined {
  const r = tryParseImageReference(s);
  return r.ok ? undefined : r.problem;
}

function raw(s: string): RawReference {
  const r = tryParseRawReference(s);
  if (!r.ok) throw new Error(`expected ${JSON.stringify(s)} to parse, got ${r.problem}: ${r.reason}`);
  return r.ref;
}

/** upstream Reference.String() for a reference.Parse result */
function rawString(r: RawReference): string {
  return r.name + (r.tag === undefined ? '' : `:${r.tag}`) + (r.digest === undefined ? '' : `@${r.digest}`);
}

/** Go's FindStringSubmatch: unmatched groups are "" */
function submatches(re: RegExp, s: string): string[] | null {
  const m = re.exec(s);
  return m && Array.from(m, (g) => g ?? '');
}

function groupCount(re: RegExp): number {
  return (new RegExp(`${re.source}|`).exec('') as RegExpExecArray).length - 1;
}

describe('reference_test.go', () => {
  describe('TestReferenceParse (reference.Parse)', () => {
    test.each(T.REFERENCE_PARSE)('$input', (tc) => {
      const r = tryParseRawReference(tc.input);
      if (tc.err) {
        expect(r.ok ? 'parsed' : r.problem).toBe(tc.err);
        return;
      }
      if (!r.ok) throw new Error(`unexpected parse error ${r.problem}: ${r.reason}`);
      expect(rawString(r.ref)).toBe(tc.input);
      expect(r.ref.name).toBe(tc.repository);
      expect(r.ref.domain).toBe(tc.domain ?? '');
      expect(r.ref.tag).toBe(tc.tag);
      expect(r.ref.digest).toBe(tc.digest);
    });
  });

  /** WithName, which is not exported: the anchored name regexp, then the path length. */
  function withName(s: string): { domain: string; path: string } | ImageRefProblem {
    const m = submatches(imageRefGrammar.name, s);
    if (!m) return 'invalid-format';
    const [, domain = '', path = ''] = m;
    return path.length > 255 ? 'too-long' : { domain, path };
  }

  describe('TestWithNameFailure', () => {
    test.each(T.WITH_NAME_FAILURE)('$input', (tc) => {
      expect(withName(tc.input)).toBe(tc.err);
    });
  });

  describe('TestDomainAndPath', () => {
    test.each(T.DOMAIN_AND_PATH)('$input', (tc) => {
      expect(withName(tc.input)).toEqual({ domain: tc.domain, path: tc.path });
      // Parse splits a bare name the same way.
      const r = raw(tc.input);
      expect([r.domain, r.path]).toEqual([tc.domain, tc.path]);
    });
  });

  describe('TestSerialization', () => {
    test.each(T.SERIALIZATION)('$description', (tc) => {
      const r = tryParseRawReference(tc.input);
      if (tc.err) {
        expect(r.ok ? 'parsed' : r.problem).toBe(tc.err);
        return;
      }
      const ref = raw(tc.input);
      expect(ref.name).toBe(tc.name);
      expect(ref.tag).toBe(tc.tag);
      expect(ref.digest).toBe(tc.digest);
      expect(rawString(ref)).toBe(tc.input);
    });
  });

  describe('TestWithDigest', () => {
    test.each(T.WITH_DIGEST)('$combined', (tc) => {
      const ref = ok(tc.tag ? `${tc.name}:${tc.tag}` : tc.name);
      // Upstream's 37-hex sha256 is refused: the result would not parse again.
      expect(() => withDigest(ref, tc.digest)).toThrow(
        expect.objectContaining({ code: 'INVALID_IMAGE_REFERENCE', data: { problem: 'invalid-digest', digest: tc.digest } }),
      );
      const combined = withDigest(ref, SHA);
      expect(combined).toBe(tc.combined.replace(tc.digest, SHA));
      expect(ok(combined).digest).toBe(SHA);
    });
  });

  describe('TestParseNamed (canonical iff String() == input)', () => {
    test.each(T.PARSE_NAMED)('$input', (tc) => {
      const ref = ok(tc.input);
      expect(canonicalString(ref) === tc.input).toBe(tc.canonical);
      if (tc.canonical) expect([ref.domain, ref.path]).toEqual([tc.domain, tc.path]);
    });
  });
});

describe('normalize_test.go', () => {
  describe('TestValidateReferenceName', () => {
    test.each(T.VALID_REFERENCE_NAMES)('valid %s', (name) => {
      expect(problemOf(name)).toBeUndefined();
    });
    test.each(T.INVALID_REFERENCE_NAMES)('invalid $input', (tc) => {
      expect(problemOf(tc.input)).toBe(tc.err);
    });
  });

  describe('TestValidateRemoteName', () => {
    test.each(T.VALID_REMOTE_NAMES)('valid %s', (name) => {
      expect(problemOf(name)).toBeUndefined();
    });
    test.each(T.INVALID_REMOTE_NAMES)('invalid $input', (tc) => {
      expect(problemOf(tc.input)).toBe(tc.err);
    });
  });

  describe('TestParseRepositoryInfo', () => {
    const cases = T.REPOSITORY_INFO.flatMap((tc, i) =>
      [tc.FamiliarName, tc.FullName, tc.AmbiguousName]
        .filter((r) => r !== '')
        .map((r) => ({ i, r, tc })),
    );
    test.each(cases)('$i/$r', ({ r, tc }) => {
      const ref = ok(r);
      expect(ref.familiarName).toBe(tc.FamiliarName);
      expect(ref.fullName).toBe(tc.FullName);
      expect(canonicalString(ref)).toBe(tc.FullName);
      expect(ref.domain).toBe(tc.Domain);
      expect(ref.path).toBe(tc.RemoteName);
    });
  });

  test('TestParseReferenceWithTagAndDigest', () => {
    const ref = ok(T.TAG_AND_DIGEST_SHORT_REF);
    expect(canonicalString(ref)).toBe('docker.io/library/' + T.TAG_AND_DIGEST_SHORT_REF);
    expect(ref.tag).toBe('latest');
    expect(ref.digest).toBe('sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa');
    expect(familiarString(ref)).toBe(T.TAG_AND_DIGEST_SHORT_REF);
  });

  test('TestInvalidReferenceComponents', () => {
    expect(problemOf('-foo')).toBe('invalid-format');
    const ref = ok('busybox');
    // WithTag is not ported; a bad tag is refused by the parser instead.
    expect(problemOf('busybox:-foo')).toBe('invalid-tag');
    expect(() => withDigest(ref, 'foo')).toThrow(expect.objectContaining({ data: { problem: 'invalid-digest', digest: 'foo' } }));
  });

  describe('TestParseAnyReference (as ParseNormalizedNamed)', () => {
    test.each(T.PARSE_ANY_REFERENCE)('$reference', (tc) => {
      const n = tc.normalized;
      if (n && 'err' in n) {
        expect(problemOf(tc.reference)).toBe(n.err);
        return;
      }
      const ref = ok(tc.reference);
      const expected = n ? n.canonical : tc.equivalent;
      expect(canonicalString(ref)).toBe(expected);
      const again = ok(expected);
      expect([again.domain, again.path, again.tag, again.digest]).toEqual([ref.domain, ref.path, ref.tag, ref.digest]);
    });
  });

  describe('TestNormalizedSplitHostname', () => {
    test.each(T.NORMALIZED_SPLIT_HOSTNAME)('$input', (tc) => {
      const ref = ok(tc.input);
      expect([ref.domain, ref.path]).toEqual([tc.domain, tc.path]);
    });
  });

  describe('TestParseDockerRef', () => {
    test.each(T.PARSE_DOCKER_REF)('$name', (tc) => {
      const ref = ok(tc.input);
      const output = ref.digest ? `${ref.fullName}@${ref.digest}` : `${ref.fullName}:${ref.tag ?? 'latest'}`;
      expect(output).toBe(tc.expected);
      expect(tryParseRawReference(output).ok).toBe(true);
    });
  });
});

describe('regexp_test.go', () => {
  test.each(T.DOMAIN_REGEXP)('TestDomainRegexp $input', (tc) => {
    expect(imageRefGrammar.domain.test(tc.input)).toBe(tc.match);
  });

  test('anchored name regexp has two groups, reference regexp three', () => {
    expect(groupCount(imageRefGrammar.name)).toBe(2);
    expect(groupCount(imageRefGrammar.reference)).toBe(3);
  });

  const checkRegexp = (re: RegExp, tc: T.RegexpMatchRow): void => {
    const m = submatches(re, tc.input);
    if (!tc.match) {
      expect(m).toBeNull();
      return;
    }
    expect(m?.[0]).toBe(tc.input);
    if (tc.subs) expect(m?.slice(1, 1 + tc.subs.length)).toEqual(tc.subs);
  };

  test.each(T.FULL_NAME_REGEXP)('TestFullNameRegexp $input', (tc) => checkRegexp(imageRefGrammar.name, tc));
  test.each(T.REFERENCE_REGEXP)('TestReferenceRegexp $input', (tc) => checkRegexp(imageRefGrammar.reference, tc));
  test.each(T.IDENTIFIER_REGEXP)('TestIdentifierRegexp $input', (tc) => {
    expect(imageRefGrammar.identifier.test(tc.input)).toBe(tc.match);
  });
});

describe('vfi behaviour', () => {
  test('SPEC examples', () => {
    expect(ok('nsqio/nsq:v0.3.8')).toEqual({
      original: 'nsqio/nsq:v0.3.8',
      domain: 'docker.io',
      path: 'nsqio/nsq',
      tag: 'v0.3.8',
      digest: undefined,
      familiarName: 'nsqio/nsq',
      fullName: 'docker.io/nsqio/nsq',
    });
    const router = ok(`localhost:5000/router:v2@${SHA}`);
    expect([router.domain, router.path, router.tag, router.digest]).toEqual(['localhost:5000', 'router', 'v2', SHA]);
    expect(router.familiarName).toBe('localhost:5000/router');
    expect(familiarString(router)).toBe(`localhost:5000/router:v2@${SHA}`);
    const ubuntu = ok('ubuntu');
    expect([ubuntu.domain, ubuntu.path, ubuntu.familiarName, ubuntu.fullName]).toEqual([
      'docker.io',
      'library/ubuntu',
      'ubuntu',
      'docker.io/library/ubuntu',
    ]);
  });

  test('index.docker.io folds into docker.io; localhost is always a registry', () => {
    expect(ok('index.docker.io/ubuntu').fullName).toBe('docker.io/library/ubuntu');
    expect(ok('localhost/foo').fullName).toBe('localhost/foo');
    expect(ok('localhost').fullName).toBe('docker.io/library/localhost');
  });

  test('parseImageReference throws VfiError with the problem', () => {
    try {
      parseImageReference('Ubuntu');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(VfiError);
      const err = e as VfiError;
      expect(err.code).toBe('INVALID_IMAGE_REFERENCE');
      expect(err.exitCode).toBe(2);
      expect(err.message).toBe('invalid reference format: repository name (library/Ubuntu) must be lowercase');
      expect(err.data).toEqual({ problem: 'uppercase', reference: 'Ubuntu' });
    }
    expect(parseImageReference('ubuntu:22.04').tag).toBe('22.04');
  });

  test.each<[string, ImageRefProblem, string | RegExp]>([
    ['', 'empty', 'image reference is empty'],
    ['a/'.repeat(128) + 'a', 'too-long', /more than 255 characters/],
    ['Foo:bar', 'uppercase', 'invalid reference format: repository name (library/Foo) must be lowercase'],
    ['foo bar', 'invalid-format', 'invalid reference format'],
    ['ubuntu:', 'invalid-tag', 'invalid tag format: empty tag'],
    ['ubuntu:-rc1', 'invalid-tag', /^invalid tag format: "-rc1"/],
    ['ubuntu:' + 'x'.repeat(129), 'invalid-tag', /^invalid tag format/],
    ['example.com:5000/app:a~b', 'invalid-tag', /^invalid tag format: "a~b"/],
    ['ubuntu@sha256:abc', 'invalid-digest', 'invalid digest format: "sha256:abc"'],
    ['ubuntu@', 'invalid-digest', 'invalid digest format: ""'],
    [`ubuntu@sha256:${'a'.repeat(63)}`, 'invalid-digest', /sha256 needs 64 lowercase hex digits/],
    [`ubuntu@sha256:${'a'.repeat(65)}`, 'invalid-digest', /sha256 needs 64/],
    [`ubuntu:1@sha256:${'A'.repeat(64)}`, 'invalid-digest', /lowercase hex/],
    [`ubuntu:1@SHA256:${'a'.repeat(64)}`, 'invalid-digest', 'invalid digest format'],
    [`ubuntu@md5:${'a'.repeat(32)}`, 'unsupported-digest-algorithm', 'unsupported digest algorithm "md5"'],
    [`ubuntu@sha256+b64:${'a'.repeat(64)}`, 'unsupported-digest-algorithm', /unsupported/],
    ['1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a', 'not-canonical-identifier', /cannot specify 64-byte hexadecimal strings/],
    // Upstream returns a reference with no registry here; see tryParseImageReference.
    ['foo_bar.com/app', 'invalid-format', 'invalid reference format: "foo_bar.com" is not a valid registry host'],
  ])('refuses %j as %s', (input, problem, reason) => {
    const r = tryParseImageReference(input);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problem).toBe(problem);
    if (typeof reason === 'string') expect(r.reason).toBe(reason);
    else expect(r.reason).toMatch(reason);
  });

  test('sha384 and sha512 digests are supported', () => {
    expect(ok(`alpine@sha384:${'b'.repeat(96)}`).digest).toBe(`sha384:${'b'.repeat(96)}`);
    expect(ok(`alpine@sha512:${'c'.repeat(128)}`).digest).toBe(`sha512:${'c'.repeat(128)}`);
    expect(problemOf(`alpine@sha384:${'b'.repeat(64)}`)).toBe('invalid-digest');
  });

  test('Unicode uppercase is caught like Go strings.ToLower', () => {
    // KELVIN SIGN lowers to "k" in both Go and JS; U+0130 lowers to "i" in Go only.
    expect(problemOf('\u212Aube')).toBe('uppercase');
    expect(problemOf('example.com/foo:\u212A')).toBe('uppercase');
    expect(problemOf('ex\u0130mple.com/foo')).toBe('uppercase');
  });

  test('withDigest keeps what was written and replaces an existing digest', () => {
    expect(withDigest(ok('nsqio/nsq:v0.3.8'), SHA)).toBe(`nsqio/nsq:v0.3.8@${SHA}`);
    expect(withDigest(ok('docker.io/library/ubuntu'), SHA)).toBe(`docker.io/library/ubuntu@${SHA}`);
    const other = 'sha256:' + 'f'.repeat(64);
    expect(withDigest(ok(`localhost:5000/router:v2@${other}`), SHA)).toBe(`localhost:5000/router:v2@${SHA}`);
    expect(() => withDigest(ok('ubuntu'), `md5:${'a'.repeat(32)}`)).toThrow(
      expect.objectContaining({ data: { problem: 'unsupported-digest-algorithm', digest: `md5:${'a'.repeat(32)}` } }),
    );
  });

  test('parsed references are frozen', () => {
    expect(Object.isFrozen(ok('ubuntu'))).toBe(true);
  });

  test('pathological inputs fail fast (RE2 upstream, backtracking here)', () => {
    const inputs = [
      'a'.repeat(100_000) + '!',
      'a-'.repeat(50_000) + '!',
      'a.'.repeat(50_000) + '/!',
      'a_'.repeat(50_000) + ':',
      'a/'.repeat(50_000) + '@',
      'A'.repeat(50_000) + '.com/x!',
      '[' + ':'.repeat(100_000),
      'x@sha256:' + 'a'.repeat(100_000) + '!',
      'aa-'.repeat(30_000) + 'a.com:' + '1'.repeat(1000) + '/x!',
    ];
    const start = performance.now();
    for (const s of inputs) expect(tryParseImageReference(s).ok).toBe(false);
    expect(performance.now() - start).toBeLessThan(2000);
  });
});
