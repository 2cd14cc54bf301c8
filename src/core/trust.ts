/**
 * The trust list and release policies (issue 10). Each is a log of events kept in the store as
 * content-named files (store/events.ts), so two stores' logs merge as a union of trees; the
 * current state is a fold over the events: per signer (or lineage), the latest event wins, by
 * time, then by file name, so every store decides alike whatever order the events arrived in.
 * Pure.
 */
import { VfiError } from '../errors.js';
import { canonicalText, type JsonObject, type JsonValue } from './canonical.js';
import { blobId } from './gitObject.js';
import { checkClaim, nameProblem } from './names.js';
import { parseAt } from './assertion.js';
import { tryParseImageReference } from './imageRef.js';
import type { Vfi } from './vfi.js';

// ------------------------------------------------------------------------------------------
// event files

/**
 * `<yyyymmddThhmmss.ffffffZ>-<event>-<blob id>.json`: the time and kind the event states, and
 * the id of its bytes, so a name is a function of content and a union of trees never conflicts.
 */
const EVENT_FILE = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)\.(\d{6})Z-([a-z]+)-([0-9a-f]{40})\.json$/;

export interface EventFile {
  /** the file name (sorts events of the same time) */
  file: string;
  event: string;
  at: number;
  id: string;
  bytes: Buffer;
}

/** The canonical bytes, blob id and file name of an event. */
export function makeEvent(event: string, at: string, body: JsonObject): { file: string; id: string; bytes: Buffer } {
  const bytes = Buffer.from(canonicalText({ ...body, event, at }), 'utf8');
  const id = blobId(bytes);
  return { file: `${at.replace(/[-:]/g, '')}-${event}-${id}.json`, id, bytes };
}

