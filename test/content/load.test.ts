import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { build } from '../../src/build/build.js';
import matter from 'gray-matter';
import { findMarkdownFiles } from '../../src/content/find.js';
import { splitSource } from '../../src/content/split.js';
import { formatDiagnostics } from '../../src/diagnostics/diagnostics.js';
import { article, baseConfig, makeSite } from '../helpers/site.js';

const split = (text: string | Buffer) => splitSource(Buffer.isBuffer(text) ? text : Buffer.from(text), '/x/a.md', 'content/a.md', 'a.md');

describe('splitSource', () => {
  it('splits frontmatter and body and knows their lines', () => {
    const { source } = split('---\ntitle: A\ndate: 2025-01-01\n---\nFirst line\n');
    expect(source).toMatchObject({ frontmatter: 'title: A\ndate: 2025-01-01\n', frontmatterLine: 2, body: 'First line\n', bodyLine: 5 });
  });

  it('accepts CRLF line endings and a byte order mark', () => {
    const { source } = split(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('---\r\ntitle: A\r\n---\r\nBody\r\n')]));
    expect(source).toMatchObject({ frontmatter: 'title: A\n', body: 'Body\n', bodyLine: 4 });
    expect(split('\ufeff---\rtitle: A\r---\rBody\r').source).toMatchObject({ frontmatter: 'title: A\n', body: 'Body\n', bodyLine: 4 });
    expect(split('---\ntitle: A\n---').source).toMatchObject({ frontmatter: 'title: A\n', body: '', bodyLine: 3 });
    // Only the file's first character can be a byte order mark; in the body U+FEFF is text.
    expect(split('\ufeff---\ntitle: A\n---\n\ufeffBody\n').source).toMatchObject({ frontmatter: 'title: A\n', body: '\ufeffBody\n' });
  });

  // gray-matter (and front-matter parsers modelled on it) choose an engine from the text after
  // the opening ---; its javascript engine eval()s the block. Every alias must be refused unexecuted.
  it.each(['js', 'javascript', 'coffee', 'coffeescript', 'cson', 'json', 'toml', 'JS', ' js', 'constructor', 'toString', 'ruby'])('refuses the "%s" frontmatter engine without running it', (lang) => {
    (globalThis as Record<string, unknown>).__pwned = undefined;
    const { source, diagnostics } = split(`---${lang}\n{ title: (globalThis.__pwned = true, "x") }\n---\nbody\n`);
    expect(source).toBeUndefined();
    expect(diagnostics).toMatchObject([{ code: 'frontmatter-language', file: 'content/a.md', line: 1, column: 1 }]);
    expect((globalThis as Record<string, unknown>).__pwned).toBeUndefined();
  });

  it('proves the payload above would run in a bare gray-matter, so the test above can fail', () => {
    (globalThis as Record<string, unknown>).__pwned = undefined;
    matter('---js\n{ title: (globalThis.__pwned = true, "x") }\n---\nbody\n', {});
    expect((globalThis as Record<string, unknown>).__pwned).toBe(true);
    (globalThis as Record<string, unknown>).__pwned = undefined;
  });

  it('says TOML frontmatter is not supported, without parsing it', () => {
    const { source, diagnostics } = split('+++\ntitle = "A"\n+++\nbody\n');
    expect(source).toBeUndefined();
    expect(diagnostics).toMatchObject([{ code: 'frontmatter-language', file: 'content/a.md', line: 1, column: 1 }]);
    expect(diagnostics[0]!.message).toMatch(/TOML frontmatter \(\+\+\+\) is not supported/);
  });

  it('leaves nothing in gray-matter\'s cache', () => {
    (matter as unknown as { clearCache(): void }).clearCache();
    for (let i = 0; i < 50; i++) split(`---\ntitle: A${i}\n---\nbody ${i}\n`);
    expect(Object.keys((matter as unknown as { cache: object }).cache)).toEqual([]);
  });

  it('parses the frontmatter with the YAML engine and keeps it a copy of the block', () => {
    const { source } = split('---\ntitle: A\ntags:\n  - x\n  - y\n---\nBody\n');
    expect(source?.parsed?.value).toEqual({ title: 'A', tags: ['x', 'y'] });
    expect(source?.frontmatter).toBe('title: A\ntags:\n  - x\n  - y\n');
  });

  it('ends the block only at a line that is exactly ---', () => {
    expect(split('---\ntitle: A\n---  \nBody\n').source).toMatchObject({ frontmatter: 'title: A\n', body: 'Body\n', bodyLine: 4 });
    expect(split('---   \ntitle: A\n---\nBody\n').source).toMatchObject({ frontmatter: 'title: A\n', body: 'Body\n' });
    expect(split('---\n---\nBody\n').source).toMatchObject({ frontmatter: '', body: 'Body\n', bodyLine: 3 });
    expect(split('---\ntitle: A\n---x\nmore: 1\n---\nBody\n').diagnostics).toMatchObject([{ code: 'yaml-syntax', line: 3, column: 1 }]);
    expect(split('---\ntitle: A\n---x\nBody\n').diagnostics).toMatchObject([{ code: 'unclosed-frontmatter', line: 1, column: 1 }]);
  });

  it('accepts an explicit yaml language marker', () => {
    expect(split('---yaml\ntitle: A\n---\n').source?.frontmatter).toBe('title: A\n');
  });

  it('reports a missing or unclosed frontmatter block', () => {
    expect(split('# Just markdown\n').diagnostics).toMatchObject([{ code: 'missing-frontmatter', file: 'content/a.md', line: 1, column: 1 }]);
    expect(split('---\ntitle: A\nbody without close\n').diagnostics).toMatchObject([{ code: 'unclosed-frontmatter', file: 'content/a.md', line: 1, column: 1 }]);
    expect(split('---').diagnostics).toMatchObject([{ code: 'unclosed-frontmatter', line: 1, column: 1 }]);
    expect(split('').diagnostics).toMatchObject([{ code: 'missing-frontmatter', line: 1, column: 1 }]);
  });

  it('refuses binary and non-UTF-8 files', () => {
    expect(split(Buffer.from([0x2d, 0x2d, 0x2d, 0x0a, 0x00, 0x01])).diagnostics).toMatchObject([{ code: 'binary-file', file: 'content/a.md', line: 1, column: 1 }]);
    expect(split(Buffer.from([0x2d, 0x2d, 0x2d, 0x0a, 0xff, 0xfe, 0x0a])).diagnostics).toMatchObject([{ code: 'invalid-utf8', file: 'content/a.md', line: 1, column: 1 }]);
  });
});

