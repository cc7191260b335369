/**
 * `feedpipe schedule`: what will go out and when, and what is still a draft —
 * for the author's eyes, never written anywhere. Due times are shown in the
 * site's timezone (the one authors write dates in) and in UTC.
 */
import type { BuildReport } from '../build/build.js';
import type { Article } from '../content/schema.js';

const formatters = new Map<string, Intl.DateTimeFormat>();

/** `2031-06-01 10:00 +01:00` in `timeZone`. */
export function formatInZone(date: Date, timeZone: string): string {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      timeZoneName: 'longOffset',
    });
    formatters.set(timeZone, f);
  }
  const p: Record<string, string> = {};
  for (const part of f.formatToParts(date)) p[part.type] = part.value;
  const offset = (p.timeZoneName ?? '').replace(/^GMT/, '') || '+00:00';
  const seconds = p.second === '00' ? '' : `:${p.second}`;
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}${seconds} ${offset}`;
}

function formatUtc(date: Date): string {
  const iso = date.toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, iso.endsWith(':00.000Z') ? 16 : 19)} UTC`;
}

/** `in 3 h 20 min`, coarse: it is for a person glancing at the list. */
export function formatWait(ms: number): string {
  const min = Math.ceil(ms / 60_000);
  if (min < 60) return `in ${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return `in ${h} h${min % 60 ? ` ${min % 60} min` : ''}`;
  const d = Math.floor(h / 24);
  return d < 730 ? `in ${d} days` : `in ${Math.floor(d / 365.25)} years`;
}

function table(rows: string[][]): string[] {
  const widths = rows.reduce<number[]>((w, r) => r.map((c, i) => Math.max(w[i] ?? 0, [...c].length)), []);
  return rows.map((r) => '  ' + r.map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat(widths[i]! - [...c].length))).join('   '));
}

export function formatAgenda(report: BuildReport, timeZone: string): string {
  const lines: string[] = [];
  const row = (a: Article, wait: boolean) => [formatInZone(a.date, timeZone), formatUtc(a.date), ...(wait ? [formatWait(a.date.getTime() - report.now.getTime())] : []), a.title, a.source.displayPath];
  const n = (k: number) => `${k} article${k === 1 ? '' : 's'}`;
  lines.push(`Scheduled: ${n(report.scheduled.length)}, soonest first (times in ${timeZone} and UTC; now is ${formatInZone(report.now, timeZone)})`);
  if (report.scheduled.length) lines.push(...table(report.scheduled.map((a) => row(a, true))));
  lines.push(`Drafts: ${n(report.drafts.length)} (never published while "draft: true")`);
  if (report.drafts.length) lines.push(...table([...report.drafts].sort((a, b) => a.date.getTime() - b.date.getTime()).map((a) => row(a, false))));
  if (report.held?.length) {
    lines.push(`Held back by errors: ${report.held.length} file${report.held.length === 1 ? '' : 's'} (see the errors above; until fixed, "feedpipe start" keeps the version it last published, if any, and publishes everything else on time)`);
    lines.push(...report.held.map((h) => `  ${h.file}`));
  }
  lines.push('This list is for your eyes only: nothing in it is in any feed yet. Scheduled articles go out at their time; drafts never.');
  return lines.join('\n') + '\n';
}
