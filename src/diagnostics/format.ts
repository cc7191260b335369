/**
 * Printing is a step of its own: stages collect diagnostics from all files,
 * and only the edge (the CLI, the publisher's log) turns them into text, for a
 * person or for a machine.
 */
import type { Diagnostic } from './diagnostics.js';

function place(d: Diagnostic): string {
  if (!d.file) return '';
  if (d.line === undefined) return d.file;
  return `${d.file}:${d.line}:${d.column ?? 1}`;
}

/**
 * Compiler-style report: grouped by file (in the order files first appear),
 * one line per diagnostic with its hint indented below, summary line last.
 *   content/a.md:4:7  error  date: "2025-02-30" is not a real date  (invalid-date)
 */
export function formatDiagnostics(diagnostics: readonly Diagnostic[]): string {
  if (diagnostics.length === 0) return '';
  const groups = new Map<string, Diagnostic[]>();
  for (const d of diagnostics) {
    const key = d.file ?? '';
    let group = groups.get(key);
    if (!group) groups.set(key, (group = []));
    group.push(d);
  }
  const lines: string[] = [];
  for (const group of groups.values()) {
    group.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
    for (const d of group) {
      const where = place(d);
      const field = d.field ? `${d.field}: ` : '';
      lines.push(`${where ? where + '  ' : ''}${d.severity}  ${field}${d.message}  (${d.code})`);
      if (d.hint) lines.push(`    hint: ${d.hint}`);
    }
  }
  lines.push(summarize(diagnostics));
  return lines.join('\n') + '\n';
}

export function summarize(diagnostics: readonly Diagnostic[]): string {
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.length - errors;
  const files = new Set(diagnostics.filter((d) => d.severity === 'error').map((d) => d.file ?? '')).size;
  const parts = [`${errors} ${errors === 1 ? 'error' : 'errors'}`];
  if (errors) parts[0] += ` in ${files} ${files === 1 ? 'file' : 'files'}`;
  parts.push(`${warnings} ${warnings === 1 ? 'warning' : 'warnings'}`);
  return parts.join(', ');
}

/**
 * For `--log-format json`: one object per line, the diagnostic's own fields
 * after the time of the run and `"event":"diagnostic"`, so a log shipper can
 * interleave them with the run records.
 */
export function formatDiagnosticsJson(diagnostics: readonly Diagnostic[], time: Date): string {
  return diagnostics.map((d) => JSON.stringify({ time: time.toISOString(), event: 'diagnostic', ...d }) + '\n').join('');
}