describe('loading files', () => {
  it('refuses a file over the size limit without reading it', async () => {
    const site = await makeSite({ 'big.md': '---\ntitle: A\n---\n' + 'x'.repeat(5000) });
    const { diagnostics } = await build({ config: { ...baseConfig, limits: { maxFileBytes: 1024 } }, contentDir: site.contentDir, cwd: site.root, write: false });
    expect(diagnostics).toMatchObject([{ code: 'file-too-large', file: 'content/big.md', line: 1, column: 1 }]);
    expect(diagnostics[0]!.hint).toMatch(/maxFileBytes/);
    // Compiler style, so an editor or CI annotation can jump to it: the whole file is at fault.
    expect(formatDiagnostics(diagnostics)).toMatch(/^content\/big\.md:1:1  error  file is 5017 bytes, over the limit of 1024  \(file-too-large\)$/m);
  });

  it('places every diagnostic of a build at file:line:column', async () => {
    const site = await makeSite({
      'big.md': '---\ntitle: A\n---\n' + 'x'.repeat(5000),
      'binary.md': Buffer.from([0x2d, 0x2d, 0x2d, 0x0a, 0x00]),
      'latin1.md': Buffer.from([0x2d, 0x2d, 0x2d, 0x0a, 0xe9, 0x0a]),
      'yaml.md': '---\ntitle: [a\n---\n',
      'id.md': article({ title: 'Id', date: '2026-01-01', id: '"a b"' }),
      'before.md': article({ title: 'Before', date: '2026-01-02', updated: '2026-01-01' }, 'Raw <b>html</b>.'),
      'later.md': article({ title: 'Later', date: '2026-01-03', updated: '2027-01-01' }),
      'dup1.md': article({ title: 'Dup', date: '2026-01-04', id: 'same' }),
      'dup2.md': article({ title: 'Dup', date: '2026-01-05', id: 'same' }),
    });
    const { symlink } = await import('node:fs/promises');
    await writeFile(path.join(site.root, 'outside.md'), 'x');
    await symlink(path.join(site.root, 'outside.md'), path.join(site.contentDir, 'link.md'));
    const { diagnostics } = await build({ config: { ...baseConfig, limits: { maxFileBytes: 1024 } }, contentDir: site.contentDir, cwd: site.root, now: new Date('2026-06-01T00:00:00Z'), write: false });
    expect(new Set(diagnostics.map((d) => d.code))).toEqual(new Set(['file-too-large', 'binary-file', 'invalid-utf8', 'yaml-syntax', 'invalid-id', 'updated-before-date', 'updated-in-future', 'duplicate-id', 'symlink-skipped']));
    expect(diagnostics.filter((d) => !(d.file && d.line && d.column))).toEqual([]);
    const lines = formatDiagnostics(diagnostics).split('\n').filter((l) => /  (error|warning)  /.test(l));
    expect(lines.length).toBe(diagnostics.length);
    for (const line of lines) expect(line).toMatch(/^\S+\.md:\d+:\d+  (error|warning)  /);
  });

  it('finds .md files in sorted order, skipping hidden, underscore and symlinked files', async () => {
    const site = await makeSite({ 'b.md': 'x', 'a/c.md': 'x', '.hidden.md': 'x', '_drafts/d.md': 'x', 'notes.txt': 'x' });
    const { symlink } = await import('node:fs/promises');
    await writeFile(path.join(site.root, 'outside.md'), 'secret');
    await symlink(path.join(site.root, 'outside.md'), path.join(site.contentDir, 'link.md'));
    const { files, diagnostics } = findMarkdownFiles(site.contentDir);
    expect(files.map((f) => path.relative(site.contentDir, f))).toEqual([path.join('a', 'c.md'), 'b.md']);
    expect(diagnostics).toMatchObject([{ code: 'symlink-skipped', severity: 'warning' }]);
  });
});
