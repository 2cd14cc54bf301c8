/**
 * Compositions all the way down (SPEC §1 "VFI", "Release candidate"): what a VFI contains,
 * directly and through the VFIs nested in it, and how the claims about those parts bear on it.
 * Pure: a VFI's parts come from a lookup the caller fills (store/composition.ts caches them), the
 * standings of subjects from another.
 *
 * - A part is one component: a pinned image or git commit (a subject of records, keyed by its
 *   digest), an image named by tag alone (no records can be about it), or a nested VFI.
 * - A VFI is tainted when a part it contains, at any depth, or a VFI nested in it, has an evidence
 *   claim whose latest record fails: it is then not a release candidate.
 * - `--require comp:claim` asks that claim to pass on the part named comp (at any depth; a nested
 *   VFI's own records), `--require '*:claim'` on every image and git part.
 * - Walks stop at MAX_DEPTH and never enter a VFI twice on one path (a cycle).
 */
import { VfiError } from '../errors.js';
import { checkClaim, checkComponentName } from './names.js';
import { componentSubjectOf } from './subject.js';
import { isEvidence, scoreOf } from './pick.js';
import type { Vfi } from './vfi.js';
import type { JsonObject } from './canonical.js';
import type { Candidate } from './pick.js';

export const MAX_DEPTH = 32;

export type PartKind = 'image' | 'git' | 'vfi' | 'unpinned';

export interface Part {
  component: string;
  kind: PartKind;
  /** the digest (64 hex) of an image, the commit of git, the id of a nested VFI; "" when unpinned */
  key: string;
  address: string;
}

/** The parts of a VFI document, by component name. */
export function partsOf(vfi: Vfi): Part[] {
  const parts: Part[] = [];
  for (const [component, c] of Object.entries(vfi)) {
    if (c.type === 'vfi') {
      parts.push({ component, kind: 'vfi', key: c.address.slice(c.address.lastIndexOf('@') + 1), address: c.address });
      continue;
    }
    const subject = componentSubjectOf(c.type, c.address);
    if (typeof subject === 'string') parts.push({ component, kind: 'unpinned', key: '', address: c.address });
    else parts.push({ component, kind: subject.type === 'git' ? 'git' : 'image', key: subject.digest, address: c.address });
  }
  return parts;
}

/** The parts of a VFI by id; undefined when the store does not have that VFI. */
export type PartsOf = (id: string) => readonly Part[] | undefined;

/** The claims a subject passes and fails by their latest records. */
export interface SubjectClaims {
  passing: readonly string[];
  failing: readonly string[];
}

/** Claims of an image or git part (by digest), and of a VFI's own records (by id). */
export interface ClaimsOf {
  component(key: string): SubjectClaims;
  vfi(id: string): SubjectClaims;
}

/** One part reached from a VFI: the path of component names to it (`runtime/router`). */
export interface Reached {
  path: string;
  part: Part;
}

/** Every part a VFI contains, depth first in component order; nested VFIs the store lacks, cycles. */
export function walk(id: string, partsOf: PartsOf): { reached: Reached[]; missing: Reached[]; cycles: string[] } {
  const out = { reached: [] as Reached[], missing: [] as Reached[], cycles: [] as string[] };
  const visit = (vfi: string, prefix: string, onPath: Set<string>, depth: number) => {
    for (const part of partsOf(vfi) ?? []) {
      const path = `${prefix}${part.component}`;
      out.reached.push({ path, part });
      if (part.kind !== 'vfi') continue;
      if (onPath.has(part.key) || depth >= MAX_DEPTH) {
        out.cycles.push(path);
        continue;
      }
      if (!partsOf(part.key)) {
        out.missing.push({ path, part });
        continue;
      }
      onPath.add(part.key);
      visit(part.key, `${path}/`, onPath, depth + 1);
      onPath.delete(part.key);
    }
  };
  visit(id, '', new Set([id]), 0);
  return out;
}

/** A failing claim inside a VFI: which part, which claim. */
export interface Taint {
  path: string;
  part: Part;
  claim: string;
}

