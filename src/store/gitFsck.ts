/**
 * `vfi fsck` sees what git sees: git's own object checks (`git fsck --strict`), which a git host
 * that checks what it receives applies too. Each finding names the refs that reach its object,
 * for that is what a user can act on (a lineage to restore from a clone, or to drop).
 */
import { spawnSync } from 'node:child_process';
import { registerFsckCheck, type FsckReport } from './fsck.js';
import type { Store } from './store.js';

const OID = /\b[0-9a-f]{40}\b/g;

async function checkWithGit(store: Store, report: FsckReport): Promise<void> {
  const r = spawnSync('git', ['--git-dir', store.gitdir, 'fsck', '--strict', '--no-dangling', '--no-progress', '--no-reflogs'], {
    encoding: 'utf8',
    env: { ...store.env, GIT_DIR: store.gitdir, LC_ALL: 'C' },
    maxBuffer: 1 << 26,
  });
  if (r.error) {
    report.warnings.push(`git's own checks were skipped: cannot run git (${(r.error as NodeJS.ErrnoException).code ?? r.error.message})`);
    return;
  }
  const findings = `${r.stdout}\n${r.stderr}`.split('\n').map((l) => l.trim())
    .filter((l) => l !== '' && !/^(notice|Checking|warning: ignoring)/i.test(l));
  if (r.status === 0 && findings.length === 0) return;
  if (findings.length === 0) findings.push(`git fsck failed (exit ${r.status ?? r.signal})`);
  const reach = reachingRefs(store, findings);
  for (const f of findings) {
    const refs = [...new Set((f.match(OID) ?? []).flatMap((id) => reach.get(id) ?? []))];
    report.problems.push(`git fsck: ${f}${refs.length ? ` (reached from ${refs.join(', ')})` : ''}`);
  }
}

/** For each object id the findings name, the refs whose history holds it. */
function reachingRefs(store: Store, findings: string[]): Map<string, string[]> {
  const wanted = new Set(findings.flatMap((f) => f.match(OID) ?? []));
  const out = new Map<string, string[]>();
  if (wanted.size === 0) return out;
  const refs = [...store.refs.list('refs/')].map(([ref]) => ref);
  for (const ref of refs) {
    // On a damaged store rev-list stops at the damage, listing what it reached before it.
    const r = spawnSync('git', ['--git-dir', store.gitdir, 'rev-list', '--objects', '--missing=print', ref], { encoding: 'utf8', maxBuffer: 1 << 28 });
    for (const line of (r.stdout ?? '').split('\n')) {
      const id = line.replace(/^\?/, '').slice(0, 40);
      if (wanted.has(id)) out.set(id, [...(out.get(id) ?? []), ref]);
    }
  }
  return out;
}

registerFsckCheck(checkWithGit);
