#!/usr/bin/env node
/**
 * bin entry: run the program; expected failures become one line and their exit code, bugs say so.
 * The one module that reads `process`: its environment and streams are handed to runCli, which
 * gives every command them through its Context (src/context.ts).
 */
import { runCli } from './cli.js';

// A reader that stops early (`vfi log X | head`) is not an error: stop quietly, as git does.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

runCli(process.argv, { env: process.env, cwd: process.cwd(), stdout: process.stdout, stderr: process.stderr, stdin: () => process.stdin }).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    // Only reached for errors thrown outside a command (commander itself misbehaving).
    process.stderr.write(`vfi: internal error: ${(e as Error)?.message ?? String(e)}\n`);
    if (process.env.VFI_DEBUG === '1') process.stderr.write(`${(e as Error)?.stack}\n`);
    process.exitCode = 1;
  },
);
