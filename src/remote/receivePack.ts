/**
 * The push half of git's smart-HTTP protocol (gitprotocol-pack(5) "Pushing Data To a Server"):
 * the commands, and the server's report (`report-status`: `unpack ok`, then `ok <ref>` or
 * `ng <ref> <reason>` per ref, with hook output and errors on side-band 2). Only a refusal because
 * the remote moved is answered by pulling first; any other (a hook's policy, `deny updating`, an
 * object the server's fsck refused) is the server's own word, shown as it said it.
 */
import { bandLines, FLUSH, PktReader, pktLine, ProtocolError } from './pktLine.js';
import { agent } from './uploadPack.js';

export type RefusalKind = 'moved' | 'refused';

/**
 * Is this refusal "the remote moved past you" (pull first) or something else? git's own words
 * for the first are "non-fast-forward", "fetch first" and "stale info"; receive-pack whose
 * compare-and-swap failed (the ref moved between the advertisement and the update) says
 * "failed to update ref" and, on side-band 2, "cannot lock ref …: is at X but expected Y".
 */
export function refusalKind(reason: string, serverMessages: readonly string[]): RefusalKind {
  if (/non-fast-forward|fetch first|stale info|not-fast-forward/i.test(reason)) return 'moved';
  if (/failed to (update|lock) ref/i.test(reason) && serverMessages.some((m) => /but expected|reference already exists/i.test(m))) return 'moved';
  return 'refused';
}

/** The lines of side-band 2 worth showing: hook output and errors, not progress counters. */
export function serverMessageLines(text: string): string[] {
  return text
    .split(/\r\n|\r|\n/)
    .map((l) => l.replace(/^remote:\s*/, '').trim())
    .filter((l) => l !== '' && !/^(Resolving deltas|Unpacking objects|Counting objects|Compressing objects|Writing objects|Total \d+)/.test(l));
}

export const ZERO_ID = '0'.repeat(40);

export interface RefUpdate {
  ref: string;
  /** what the server advertised, or undefined for a ref it does not have */
  old: string | undefined;
  new: string;
}

/**
 * The commands of a push: one `<old> <new> <ref>` per ref, the first with the capabilities after
 * a NUL, then a flush; the pack follows. Capabilities are only ones the server offered.
 */
export function receivePackCommands(updates: readonly RefUpdate[], serverCapabilities: ReadonlySet<string>): Buffer {
  if (!serverCapabilities.has('report-status')) throw new ProtocolError('the server does not offer report-status, which vfi needs', 'protocol');
  const caps = ['report-status', ...['side-band-64k'].filter((c) => serverCapabilities.has(c)), ...agent(serverCapabilities)];
  const parts = updates.map((u, i) => pktLine(`${u.old ?? ZERO_ID} ${u.new} ${u.ref}${i === 0 ? `\0${caps.join(' ')}` : ''}\n`));
  return Buffer.concat([...parts, FLUSH]);
}

export interface ReceivePackResult {
  /** "ok", or the server's reason the pack was not unpacked */
  unpack: string;
  /** per ref: undefined when it was updated, else the server's reason */
  refs: Map<string, string | undefined>;
  /** what the server said on side-band 2 (hook output, errors), progress left out */
  messages: string[];
}

/** Parse the answer of a push (report-status, possibly inside side-band 1). */
export async function readReceivePackResult(body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, sideBand: boolean, onProgress?: (line: string) => void): Promise<ReceivePackResult> {
  const messages: string[] = [];
  let report: PktReader;
  if (sideBand) {
    const data: Buffer[] = [];
    const outer = new PktReader(body);
    for (;;) {
      const pkt = await outer.next();
      if (pkt === 'end' || pkt === 'flush') break;
      const band = pkt[0];
      if (band === 1) data.push(pkt.subarray(1));
      else if (band === 2) {
        for (const line of bandLines(pkt.subarray(1))) onProgress?.(line);
        messages.push(...serverMessageLines(pkt.subarray(1).toString('utf8')));
      } else if (band === 3) throw new ProtocolError(`the server reported: ${pkt.subarray(1).toString('utf8').trim()}`, 'server');
      else throw new ProtocolError(`unexpected side-band ${band}`, 'protocol');
    }
    report = new PktReader([Buffer.concat(data)]);
  } else {
    report = new PktReader(body);
  }
  const lines: string[] = [];
  for (;;) {
    const pkt = await report.next();
    if (pkt === 'flush') break;
    if (pkt === 'end') throw new ProtocolError('the report of the push ended early', 'truncated');
    lines.push(pkt.toString('utf8').replace(/\n$/, ''));
  }
  const [head, ...rest] = lines;
  if (!head?.startsWith('unpack ')) throw new ProtocolError(`unexpected report from the server: ${(head ?? '').slice(0, 80)}`, 'protocol');
  const refs = new Map<string, string | undefined>();
  for (const line of rest) {
    const m = /^(ok|ng) (\S+)(?: (.*))?$/.exec(line);
    if (!m) throw new ProtocolError(`unexpected report line from the server: ${line.slice(0, 80)}`, 'protocol');
    refs.set(m[2]!, m[1] === 'ok' ? undefined : (m[3] ?? 'refused'));
  }
  return { unpack: head.slice('unpack '.length), refs, messages };
}
