/** The README's first command: the examples/ walkthrough runs end to end and checks itself. */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXED_ENV } from '../helpers/cli.js';

const script = path.resolve(import.meta.dirname, '../../examples/walkthrough.sh');

describe('examples/walkthrough.sh', () => {
  it('publishes, expands, swaps, diffs, asserts, picks, releases, exports, writes notes, shares and nests, and its own checks hold', () => {
    const r = spawnSync('bash', [script], { env: { ...process.env, ...FIXED_ENV, NO_COLOR: '1', VFI_DEBUG: '' }, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const refs = r.stdout.match(/^Runtime@[0-9a-f]{40}$/gm) ?? [];
    expect(refs.length).toBeGreaterThanOrEqual(4);
    expect(r.stderr).toContain('$ vfi pick Runtime --require tests-passed --explain');
    expect(r.stderr).toMatch(/disqualified: smoke-verified failed/);
    expect(r.stderr).toMatch(/pulled from .*team\.git: 5 new/); // 2 lineages, the assertions, the trust list, the policies
    expect(r.stderr).toMatch(/^vfi-trust\/main: new on the remote/m); // the trust list and the policies travel too
    // The script itself exits non-zero if a hash, or the teammate's pick, differs from ours.
    expect(r.stdout).toMatch(/score 3: smoke-verified, soak-tested, tests-passed; released pass \(not scored\)/);
    // CI signs, the store trusts its key: the reviewer's unsigned record is shown and not counted.
    expect(r.stdout).toMatch(/reviewed\s+pass\s+alice\s+UNTRUSTED: unsigned/);
    expect(r.stderr).toMatch(/disqualified: smoke-verified failed .*; not counted: reviewed pass \(unsigned\)/);
    expect(r.stderr).toMatch(/not pinned: an image is not pinned by digest/);
    expect(r.stdout).toMatch(/^\{"payload":"[A-Za-z0-9+\/=]+","payloadType":"application\/vnd\.in-toto\+json","signatures":\[\{"keyid":"[0-9a-f]{64}","sig":"/m);
    // examples/deploy.sh: the release history, the released VFI as a kustomize Component, its notes
    expect(r.stdout).toMatch(/^RELEASED\s+VFI\s+BY\s+THEN\s+NOW\s+CANDIDATE$/m);
    expect(r.stdout).toMatch(/^kind: Component\nimages:\n {2}- name: polyverse\/container-manager$/m);
    // (which VFI is released is pick's business, whose defaults may change: only the shape is checked)
    expect(r.stdout).toMatch(/^# Runtime@[0-9a-f]{40}\n\nChanges since Runtime@[0-9a-f]{40}\.\n\n## Components\n/m);
    expect(r.stdout).toMatch(/^- released: pass by release-manager at .* \(rolled out to production\)$/m);
    // examples/compose.sh: a nested VFI, claims about single images, the one-command swap
    expect(r.stderr).toMatch(/disqualified: web \(nginx:1\.27\.4@sha256:0a1b[0-9a-f]+\) smoke-verified failed/);
    expect(r.stdout).toMatch(/^Platform@[0-9a-f]{40}  web  -$/m);
    expect(r.stdout).toMatch(/^ok: 3 lineages, 7 publications, 7 vfis, 10 assertions, .*2 component assertions/m);
  }, 120_000);
});
