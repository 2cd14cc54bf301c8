/** What a command needs from the outside world, passed in so commands stay thin and testable. */
import { VfiError } from './errors.js';
import { findStore, type StoreSource } from './store/discover.js';
import { Store } from './store/store.js';

export interface Context {
  storePath: string;
  /** where storePath came from: --store, $VFI_STORE, $GIT_DIR, the current directory, the default */
  storeFrom: StoreSource;
  env: NodeJS.ProcessEnv;
  /** write data to stdout (a line gets its newline added) */
  out(line: string): void;
  outBytes(bytes: Uint8Array): void;
  /** write a message to stderr */
  note(line: string): void;
  /** stderr is a terminal: progress bars allowed */
  progressAllowed: boolean;
  /** stderr as a stream, for a progress bar that redraws its line */
  errStream: NodeJS.WritableStream;
  /** stdin is a terminal (git may prompt for a password) */
  inIsTerminal: boolean;
  /** stdout is a terminal (a config.json with passwords is not printed there) */
  outIsTerminal: boolean;
  color: boolean;
  readStdin(): Promise<Buffer>;
  /** stdin as it arrives (streaming readers: import, assert --batch); absent, readStdin whole */
  stdinChunks?(): AsyncIterable<Uint8Array>;
  store(opts: { create: boolean }): Store;
}

/**
 * The process as the bin entry (src/main.ts, the one module that reads `process`) hands it over;
 * everything below the entry reaches the environment and the standard streams through a Context
 * or a ProcessIo made from this (test/unit/house.test.ts keeps it so).
 */
export interface ProcessEnds {
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** the streams are made when first read (on a pipe that loads node:net): read them only when needed */
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  /** write data to stdout, in order with what was written before */
  writeOut(data: string | Uint8Array): void;
  /** a function: stdin is opened when first touched, which only the commands that read it should do */
  stdin(): NodeJS.ReadStream;
}

/** The environment and stderr of the process, for the entry point's error report, which runs with or without a command's context. */
export interface ProcessIo {
  env: NodeJS.ProcessEnv;
  writeErr(text: string): void;
  /** stdout's reader has gone away (its stream errored or was destroyed): `vfi list | head -1` */
  stdoutClosed(): boolean;
}

export const processIo = (ends: ProcessEnds): ProcessIo => ({
  env: ends.env,
  writeErr: (text) => void ends.stderr.write(text),
  stdoutClosed: () => ends.stdout.destroyed || ends.stdout.errored != null,
});

export function processContext(ends: ProcessEnds, storeOption: string | undefined): Context {
  let opened: Store | undefined;
  const { env } = ends;
  const found = findStore(storeOption, env, ends.cwd);
  const note = (line: string) => void ends.stderr.write(`${line}\n`);
  return {
    storePath: found.path,
    storeFrom: found.from,
    env,
    out: (line) => ends.writeOut(`${line}\n`),
    outBytes: (bytes) => ends.writeOut(bytes),
    note,
    get progressAllowed() {
      return Boolean(ends.stderr.isTTY) && env.CI !== 'true';
    },
    get errStream() {
      return ends.stderr;
    },
    get inIsTerminal() {
      return Boolean(ends.stdin().isTTY);
    },
    get outIsTerminal() {
      return Boolean(ends.stdout.isTTY);
    },
    get color() {
      return Boolean(ends.stdout.isTTY) && !('NO_COLOR' in env && env.NO_COLOR !== '');
    },
    stdinChunks: () => ends.stdin(),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const c of ends.stdin()) chunks.push(c as Buffer);
      return Buffer.concat(chunks);
    },
    store(opts) {
      // `--store "$UNSET"` would otherwise be the current directory, and write into its .git.
      if (this.storePath === '') throw new VfiError('USAGE', '--store: the path is empty (an unset variable?)', {}, 'give a directory, or leave --store out for $VFI_STORE or the default');
      try {
        opened ??= Store.open(this.storePath, { ...opts, env, warn: note });
      } catch (e) {
        // Found without --store: say how, or a $GIT_DIR left set by a git hook is a mystery.
        if (!(e instanceof VfiError && e.code === 'NOT_FOUND' && found.from !== '--store')) throw e;
        throw new VfiError(e.code, `${e.message} (${FOUND_THROUGH[found.from]})`, { ...e.data, from: found.from }, e.hint);
      }
      return opened;
    },
  };
}

const FOUND_THROUGH: Record<StoreSource, string> = {
  '--store': '--store',
  VFI_STORE: '$VFI_STORE',
  GIT_DIR: '$GIT_DIR',
  'current directory': 'the vfi store at or above the current directory',
  default: 'the default store; there is no vfi store at or above the current directory',
};
