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

/** The environment and stderr of the process, for the entry point's error report, which runs with or without a command's context. */
export interface ProcessIo {
  env: NodeJS.ProcessEnv;
  writeErr(text: string): void;
}

export const processIo = (): ProcessIo => ({ env: process.env, writeErr: (text) => void process.stderr.write(text) });

export function processContext(storeOption: string | undefined): Context {
  let opened: Store | undefined;
  const env = process.env;
  const found = findStore(storeOption, env, process.cwd());
  return {
    storePath: found.path,
    storeFrom: found.from,
    env,
    out: (line) => void process.stdout.write(`${line}\n`),
    outBytes: (bytes) => void process.stdout.write(bytes),
    note: (line) => void process.stderr.write(`${line}\n`),
    progressAllowed: Boolean(process.stderr.isTTY) && env.CI !== 'true',
    errStream: process.stderr,
    // A getter: touching process.stdin opens it, which only the commands that read it should do.
    get inIsTerminal() {
      return Boolean(process.stdin.isTTY);
    },
    outIsTerminal: Boolean(process.stdout.isTTY),
    color: Boolean(process.stdout.isTTY) && !('NO_COLOR' in env && env.NO_COLOR !== ''),
    stdinChunks: () => process.stdin,
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      return Buffer.concat(chunks);
    },
    store(opts) {
      // `--store "$UNSET"` would otherwise be the current directory, and write into its .git.
      if (this.storePath === '') throw new VfiError('USAGE', '--store: the path is empty (an unset variable?)', {}, 'give a directory, or leave --store out for $VFI_STORE or the default');
      try {
        opened ??= Store.open(this.storePath, opts);
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