const NO_PARTS: readonly Part[] = Object.freeze([]);
const NO_TAINTS: readonly Taint[] = Object.freeze([]);
const NO_NAMES: readonly string[] = Object.freeze([]);

/**
 * The failing claims that taint VFIs, memoized per VFI: a pick asks for thousands of VFIs that
 * share most of their parts. Only the first failing claim of each part is kept, in component order.
 */
export class Taints {
  private readonly memo = new Map<string, readonly Taint[]>();

  constructor(private readonly partsOf: PartsOf, private readonly claims: ClaimsOf) {}

  of(id: string): readonly Taint[] {
    return this.visit(id, new Set([id]), 0);
  }

  private visit(id: string, onPath: Set<string>, depth: number): readonly Taint[] {
    const known = this.memo.get(id);
    if (known) return known;
    // Most parts of most VFIs fail nothing: allocate only for those that do (a pick asks 10k VFIs).
    let out: Taint[] | undefined;
    let complete = true;
    for (const part of this.partsOf(id) ?? NO_PARTS) {
      if (part.kind === 'unpinned') continue;
      const { failing } = part.kind === 'vfi' ? this.claims.vfi(part.key) : this.claims.component(part.key);
      for (const claim of failing) if (isEvidence(claim)) (out ??= []).push({ path: part.component, part, claim });
      if (part.kind !== 'vfi') continue;
      if (onPath.has(part.key) || depth >= MAX_DEPTH) {
        complete = false; // a cycle: what is inside is counted where the cycle started
        continue;
      }
      onPath.add(part.key);
      for (const t of this.visit(part.key, onPath, depth + 1)) (out ??= []).push({ ...t, path: `${part.component}/${t.path}` });
      onPath.delete(part.key);
    }
    const result = out ?? NO_TAINTS;
    if (complete) this.memo.set(id, result);
    return result;
  }
}

/** `--require comp:claim` or `'*:claim'`, parsed. */
export interface PartRequirement {
  /** as written, also the name the requirement goes by in rankings */
  text: string;
  /** a component name, or "*" for every image and git part */
  component: string;
  claim: string;
}

/** Split `--require` words into claims on the VFI itself and requirements on its parts. */
export function splitRequirements(words: readonly string[]): { own: string[]; parts: PartRequirement[] } {
  const own: string[] = [];
  const parts: PartRequirement[] = [];
  for (const w of words) {
    const colon = w.indexOf(':');
    if (colon < 0) own.push(w);
    else parts.push({ text: w, component: w.slice(0, colon), claim: w.slice(colon + 1) });
  }
  return { own, parts };
}

/** Does a VFI meet a part requirement: the claim's latest record passes on that part (every image and git part for "*")? */
export function meetsRequirement(id: string, req: PartRequirement, partsOf: PartsOf, claims: ClaimsOf): boolean {
  const { reached } = walk(id, partsOf);
  if (req.component === '*') {
    const subjects = reached.filter((r) => r.part.kind !== 'vfi');
    return subjects.length > 0 && subjects.every((r) => r.part.kind !== 'unpinned' && claims.component(r.part.key).passing.includes(req.claim));
  }
  const named = reached.filter((r) => r.part.component === req.component || r.path === req.component);
  return named.length > 0 && named.every((r) => {
    if (r.part.kind === 'unpinned') return false;
    return (r.part.kind === 'vfi' ? claims.vfi(r.part.key) : claims.component(r.part.key)).passing.includes(req.claim);
  });
}

/**
 * A word of `--require`/`--has`, checked: a claim, or `comp:claim` where comp is a component name,
 * a path of them (`runtime/router`) or `*`.
 */
export function checkRequirementWord(word: string): string {
  const colon = word.indexOf(':');
  if (colon < 0) return checkClaim(word);
  const component = word.slice(0, colon);
  if (component !== '*') for (const name of component.split('/')) checkComponentName(name);
  checkClaim(word.slice(colon + 1));
  return word;
}

/** Claims, or part requirements `comp:claim` / `path/to/comp:claim` / `*:claim` (component and claim each checked). */
export const uniqueClaims = (words: string[]): string[] => [...new Set(words.map(checkRequirementWord))];

