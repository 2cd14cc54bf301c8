/**
 * Expected failures. Each carries a stable `code` (tests check codes, not wording), the exit
 * status of SPEC §3, structured `data`, and an optional hint. Anything that is not a VfiError
 * is an internal bug and is reported as such by main.ts.
 */

export type ErrorCode =
  // exit 2: bad usage or bad input
  | 'USAGE'
  | 'INVALID_JSON'
  | 'SCHEMA'
  | 'INVALID_NAME'
  | 'INVALID_CLAIM'
  | 'INVALID_REFERENCE'
  | 'INVALID_IMAGE_REFERENCE'
  | 'INVALID_GIT_ADDRESS'
  | 'AMBIGUOUS_REFERENCE'
  | 'INVALID_INPUT'
  // exit 3: not found
  | 'NOT_FOUND'
  | 'NO_CANDIDATE'
  | 'IMAGE_NOT_FOUND'
  // exit 1: operational failure
  | 'STORE_DAMAGED'
  | 'STORE_BUSY'
  | 'STORE_IO'
  | 'ENGINE'
  | 'REGISTRY'
  | 'UNAUTHORIZED'
  | 'TIMEOUT'
  | 'NETWORK'
  | 'REMOTE'
  | 'PUSH_REJECTED'
  | 'VERIFY_FAILED'
  | 'UNPINNED';

const EXIT_CODES: Record<ErrorCode, number> = {
  USAGE: 2,
  INVALID_JSON: 2,
  SCHEMA: 2,
  INVALID_NAME: 2,
  INVALID_CLAIM: 2,
  INVALID_REFERENCE: 2,
  INVALID_IMAGE_REFERENCE: 2,
  INVALID_GIT_ADDRESS: 2,
  AMBIGUOUS_REFERENCE: 2,
  INVALID_INPUT: 2,
  NOT_FOUND: 3,
  NO_CANDIDATE: 3,
  IMAGE_NOT_FOUND: 3,
  STORE_DAMAGED: 1,
  STORE_BUSY: 1,
  STORE_IO: 1,
  ENGINE: 1,
  REGISTRY: 1,
  UNAUTHORIZED: 1,
  TIMEOUT: 1,
  NETWORK: 1,
  REMOTE: 1,
  PUSH_REJECTED: 1,
  VERIFY_FAILED: 1,
  UNPINNED: 1,
};

export class VfiError extends Error {
  readonly code: ErrorCode;
  readonly data: Record<string, unknown>;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, data: Record<string, unknown> = {}, hint?: string) {
    super(message);
    this.name = 'VfiError';
    this.code = code;
    this.data = data;
    this.hint = hint;
  }

  get exitCode(): number {
    return EXIT_CODES[this.code];
  }
}

export function exitCodeOf(code: ErrorCode): number {
  return EXIT_CODES[code];
}

export function isVfiError(e: unknown): e is VfiError {
  return e instanceof VfiError;
}

/** Prefix a VfiError's message with where the bad input came from (a file, a batch line). */
export function withSource(e: unknown, source: string): unknown {
  if (e instanceof VfiError) {
    return new VfiError(e.code, `${source}: ${e.message}`, { ...e.data, source }, e.hint);
  }
  return e;
}
