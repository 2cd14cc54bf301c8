#!/usr/bin/env node
/**
 * bin entry: run the program; expected failures become one line and their exit code, bugs say so.
 * The one module that reads `process`: its environment and streams are handed to runCli, which
 * gives every command them through its Context (src/context.ts).
 */
import { writeSync } from 'node:fs';
import { runCli } from './cli.js';

/** A reader that stops early (`vfi log X | head`) is not an error: stop quietly, as git does. */
const readerGone = () => process.exit(process.exitCode ?? 0);

// process.stdout and process.stderr are made when first read, and on a pipe that loads node:net
// (~6 ms of `vfi pick | ...`): a command that prints data writes it to fd 1 itself, as the stream
// would on Linux (synchronously, for a pipe or a file), and only a stream that is asked for is made.
const watched = new Set<NodeJS.WriteStream>();
const watch = (stream: NodeJS.WriteStream) => {
  if (!watched.has(stream)) {
    watched.add(stream);
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') readerGone();
      throw e;
    });
  }
  return stream;
};

let outStream: NodeJS.WriteStream | undefined;
let outGone = false;
/** Data to stdout: through fd 1 until it would block (a non-blocking pipe), then the stream, in order. */
function writeOut(data: string | Uint8Array): void {
  if (outGone) return;
  let bytes = typeof data === 'string' ? Buffer.from(data) : data;
  while (outStream === undefined && bytes.length > 0) {
    try {
      bytes = bytes.subarray(writeSync(1, bytes));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') {
        // As the stream's error would: the process ends when this tick of the command is over.
        outGone = true;
        process.nextTick(readerGone);
        return;
      }
      if (code !== 'EAGAIN') throw e;
      outStream = watch(process.stdout);
    }
  }
  if (bytes.length > 0) outStream!.write(bytes);
}

// When nothing is left to run, leave without tearing down the heap and the environment (~10 ms of
// every command): what a command writes has been written (a pending write keeps the loop alive),
// and the 'exit' listeners still run.
process.once('beforeExit', () => process.exit());

/**
 * Leave as beforeExit would, but before the event loop's first turn (where V8 runs the young-space
 * collection it scheduled, ~2 ms of `vfi assertions`): once the command's promise has settled and
 * every microtask after it has run, with nothing holding the loop (a write, a child, a timer).
 */
const leaveWhenIdle = () =>
  process.nextTick(() => {
    if (process.getActiveResourcesInfo().length === 0) process.exit();
  });

runCli(process.argv, {
  env: process.env,
  cwd: process.cwd(),
  get stdout() {
    return watch(process.stdout);
  },
  get stderr() {
    return watch(process.stderr);
  },
  writeOut,
  stdin: () => process.stdin,
}).then(
  (code) => {
    process.exitCode = code;
    leaveWhenIdle();
  },
  (e: unknown) => {
    // Only reached for errors thrown outside a command (commander itself misbehaving).
    process.stderr.write(`vfi: internal error: ${(e as Error)?.message ?? String(e)}\n`);
    if (process.env.VFI_DEBUG === '1') process.stderr.write(`${(e as Error)?.stack}\n`);
    process.exitCode = 1;
  },
);
