/**
 * The admission hook of a pull: what it fetched is looked at here, after the fetch and before any
 * ref under refs/vfi*\/ moves. This version admits everything; the checks come with issue 19.
 */
import { VfiError } from '../errors.js';
import type { Store } from './store.js';

export interface RefUpdate {
  /** the destination ref, e.g. refs/vfi/Runtime */
  ref: string;
  old: string | null;
  /** the fetched commit id, readable through store.objects */
  new: string;
}

export interface Refusal {
  ref: string;
  object: string;
  rule: string;
  message: string;
}

export async function admitIncoming(_store: Store, updates: RefUpdate[], _opts: { skipInvalid?: boolean }): Promise<{ admitted: RefUpdate[]; refused: Refusal[] }> {
  return { admitted: updates, refused: [] };
}

export function refusalError(refused: Refusal[]): VfiError {
  return new VfiError('REMOTE', `refused what the remote sent: ${refused.map((r) => `${r.ref} (${r.rule}: ${r.message})`).join('; ')}`,
    { reason: 'refused', refused }, 'nothing was changed in the store; vfi pull --skip-invalid takes the rest');
}
