import { describe, expect, it } from 'vitest';
import { checkComponentNames, diffVfis, inferType, parseAssignment, parseAssignments, removeComponents, setComponents, type Vfi } from '../../src/core/vfi.js';
import { vfiFromBytes } from '../../src/commands/input.js';
import { validateVfi } from '../../src/schema/validate.js';
import { parseIJson } from '../../src/core/ijson.js';
import { decodeCommit, decodeTree, encodeCommit, encodeTree, objectId } from '../../src/core/gitObject.js';

const base: Vfi = {
  nsq: { type: 'dockerImage', address: 'nsqio/nsq:v0.3.8' },
  router: { type: 'dockerImage', address: 'polyverse/router:v1', 'x-owner': 'team-a' },
  api: { type: 'git', address: 'https://github.com/polyverse/api@72e5e550d1835013832f64597cb1368b7155bd53' },
};

describe('validateVfi', () => {
  const ok = (json: string) => validateVfi(parseIJson(json));
  it('accepts the shape of the post, with x- extension keys', () => {
    expect(ok(JSON.stringify(base))).toEqual(base);
  });
  it.each([
    ['not an object', '[1]', 'SCHEMA', undefined],
    ['component not an object', '{"a":"nsq"}', 'SCHEMA', 'a'],
    ['unknown type', '{"a":{"type":"tarball","address":"x"}}', 'SCHEMA', 'a'],
    ['typo in a key', '{"a":{"type":"dockerImage","adress":"nsq"}}', 'SCHEMA', 'a'],
    ['missing address', '{"a":{"type":"dockerImage"}}', 'SCHEMA', 'a'],
    ['empty address', '{"a":{"type":"dockerImage","address":""}}', 'SCHEMA', 'a'],
    ['address not a string', '{"a":{"type":"dockerImage","address":5}}', 'SCHEMA', 'a'],
    ['bad component name', '{"../x":{"type":"dockerImage","address":"nsq"}}', 'SCHEMA', undefined],
    ['uppercase repository', '{"router":{"type":"dockerImage","address":"polyverse/Router"}}', 'INVALID_IMAGE_REFERENCE', 'router'],
    ['bad tag', '{"router":{"type":"dockerImage","address":"polyverse/router:-x"}}', 'INVALID_IMAGE_REFERENCE', 'router'],
    ['short digest', '{"router":{"type":"dockerImage","address":"polyverse/router@sha256:abc"}}', 'INVALID_IMAGE_REFERENCE', 'router'],
    ['git address without commit', '{"api":{"type":"git","address":"https://x/y"}}', 'INVALID_GIT_ADDRESS', 'api'],
    ['git address with short commit', '{"api":{"type":"git","address":"https://x/y@72e5e55"}}', 'INVALID_GIT_ADDRESS', 'api'],
  ])('refuses %s', (_name, json, code, component) => {
    expect(() => ok(json)).toThrowError(expect.objectContaining({ code, ...(component ? { data: expect.objectContaining({ component }) } : {}) }));
  });
  it.each([
    ['', /^invalid component name "": is empty$/],
    ['a/b', /^invalid component name "a\/b": may contain only ASCII letters, digits/],
    ['a.', /^invalid component name "a\.": must not end in "\."$/],
    ['a..b', /^invalid component name "a\.\.b": must not contain "\.\."$/],
    ['x.lock', /^invalid component name "x\.lock": must not end in "\.lock"$/],
    ['-x', /^invalid component name "-x": must start with an ASCII letter or digit$/],
  ])('names the bad component name %j and says what is wrong with it', (name, message) => {
    const json = JSON.stringify({ ok: { type: 'dockerImage', address: 'nsq' }, [name]: { type: 'dockerImage', address: 'nsq' } });
    expect(() => ok(json)).toThrowError(expect.objectContaining({ code: 'SCHEMA', data: expect.objectContaining({ component: name }) }));
    expect(() => ok(json)).toThrow(message);
  });
  it('names component and field of a number it cannot keep exactly', () => {
    const json = '{"a":{"type":"dockerImage","address":"x:1","x-n":123456789012345678901234567890,"x-d":{"k":[0,9007199254740993]}}}';
    expect(() => vfiFromBytes(json, 'f.json')).toThrow(/^f\.json: component "a": "x-n": number 123456789012345678901234567890 at line 1, column \d+ would be stored as 1\.2345678901234568e\+29.*quote it as a string/);
    const deeper = '{"a":{"type":"dockerImage","address":"x:1","x-d":{"k":[0,9007199254740993]}}}';
    expect(() => vfiFromBytes(deeper, 'f.json')).toThrow(/^f\.json: component "a": "x-d" at \/k\/1: number 9007199254740993 /);
  });
  it('names component and field in the message', () => {
    expect(() => ok('{"router":{"type":"dockerImage","address":"polyverse/Router"}}')).toThrow(/^component "router": "address" is not a valid image reference: /);
    expect(() => ok('{"a":{"type":"dockerImage","adress":"nsq"}}')).toThrow(/component "a": unknown field "adress"/);
  });
});

