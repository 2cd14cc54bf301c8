/**
 * Release notes: what changed between two VFIs, told for a human reader. Pure: the diff, the
 * later VFI's records and the commit subjects (read by the caller from local clones) in, a notes
 * value and its Markdown out.
 */
import { recordJson, shownAt, type AssertionRecord } from './assertion.js';
import { tryParseGitAddress } from './gitAddress.js';
import { tryParseImageReference } from './imageRef.js';
import { describeComponent } from './shortAddress.js';
import type { Component, VfiDiff } from './vfi.js';
import type { Release } from './releases.js';

/** A range of commits of one repository, between the two VFIs' versions of one component. */
export interface CommitRange {
  component: string;
  /** the repository's name, to find a local clone by (`router` for polyverse/router, `api` for …/api.git) */
  repository: string;
  from: string;
  to: string;
}

export interface CommitLog extends CommitRange {
  /** `git log --format=%s from..to`, newest first, when a clone was found and knew both commits */
  subjects?: string[];
  /** why there are no subjects */
  missing?: string;
}

export interface ReleaseNotes {
  from: string;
  to: string;
  added: { component: string; address: string }[];
  removed: { component: string; address: string }[];
  changed: { component: string; from: string; to: string }[];
  assertions: ReturnType<typeof recordJson>[];
  commits: CommitLog[];
}

const HEX_COMMIT = /^[0-9a-f]{7,40}$/;

/** The last path segment, without `.git`: how a clone of the repository is usually named. */
const repositoryName = (path: string): string => path.replace(/\/+$/, '').replace(/\.git$/, '').split(/[/:]/).at(-1)!;

/** Where a component version names a git commit: a `git` address, or an image tagged with a commit (7–40 hex). */
function commitOf(c: Component): { repository: string; commit: string } | undefined {
  if (c.type === 'git') {
    const g = tryParseGitAddress(c.address);
    return g.ok ? { repository: repositoryName(g.address.url), commit: g.address.commit } : undefined;
  }
  if (c.type !== 'dockerImage') return undefined;
  const r = tryParseImageReference(c.address);
  if (!r.ok || r.ref.tag === undefined || !HEX_COMMIT.test(r.ref.tag)) return undefined;
  return { repository: repositoryName(r.ref.path), commit: r.ref.tag };
}

/** The commit ranges worth a `git log`: changed components whose both versions name a commit of one repository. */
export function commitRanges(diff: VfiDiff): CommitRange[] {
  const out: CommitRange[] = [];
  for (const c of diff.changed) {
    const a = commitOf(c.before!);
    const b = commitOf(c.after!);
    if (a && b && a.repository === b.repository && a.commit !== b.commit) {
      out.push({ component: c.component, repository: b.repository, from: a.commit, to: b.commit });
    }
  }
  return out;
}

export function buildNotes(from: string, to: string, diff: VfiDiff, records: readonly AssertionRecord[], commits: readonly CommitLog[]): ReleaseNotes {
  return {
    from,
    to,
    added: diff.added.map((c) => ({ component: c.component, address: describeComponent(c.after, true) })),
    removed: diff.removed.map((c) => ({ component: c.component, address: describeComponent(c.before, true) })),
    changed: diff.changed.map((c) => ({ component: c.component, from: describeComponent(c.before, true), to: describeComponent(c.after, true) })),
    assertions: records.map(recordJson),
    commits: [...commits],
  };
}

const code = (s: string): string => `\`${s.replace(/`/g, "'")}\``;

/** The notes as Markdown, under a heading of `level` (a monthly email nests them one deeper), `lead` first. */
export function notesMarkdown(n: ReleaseNotes, level = 1, lead?: string): string {
  const h = '#'.repeat(level);
  const lines = [`${h} ${n.to}`, '', ...(lead ? [lead, ''] : []), `Changes since ${n.from}.`, ''];
  const section = (title: string, rows: string[]) => {
    lines.push(`${h}# ${title}`, '');
    lines.push(...(rows.length ? rows : ['None.']), '');
  };
  section('Components', [
    ...n.added.map((c) => `- added ${code(c.component)}: ${code(c.address)}`),
    ...n.removed.map((c) => `- removed ${code(c.component)} (was ${code(c.address)})`),
    ...n.changed.map((c) => `- changed ${code(c.component)}: ${code(c.from)} → ${code(c.to)}`),
  ].sort((a, b) => sortKey(a).localeCompare(sortKey(b))));
  if (n.commits.length > 0) {
    const rows: string[] = [];
    for (const c of n.commits) {
      const range = `${c.from.slice(0, 12)}..${c.to.slice(0, 12)}`;
      if (c.subjects === undefined) rows.push(`- ${code(c.component)} ${range}: ${c.missing ?? 'no local clone'}`);
      else {
        rows.push(`- ${code(c.component)} ${range} (${c.subjects.length} commit${c.subjects.length === 1 ? '' : 's'})`);
        rows.push(...c.subjects.map((s) => `  - ${s}`));
      }
    }
    section('Commits', rows);
  }
  section('Assertions', n.assertions.map((a) => {
    const extra = [a.note, a.evidence].filter(Boolean).join(', ');
    return `- ${a.claim}: ${a.result} by ${a.by} at ${shownAt(a.at)}${extra ? ` (${extra})` : ''}`;
  }));
  return `${lines.join('\n').trimEnd()}\n`;
}

/** Rows sort by component name, whatever their verb. */
const sortKey = (row: string): string => /`([^`]*)`/.exec(row)?.[1] ?? row;

/** One release and its notes against the release before it (`vfi notes --since`). */
export interface ReleaseSection {
  release: Release;
  notes: ReleaseNotes;
}

/** `vfi notes --since DATE NAME` as Markdown: a section per release, newest first. */
export function releasesMarkdown(name: string, since: string, sections: readonly ReleaseSection[]): string {
  const lines = [`# ${name}: releases since ${since}`, ''];
  if (sections.length === 0) lines.push('No releases.', '');
  for (const s of sections) {
    const r = s.release;
    const status = r.withdrawn ? ' (withdrawn)' : r.candidate ? '' : ` (no longer a candidate: ${r.failingNow.join(', ')} failing)`;
    lines.push(notesMarkdown(s.notes, 2, `Released ${shownAt(r.at)} by ${r.by}${r.note ? `: ${r.note}` : ''}${status}.`));
  }
  return `${lines.join('\n').trimEnd()}\n`;
}
