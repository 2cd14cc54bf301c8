import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PublicationFile } from '../../src/store/publicationFile.js';
import { prng } from '../helpers/prng.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vfi-pubfile-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const hex = (rand: () => number) => Array.from({ length: 40 }, () => '0123456789abcdef'[Math.floor(rand() * 16)]).join('');

describe('PublicationFile.writeWithNewer', () => {
  // What a publication adds: new ids, an id published before (a revert), the same id twice, an id
  // that sorts first or last; the bytes must be those of the file written whole from the full list.
  const rand = prng(7);
  const older = Array.from({ length: 500 }, () => hex(rand));
  older.push(older[3]!, older[100]!); // published twice already
  const cases: [string, string[]][] = [
    ['one new id', [hex(rand)]],
    ['an id published before', [older[42]!]],
    ['several, one twice, one already there', [hex(rand), older[7]!, 'f'.repeat(40), hex(rand), '0'.repeat(40)].flatMap((id, i) => (i === 3 ? [id, id] : [id]))],
  ];
  it.each(cases)('%s: the same bytes as a whole rewrite', (_, newer) => {
    const oldHead = hex(rand);
    const newHead = hex(rand);
    const base = path.join(dir, 'base.pub');
    PublicationFile.write(base, oldHead, older);
    const whole = path.join(dir, 'whole.pub');
    PublicationFile.write(whole, newHead, [...newer, ...older]);
    const pub = PublicationFile.open(base, oldHead)!;
    const appended = path.join(dir, 'appended.pub');
    pub.writeWithNewer(appended, newHead, newer);
    pub.close();
    expect(fs.readFileSync(appended).equals(fs.readFileSync(whole))).toBe(true);
    const reopened = PublicationFile.open(appended, newHead)!;
    expect(reopened.count).toBe(newer.length + older.length);
    expect(reopened.idAt(0)).toBe(newer[0]);
    expect(reopened.idsWithPrefix(newer[0]!)).toEqual([newer[0]]);
    reopened.close();
  });

  it('into an empty file', () => {
    const head = hex(rand);
    const base = path.join(dir, 'empty.pub');
    PublicationFile.write(base, head, []);
    const pub = PublicationFile.open(base, head)!;
    const id = hex(rand);
    pub.writeWithNewer(path.join(dir, 'one.pub'), id, [id]);
    pub.close();
    PublicationFile.write(path.join(dir, 'one-whole.pub'), id, [id]);
    expect(fs.readFileSync(path.join(dir, 'one.pub')).equals(fs.readFileSync(path.join(dir, 'one-whole.pub')))).toBe(true);
  });
});

describe('PublicationFile reads', () => {
  it('a file cut while open is said to be cut, not read as ids of zeros', () => {
    const rand = prng(11);
    const ids = Array.from({ length: 300 }, () => hex(rand));
    const head = hex(rand);
    const file = path.join(dir, 'cut.pub');
    PublicationFile.write(file, head, ids);
    const pub = PublicationFile.open(file, head)!;
    expect(pub.idAt(299)).toBe(ids[299]);
    // vfi replaces the file whole (a rename); something else cuts it in place
    fs.truncateSync(file, fs.statSync(file).size - 20 * 400);
    expect(() => pub.idAt(299)).toThrowError(expect.objectContaining({ code: 'STORE_IO', message: expect.stringContaining('cut short') }));
    expect(() => pub.idsWithPrefix(ids[0]!.slice(0, 6))).toThrowError(expect.objectContaining({ code: 'STORE_IO' }));
    pub.close();
    expect(PublicationFile.open(file, head)).toBeUndefined(); // and the next open does not take it
  });
});
