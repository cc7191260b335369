import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CATALOGUE, docsFor, isDiagnosticCode, type CatalogueEntry, type DiagnosticCode } from '../../src/diagnostics/catalogue.js';
import { diagnostic } from '../../src/diagnostics/diagnostics.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const codes = Object.keys(CATALOGUE) as DiagnosticCode[];
const aboutOf = (code: DiagnosticCode) => (CATALOGUE[code] as CatalogueEntry).about;

/** Every .ts file under src/ except this folder (the catalogue names every code; it emits none). */
function sources(): { file: string; text: string }[] {
  const dir = path.join(root, 'src');
  return (readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.ts') && !f.startsWith(`diagnostics${path.sep}`))
    .map((f) => ({ file: `src/${f.split(path.sep).join('/')}`, text: readFileSync(path.join(dir, f), 'utf8') }));
}

// zod's own issue code: `ctx.addIssue({ code: 'custom', params: { code: 'invalid-date' } })`;
// util/validate.ts turns the issue into the params' code, or invalid-field without one.
const ZOD_ISSUE_CODES = new Set(['custom']);

// A code computed from a template: each template and what it can become. A new template fails
// the scan until it is listed here, and each expansion must be in the catalogue.
const TEMPLATES: Record<string, string[]> = { 'duplicate-${key}': ['duplicate-id', 'duplicate-url'] };

const literals = (expr: string) => [...expr.matchAll(/'([^']*)'|"([^"]*)"/g)].map((m) => m[1] ?? m[2]!);

/**
 * The codes a source file emits, wherever they are written today: `code: '…'` in a diagnostic or in
 * a zod refinement's params (also `code: a ? '…' : '…'` and templates), `code = '…'` and
 * `params.code ?? '…'` (util/validate.ts), and the literal passed to a local helper whose parameter
 * is named `code` (`fail('binary-file', …)`, `warn(node, 'raw-html-removed', …)`).
 */
function emittedCodes(text: string): { codes: string[]; unknownTemplates: string[] } {
  const found: string[] = [];
  const unknownTemplates: string[] = [];
  for (const m of text.matchAll(/\bcode:\s*([^,}`\n]+)/g)) found.push(...literals(m[1]!).filter((c) => !ZOD_ISSUE_CODES.has(c)));
  for (const m of text.matchAll(/\bcode:\s*`([^`]*)`/g)) {
    if (TEMPLATES[m[1]!]) found.push(...TEMPLATES[m[1]!]!);
    else unknownTemplates.push(m[1]!);
  }
  for (const m of text.matchAll(/\bcode\s*(?:=|\?\?)\s*'([^']+)'/g)) found.push(m[1]!);
  const helpers = /(?:const\s+(\w+)\s*=\s*\(|function\s+(\w+)\s*\()([^)]*)\)/g;
  for (const h of text.matchAll(helpers)) {
    const params = h[3]!.split(',').map((p) => p.trim().split(/[\s:?=]/)[0]);
    const index = params.indexOf('code');
    if (index < 0) continue;
    const call = new RegExp(`\\b${h[1] ?? h[2]}\\(\\s*(?:[^,()]+,\\s*){${index}}'([^']+)'`, 'g');
    for (const c of text.matchAll(call)) found.push(c[1]!);
  }
  return { codes: found, unknownTemplates };
}

const scanned = sources().map((s) => ({ ...s, ...emittedCodes(s.text) }));
const emitted = new Set(scanned.flatMap((s) => s.codes));

describe('the catalogue of diagnostic codes', () => {
  it('has an entry for every code src/ emits', () => {
    const missing = scanned.flatMap((s) => s.codes.filter((c) => !isDiagnosticCode(c)).map((c) => `${s.file}: ${c}`));
    expect(missing).toEqual([]);
    expect(scanned.flatMap((s) => s.unknownTemplates.map((t) => `${s.file}: \`${t}\``))).toEqual([]);
  });

  it('has no entry that nothing emits', () => {
    expect(codes.filter((c) => !emitted.has(c))).toEqual([]);
  });

  it('places every diagnostic about a file at file:line:column, 1:1 when the call site names no place', () => {
    for (const code of codes) {
      const d = diagnostic({ code, file: 'content/a.md', message: 'm' });
      if (aboutOf(code)) expect([code, d.line, d.column]).toEqual([code, undefined, undefined]);
      else expect([code, d.line, d.column]).toEqual([code, 1, 1]);
    }
    expect(diagnostic({ code: 'invalid-date', file: 'content/a.md', line: 4, column: 7, message: 'm' })).toMatchObject({ line: 4, column: 7 });
    expect(diagnostic({ code: 'yaml-syntax', file: 'content/a.md', line: 4, message: 'm' })).toMatchObject({ line: 4, column: 1 });
    expect(Object.keys(diagnostic({ code: 'file-too-large', file: 'content/a.md', message: 'm' }))).toEqual(['severity', 'code', 'file', 'line', 'column', 'message', 'hint']);
    // Only a folder (no line to point at) or the whole run (no file) goes without.
    expect(codes.filter(aboutOf)).toEqual(['content-unreadable', 'write-failed', 'build-aborted']);
  });

  it('names codes in stable kebab-case', () => {
    for (const code of codes) expect(code).toMatch(/^[a-z][a-z0-9]*(-[a-z0-9]+)+$/);
  });

  it('points every code at a heading of README.md', () => {
    const anchors = readmeAnchors(readFileSync(path.join(root, 'README.md'), 'utf8'));
    expect(anchors).toContain('#content-format');
    expect(codes.filter((c) => !anchors.includes(CATALOGUE[c].docs)).map((c) => `${c}: ${CATALOGUE[c].docs}`)).toEqual([]);
    expect(docsFor('invalid-cron')).toBe('README.md#config');
    expect(docsFor('build-aborted')).toBe('README.md#publishing-on-time-feedpipe-start');
  });

  // Today's style, from the hints the call sites write: lowercase, one line, one sentence (parts
  // joined by ";" or ","), no closing period; printed after "    hint: ".
  const hintStyle = (hint: string) =>
    hint.trim() === hint && /^[a-z]/.test(hint) && !/\n/.test(hint) && !/\.$/.test(hint) && !/[.!]\s+[A-Z]/.test(hint);

  it("writes every hint in the call sites' style", () => {
    const callSiteHints = sources().flatMap((s) => [...s.text.matchAll(/\bhint(?::|\s*\?\?=)\s*(['`])((?:(?!\1).)+)\1/g)].map((m) => m[2]!));
    // Call sites write a hint only where it says more than the catalogue's (a value, a field, a did-you-mean).
    expect(callSiteHints.length).toBeGreaterThan(10);
    expect(callSiteHints.filter((h) => !hintStyle(h))).toEqual([]);
    const defaults = new Set<string>(codes.map((c) => CATALOGUE[c].hint));
    expect(callSiteHints.filter((h) => defaults.has(h)), 'a call site repeats a catalogue hint: leave it out').toEqual([]);
    expect(codes.filter((c) => !hintStyle(CATALOGUE[c].hint)).map((c) => `${c}: ${CATALOGUE[c].hint}`)).toEqual([]);
  });
});

/** GitHub's heading anchors: lowercase, punctuation dropped, spaces to "-", "-1"… on repeats; not inside code fences. */
function readmeAnchors(markdown: string): string[] {
  const anchors: string[] = [];
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    const heading = fenced ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const slug = heading[1]!.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/ /g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.push(`#${n ? `${slug}-${n}` : slug}`);
  }
  return anchors;
}
