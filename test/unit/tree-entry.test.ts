import { describe, expect, it } from 'vitest';
import { decodeTree, encodeTree, findTreeEntry, type TreeEntry } from '../../src/core/gitObject.js';

const id = (n: number) => n.toString(16).padStart(40, '0');

describe('findTreeEntry', () => {
  // A fanout tree as the assertions ref has them, a subtree and a file sharing a name, a UTF-8 name, an empty one.
  const entries: TreeEntry[] = [
    ...Array.from({ length: 300 }, (_, i) => ({ mode: '40000' as const, name: i.toString(16).padStart(2, '0'), id: id(i + 1) })),
    { mode: '100644', name: 'components', id: id(1000) },
    { mode: '40000', name: 'components', id: id(1001) },
    { mode: '100644', name: 'naïve', id: id(1002) },
    { mode: '100644', name: '', id: id(1003) },
  ];
  const tree = encodeTree(entries);
  const decoded = decodeTree(tree);

  it('gives the entry decodeTree(...).find gives, for every name, with and without a mode', () => {
    for (const name of [...new Set(entries.map((e) => e.name)), '0', '100', 'component', 'componentsx', 'naive', '']) {
      expect(findTreeEntry(tree, name)).toEqual(decoded.find((e) => e.name === name));
      for (const mode of ['40000', '100644'] as const) {
        expect(findTreeEntry(tree, name, mode)).toEqual(decoded.find((e) => e.name === name && e.mode === mode));
      }
    }
    expect(findTreeEntry(tree, 'components', '40000')?.id).toBe(id(1001));
  });

  it('refuses a malformed tree as decodeTree does, wherever the damage is, even after the entry sought', () => {
    for (const bad of [Buffer.concat([tree, Buffer.from('100644 cut')]), Buffer.concat([tree, Buffer.from('40000 x\0'), Buffer.alloc(5)]), tree.subarray(0, tree.length - 3)]) {
      expect(() => decodeTree(bad)).toThrow('malformed tree object');
      expect(() => findTreeEntry(bad, '00')).toThrow('malformed tree object');
    }
  });

  it('agrees with decodeTree on damaged bytes: the same entry, or both refuse', () => {
    // Bytes a hash check would pass only if written so on purpose: spaces, NULs and cuts anywhere.
    const small = encodeTree(entries.filter((e) => e.name.length !== 2 || e.name < '08'));
    const outcome = (f: () => TreeEntry | undefined) => {
      try {
        return f() ?? null;
      } catch (e) {
        return (e as Error).message;
      }
    };
    let seed = 7;
    const random = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    for (let k = 0; k < 3000; k++) {
      const bad = Buffer.from(small.subarray(0, small.length - random(3) * random(30)));
      for (let m = 1 + random(3); m > 0; m--) bad[random(bad.length)] = [0, 0x20, 0x30, 0x61][random(4)]!;
      for (const name of ['00', '07', 'components', '']) {
        expect(outcome(() => findTreeEntry(bad, name))).toEqual(outcome(() => decodeTree(bad).find((e) => e.name === name)));
      }
    }
  });
});
