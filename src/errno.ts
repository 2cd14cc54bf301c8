/**
 * What the machine or the user can do to a command (a full disk, a read-only store, a path that is
 * a file, a server that hangs up) said as one line with an exit code: a VfiError, never "a bug".
 * Only errors that are truly ours stay unmapped.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { VfiError, type ErrorCode } from './errors.js';

interface Cause {
  code: ErrorCode;
  what: string;
  hint?: string;
}

const CAUSES: Record<string, Cause> = {
  ENOENT: { code: 'STORE_IO', what: 'no such file or directory', hint: 'was it moved or removed meanwhile? check the path (of the store: --store or VFI_STORE)' },
  ENOTDIR: { code: 'STORE_IO', what: 'a part of the path is a file, not a directory', hint: 'check the path (of the store: --store or VFI_STORE)' },
  EISDIR: { code: 'STORE_IO', what: 'it is a directory' },
  EACCES: { code: 'STORE_IO', what: 'permission denied', hint: 'check the owner and mode of the file or directory (a store: or use one of your own)' },
  EPERM: { code: 'STORE_IO', what: 'operation not permitted', hint: 'check the owner and mode of the file or directory' },
  EROFS: { code: 'STORE_IO', what: 'read-only file system', hint: 'reading works; write to a store on a writable file system' },
  ENOSPC: { code: 'STORE_IO', what: 'no space left on device', hint: 'free some space and run the command again' },
  EDQUOT: { code: 'STORE_IO', what: 'disk quota exceeded', hint: 'free some space or raise the quota, and run the command again' },
  EFBIG: { code: 'STORE_IO', what: 'file too large (a file-size limit, ulimit -f)', hint: 'raise the limit and run the command again' },
  EMFILE: { code: 'STORE_IO', what: 'too many open files (ulimit -n)', hint: 'raise the limit and run the command again' },
  ENFILE: { code: 'STORE_IO', what: 'too many open files in the system' },
  ELOOP: { code: 'STORE_IO', what: 'too many levels of symbolic links', hint: 'a symbolic link in the path points at itself' },
  ENAMETOOLONG: { code: 'USAGE', what: 'file name too long' },
  EIO: { code: 'STORE_IO', what: 'input/output error (the disk or the network file system)' },
  ESTALE: { code: 'STORE_IO', what: 'stale file handle (the network file system)' },
  EXDEV: { code: 'STORE_IO', what: 'the store spans file systems' },
  EBUSY: { code: 'STORE_IO', what: 'resource busy' },
  EAGAIN: { code: 'STORE_IO', what: 'resource temporarily unavailable', hint: 'run the command again' },
  ENOMEM: { code: 'STORE_IO', what: 'out of memory' },
  EPIPE: { code: 'NETWORK', what: 'the other end closed the connection (broken pipe)' },
  ECONNRESET: { code: 'NETWORK', what: 'the connection was reset' },
  ECONNREFUSED: { code: 'NETWORK', what: 'connection refused' },
  ECONNABORTED: { code: 'NETWORK', what: 'the connection was aborted' },
  ETIMEDOUT: { code: 'TIMEOUT', what: 'timed out' },
  EHOSTUNREACH: { code: 'NETWORK', what: 'no route to host' },
  ENETUNREACH: { code: 'NETWORK', what: 'the network is unreachable' },
  ENOTFOUND: { code: 'NETWORK', what: 'host not found' },
  EAI_AGAIN: { code: 'NETWORK', what: 'host name lookup failed for now', hint: 'run the command again' },
};

/**
 * The VfiError a Node error from fs, child_process or a socket stands for, or undefined when it
 * is none of those (a real bug).
 */
export function errnoError(e: unknown): VfiError | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const err = e as NodeJS.ErrnoException & { signal?: string; dest?: string; spawnargs?: string[] };
  const syscall = err.syscall ?? '';
  if (typeof err.signal === 'string' && err.signal !== '' && !err.code) {
    const what = err.spawnargs?.[0] ?? 'a helper process';
    return new VfiError('STORE_IO', `${what} was killed by ${err.signal}`, { signal: err.signal });
  }
  const code = typeof err.code === 'string' ? err.code : undefined;
  const cause = code ? CAUSES[code] : undefined;
  if (!code || !cause) return undefined;
  if (syscall.startsWith('spawn') && code === 'ENOENT') {
    const program = err.path ?? syscall.slice('spawn '.length);
    return new VfiError('STORE_IO', `cannot run ${program}: it is not installed (or not on PATH)`, { program, errno: code },
      `install ${program}`);
  }
  const where = [err.path, err.dest].filter((p): p is string => typeof p === 'string' && p !== '');
  const network = cause.code === 'NETWORK' || cause.code === 'TIMEOUT';
  const subject = where.length > 0 ? `${verbOf(syscall)} ${where.join(' -> ')}` : network ? 'the connection failed' : `${verbOf(syscall)}`;
  return new VfiError(cause.code, `${subject}: ${cause.what} (${code})`, { errno: code, syscall, path: where[0] }, cause.hint);
}

function verbOf(syscall: string): string {
  if (/^open$/.test(syscall)) return 'cannot open';
  if (/^(read|stat|lstat|fstat|scandir|opendir|readlink|access|realpath)/.test(syscall)) return 'cannot read';
  if (/^(write|mkdir|rename|unlink|rmdir|rm|link|symlink|chmod|copyfile|ftruncate|fsync|close|utime|mkdtemp)/.test(syscall)) return 'cannot write';
  return syscall ? `${syscall} failed` : 'an operation failed';
}

/**
 * A write through a file descriptor fails without a path (ENOSPC from write(2), EFBIG): the
 * error names the file it was writing, so the one line says which file could not be written.
 */
export function namingPath<T>(file: string, write: () => T): T {
  try {
    return write();
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (typeof err === 'object' && err !== null && typeof err.code === 'string' && err.path === undefined) err.path = file;
    throw e;
  }
}

/** What an errno means, in words, with its code: "it is a directory (EISDIR)"; a Node error's own message otherwise. */
export function errnoWords(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  const cause = typeof code === 'string' ? CAUSES[code] : undefined;
  return cause ? `${cause.what} (${code})` : String((e as Error)?.message ?? e);
}

/**
 * `mkdir -p` of `dir`, failing with the real errno (Node's recursive mkdir says ENOENT where a
 * directory could not be made for another reason: a read-only file system, a directory the user
 * may not write). With `root` (a store), only the directories below it are made: were the store
 * moved or removed meanwhile, this fails (ENOENT) rather than start half a store where it was.
 * The first directory made, if any.
 */
export function mkdirs(dir: string, root?: string): string | undefined {
  let base = root;
  if (base === undefined) {
    base = dir;
    while (path.dirname(base) !== base && !fs.existsSync(base)) base = path.dirname(base);
  }
  let made: string | undefined;
  for (const part of path.relative(base, dir).split(path.sep).filter(Boolean)) {
    base = path.join(base, part);
    try {
      fs.mkdirSync(base);
      made ??= base;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  if (made === undefined) fs.statSync(dir); // it is there (ENOENT, ENOTDIR where not)
  return made;
}
