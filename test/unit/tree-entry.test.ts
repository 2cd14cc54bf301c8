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
});