/** USAGE when a requirement names a component (or a path through components) that no VFI in scope has, at any depth. */
export function checkRequirementNames(reqs: readonly PartRequirement[], componentNames: ReadonlySet<string>, scope: string): void {
  for (const r of reqs) {
    const unknown = r.component === '*' ? undefined : r.component.split('/').find((name) => !componentNames.has(name));
    if (unknown === undefined) continue;
    throw new VfiError('USAGE', `--require ${r.text}: no VFI of ${scope} has a component named ${JSON.stringify(unknown)}`,
      { component: unknown }, `components: ${[...componentNames].sort().slice(0, 12).join(', ') || '(none)'}`);
  }
}

/** The nested VFI ids a VFI names directly. */
export const nestedIds = (vfi: Vfi): string[] => partsOf(vfi).filter((p) => p.kind === 'vfi').map((p) => p.key);

/**
 * The path of a cycle the VFI `id` (about to be published) would close, or undefined: a nested
 * VFI that contains `id`. (A VFI cannot name its own id, being hashed over its bytes, so a cycle
 * needs the store to hold a VFI naming a VFI not yet made; `--allow-missing` allows that.)
 */
export function cycleThrough(id: string, vfi: Vfi, lookup: PartsOf): string | undefined {
  for (const part of partsOf(vfi)) {
    if (part.kind !== 'vfi') continue;
    if (part.key === id) return part.component;
    const inner = walk(part.key, lookup).reached.find((r) => r.part.kind === 'vfi' && r.part.key === id);
    if (inner) return `${part.component}/${inner.path}`;
  }
  return undefined;
}

/** A VFI naming a subject (a digest, commit or VFI id) directly, as the component `component`. */
export interface Container {
  vfi: string;
  component: string;
}

/**
 * Every VFI containing `key` (a digest, commit or VFI id), directly or through nested VFIs, with
 * the paths where it sits in each (`runtime/router`), from a reverse index: the work is that of
 * the answer. Paths never enter a VFI twice and stop at MAX_DEPTH.
 */
export function containing(key: string, directlyIn: (key: string) => readonly Container[]): Map<string, readonly string[]> {
  // a found VFI → what it names that leads to `key`: [inner, component, inner, component, …]
  const down = new Map<string, string[]>();
  const queue = [key];
  const queued = new Set(queue);
  while (queue.length > 0) {
    const inner = queue.pop()!;
    for (const { vfi, component } of directlyIn(inner)) {
      const edges = down.get(vfi);
      if (!edges) down.set(vfi, [inner, component]);
      else if (!hasEdge(edges, inner, component)) edges.push(inner, component);
      if (!queued.has(vfi)) {
        queued.add(vfi);
        queue.push(vfi);
      }
    }
  }
  const memo = new Map<string, string[]>();
  const pathsOf = (vfi: string, onPath: Set<string>): string[] => {
    const known = memo.get(vfi);
    if (known) return known;
    const out: string[] = [];
    let complete = true;
    const edges = down.get(vfi) ?? [];
    for (let i = 0; i < edges.length; i += 2) {
      const [inner, component] = [edges[i]!, edges[i + 1]!];
      if (inner === key) {
        out.push(component);
        continue;
      }
      if (onPath.has(inner) || onPath.size > MAX_DEPTH) {
        complete = false;
        continue;
      }
      onPath.add(inner);
      for (const p of pathsOf(inner, onPath)) out.push(`${component}/${p}`);
      onPath.delete(inner);
    }
    if (complete) memo.set(vfi, out);
    return out;
  };
  // Most containers name the subject once, directly: they share one list per component name.
  const direct = new Map<string, readonly string[]>();
  const found = new Map<string, readonly string[]>();
  for (const [vfi, edges] of down) {
    if (vfi === key) continue;
    if (edges.length === 2 && edges[0] === key) {
      let paths = direct.get(edges[1]!);
      if (!paths) direct.set(edges[1]!, (paths = Object.freeze([edges[1]!])));
      found.set(vfi, paths);
    } else {
      found.set(vfi, [...new Set(pathsOf(vfi, new Set([vfi])))].sort());
    }
  }
  return found;
}

