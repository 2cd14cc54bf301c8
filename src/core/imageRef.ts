/**
 * Docker image references: the grammar and normalization of github.com/distribution/reference
 * (what `docker pull` accepts), with digests validated as github.com/opencontainers/go-digest
 * v1.0.0 does. Pure: no I/O, no dependencies.
 *
 * Upstream:
 *   https://github.com/distribution/reference/blob/main/regexp.go     (grammar)
 *   https://github.com/distribution/reference/blob/main/reference.go  (Parse, errors)
 *   https://github.com/distribution/reference/blob/main/normalize.go  (ParseNormalizedNamed)
 *   https://github.com/opencontainers/go-digest/blob/v1.0.0/digest.go (Digest.Validate)
 */
import { VfiError } from '../errors.js';

export interface ImageReference {
  /** as the user wrote it, e.g. "nsqio/nsq:v0.3.8" */
  readonly original: string;
  /** domain as written or defaulted: "docker.io" when absent ("index.docker.io" is folded into it) */
  readonly domain: string;
  /** path, with "library/" added for official docker.io images as normalize.go does */
  readonly path: string;
  readonly tag: string | undefined;
  /** e.g. "sha256:<64 hex>" */
  readonly digest: string | undefined;
  /** familiar repository name as docker prints it: "nsqio/nsq", "ubuntu", "localhost:5000/router" */
  readonly familiarName: string;
  /** fully-qualified repository name: "docker.io/library/ubuntu" */
  readonly fullName: string;
}

/**
 * Why a reference was refused. Each maps to an upstream error: ErrNameEmpty, ErrNameTooLong,
 * ErrNameContainsUppercase, ErrReferenceInvalidFormat, ErrTagInvalidFormat, ErrDigestInvalidFormat
 * (go-digest), ErrDigestUnsupported (go-digest), and ParseNormalizedNamed's refusal of bare
 * 64-hex identifiers.
 */
export type ImageRefProblem =
  | 'empty'
  | 'too-long'
  | 'uppercase'
  | 'invalid-format'
  | 'invalid-tag'
  | 'invalid-digest'
  | 'unsupported-digest-algorithm'
  | 'not-canonical-identifier';

export interface ImageRefFailure {
  readonly ok: false;
  readonly problem: ImageRefProblem;
  readonly reason: string;
}

export type ImageRefResult = { readonly ok: true; readonly ref: ImageReference } | ImageRefFailure;

/** A reference as reference.Parse sees it: grammar only, no Docker Hub defaults. */
export interface RawReference {
  /** domain and path as written: "test:5000/repo" */
  readonly name: string;
  /** "" when the name has no domain component */
  readonly domain: string;
  readonly path: string;
  readonly tag: string | undefined;
  readonly digest: string | undefined;
}

export type RawReferenceResult = { readonly ok: true; readonly ref: RawReference } | ImageRefFailure;

// ---- grammar (regexp.go) -------------------------------------------------------------------

const alphanumeric = String.raw`[a-z0-9]+`;
const separator = String.raw`(?:[._]|__|[-]+)`;
const domainNameComponent = String.raw`(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])`;
const optionalPort = String.raw`(?::[0-9]+)?`;
const tagPat = String.raw`[\w][\w.-]{0,127}`;
// Go's [[:xdigit:]] is ASCII [0-9A-Fa-f]; go-digest later insists on lowercase.
const digestPat = String.raw`[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9A-Fa-f]{32,}`;
const identifierPat = String.raw`[a-f0-9]{64}`;
const ipv6address = String.raw`\[(?:[a-fA-F0-9:]+)\]`;
const domainName = String.raw`${domainNameComponent}(?:\.${domainNameComponent})*`;
const host = `(?:${domainName}|${ipv6address})`;
const domainAndPort = host + optionalPort;
const pathComponent = `${alphanumeric}(?:${separator}${alphanumeric})*`;
const remoteName = `${pathComponent}(?:/${pathComponent})*`;
const namePat = `(?:${domainAndPort}/)?${remoteName}`;

/**
 * The anchored regexps of regexp.go, compiled once. Exported so the upstream regexp tables can be
 * run against them; none has the g or y flag, so they are stateless and safe to share.
 */
export const imageRefGrammar = Object.freeze({
  /** DomainRegexp, anchored: host[:port] */
  domain: new RegExp(`^${domainAndPort}$`),
  /** anchoredNameRegexp: captures (domain)?, (path) */
  name: new RegExp(`^(?:(${domainAndPort})/)?(${remoteName})$`),
  /** referenceRegexp: captures (name), (tag)?, (digest)? */
  reference: new RegExp(`^(${namePat})(?::(${tagPat}))?(?:@(${digestPat}))?$`),
  tag: new RegExp(`^${tagPat}$`),
  digest: new RegExp(`^${digestPat}$`),
  /** anchoredIdentifierRegexp: a bare sha256 hex image id */
  identifier: new RegExp(`^${identifierPat}$`),
});

