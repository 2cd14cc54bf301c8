/** `vfi fsck` for the trust list and the policies: every file of their trees is an event that reads. */
import { foldPolicies, foldTrust } from '../core/trust.js';
import { POLICY_REF, readEvents, TRUST_REF } from './events.js';
import { registerFsckCheck, type FsckReport } from './fsck.js';
import type { Store } from './store.js';

async function checkEventLogs(store: Store, report: FsckReport): Promise<void> {
  for (const [ref, fold, label] of [[TRUST_REF, foldTrust, 'trust events'], [POLICY_REF, foldPolicies, 'policy events']] as const) {
    if (!store.refs.read(ref)) continue;
    try {
      const { events, problems } = await readEvents(store, ref);
      report.counts[label] = events.length;
      for (const p of [...problems, ...fold(events).problems]) report.problems.push(`${ref}: ${p}`);
    } catch (e) {
      report.problems.push(`${ref}: ${(e as Error).message}`);
    }
  }
}

registerFsckCheck(checkEventLogs);
