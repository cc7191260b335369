/**
 * Errors are data: every stage returns diagnostics as values, the CLI decides
 * what to print and which exit code follows. Shape after vfile-message: a
 * message with a place, a stable code, a field path and a hint.
 */
export type Severity = 'error' | 'warning';

export interface Diagnostic {
  /** Stable kebab-case identifier, e.g. `invalid-date`. */
  code: string;
  severity: Severity;
  /** Path as given to the user (relative to the working directory when possible). */
  file?: string;
  /** 1-based line and column of the offending key or value. */
  line?: number;
  column?: number;
  /** Field path inside the frontmatter or config, e.g. `authors[0].email`. */
  field?: string;
  /** What happened and why. */
  message: string;
  /** What to do about it. */
  hint?: string;
}

export function diagnostic(d: Omit<Diagnostic, 'severity'> & { severity?: Severity }): Diagnostic {
  return { severity: 'error', ...d };
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

export function formatField(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

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

/** Closest candidate by edit distance, for did-you-mean hints. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = Infinity;
  for (const c of candidates) {
    const score = editDistance(word.toLowerCase(), c.toLowerCase());
    if (score < bestScore) [best, bestScore] = [c, score];
  }
  return bestScore <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