describe('set, rm and diff', () => {
  it('replaces an address, keeping type and extension keys', () => {
    const next = setComponents(base, [parseAssignment('router=polyverse/router:v2')]);
    expect(next.router).toEqual({ type: 'dockerImage', address: 'polyverse/router:v2', 'x-owner': 'team-a' });
    expect(base.router!.address).toBe('polyverse/router:v1');
  });
  it('adds a component with an inferred type', () => {
    expect(inferType('nsqio/nsq:v1')).toBe('dockerImage');
    expect(inferType('https://example.com/r.git@72e5e550d1835013832f64597cb1368b7155bd53')).toBe('git');
    expect(inferType('Runtime@72e5e550d1835013832f64597cb1368b7155bd53')).toBe('vfi');
    expect(inferType('localhost:5000/r@sha256:' + 'a'.repeat(64))).toBe('dockerImage');
  });
  it('refuses an invalid address', () => {
    expect(() => setComponents(base, [parseAssignment('router=Bad/Name')])).toThrowError(expect.objectContaining({ code: 'INVALID_IMAGE_REFERENCE' }));
  });
  it.each(['router', '=x', 'router=', '../x=nsq'])('refuses the assignment %j', (a) => {
    expect(() => parseAssignment(a)).toThrow();
  });
  it.each([
    [['a=x:1', 'a=x:2'], 'a'],
    [['a=x:1', 'b=y:1', 'a=x:1'], 'a'],
  ])('refuses a component given twice in one set: %j', (args, component) => {
    expect(() => parseAssignments(args)).toThrowError(expect.objectContaining({ code: 'USAGE', data: { component } }));
  });
  it.each([[['a', 'a']], [['a', 'b', 'a']]])('refuses a component given twice in one rm: %j', (names) => {
    expect(() => checkComponentNames(names)).toThrowError(expect.objectContaining({ code: 'USAGE', data: { component: 'a' } }));
  });
  it('parses distinct assignments in order', () => {
    expect(parseAssignments(['b=y:1', 'a=x:1']).map((a) => a.component)).toEqual(['b', 'a']);
    expect(checkComponentNames(['b', 'a'])).toEqual(['b', 'a']);
  });
  it.each(['constructor', 'toString', 'hasOwnProperty'])('treats %s as a component name like any other', (name) => {
    expect(() => removeComponents(base, [name])).toThrowError(expect.objectContaining({ code: 'NOT_FOUND' }));
    expect(setComponents(base, [parseAssignment(`${name}=nsqio/nsq:v1`)])[name]).toEqual({ type: 'dockerImage', address: 'nsqio/nsq:v1' });
  });
  it('removes components and refuses absent ones', () => {
    expect(Object.keys(removeComponents(base, ['nsq']))).toEqual(['router', 'api']);
    expect(() => removeComponents(base, ['etcd'])).toThrowError(expect.objectContaining({ code: 'NOT_FOUND' }));
  });
  it('diffs added, removed and changed components', () => {
    const next = setComponents(removeComponents(base, ['nsq']), [parseAssignment('router=polyverse/router:v2'), parseAssignment('etcd=quay.io/coreos/etcd:v3')]);
    const d = diffVfis(base, next);
    expect(d.added.map((c) => c.component)).toEqual(['etcd']);
    expect(d.removed.map((c) => c.component)).toEqual(['nsq']);
    expect(d.changed.map((c) => [c.component, c.before?.address, c.after?.address])).toEqual([['router', 'polyverse/router:v1', 'polyverse/router:v2']]);
    expect(diffVfis(base, { ...base })).toEqual({ added: [], removed: [], changed: [] });
  });
  it.each([
    ['an address', { address: 'polyverse/router:v2' }, [{ field: 'address', before: 'polyverse/router:v1', after: 'polyverse/router:v2' }]],
    ['only an x- key', { 'x-owner': 'team-b' }, [{ field: 'x-owner', before: 'team-a', after: 'team-b' }]],
    ['an added x- key', { 'x-note': { why: 'cve' } }, [{ field: 'x-note', after: { why: 'cve' } }]],
    ['a removed x- key', { 'x-owner': undefined }, [{ field: 'x-owner', before: 'team-a' }]],
    ['type and address', { type: 'git', address: 'https://h/r@72e5e550d1835013832f64597cb1368b7155bd53' },
      [{ field: 'address', before: 'polyverse/router:v1', after: 'https://h/r@72e5e550d1835013832f64597cb1368b7155bd53' }, { field: 'type', before: 'dockerImage', after: 'git' }]],
    ['an x- value of another JSON type', { 'x-owner': 1 }, [{ field: 'x-owner', before: 'team-a', after: 1 }]],
  ] as [string, Record<string, unknown>, unknown][])('says which fields changed when %s changes', (_name, edit, fields) => {
    const router = Object.fromEntries(Object.entries({ ...base.router, ...edit }).filter(([, v]) => v !== undefined));
    const d = diffVfis(base, { ...base, router: router as Vfi[string] });
    expect(d.changed).toEqual([expect.objectContaining({ component: 'router', fields })]);
  });
  it('a component named like an Object property ("constructor") is added and removed as any other', () => {
    const next = setComponents(base, [parseAssignment('constructor=nginx:1')]);
    expect(diffVfis(base, next)).toEqual({ added: [{ component: 'constructor', after: { type: 'dockerImage', address: 'nginx:1' } }], removed: [], changed: [] });
    expect(diffVfis(next, base).removed.map((c) => c.component)).toEqual(['constructor']);
  });
  it('sees no change when only key order differs', () => {
    const reordered = { ...base, router: { 'x-owner': 'team-a', address: 'polyverse/router:v1', type: 'dockerImage' } } as Vfi;
    expect(diffVfis(base, reordered).changed).toEqual([]);
  });
});

