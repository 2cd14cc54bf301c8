#!/usr/bin/env node
/** bin entry: run the program; expected failures become one line and their exit code, bugs say so. */
import { runCli } from './cli.js';

runCli(process.argv).then(
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