const G = imageRefGrammar;

// go-digest v1.0.0: the algorithms a Docker client registers, and their hex lengths.
const DIGEST_HEX_LENGTH: ReadonlyMap<string, number> = new Map([
  ['sha256', 64],
  ['sha384', 96],
  ['sha512', 128],
]);
const GO_DIGEST_ANCHORED = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const LOWER_HEX = /^[a-f0-9]+$/;

const REPOSITORY_NAME_MAX = 255;
const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_REPO_PREFIX = 'library/';
const LOCALHOST = 'localhost';

// ---- helpers ---------------------------------------------------------------------------------

function fail(problem: ImageRefProblem, reason: string): ImageRefFailure {
  return { ok: false, problem, reason };
}

/**
 * Go's strings.ToLower uses simple (one-to-one) case mapping; JS uses full mapping, which differs
 * only for U+0130, whose Go lowering is a plain ASCII "i" that the grammar would then accept.
 */
function goToLower(s: string): string {
  return s.replace(/\u0130/g, 'i').toLowerCase();
}

/** go-digest v1.0.0 Digest.Validate, returning a failure or undefined. */
function digestFailure(d: string): ImageRefFailure | undefined {
  const i = d.indexOf(':');
  if (i <= 0 || i + 1 === d.length) return fail('invalid-digest', 'invalid digest format');
  const algorithm = d.slice(0, i);
  const encoded = d.slice(i + 1);
  const hexLength = DIGEST_HEX_LENGTH.get(algorithm);
  if (hexLength === undefined) {
    if (!GO_DIGEST_ANCHORED.test(d)) return fail('invalid-digest', 'invalid digest format');
    return fail('unsupported-digest-algorithm', `unsupported digest algorithm "${algorithm}"`);
  }
  if (encoded.length !== hexLength || !LOWER_HEX.test(encoded)) {
    return fail('invalid-digest', `invalid digest format: ${algorithm} needs ${hexLength} lowercase hex digits`);
  }
  return undefined;
}

/**
 * Upstream answers every grammar mismatch with "invalid reference format". When the name is fine
 * and only the tag or the digest is malformed, say so; the set of refused inputs is unchanged.
 */
function formatFailure(s: string): ImageRefFailure {
  const at = s.indexOf('@');
  const beforeDigest = at < 0 ? s : s.slice(0, at);
  const digest = at < 0 ? undefined : s.slice(at + 1);
  const colon = beforeDigest.lastIndexOf(':');
  const hasTag = colon > beforeDigest.lastIndexOf('/');
  const name = hasTag ? beforeDigest.slice(0, colon) : beforeDigest;
  const tag = hasTag ? beforeDigest.slice(colon + 1) : undefined;
  if (G.name.test(name)) {
    if (tag !== undefined && !G.tag.test(tag)) {
      return fail(
        'invalid-tag',
        tag === ''
          ? 'invalid tag format: empty tag'
          : `invalid tag format: ${JSON.stringify(tag)} (1 to 128 of A-Z a-z 0-9 _ . -, not starting with . or -)`,
      );
    }
    if (digest !== undefined && !G.digest.test(digest)) {
      return fail('invalid-digest', `invalid digest format: ${JSON.stringify(digest)}`);
    }
  }
  return fail('invalid-format', 'invalid reference format');
}

// ---- reference.Parse -------------------------------------------------------------------------

/**
 * reference.Parse: the bare grammar, without Docker Hub normalization ("ubuntu" stays "ubuntu",
 * "test.com:5000" is the name "test.com" with tag "5000"). Prefer parseImageReference, which is
 * what `docker pull` uses.
 */
export function tryParseRawReference(s: string): RawReferenceResult {
  if (s === '') return fail('empty', 'repository name must have at least one component');

  const m = G.reference.exec(s);
  if (!m) {
    const lower = goToLower(s);
    if (lower !== s && G.reference.test(lower)) {
      return fail('uppercase', 'repository name must be lowercase');
    }
    return formatFailure(s);
  }
  const name = m[1] as string;
  const tag = m[2];
  const digest = m[3];

  const nm = G.name.exec(name);
  const domain = nm?.[1] ?? '';
  const path = nm?.[2] ?? name;
  // Current upstream limits the path only; older revisions counted the domain too.
  if (path.length > REPOSITORY_NAME_MAX) {
    return fail(
      'too-long',
      `repository name must not be more than ${REPOSITORY_NAME_MAX} characters (it has ${path.length})`,
    );
  }
  if (digest !== undefined) {
    const bad = digestFailure(digest);
    if (bad) return bad;
  }
  return { ok: true, ref: { name, domain, path, tag, digest } };
}

// ---- normalize.go ----------------------------------------------------------------------------

