/**
 * What a pull or a push does with each shared ref, decided from values alone: the local head, the
 * remote head and how they relate (git/graph.ts relate). remote/sync.ts reads the values, acts, and
 * says what happened.
 */

/** How a local head stands against a remote one: 'ahead' when the remote head is an ancestor of the local one. */
export type Relation = 'equal' | 'ahead' | 'behind' | 'diverged';

export type RefAction =
  /** nothing to do */
  | { kind: 'up-to-date' }
  /** the local ref has commits the remote lacks: the next push sends them */
  | { kind: 'local-ahead' }
  /** a ref the store does not have yet */
  | { kind: 'create'; next: string }
  | { kind: 'fast-forward'; next: string }
  /** both sides moved: merge the two heads */
  | { kind: 'merge' };

/** What pull does with one ref, given the local head (if any), the remote head and how they relate. */
export function pullAction(local: string | undefined, remote: string, relation: Relation | undefined): RefAction {
  if (local === undefined) return { kind: 'create', next: remote };
  switch (relation) {
    case 'equal':
      return { kind: 'up-to-date' };
    case 'ahead':
      return { kind: 'local-ahead' };
    case 'behind':
      return { kind: 'fast-forward', next: remote };
    default:
      return { kind: 'merge' };
  }
}

export type PushAction =
  | { kind: 'up-to-date' }
  | { kind: 'create' }
  | { kind: 'fast-forward' }
  /** the remote moved on and the store has nothing it lacks: nothing to send (pull fetches it) */
  | { kind: 'behind' }
  /** the store has commits the remote lacks, and the remote moved on: pull first */
  | { kind: 'rejected'; reason: 'fetch-first' | 'diverged' };

/**
 * What push does with one local ref. `relation` is how the local head stands against the remote
 * head, undefined when the remote head is not in the store; `tracking` how it stands against what
 * the store last saw of the remote (its tracking ref), undefined when there is none. A local head
 * at or below either has nothing to send; only one with commits beyond both is held back.
 */
export function pushAction(local: string, remote: string | undefined, relation: Relation | undefined, tracking?: Relation): PushAction {
  if (remote === undefined) return { kind: 'create' };
  if (remote === local || relation === 'equal') return { kind: 'up-to-date' };
  if (relation === 'ahead') return { kind: 'fast-forward' };
  if (relation === 'behind' || tracking === 'equal' || tracking === 'behind') return { kind: 'behind' };
  return { kind: 'rejected', reason: relation === 'diverged' ? 'diverged' : 'fetch-first' };
}
