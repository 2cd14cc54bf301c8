/**
 * The trust list and policies as the store holds them now, and which records count under them.
 * A signed record's signature is checked once per record blob (records never change) and the
 * result kept in `vfi-cache/signatures/<xx>.json`, per fanout directory of the VFI, so a pick
 * that catches up after one `assert` reads one small file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { KeyObject } from 'node:crypto';
import { parseRecord, type RecordName } from '../core/assertion.js';
import { foldPolicies, foldTrust, untrustedReason, type Policy, type SignatureStatus, type TrustState } from '../core/trust.js';
import { POLICY_REF, readEvents, TRUST_REF } from './events.js';
import { writeFileAtomic } from './lineageIndex.js';
import type { Store } from './store.js';

/** Which records count: every record without a trust list; else those signed by a key trusted for their claim. */
export interface RecordFilter {
  /** what the filter depends on ("" when every record counts): caches made under another are redone */
  fingerprint: string;
  /** why the record (about a VFI of fanout directory `xx`) does not count, or undefined */
  reason(xx: string, n: RecordName): Promise<string | undefined>;
}

export class Trust implements RecordFilter {
  readonly fingerprint: string;
  private readonly cacheDir: string;
  private readonly files = new Map<string, Record<string, string>>();
  private readonly dirty = new Set<string>();
  private readonly keyObjects = new Map<string, KeyObject | undefined>();

  constructor(private readonly store: Store, readonly state: TrustState, head: string | undefined) {
    this.fingerprint = state.signers.size > 0 && head ? head : '';
    this.cacheDir = path.join(store.gitdir, 'vfi-cache', 'signatures');
  }

  /** A store trusts nobody until the first `trust add`: then only trusted signatures count. */
  get active(): boolean {
    return this.state.signers.size > 0;
  }

  async reason(xx: string, n: RecordName): Promise<string | undefined> {
    if (!this.active) return undefined;
    return untrustedReason(this.state, n.claim, n.signed ? await this.signature(xx, n.record) : { kind: 'unsigned' });
  }

  /** Whether a signed record's envelope verifies under the key it names, as far as the store knows that key. */
  async signature(xx: string, record: string): Promise<SignatureStatus> {
    let file = this.files.get(xx);
    if (!file) {
      try {
        file = JSON.parse(fs.readFileSync(path.join(this.cacheDir, `${xx}.json`), 'utf8')) as Record<string, string>;
        if (file === null || typeof file !== 'object') file = {};
      } catch {
        file = {};
      }
      this.files.set(xx, file);
    }
    const cached = file[record];
    if (typeof cached === 'string' && /^[0-9a-f]{64}:[gb?]$/.test(cached)) {
      const keyid = cached.slice(0, 64);
      if (cached.endsWith(':g')) return { kind: 'good', keyid };
      if (cached.endsWith(':b')) return { kind: 'bad', keyid };
      if (!this.state.keys.has(keyid)) return { kind: 'unknown-key', keyid };
    }
    const status = await this.check(record);
    if (status.kind !== 'unsigned') {
      file[record] = `${status.keyid}:${status.kind === 'good' ? 'g' : status.kind === 'bad' ? 'b' : '?'}`;
      this.dirty.add(xx);
    }
    return status;
  }

  private async check(record: string): Promise<SignatureStatus> {
    let r;
    try {
      r = parseRecord((await this.store.objects.read(record)).body, record);
    } catch {
      return { kind: 'bad', keyid: '0'.repeat(64) };
    }
    if (!r.signed) return { kind: 'unsigned' };
    const keyid = r.signed.keyid;
    const key = await this.keyObject(keyid);
    if (!key) return { kind: 'unknown-key', keyid };
    const { envelopeVerifies } = await import('../core/dsse.js');
    return envelopeVerifies(r.signed.envelope, key) ? { kind: 'good', keyid } : { kind: 'bad', keyid };
  }

  private async keyObject(keyid: string): Promise<KeyObject | undefined> {
    if (!this.keyObjects.has(keyid)) {
      const pem = this.state.keys.get(keyid);
      let key: KeyObject | undefined;
      if (pem) {
        try {
          key = (await import('node:crypto')).createPublicKey(pem);
        } catch {
          key = undefined;
        }
      }
      this.keyObjects.set(keyid, key);
    }
    return this.keyObjects.get(keyid);
  }

  /** Write the signature checks made since loading (a cache: losing it costs a re-check). */
  flush(): void {
    for (const xx of this.dirty) {
      try {
        fs.mkdirSync(this.cacheDir, { recursive: true });
        writeFileAtomic(path.join(this.cacheDir, `${xx}.json`), JSON.stringify(this.files.get(xx)));
      } catch {
        /* a read-only store still answers */
      }
    }
    this.dirty.clear();
  }
}

/** The trust list as the store's trust log says now. */
export async function loadTrust(store: Store): Promise<Trust> {
  const { head, events } = await readEvents(store, TRUST_REF);
  return new Trust(store, foldTrust(events), head);
}

/** Every lineage's release policy. */
export async function loadPolicies(store: Store): Promise<Map<string, Policy>> {
  return foldPolicies((await readEvents(store, POLICY_REF)).events).policies;
}
