/**
 * git's pkt-line framing (gitprotocol-common(5) "pkt-line Format"): four hex digits of length
 * (counting themselves), then the payload; `0000` is a flush. And the side-band multiplexing
 * both services use for their answers (gitprotocol-pack(5) "side-band, side-band-64k"): band 1
 * data, band 2 progress and messages, band 3 a fatal error.
 */

export function pktLine(text: string | Buffer): Buffer {
  const body = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  return Buffer.concat([Buffer.from((body.length + 4).toString(16).padStart(4, '0'), 'ascii'), body]);
}

export const FLUSH = Buffer.from('0000', 'ascii');

/** What the other side sent that is not the protocol (or not all of it). */
export class ProtocolError extends Error {
  constructor(
    message: string,
    readonly kind: 'server' | 'protocol' | 'truncated',
  ) {
    super(message);
  }
}

/** Reads pkt-lines from a byte stream. */
export class PktReader {
  private buf = Buffer.alloc(0);
  private readonly it: AsyncIterator<Uint8Array> | Iterator<Uint8Array>;
  private ended = false;

  constructor(body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>) {
    this.it = Symbol.asyncIterator in body ? body[Symbol.asyncIterator]() : body[Symbol.iterator]();
  }

  private async fill(n: number): Promise<boolean> {
    while (this.buf.length < n && !this.ended) {
      const { value, done } = await this.it.next();
      if (done) this.ended = true;
      else this.buf = this.buf.length ? Buffer.concat([this.buf, Buffer.from(value)]) : Buffer.from(value);
    }
    return this.buf.length >= n;
  }

  /** The next packet: a Buffer, 'flush', or 'end' when the stream is over. */
  async next(): Promise<Buffer | 'flush' | 'end'> {
    if (!(await this.fill(4))) {
      if (this.buf.length === 0) return 'end';
      throw new ProtocolError('the response ended inside a packet header', 'truncated');
    }
    const hex = this.buf.toString('ascii', 0, 4);
    if (!/^[0-9a-f]{4}$/i.test(hex)) throw new ProtocolError(`not a git protocol response (got ${JSON.stringify(hex)})`, 'protocol');
    const len = parseInt(hex, 16);
    if (len === 0 || len === 1 || len === 2) {
      this.buf = this.buf.subarray(4);
      return 'flush';
    }
    if (len < 4) throw new ProtocolError(`bad packet length ${hex}`, 'protocol');
    if (!(await this.fill(len))) throw new ProtocolError('the response ended inside a packet', 'truncated');
    const pkt = this.buf.subarray(4, len);
    this.buf = this.buf.subarray(len);
    return pkt;
  }
}

/** Lines of text a server sent on side-band 2, split on \r and \n, without empty ones. */
export function bandLines(data: Buffer): string[] {
  return data.toString('utf8').split(/[\r\n]+/).map((l) => l.trim()).filter(Boolean);
}
