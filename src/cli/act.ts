/** The contract between the CLI table and the command modules: what a command's action is, and how cli.ts wraps one. */
import type { Command } from 'commander';
import type { Context } from '../context.js';

/** A command module's exported function: the context, then commander's arguments and options. */
export type Action = (ctx: Context, ...args: any[]) => Promise<void> | void;

/** cli.ts's wrapper: the module is imported only when its command runs, and its errors become one line and an exit code. */
export type Act = (load: () => Promise<Action>) => (this: Command, ...args: unknown[]) => Promise<void>;
