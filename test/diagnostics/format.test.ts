import { describe, expect, it } from 'vitest';
import { CATALOGUE } from '../../src/diagnostics/catalogue.js';
import { diagnostic, type Diagnostic } from '../../src/diagnostics/diagnostics.js';
import { formatDiagnostics, formatDiagnosticsJson, summarize } from '../../src/diagnostics/format.js';

// Given out of order on purpose: the report groups by file in order of first appearance and sorts
// each file's lines by line, then column.
const mixed: Diagnostic[] = [
  { code: 'unsafe-url-removed', severity: 'warning', file: 'content/b.md', line: 9, column: 3, message: 'link "javascript:x" is removed', hint: 'use an http(s) URL' },
  { code: 'invalid-date', severity: 'error', file: 'content/a.md', line: 4, column: 7, field: 'date', message: '"2025-02-30" is not a real date', hint: 'correct the date' },
  { code: 'unknown-field', severity: 'error', file: 'content/b.md', line: 2, column: 1, field: 'titel', message: 'unknown field "titel"', hint: 'did you mean "title"?' },
  { code: 'missing-field', severity: 'error', file: 'content/a.md', line: 2, field: 'title', message: 'is required' },
  { code: 'write-failed', severity: 'error', file: 'dist', message: 'could not write the feeds: EACCES' },
  { code: 'missing-field', severity: 'error', file: 'content/a.md', line: 2, column: 9, field: 'date', message: 'is required' },
  { code: 'build-aborted', severity: 'error', message: 'the build was stopped before writing anything', hint: 'the published feeds are unchanged' },
];

describe('formatDiagnostics (compiler style, for a person)', () => {
  it('groups by file, sorts by line and column, indents each hint, summary last', () => {
    expect(formatDiagnostics(mixed)).toBe(
      [
        'content/b.md:2:1  error  titel: unknown field "titel"  (unknown-field)',
        '    hint: did you mean "title"?',
        'content/b.md:9:3  warning  link "javascript:x" is removed  (unsafe-url-removed)',
        '    hint: use an http(s) URL',
        'content/a.md:2:1  error  title: is required  (missing-field)',
        'content/a.md:2:9  error  date: is required  (missing-field)',
        'content/a.md:4:7  error  date: "2025-02-30" is not a real date  (invalid-date)',
        '    hint: correct the date',
        'dist  error  could not write the feeds: EACCES  (write-failed)',
        'error  the build was stopped before writing anything  (build-aborted)',
        '    hint: the published feeds are unchanged',
        '6 errors in 4 files, 1 warning',
        '',
      ].join('\n'),
    );
  });

  it('leaves the caller\'s array in its order', () => {
    const before = mixed.map((d) => d.code);
    formatDiagnostics(mixed);
    expect(mixed.map((d) => d.code)).toEqual(before);
  });

  it('prints nothing, not even a summary, when there is nothing to say', () => {
    expect(formatDiagnostics([])).toBe('');
  });

  it('counts errors, the files that have them, and warnings', () => {
    const warning = diagnostic({ code: 'raw-html-removed', file: 'content/a.md', message: 'raw HTML is not published' });
    const error = diagnostic({ code: 'invalid-utf8', file: 'content/b.md', message: 'file is not valid UTF-8' });
    expect(summarize([warning])).toBe('0 errors, 1 warning');
    expect(summarize([error])).toBe('1 error in 1 file, 0 warnings');
    expect(summarize([error, error, warning, warning])).toBe('2 errors in 1 file, 2 warnings');
    expect(summarize(mixed)).toBe('6 errors in 4 files, 1 warning');
  });
});

describe('formatDiagnosticsJson (one object per line, for a machine)', () => {
  const time = new Date('2026-11-25T12:00:01Z');

  it('writes the time, "event":"diagnostic" and then every field of the diagnostic, one line each', () => {
    const d = diagnostic({ code: 'invalid-date', file: 'content/a.md', line: 4, column: 7, field: 'date', message: '"2025-02-30" is not a real date', hint: 'correct the date' });
    const w = diagnostic({ code: 'symlink-skipped', file: 'content/link.md', message: 'symbolic link skipped' });
    expect(formatDiagnosticsJson([d, w], time)).toBe(
      '{"time":"2026-11-25T12:00:01.000Z","event":"diagnostic","severity":"error","code":"invalid-date","file":"content/a.md","line":4,"column":7,"field":"date","message":"\\"2025-02-30\\" is not a real date","hint":"correct the date"}\n' +
        '{"time":"2026-11-25T12:00:01.000Z","event":"diagnostic","severity":"warning","code":"symlink-skipped","file":"content/link.md","line":1,"column":1,"message":"symbolic link skipped","hint":"copy the file into the content folder instead of linking it"}\n',
    );
  });

  it('keeps each line parseable, in input order, and writes nothing for no diagnostics', () => {
    const lines = formatDiagnosticsJson(mixed, time).split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => JSON.parse(l) as Diagnostic & { event: string })).toEqual(mixed.map((d) => ({ time: time.toISOString(), event: 'diagnostic', ...d })));
    expect(formatDiagnosticsJson([], time)).toBe('');
  });
});

describe('diagnostic()', () => {
  it("fills the catalogue's hint when the call site gives none", () => {
    const d = diagnostic({ code: 'conflicting-fields', file: 'content/a.md', line: 3, column: 1, field: 'authors', message: 'give either author or authors, not both' });
    expect(d.hint).toBe(CATALOGUE['conflicting-fields'].hint);
    expect(formatDiagnostics([d])).toContain('  (conflicting-fields)\n    hint: keep only one of the two fields\n');
  });

  it("keeps the call site's hint, which knows the values", () => {
    const d = diagnostic({ code: 'unknown-field', field: 'titel', message: 'unknown field "titel"', hint: 'did you mean "title"?' });
    expect(d.hint).toBe('did you mean "title"?');
  });

  it("is an error unless the call site or the catalogue says warning", () => {
    expect(diagnostic({ code: 'invalid-utf8', message: 'm' }).severity).toBe('error');
    expect(diagnostic({ code: 'raw-html-removed', message: 'm' }).severity).toBe('warning');
    expect(diagnostic({ code: 'invalid-utf8', severity: 'warning', message: 'm' }).severity).toBe('warning');
  });

  it('keeps the field order the JSON log has always had: severity first, a filled hint last', () => {
    expect(Object.keys(diagnostic({ code: 'write-failed', file: 'dist', message: 'm' }))).toEqual(['severity', 'code', 'file', 'message', 'hint']);
    expect(Object.keys(diagnostic({ code: 'write-failed', hint: 'h', file: 'dist', message: 'm' }))).toEqual(['severity', 'code', 'hint', 'file', 'message']);
  });
});
