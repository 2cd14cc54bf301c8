/** The VFI model: a composition of named, content-addressed components (SPEC §1). Pure. */
import { VfiError } from '../errors.js';
import { tryParseImageReference } from './imageRef.js';
import { canonicalText, sameJson, type JsonValue } from './canonical.js';
import { checkComponentName, nameProblem } from './names.js';
import { gitAddressProblem } from './gitAddress.js';
import { blobId, sha256Hex } from './gitObject.js';
import { pointer, type JsonPath } from './jsonPath.js';

export const COMPONENT_TYPES = ['dockerImage', 'git', 'vfi'] as const;
export type ComponentType = (typeof COMPONENT_TYPES)[number];

export interface Component {
  type: ComponentType;
  address: string;
  /** extension keys, `x-…` */
  [extension: string]: JsonValue;
}

export type Vfi = Record<string, Component>;

/** A VFI together with its canonical bytes and id: what the store holds. */
export interface StoredVfi {
  id: string;
  bytes: Buffer;
  vfi: Vfi;
}

export function canonicalVfi(vfi: Vfi): StoredVfi {
  const bytes = canonicalVfiBytes(vfi);
  return { id: blobId(bytes), bytes, vfi };
}

/** A VFI's canonical bytes, as the store holds them (what canonicalVfi hashes). */
export const canonicalVfiBytes = (vfi: Vfi): Buffer => Buffer.from(canonicalText(vfi as unknown as JsonValue), 'utf8');

export const vfiSha256 = (bytes: Uint8Array): string => sha256Hex(bytes);

const COMMIT = /^[0-9a-f]{40}$/;

function vfiAddressProblem(address: string): string | undefined {
  const at = address.indexOf('@');
  if (at < 0) return 'expected Name@<40-hex id>';
  const problem = nameProblem(address.slice(0, at));
  if (problem) return `name ${problem}`;
  if (!COMMIT.test(address.slice(at + 1))) return 'expected a full 40-hex lowercase id after "@"';
  return undefined;
}

/** Why `address` is not valid for a component of `type`, or undefined. */
export function addressProblem(type: ComponentType, address: string): string | undefined {
  switch (type) {
    case 'dockerImage': {
      const r = tryParseImageReference(address);
      return r.ok ? undefined : `is not a valid image reference: ${r.reason}`;
    }
    case 'git': {
      const p = gitAddressProblem(address);
      return p && `is not a valid git address: ${p}`;
    }
    case 'vfi': {
      const p = vfiAddressProblem(address);
      return p && `is not a valid VFI reference: ${p}`;
    }
  }
}

/**
 * Addresses found valid, by type: the VFIs of a lineage share most of theirs with the one before,
 * and a pull checks every VFI of it (10,000 VFIs of 9 components hold ~10,000 distinct addresses).
 * Small, and cleared when full: a key may be a slice of the line it was read from, which it keeps
 * alive (at 65,536 keys an import of 100,000 VFIs peaked ~55 MiB higher, over its 256 MiB bar).
 */
const VALID_ADDRESSES_KEPT = 1024;
const validAddresses = new Set<string>();

/** Check what the JSON Schema cannot: component names and the grammar of each address. */
export function checkComponents(vfi: Vfi): Vfi {
  for (const [name, component] of Object.entries(vfi)) {
    const np = nameProblem(name);
    if (np) throw new VfiError('SCHEMA', `component ${JSON.stringify(name)}: name ${np}`, { component: name });
    const key = `${component.type} ${component.address}`;
    if (validAddresses.has(key)) continue;
    const problem = addressProblem(component.type, component.address);
    if (problem) {
      const code = component.type === 'dockerImage' ? 'INVALID_IMAGE_REFERENCE' : 'INVALID_GIT_ADDRESS';
      throw new VfiError(code, `component ${JSON.stringify(name)}: "address" ${problem}`, {
        component: name,
        field: 'address',
      });
    }
    if (validAddresses.size >= VALID_ADDRESSES_KEPT) validAddresses.clear();
    validAddresses.add(key);
  }
  return vfi;
}

/** Where a value sits in a VFI document, in the words of the schema errors: `component "a": "x-n": `. */
export function describeVfiPath(path: JsonPath): string {
  if (path.length === 0) return '';
  const [component, field, ...rest] = path;
  const inner = field === undefined ? '' : ` ${JSON.stringify(field)}${rest.length ? ` at ${pointer(rest)}` : ''}`;
  return `component ${JSON.stringify(component)}:${inner}: `;
}

/** Guess a new component's type from its address: a git address is a URL and @<40-hex>; a VFI reference has a name, not a URL. */
export function inferType(address: string): ComponentType {
  if (gitAddressProblem(address) === undefined) return 'git';
  if (vfiAddressProblem(address) === undefined) return 'vfi';
  return 'dockerImage';
}

