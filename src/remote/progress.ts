/** One self-rewriting status line on stderr for push and pull, only when stderr is a terminal (SPEC §3). */
export interface ProgressEvent {
  /** what is going on: "counting objects", or a line the server sent ("Resolving deltas: 40%") */
  phase: string;
  loaded: number;
  /** 0 when unknown */
  total: number;
}

export interface TransferProgress {
  phase(e: ProgressEvent): void;
  bytes(received: number): void;
  label(text: string): void;
  done(): void;
}

export const quietProgress: TransferProgress = { phase() {}, bytes() {}, label() {}, done() {} };

export function terminalProgress(stream: NodeJS.WriteStream = process.stderr): TransferProgress {
  let label = '';
  let phase = '';
  let bytes = 0;
  let bytesAtLabel = 0;
  let last = 0;
  let shown = false;
  const draw = (force = false) => {
    const now = Date.now();
    if (!force && now - last < 100) return;
    last = now;
    if (!label) return;
    const n = bytes - bytesAtLabel;
    const size = n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : n >= 1024 ? `${Math.round(n / 1024)} KiB` : `${n} B`;
    const text = [label, phase, n > 0 ? size : ''].filter(Boolean).join(' · ');
    const width = stream.columns && stream.columns > 20 ? stream.columns - 1 : 79;
    stream.write(`\r\x1b[K${text.slice(0, width)}`);
    shown = true;
  };
  return {
    phase(e) {
      phase = e.total ? `${e.phase} ${e.loaded}/${e.total}` : `${e.phase} ${e.loaded}`;
      draw();
    },
    bytes(received) {
      bytes = received;
      draw();
    },
    label(text) {
      label = text;
      bytesAtLabel = bytes;
      phase = '';
      draw(true);
    },
    done() {
      if (shown) stream.write('\r\x1b[K');
      shown = false;
    },
  };
}
