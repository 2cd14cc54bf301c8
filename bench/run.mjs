// `npm run bench`: every section side by side with its reference, one report under bench/.
// BENCH_ONLY=a,b runs some sections only.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const here = import.meta.dirname;
const only = process.env.BENCH_ONLY?.split(',');
const files = fs.readdirSync(path.join(here, 'sections')).filter((f) => /\.(mjs|ts)$/.test(f)).sort();
const results = [];
for (const file of files) {
  const name = file.replace(/\.(mjs|ts)$/, '');
  if (only && !only.includes(name)) continue;
  const section = await import(path.join(here, 'sections', file));
  process.stderr.write(`bench: ${section.title} ...\n`);
  const t0 = Date.now();
  try {
    const r = await section.run();
    results.push({ name, title: section.title, ...r, seconds: (Date.now() - t0) / 1000 });
    process.stderr.write(`bench:   ${r.pass ? 'PASS' : 'FAIL'} (${r.bar}) ${r.rows.map((row) => row.filter(Boolean).join(' ')).join(' | ')}\n`);
  } catch (e) {
    results.push({ name, title: section.title, error: String(e?.stack ?? e), pass: false });
    process.stderr.write(`bench:   ERROR ${e?.message ?? e}\n`);
  }
}

const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}, ${os.platform()} ${os.release()}`;
const lines = [`# vfi benchmark report`, '', `Run ${new Date().toISOString()} on ${machine}.`, '',
  'Each section runs vfi and its reference side by side in the same run; ratios, not absolute times, are the bars.', ''];
for (const r of results) {
  lines.push(`## ${r.title}`, '');
  if (r.error) {
    lines.push('```', r.error, '```', '');
    continue;
  }
  lines.push(`Bar: ${r.bar}: **${r.pass ? 'pass' : 'FAIL'}**`, '', '| what | time | ratio |', '|---|---|---|');
  for (const row of r.rows) lines.push(`| ${row.join(' | ')} |`);
  if (r.notes) lines.push('', ...r.notes);
  lines.push('');
}
const report = path.join(here, only ? `report-${only.join('-')}.md` : 'report.md');
fs.writeFileSync(report, lines.join('\n'));
fs.writeFileSync(report.replace(/\.md$/, '.json'), JSON.stringify(results, null, 2));
process.stderr.write(`bench: wrote ${path.relative(process.cwd(), report)}\n`);
process.exitCode = results.every((r) => r.pass) ? 0 : 1;
