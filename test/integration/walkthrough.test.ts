/** The README's first command: the examples/ walkthrough runs end to end and checks itself. */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXED_ENV } from '../helpers/cli.js';

const script = path.resolve(import.meta.dirname, '../../examples/walkthrough.sh');

describe('examples/walkthrough.sh', () => {
  it('publishes, expands, swaps, diffs, asserts, picks, releases, shares and nests, and its own checks hold', () => {
    const r = spawnSync('bash', [script], { env: { ...process.env, ...FIXED_ENV, NO_COLOR: '1', VFI_DEBUG: '' }, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const refs = r.stdout.match(/^Runtime@[0-9a-f]{40}$/gm) ?? [];
    expect(refs.length).toBeGreaterThanOrEqual(4);
    expect(r.stderr).toContain('$ vfi pick Runtime --require tests-passed --explain');
    expect(r.stderr).toMatch(/disqualified: smoke-verified failed/);
    expect(r.stderr).toMatch(/pulled from .*team\.git: 3 new/);
    // The script itself exits non-zero if a hash, or the teammate's pick, differs from ours.
    expect(r.stdout).toMatch(/score 3: smoke-verified, soak-tested, tests-passed; released pass \(not scored\)/);
    // examples/compose.sh: a nested VFI, claims about single images, the one-command swap
    expect(r.stderr).toMatch(/disqualified: web \(nginx:1\.27\.4@sha256:0a1b[0-9a-f]+\) smoke-verified failed/);
    expect(r.stdout).toMatch(/^Platform@[0-9a-f]{40}  web  -$/m);
    expect(r.stdout).toMatch(/^ok: 3 lineages, 6 publications, 6 vfis, 10 assertions, .*2 component assertions/m);
  }, 120_000);
});