export interface Assignment {
  component: string;
  address: string;
  type?: ComponentType;
}

/** Parse `comp=address` from the command line. */
export function parseAssignment(s: string): Assignment {
  const eq = s.indexOf('=');
  if (eq <= 0 || eq === s.length - 1) {
    throw new VfiError('USAGE', `expected component=address, got ${JSON.stringify(s)}`, { arg: s });
  }
  return { component: checkComponentName(s.slice(0, eq)), address: s.slice(eq + 1) };
}

/** Parse the `comp=address` arguments of one `set`; a component given twice is refused, not "last one wins". */
export function parseAssignments(args: readonly string[]): Assignment[] {
  const assignments = args.map(parseAssignment);
  refuseRepeats(assignments.map((a) => a.component));
  return assignments;
}

/** Check the component names of one `rm`: valid, and each named once. */
export function checkComponentNames(names: readonly string[]): string[] {
  names.forEach(checkComponentName);
  refuseRepeats(names);
  return [...names];
}

function refuseRepeats(names: readonly string[]): void {
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) {
      throw new VfiError('USAGE', `component ${JSON.stringify(name)} is given more than once`, { component: name },
        'name each component once per command');
    }
    seen.add(name);
  }
}

/** A new VFI: `base` with these components replaced (keeping their type and extension keys) or added. */
export function setComponents(base: Vfi, assignments: readonly Assignment[]): Vfi {
  const next: Vfi = { ...base };
  for (const a of assignments) {
    const existing = ownComponent(base, a.component);
    const type = a.type ?? existing?.type ?? inferType(a.address);
    next[a.component] = existing && existing.type === type ? { ...existing, address: a.address } : { type, address: a.address };
  }
  try {
    return checkComponents(next);
  } catch (e) {
    // A replaced component keeps its type: an address of another type is refused, and it helps to
    // say which type the address looks like.
    const a = e instanceof VfiError ? assignments.find((x) => x.component === e.data.component && !x.type) : undefined;
    const looksLike = a && inferType(a.address);
    if (!a || !looksLike || looksLike === next[a.component]!.type || addressProblem(looksLike, a.address)) throw e;
    throw new VfiError((e as VfiError).code, (e as VfiError).message, (e as VfiError).data,
      `it is a ${looksLike} address: add --type ${looksLike} to change the component's type`);
  }
}

/** The component `name` of a VFI, or undefined: its own key only (a component may be called "constructor"). */
export const ownComponent = (vfi: Vfi, name: string): Component | undefined => (Object.hasOwn(vfi, name) ? vfi[name] : undefined);

/** A new VFI without these components; each must be present. */
export function removeComponents(base: Vfi, names: readonly string[]): Vfi {
  const next: Vfi = { ...base };
  for (const name of names) {
    if (!Object.hasOwn(next, name)) {
      throw new VfiError('NOT_FOUND', `no component ${JSON.stringify(name)} in this VFI`, { component: name },
        `components: ${Object.keys(base).join(', ') || '(none)'}`);
    }
    delete next[name];
  }
  return next;
}

/** One field of a component that differs: absent on one side when it was added or removed. */
export interface FieldChange {
  field: string;
  before?: JsonValue;
  after?: JsonValue;
}

export interface ComponentChange {
  component: string;
  before?: Component;
  after?: Component;
  /** for a changed component: the fields that differ, sorted ("address", "type", "x-…") */
  fields?: FieldChange[];
}

export interface VfiDiff {
  added: ComponentChange[];
  removed: ComponentChange[];
  changed: ComponentChange[];
}

/** Components added, removed and changed from `a` to `b`, each list sorted by component name. */
export function diffVfis(a: Vfi, b: Vfi): VfiDiff {
  const diff: VfiDiff = { added: [], removed: [], changed: [] };
  const names = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  for (const component of names) {
    const before = ownComponent(a, component);
    const after = ownComponent(b, component);
    if (!before) diff.added.push({ component, after: after! });
    else if (!after) diff.removed.push({ component, before });
    else {
      const fields = diffFields(before, after);
      if (fields.length > 0) diff.changed.push({ component, before, after, fields });
    }
  }
  return diff;
}

function diffFields(before: Component, after: Component): FieldChange[] {
  const fields = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return fields
    .filter((f) => !sameJson(before[f], after[f]))
    .map((field) => ({
      field,
      ...(Object.hasOwn(before, field) ? { before: before[field] } : {}),
      ...(Object.hasOwn(after, field) ? { after: after[field] } : {}),
    }));
}

/** The lineage commit message for a `set`. */
export const describeSet = (assignments: readonly Assignment[]): string =>
  `set ${assignments.map((a) => `${a.component}=${a.address}`).join(' ')}`;
