/**
 * Errors are data: every stage returns diagnostics as values, the CLI decides
 * what to print and which exit code follows. Shape after vfile-message: a
 * message with a place, a stable code, a field path and a hint.
 */
import { CATALOGUE, withholds, type DiagnosticCode } from './catalogue.js';

export { CATALOGUE, docsFor, isDiagnosticCode, withholds, type CatalogueEntry, type DiagnosticCode } from './catalogue.js';
export { formatDiagnostics, formatDiagnosticsJson, summarize } from './format.js';

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  /** Stable kebab-case identifier from the catalogue, e.g. `invalid-date`. */
  code: DiagnosticCode;
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
  /**
   * An error of a file that a publisher (or `build --keep-going`) set aside: reported on every
   * run, but it does not stop the others from being published (src/build/hold.ts).
   */
  held?: true;
}

/**
 * A diagnostic with the catalogue's severity and hint where the call site
 * gives none; a call site's own hint (naming the field it suggests, the value
 * it saw) wins.
 */
export function diagnostic(d: Omit<Diagnostic, 'severity'> & { severity?: Severity }): Diagnostic {
  const entry: { severity?: Severity; hint: string; about?: string } = CATALOGUE[d.code];
  const out: Diagnostic = { severity: entry.severity ?? 'error', ...d };
  if (out.hint === undefined) out.hint = entry.hint;
  // file:line:column on every diagnostic about a file: 1:1 when the whole file is at fault.
  if (out.file !== undefined && entry.about === undefined && (out.line === undefined || out.column === undefined)) return placed(out);
  return out;
}

/** `d` with line and column (1 where missing) right after its file, where a JSON log reads them. */
function placed(d: Diagnostic): Diagnostic {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(d)) {
    if (key === 'line' || key === 'column') continue;
    out[key] = value;
    if (key === 'file') Object.assign(out, { line: d.line ?? 1, column: d.column ?? 1 });
  }
  return out as unknown as Diagnostic;
}

/** True if some error stops the build: every error but those of files set aside (`held`). */
export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error' && !d.held);
}

/**
 * An error that stops the build from writing. Strict (a plain `feedpipe build`), any error does;
 * with keepGoing (the publisher, `--keep-going`), not those of held files nor those that withhold
 * one article (catalogue.ts).
 */
export function hasBlockingErrors(diagnostics: readonly Diagnostic[], keepGoing: boolean): boolean {
  return diagnostics.some((d) => d.severity === 'error' && !(keepGoing && (d.held || withholds(d.code))));
}

export function formatField(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
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
