/** The smart-HTTP codecs vfi speaks itself: ref advertisements, receive-pack commands and reports, pack entry headers. */
import { describe, expect, it } from 'vitest';
import { readAdvertisement } from '../../src/remote/advertisement.js';
import { encodeEntryHeader } from '../../src/core/pack.js';
import { FLUSH, pktLine, ProtocolError } from '../../src/remote/pktLine.js';
import { readReceivePackResult, receivePackCommands, ZERO_ID } from '../../src/remote/receivePack.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const stream = (...parts: Buffer[]) => (async function* () { for (const p of parts) yield p; })();
const band = (n: number, data: Buffer | string) => pktLine(Buffer.concat([Buffer.from([n]), Buffer.from(data)]));
const service = (s: string) => [pktLine(`# service=${s}\n`), FLUSH];

describe('ref advertisement', () => {
  it('reads refs and the capabilities of the first line, skipping peeled tags', async () => {
    const ad = await readAdvertisement(stream(...service('git-upload-pack'), pktLine(`${A} HEAD\0side-band-64k ofs-delta agent=git/2.39\n`),
      pktLine(`${B} refs/vfi/Runtime\n`), pktLine(`${A} refs/tags/v1\n`), pktLine(`${B} refs/tags/v1^{}\n`), FLUSH), 'git-upload-pack');
    expect(ad.refs).toEqual(new Map([['HEAD', A], ['refs/vfi/Runtime', B], ['refs/tags/v1', A]]));
    expect(ad.capabilities).toEqual(new Set(['side-band-64k', 'ofs-delta', 'agent=git/2.39']));
  });

  it.each([
    ['an empty repository (receive-pack)', [...service('git-receive-pack'), pktLine(`${ZERO_ID} capabilities^{}\0report-status delete-refs\n`), FLUSH], 'git-receive-pack', ['report-status', 'delete-refs']],
    ['an empty repository (upload-pack)', [...service('git-upload-pack'), FLUSH], 'git-upload-pack', []],
  ])('%s', async (_what, parts, svc, caps) => {
    const ad = await readAdvertisement(stream(...parts), svc);
    expect(ad.refs.size).toBe(0);
    expect([...ad.capabilities]).toEqual(caps);
  });

  it.each([
    ['no service line', [pktLine(`${A} refs/heads/main\0x\n`), FLUSH], 'protocol'],
    ['the other service', [...service('git-receive-pack'), FLUSH], 'protocol'],
    ['a cut list', [...service('git-upload-pack'), pktLine(`${A} HEAD\0x\n`)], 'truncated'],
    ['a line that is not a ref', [...service('git-upload-pack'), pktLine('hello world\n'), FLUSH], 'protocol'],
    ['an ERR line', [...service('git-upload-pack'), pktLine('ERR access denied\n'), FLUSH], 'server'],
    ['a web page', [Buffer.from('<html><body>hi</body></html>')], 'protocol'],
  ])('refuses %s', async (_what, parts, kind) => {
    await expect(readAdvertisement(stream(...parts), 'git-upload-pack')).rejects.toMatchObject({ kind });
  });
});

describe('receive-pack commands', () => {
  it('puts the capabilities the server offered on the first line, a zero id for a new ref, then a flush', () => {
    const body = receivePackCommands([{ ref: 'refs/vfi/Runtime', old: A, new: B }, { ref: 'refs/vfi/New', old: undefined, new: A }],
      new Set(['report-status', 'side-band-64k', 'atomic', 'agent=git/2.39']));
    expect(body.toString()).toBe(`${pktLine(`${A} ${B} refs/vfi/Runtime\0report-status side-band-64k agent=git/vfi\n`)}${pktLine(`${ZERO_ID} ${A} refs/vfi/New\n`)}0000`);
    expect(receivePackCommands([{ ref: 'refs/vfi/X', old: A, new: B }], new Set(['report-status'])).toString()).toContain('\0report-status\n');
    expect(() => receivePackCommands([{ ref: 'refs/vfi/X', old: A, new: B }], new Set(['side-band-64k']))).toThrowError(ProtocolError);
  });
});

describe('receive-pack report', () => {
  const report = (...lines: string[]) => Buffer.concat([...lines.map((l) => pktLine(`${l}\n`)), FLUSH]);

  it('reads ok and ng per ref, and the messages on side-band 2, across packets', async () => {
    const inner = report('unpack ok', 'ok refs/vfi/Runtime', 'ng refs/vfi/Locked pre-receive hook declined');
    const progress: string[] = [];
    const r = await readReceivePackResult(stream(band(2, 'policy: Locked is protected\n'), band(1, inner.subarray(0, 7)), band(1, inner.subarray(7)), FLUSH), true,
      (l) => progress.push(l));
    expect(r).toEqual({ unpack: 'ok', refs: new Map([['refs/vfi/Runtime', undefined], ['refs/vfi/Locked', 'pre-receive hook declined']]), messages: ['policy: Locked is protected'] });
    expect(progress).toEqual(['policy: Locked is protected']);
  });

  it('reads a report without side-band, and an unpack failure', async () => {
    const r = await readReceivePackResult(stream(report('unpack index-pack abnormal exit', 'ng refs/vfi/X unpacker error')), false);
    expect(r.unpack).toBe('index-pack abnormal exit');
    expect(r.refs.get('refs/vfi/X')).toBe('unpacker error');
  });

  it.each([
    ['a cut report', [band(1, report('unpack ok', 'ok refs/vfi/X').subarray(0, 12))], 'truncated'],
    ['a fatal error on band 3', [band(3, 'fatal: the remote hung up')], 'server'],
    ['something else', [band(1, report('hello'))], 'protocol'],
  ])('refuses %s', async (_what, parts, kind) => {
    await expect(readReceivePackResult(stream(...parts), true)).rejects.toMatchObject({ kind });
  });
});

describe('pack entry headers', () => {
  it.each([
    ['commit', 0, '10'],
    ['blob', 15, '3f'],
    ['blob', 16, 'b001'],
    ['tree', 300, 'ac12'],
    ['blob', 2 ** 20, 'b0808004'],
  ] as const)('%s of %d bytes: %s', (type, size, hex) => {
    expect(encodeEntryHeader(type, size).toString('hex')).toBe(hex);
  });
});
