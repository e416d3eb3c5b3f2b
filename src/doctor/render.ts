/** The human-readable form of a doctor report: one table per user, then a summary. */
import type { DoctorReport, Finding } from './types.js';

function status(f: Finding, report: DoctorReport): string {
  if (f.fixed) return 'fixed';
  if (!f.fixable) return 'left for a person';
  if (report.dryRun) return 'would fix';
  return report.fix ? 'NOT fixed' : 'fixable';
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

/** Render `report` as plain-text tables (no colours, so it also reads well in logs). */
export function renderDoctorTable(report: DoctorReport): string {
  const out: string[] = [];
  if (report.findings.length === 0) {
    out.push(`No problems found${report.user === null ? '' : ` for “${report.user}”`}.`);
    return out.join('\n') + '\n';
  }
  const groups = new Map<string, Finding[]>();
  for (const f of report.findings) {
    const k = f.user ?? '-';
    const list = groups.get(k) ?? [];
    list.push(f);
    groups.set(k, list);
  }
  for (const [user, list] of groups) {
    out.push(user === '-' ? 'Tree-wide' : `User ${user}`);
    const rows = list.map((f) => [f.area, f.kind, status(f, report), f.path, f.detail]);
    const head = ['AREA', 'KIND', 'STATUS', 'PATH'];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
    out.push(
      '  ' +
        head
          .map((h, i) => pad(h, widths[i] as number))
          .join('  ')
          .trimEnd(),
    );
    for (const r of rows) {
      out.push(
        '  ' +
          r
            .slice(0, 4)
            .map((c, i) => pad(c as string, widths[i] as number))
            .join('  ')
            .trimEnd(),
      );
      out.push(`      ${r[4]}`);
    }
    out.push('');
  }
  const s = report.summary;
  out.push(
    `${s.total} finding${s.total === 1 ? '' : 's'}: ${s.fixed} fixed, ${s.unfixed} not fixed (${s.fixable} --fix can repair, ${s.leftForPerson} left for a person).`,
  );
  if (report.dryRun) out.push(`Dry run: nothing was changed; --fix would repair ${s.fixable} finding${s.fixable === 1 ? '' : 's'}.`);
  else if (!report.fix && s.fixable > 0) out.push(`Run with --fix to repair what is safe (${s.fixable} finding${s.fixable === 1 ? '' : 's'}).`);
  return out.join('\n') + '\n';
}