export function parseEventFileName(file: string): { event: string; at: number; id: string } | undefined {
  const m = EVENT_FILE.exec(file);
  if (!m) return undefined;
  const at = parseAt(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${m[7]}Z`);
  return at === undefined ? undefined : { event: m[8]!, at, id: m[9]! };
}

const byTime = (a: EventFile, b: EventFile): number => a.at - b.at || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0);

function bodyOf(e: EventFile): JsonObject {
  const v = JSON.parse(e.bytes.toString('utf8')) as JsonValue;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not a JSON object');
  if (v.event !== e.event) throw new Error(`says event ${JSON.stringify(v.event)}, its name ${e.event}`);
  return v;
}

// ------------------------------------------------------------------------------------------
// trust

export interface TrustedSigner {
  signer: string;
  keyid: string;
  /** SPKI PEM */
  publicKey: string;
  /** the claims the key is trusted for; undefined: every claim */
  claims?: string[];
  /** when it was added (RFC 3339) */
  at: string;
  by: string;
}

export interface TrustState {
  /** trusted signers by name */
  signers: Map<string, TrustedSigner>;
  /** every public key the log ever named, by keyid: to check envelopes of keys no longer trusted (fsck) */
  keys: Map<string, string>;
  /** events that could not be read, with why */
  problems: string[];
}

export const checkSigner = (s: string): string => {
  const p = nameProblem(s);
  if (p) throw new VfiError('INVALID_NAME', `signer ${JSON.stringify(s)} ${p}`, { signer: s });
  return s;
};

/** The trust list the events add up to. */
export function foldTrust(events: readonly EventFile[]): TrustState {
  const state: TrustState = { signers: new Map(), keys: new Map(), problems: [] };
  for (const e of [...events].sort(byTime)) {
    try {
      const b = bodyOf(e);
      if (typeof b.signer !== 'string' || nameProblem(b.signer)) throw new Error('no valid "signer"');
      if (e.event === 'rm') {
        state.signers.delete(b.signer);
        continue;
      }
      if (e.event !== 'add') throw new Error(`unknown event ${e.event}`);
      if (typeof b.keyid !== 'string' || typeof b.publicKey !== 'string' || typeof b.at !== 'string' || typeof b.by !== 'string') {
        throw new Error('"keyid", "publicKey", "at" and "by" must be strings');
      }
      const claims = b.claims;
      if (claims !== undefined && (!Array.isArray(claims) || !claims.every((c) => typeof c === 'string' && !nameProblem(c)))) {
        throw new Error('"claims" must be a list of claims');
      }
      state.keys.set(b.keyid, b.publicKey);
      state.signers.set(b.signer, {
        signer: b.signer, keyid: b.keyid, publicKey: b.publicKey, at: b.at, by: b.by,
        ...(claims !== undefined ? { claims: claims as string[] } : {}),
      });
    } catch (err) {
      state.problems.push(`${e.file}: ${(err as Error).message}`);
    }
  }
  return state;
}

/** The body of a `trust add` event. */
export function trustAddBody(s: Omit<TrustedSigner, 'at'>): JsonObject {
  return { signer: s.signer, keyid: s.keyid, publicKey: s.publicKey, by: s.by, ...(s.claims ? { claims: s.claims } : {}) };
}

/** What a record's signature is, as far as counting goes. */
export type SignatureStatus = { kind: 'unsigned' } | { kind: 'bad'; keyid: string } | { kind: 'good'; keyid: string } | { kind: 'unknown-key'; keyid: string };

/** Why a record does not count under a trust list (undefined: it counts). No trust list: everything counts. */
export function untrustedReason(state: TrustState | undefined, claim: string, sig: SignatureStatus): string | undefined {
  if (!state || state.signers.size === 0) return undefined;
  if (sig.kind === 'unsigned') return 'unsigned';
  if (sig.kind === 'bad') return `bad signature (key ${sig.keyid.slice(0, 12)}): the envelope was changed after signing`;
  const signers = [...state.signers.values()].filter((s) => s.keyid === sig.keyid);
  if (signers.length === 0) return `signed by key ${sig.keyid.slice(0, 12)}, which is not trusted`;
  if (!signers.some((s) => !s.claims || s.claims.includes(claim))) {
    return `signed by ${signers.map((s) => s.signer).join(', ')}, not trusted for ${claim}`;
  }
  if (sig.kind === 'unknown-key') return `signed by key ${sig.keyid.slice(0, 12)}, not verified`;
  return undefined;
}

/** The keys of a trust list, to verify envelopes against. */
export function trustedKeys(state: TrustState): Map<string, string> {
  const out = new Map<string, string>();
  for (const s of state.signers.values()) out.set(s.keyid, s.publicKey);
  return out;
}

// ------------------------------------------------------------------------------------------
// policy

export interface Policy {
  lineage: string;
  require: string[];
  /** undefined: the default (1) */
  minScore?: number;
  allowUnpinned: boolean;
  at: string;
  by: string;
}

/** The body of a `policy set` event; claims checked (INVALID_CLAIM), min score a whole number. */
export function policyBody(p: Omit<Policy, 'at'>): JsonObject {
  const require = [...new Set(p.require.map(checkClaim))].sort();
  if (p.minScore !== undefined && !(Number.isSafeInteger(p.minScore) && p.minScore >= 0)) {
    throw new VfiError('INVALID_INPUT', `--min-score must be a whole number, 0 or more`, { minScore: p.minScore });
  }
  return { lineage: p.lineage, require, allowUnpinned: p.allowUnpinned, by: p.by, ...(p.minScore !== undefined ? { minScore: p.minScore } : {}) };
}

/** Each lineage's policy: its latest `set` event. */
export function foldPolicies(events: readonly EventFile[]): { policies: Map<string, Policy>; problems: string[] } {
  const policies = new Map<string, Policy>();
  const problems: string[] = [];
  for (const e of [...events].sort(byTime)) {
    try {
      if (e.event !== 'set') throw new Error(`unknown event ${e.event}`);
      const b = bodyOf(e);
      if (typeof b.lineage !== 'string' || nameProblem(b.lineage)) throw new Error('no valid "lineage"');
      if (!Array.isArray(b.require) || !b.require.every((c) => typeof c === 'string' && !nameProblem(c))) throw new Error('"require" must be a list of claims');
      if (b.minScore !== undefined && !(typeof b.minScore === 'number' && Number.isSafeInteger(b.minScore) && b.minScore >= 0)) throw new Error('"minScore" must be a whole number');
      if (typeof b.allowUnpinned !== 'boolean' || typeof b.at !== 'string' || typeof b.by !== 'string') throw new Error('"allowUnpinned", "at" and "by" are required');
      policies.set(b.lineage, {
        lineage: b.lineage, require: b.require as string[], allowUnpinned: b.allowUnpinned, at: b.at, by: b.by,
        ...(b.minScore !== undefined ? { minScore: b.minScore as number } : {}),
      });
    } catch (err) {
      problems.push(`${e.file}: ${(err as Error).message}`);
    }
  }
  return { policies, problems };
}

/** The rules a pick applies, and where they came from. */
export interface PickRules {
  require: string[];
  minScore: number;
  allowUnpinned: boolean;
  /** the policy that applied, if any */
  policy?: Policy;
}

export const DEFAULT_MIN_SCORE = 1;

/**
 * A policy and the command line combined. Flags add to a policy, never loosen it: required claims
 * are the union, the minimum score the larger (a flag's `--min-score 0` lowers only the default),
 * and `--allow-unpinned` is an explicit choice of whoever runs the command.
 */
export function effectiveRules(policy: Policy | undefined, flags: { require?: readonly string[]; minScore?: number; allowUnpinned?: boolean }): PickRules {
  const require = [...new Set([...(policy?.require ?? []), ...(flags.require ?? [])])];
  const floor = policy?.minScore;
  const minScore = flags.minScore === undefined ? (floor ?? DEFAULT_MIN_SCORE) : Math.max(flags.minScore, floor ?? 0);
  return { require, minScore, allowUnpinned: Boolean(flags.allowUnpinned || policy?.allowUnpinned), ...(policy ? { policy } : {}) };
}

/** The dockerImage components of a VFI that are not pinned by digest (a pick skips such a VFI unless allowed). */
export function unpinnedImages(vfi: Vfi): string[] {
  return Object.entries(vfi)
    .filter(([, c]) => c.type === 'dockerImage' && !isPinned(c.address))
    .map(([name]) => name);
}

export function isPinned(address: string): boolean {
  const r = tryParseImageReference(address);
  return r.ok && r.ref.digest !== undefined;
}