/** splitDockerDomain: decides whether the first path element is a registry host. */
function splitDockerDomain(name: string): [domain: string, remainder: string] {
  const slash = name.indexOf('/');
  if (slash < 0) return [DEFAULT_DOMAIN, OFFICIAL_REPO_PREFIX + name];

  const maybeDomain = name.slice(0, slash);
  const maybeRemote = name.slice(slash + 1);
  let domain: string;
  let remote: string;
  if (maybeDomain === LOCALHOST) {
    [domain, remote] = [maybeDomain, maybeRemote];
  } else if (maybeDomain === LEGACY_DEFAULT_DOMAIN) {
    [domain, remote] = [DEFAULT_DOMAIN, maybeRemote];
  } else if (/[.:]/.test(maybeDomain)) {
    [domain, remote] = [maybeDomain, maybeRemote];
  } else if (goToLower(maybeDomain) !== maybeDomain) {
    // Namespaces cannot be uppercase, so an uppercase first element can only be a host.
    [domain, remote] = [maybeDomain, maybeRemote];
  } else {
    [domain, remote] = [DEFAULT_DOMAIN, name];
  }
  if (domain === DEFAULT_DOMAIN && !remote.includes('/')) remote = OFFICIAL_REPO_PREFIX + remote;
  return [domain, remote];
}

/** familiarizeName: drops "docker.io/" and, for single-level official images, "library/". */
function familiarName(domain: string, path: string): string {
  if (domain !== DEFAULT_DOMAIN) return `${domain}/${path}`;
  if (path.startsWith(OFFICIAL_REPO_PREFIX)) {
    const rest = path.slice(OFFICIAL_REPO_PREFIX.length);
    if (!rest.includes('/')) return rest;
  }
  return path;
}

/** Same as parseImageReference, but returns the failure instead of throwing. */
export function tryParseImageReference(s: string): ImageRefResult {
  // Upstream reports "" as an invalid format (it becomes "docker.io/library/"); "empty" is clearer.
  if (s === '') return fail('empty', 'image reference is empty');
  if (G.identifier.test(s)) {
    return fail(
      'not-canonical-identifier',
      `invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`,
    );
  }

  const [domain, remainder] = splitDockerDomain(s);
  const tagSep = remainder.indexOf(':');
  const remote = tagSep < 0 ? remainder : remainder.slice(0, tagSep);
  if (goToLower(remote) !== remote) {
    return fail('uppercase', `invalid reference format: repository name (${remote}) must be lowercase`);
  }

  const raw = tryParseRawReference(`${domain}/${remainder}`);
  if (!raw.ok) return raw;
  const r = raw.ref;
  if (r.domain === '') {
    // e.g. "foo_bar.com/app": splitDockerDomain takes "foo_bar.com" for a host, but it is not a
    // valid hostname, so the grammar reads it as a path and upstream returns a reference with no
    // registry at all, which no client can pull. Refused here rather than passed on.
    return fail('invalid-format', `invalid reference format: "${domain}" is not a valid registry host`);
  }
  return {
    ok: true,
    ref: Object.freeze({
      original: s,
      domain: r.domain,
      path: r.path,
      tag: r.tag,
      digest: r.digest,
      familiarName: familiarName(r.domain, r.path),
      fullName: `${r.domain}/${r.path}`,
    }),
  };
}

/**
 * Parses like reference.ParseNormalizedNamed (what `docker pull` accepts).
 * @throws VfiError INVALID_IMAGE_REFERENCE with data {problem, reference}
 */
export function parseImageReference(s: string): ImageReference {
  const r = tryParseImageReference(s);
  if (!r.ok) throw new VfiError('INVALID_IMAGE_REFERENCE', r.reason, { problem: r.problem, reference: s });
  return r.ref;
}

function suffix(ref: ImageReference): string {
  return (ref.tag === undefined ? '' : `:${ref.tag}`) + (ref.digest === undefined ? '' : `@${ref.digest}`);
}

/** The fully-qualified form, as upstream's String(): "docker.io/library/ubuntu:22.04". */
export function canonicalString(ref: ImageReference): string {
  return ref.fullName + suffix(ref);
}

/** The short form docker prints, as upstream's FamiliarString(): "ubuntu:22.04". */
export function familiarString(ref: ImageReference): string {
  return ref.familiarName + suffix(ref);
}

/**
 * "name:tag@sha256:..." keeping the name and tag as written (any digest already there is
 * replaced); used when pinning a digest onto a tagged reference. Unlike upstream WithDigest, which
 * only checks the loose grammar, the digest must pass go-digest validation, so the result always
 * parses again.
 * @throws VfiError INVALID_IMAGE_REFERENCE with data {problem, digest}
 */
export function withDigest(ref: ImageReference, digest: string): string {
  const bad = G.digest.test(digest) ? digestFailure(digest) : fail('invalid-digest', 'invalid digest format');
  if (bad) throw new VfiError('INVALID_IMAGE_REFERENCE', bad.reason, { problem: bad.problem, digest });
  const at = ref.original.indexOf('@');
  return `${at < 0 ? ref.original : ref.original.slice(0, at)}@${digest}`;
}
