/**
 * The fetch half of git's smart-HTTP protocol (v0/v1 "stateless RPC", gitprotocol-pack(5) and
 * gitprotocol-http(5)), spoken directly: one POST to `git-upload-pack` asking for every wanted ref
 * tip at once, with the store's own tips as "have"s so the server sends only what is missing.
 * isomorphic-git's fetch cannot do this for vfi: it takes one ref per call, writes refs itself, and
 * gives up on a server whose HEAD names an unborn branch (a repository that holds only vfi refs).
 * The pack is checked (signature, trailing SHA-1) before it is unpacked (remote/unpack.ts).
 */
import { createHash } from 'node:crypto';
import { packHeaderProblem } from '../core/pack.js';
import { bandLines, FLUSH, PktReader, pktLine, ProtocolError } from './pktLine.js';

/**
 * The request body: wants (the first line carries the capabilities), a flush, haves, done. The
 * pack must come multiplexed (side-band-64k, or side-band from an old server): every git server
 * since 2009 offers one of them. No thin-pack: the pack is then self-contained (no delta on an
 * object the server left out), so a pull can keep it as it came (remote/unpack.ts).
 */
export function uploadPackRequest(wants: readonly string[], haves: readonly string[], serverCapabilities: ReadonlySet<string>): Buffer {
  const band = serverCapabilities.has('side-band-64k') ? 'side-band-64k' : serverCapabilities.has('side-band') ? 'side-band' : undefined;
  if (!band) throw new ProtocolError('the server does not offer side-band, which vfi needs', 'protocol');
  const caps = [band, ...(serverCapabilities.has('ofs-delta') ? ['ofs-delta'] : []), ...agent(serverCapabilities)];
  const parts: Buffer[] = [];
  [...new Set(wants)].forEach((oid, i) => parts.push(pktLine(i === 0 ? `want ${oid} ${caps.join(' ')}\n` : `want ${oid}\n`)));
  parts.push(FLUSH);
  for (const oid of new Set(haves)) parts.push(pktLine(`have ${oid}\n`));
  parts.push(pktLine('done\n'));
  return Buffer.concat(parts);
}

/** Our agent capability, only to a server that names its own (some refuse capabilities they did not offer). */
export function agent(serverCapabilities: ReadonlySet<string>): string[] {
  return [...serverCapabilities].some((c) => c.startsWith('agent=')) ? ['agent=git/vfi'] : [];
}

export interface UploadPackResult {
  /** the packfile bytes, checked; undefined when the server had nothing to send */
  pack: Buffer | undefined;
  /** the commit the server said both sides have, if any */
  common: string | undefined;
}

/** Parse the server's answer: ACK/NAK, then the pack on side-band 1, progress on 2, errors on 3. */
export async function readUploadPackResult(body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, onProgress?: (line: string) => void): Promise<UploadPackResult> {
  const reader = new PktReader(body);
  const chunks: Buffer[] = [];
  let common: string | undefined;
  for (;;) {
    const pkt = await reader.next();
    if (pkt === 'end') break;
    if (pkt === 'flush') break;
    const band = pkt[0];
    if (band === 1) chunks.push(pkt.subarray(1));
    else if (band === 2) {
      for (const line of bandLines(pkt.subarray(1))) onProgress?.(line);
    } else if (band === 3) throw new ProtocolError(`the server reported: ${pkt.subarray(1).toString('utf8').trim()}`, 'server');
    else {
      const text = pkt.toString('utf8').trim();
      if (text.startsWith('ACK ')) common = text.slice(4, 44);
      else if (text === 'NAK') continue;
      else if (text.startsWith('ERR ')) throw new ProtocolError(`the server reported: ${text.slice(4)}`, 'server');
      else throw new ProtocolError(`unexpected line from the server: ${text.slice(0, 80)}`, 'protocol');
    }
  }
  const pack = Buffer.concat(chunks);
  if (pack.length === 0) throw new ProtocolError('the server sent no pack', 'truncated');
  checkPack(pack);
  return { pack: pack.readUInt32BE(8) === 0 ? undefined : pack, common };
}

/** A pack must start with "PACK", version 2 or 3, and end with the SHA-1 of what precedes it. */
export function checkPack(pack: Buffer): void {
  if (pack.toString('ascii', 0, Math.min(4, pack.length)) !== 'PACK'.slice(0, Math.min(4, pack.length))) throw new ProtocolError('the server sent something that is not a pack', 'protocol');
  if (pack.length < 32) throw new ProtocolError('the pack is incomplete', 'truncated');
  const problem = packHeaderProblem(pack);
  if (problem) throw new ProtocolError(problem, 'protocol');
  const sum = createHash('sha1').update(pack.subarray(0, pack.length - 20)).digest();
  if (!sum.equals(pack.subarray(pack.length - 20))) throw new ProtocolError('the pack is incomplete or corrupt (checksum mismatch)', 'truncated');
}