function hasEdge(edges: readonly string[], inner: string, component: string): boolean {
  for (let i = 0; i < edges.length; i += 2) if (edges[i] === inner && edges[i + 1] === component) return true;
  return false;
}

/** Why a VFI is not a candidate because of what it contains: `runtime/router:tests-passed`. */
export const taintClaim = (t: Taint): string => `${t.path}:${t.claim}`;

/**
 * Candidates as pick and find rank them when compositions count: a tainted VFI fails, besides its
 * own claims, one `path:claim` per failing part claim (so it is disqualified, and says by what),
 * and a VFI meeting a part requirement passes a claim named as the requirement is written (so
 * `--require` keeps it). Every qualified VFI meets every requirement alike, so the ranking among
 * them is that of their own claims; ownScore gives the score without the requirements.
 */
export function seeThrough(candidates: readonly Candidate[], reqs: readonly PartRequirement[], partsOf: PartsOf, claims: ClaimsOf, known?: ReadonlyMap<string, readonly Taint[]>): { candidates: Candidate[]; taints: Map<string, readonly Taint[]> } {
  const taints = known ? undefined : new Taints(partsOf, claims);
  const found = new Map<string, readonly Taint[]>();
  const out: Candidate[] = [];
  for (const c of candidates) {
    const t = taints ? taints.of(c.id) : (known!.get(c.id) ?? NO_TAINTS);
    const met = reqs.length === 0 ? NO_NAMES : reqs.filter((r) => meetsRequirement(c.id, r, partsOf, claims)).map((r) => r.text);
    if (t.length === 0 && met.length === 0) {
      out.push(c);
      continue;
    }
    if (t.length > 0) found.set(c.id, t);
    out.push({ ...c, passing: met.length ? [...c.passing, ...met] : c.passing, failing: t.length ? [...c.failing, ...t.map(taintClaim)] : c.failing });
  }
  return { candidates: out, taints: found };
}

/** The score of a VFI's own claims (without what seeThrough added). */
export const ownScore = scoreOf;

/** Component names at any depth of these VFIs (for checking `--require comp:claim`). */
export function componentNames(ids: Iterable<string>, partsOf: PartsOf): Set<string> {
  const names = new Set<string>();
  const seen = new Set<string>();
  const queue = [...ids];
  while (queue.length > 0) {
    const id = queue.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    for (const p of partsOf(id) ?? []) {
      names.add(p.component);
      if (p.kind === 'vfi') queue.push(p.key);
    }
  }
  return names;
}

/**
 * A VFI with its nested VFIs inlined, recursively: each `vfi` component gains `"vfi": {…}`.
 * One the lookup lacks, one already being expanded on the path (a cycle) or one past MAX_DEPTH
 * is left as it is, and said in `notes`.
 */
export function expandVfi(vfi: Vfi, lookup: (id: string) => Vfi | undefined, notes: string[], onPath = new Set<string>(), prefix = ''): JsonObject {
  const out: JsonObject = {};
  for (const [name, c] of Object.entries(vfi)) {
    if (c.type !== 'vfi') {
      out[name] = c;
      continue;
    }
    const id = c.address.slice(c.address.lastIndexOf('@') + 1);
    const inner = lookup(id);
    const path = `${prefix}${name}`;
    if (!inner) notes.push(`${path}: the store has no VFI ${c.address}; not expanded`);
    else if (onPath.has(id) || onPath.size >= MAX_DEPTH) notes.push(`${path}: ${onPath.has(id) ? 'a cycle' : `deeper than ${MAX_DEPTH}`}; not expanded`);
    if (!inner || onPath.has(id) || onPath.size >= MAX_DEPTH) {
      out[name] = c;
      continue;
    }
    onPath.add(id);
    out[name] = { ...c, vfi: expandVfi(inner, lookup, notes, onPath, `${path}/`) };
    onPath.delete(id);
  }
  return out;
}
