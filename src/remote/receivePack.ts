/**
 * What a git server says when it refuses a ref of a push (gitprotocol-pack(5) "report-status":
 * `ng <ref> <reason>`, with hook output and errors on side-band 2). Only a refusal because the
 * remote moved is answered by pulling first; any other (a hook's policy, `deny updating`, an
 * object the server's fsck refused) is the server's own word, shown as it said it.
 */

export type RefusalKind = 'moved' | 'refused';

/**
 * Is this refusal "the remote moved past you" (pull first) or something else? git's own words
 * for the first are "non-fast-forward", "fetch first" and "stale info"; receive-pack whose
 * compare-and-swap failed (the ref moved between the advertisement and the update) says
 * "failed to update ref" and, on side-band 2, "cannot lock ref …: is at X but expected Y".
 */
export function refusalKind(reason: string, serverMessages: readonly string[]): RefusalKind {
  if (/non-fast-forward|fetch first|stale info|not-fast-forward/i.test(reason)) return 'moved';
  if (/failed to (update|lock) ref/i.test(reason) && serverMessages.some((m) => /but expected|reference already exists/i.test(m))) return 'moved';
  return 'refused';
}

/** The lines of side-band 2 worth showing: hook output and errors, not progress counters. */
export function serverMessageLines(text: string): string[] {
  return text
    .split(/\r\n|\r|\n/)
    .map((l) => l.replace(/^remote:\s*/, '').trim())
    .filter((l) => l !== '' && !/^(Resolving deltas|Unpacking objects|Counting objects|Compressing objects|Writing objects|Total \d+)/.test(l));
}
