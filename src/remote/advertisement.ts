/**
 * A smart-HTTP ref advertisement (gitprotocol-http(5) "Smart Clients", gitprotocol-pack(5)
 * "Reference Discovery"): `# service=git-<service>`, a flush, then one `<oid> <ref>` per line,
 * the first carrying the server's capabilities after a NUL, then a flush. A repository with no
 * refs advertises `<zero-id> capabilities^{}` (receive-pack) or nothing at all (upload-pack).
 * Peeled tags (`<ref>^{}`) are left out: vfi never needs them.
 */
import { PktReader, ProtocolError } from './pktLine.js';

export interface Advertisement {
  refs: Map<string, string>;
  capabilities: Set<string>;
}

/** Parse an advertisement; `service` is git-upload-pack or git-receive-pack. */
export async function readAdvertisement(body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, service: string): Promise<Advertisement> {
  const reader = new PktReader(body);
  const first = await reader.next();
  if (first === 'end' || first === 'flush' || first.toString('utf8').trimEnd() !== `# service=${service}`) {
    throw new ProtocolError(`it did not announce # service=${service}`, 'protocol');
  }
  if ((await reader.next()) !== 'flush') throw new ProtocolError('no flush after the service line', 'protocol');
  const refs = new Map<string, string>();
  const capabilities = new Set<string>();
  for (let n = 0; ; n++) {
    const pkt = await reader.next();
    if (pkt === 'flush') break;
    if (pkt === 'end') {
      // an empty repository's upload-pack says nothing more; anything else must end with a flush
      if (n === 0) break;
      throw new ProtocolError('the ref advertisement ended early', 'truncated');
    }
    let line = pkt.toString('utf8').replace(/\n$/, '');
    const nul = line.indexOf('\0');
    if (nul >= 0) {
      if (n === 0) for (const c of line.slice(nul + 1).split(' ')) if (c) capabilities.add(c);
      line = line.slice(0, nul);
    }
    const m = /^([0-9a-f]{40}) (\S+)$/.exec(line);
    if (!m) {
      if (n === 0 && line.startsWith('ERR ')) throw new ProtocolError(`the server reported: ${line.slice(4)}`, 'server');
      throw new ProtocolError(`unexpected line in the ref advertisement: ${line.slice(0, 80)}`, 'protocol');
    }
    const [, oid, ref] = m;
    if (ref === 'capabilities^{}' || ref!.endsWith('^{}')) continue;
    refs.set(ref!, oid!);
  }
  return { refs, capabilities };
}