describe('git objects', () => {
  it('hashes an empty tree and blob as git does', () => {
    expect(objectId('tree', encodeTree([]))).toBe('4b825dc642cb6eb9a060e54bf8d69288fbee4904');
    expect(objectId('blob', Buffer.alloc(0))).toBe('e69de29bb2d1d6434b8b29ae775ad8c2e48c5391');
  });
  it('sorts tree entries as git does (directories as if ending in "/")', () => {
    const id = 'e69de29bb2d1d6434b8b29ae775ad8c2e48c5391';
    const tree = encodeTree([
      { mode: '100644', name: 'a.b', id },
      { mode: '40000', name: 'a', id: '4b825dc642cb6eb9a060e54bf8d69288fbee4904' },
      { mode: '100644', name: 'a-c', id },
    ]);
    expect(decodeTree(tree).map((e) => e.name)).toEqual(['a-c', 'a.b', 'a']);
  });
  it('round-trips a commit', () => {
    const sig = { name: 'A U Thor', email: 'a@example.com', timestamp: 1700000000, tzOffset: -330 };
    const c = { tree: '4b825dc642cb6eb9a060e54bf8d69288fbee4904', parents: ['e69de29bb2d1d6434b8b29ae775ad8c2e48c5391'], author: sig, committer: sig, message: 'set router=x\n\nfrom Runtime@abc\n' };
    expect(decodeCommit(encodeCommit(c))).toEqual(c);
    expect(encodeCommit(c).toString()).toContain('author A U Thor <a@example.com> 1700000000 -0530\n');
  });
});

describe('addresses checked once', () => {
  it('an address found valid for one type is still checked for another', () => {
    const image = 'nsqio/nsq:v0.3.8';
    expect(validateVfi({ nsq: { type: 'dockerImage', address: image } })).toEqual({ nsq: { type: 'dockerImage', address: image } });
    expect(validateVfi({ nsq: { type: 'dockerImage', address: image } })).toEqual({ nsq: { type: 'dockerImage', address: image } });
    expect(() => validateVfi({ nsq: { type: 'git', address: image } })).toThrow(/not a valid git address/);
    expect(() => validateVfi({ nsq: { type: 'vfi', address: image } })).toThrow(/not a valid VFI reference/);
  });
});
