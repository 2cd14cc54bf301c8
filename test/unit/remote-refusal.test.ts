/** Which push refusals mean "pull first": table-driven, with the words git servers use. */
import { describe, expect, it } from 'vitest';
import { refusalKind, serverMessageLines } from '../../src/remote/receivePack.js';

describe('refusalKind', () => {
  it.each([
    ['non-fast-forward', [], 'moved'],
    ['fetch first', [], 'moved'],
    ['stale info', [], 'moved'],
    ['failed to update ref', ["error: cannot lock ref 'refs/vfi/X': is at 1111 but expected 2222"], 'moved'],
    ['failed to update ref', ['error: insufficient permission for adding an object'], 'refused'],
    ['pre-receive hook declined', ['policy: Locked is protected'], 'refused'],
    ['hook declined', [], 'refused'],
    ['deny updating a hidden ref', [], 'refused'],
    ['unpacker error', ['error: object 0415: badTimezone: invalid author/committer line - bad time zone'], 'refused'],
    ['funny refname', [], 'refused'],
  ] as const)('%s %j → %s', (reason, said, kind) => {
    expect(refusalKind(reason, said)).toBe(kind);
  });
});

describe('serverMessageLines', () => {
  it('keeps hook output and errors, drops progress and the remote: prefix', () => {
    expect(serverMessageLines('Resolving deltas: 100% (3/3)\rremote: policy: no\nerror: bad\n\n')).toEqual(['policy: no', 'error: bad']);
  });
});
