// Types for bench/lib.mjs, so TypeScript bench sections can share its helpers.
export declare const ROOT: string;
export declare const MAIN: string;
export declare const ENV: NodeJS.ProcessEnv;
export declare function withoutExtraCaCerts(env?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
export declare function workDir(name: string): string;
export declare function timeOnce(cmd: string, args: string[], opts?: object): { ms: number; stdout: string };
export declare function vfiArgs(store: string, args: string[]): string[];
export interface Command { label: string; cmd: string; args: string[]; opts?: object }
export declare function sideBySide(commands: Command[], runs?: number, warmup?: number): { label: string; median: number; min: number; runs: number }[];
export declare function median(xs: number[]): number;
export declare function fmt(ms: number): string;
export declare function peakRssMiB(cmd: string, args: string[], opts?: object): number | undefined;
export declare function makeVfiLines(n: number, salt?: string): string;
