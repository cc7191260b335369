import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { build } from '../src/build/build.js';
import { findMarkdownFiles, splitSource } from '../src/content/load.js';
import { baseConfig, makeSite } from './helpers/site.js';

const split = (text: string | Buffer) => splitSource(Buffer.isBuffer(text) ? text : Buffer.from(text), '/x/a.md', 'content/a.md', 'a.md');

describe('splitSource', () => {
  it('splits frontmatter and body and knows their lines', () => {
    const { source } = split('---\ntitle: A\ndate: 2025-01-01\n---\nFirst line\n');
    expect(source).toMatchObject({ frontmatter: 'title: A\ndate: 2025-01-01\n', frontmatterLine: 2, body: 'First line\n', bodyLine: 5 });
  });

  it('accepts CRLF line endings and a byte order mark', () => {
    const { source } = split(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('---\r\ntitle: A\r\n---\r\nBody\r\n')]));
    expect(source).toMatchObject({ frontmatter: 'title: A\n', body: 'Body\n' });
  });

  // gray-matter (and front-matter parsers modelled on it) choose an engine from the text after
  // the opening ---; its javascript engine eval()s the block. Every alias must be refused unexecuted.
  it.each(['js', 'javascript', 'coffee', 'coffeescript', 'cson', 'json', 'toml', 'JS', ' js'])('refuses the "%s" frontmatter engine without running it', (lang) => {
    (globalThis as Record<string, unknown>).__pwned = undefined;
    const { source, diagnostics } = split(`---${lang}\n{ title: (globalThis.__pwned = true, "x") }\n---\nbody\n`);
    expect(source).toBeUndefined();
    expect(diagnostics).toMatchObject([{ code: 'frontmatter-language', file: 'content/a.md', line: 1 }]);
    expect((globalThis as Record<string, unknown>).__pwned).toBeUndefined();
  });

  it('accepts an explicit yaml language marker', () => {
    expect(split('---yaml\ntitle: A\n---\n').source?.frontmatter).toBe('title: A\n');
  });

  it('reports a missing or unclosed frontmatter block', () => {
    expect(split('# Just markdown\n').diagnostics[0]?.code).toBe('missing-frontmatter');
    expect(split('---\ntitle: A\nbody without close\n').diagnostics[0]?.code).toBe('unclosed-frontmatter');
  });

  it('refuses binary and non-UTF-8 files', () => {
    expect(split(Buffer.from([0x2d, 0x2d, 0x2d, 0x0a, 0x00, 0x01])).diagnostics[0]?.code).toBe('binary-file');
    expect(split(Buffer.from([0x2d, 0x2d, 0x2d, 0x0a, 0xff, 0xfe, 0x0a])).diagnostics[0]?.code).toBe('invalid-utf8');
  });
});

describe('loading files', () => {
  it('refuses a file over the size limit without reading it', async () => {
    const site = await makeSite({ 'big.md': '---\ntitle: A\n---\n' + 'x'.repeat(5000) });
    const { diagnostics } = await build({ config: { ...baseConfig, limits: { maxFileBytes: 1024 } }, contentDir: site.contentDir, cwd: site.root, write: false });
    expect(diagnostics).toMatchObject([{ code: 'file-too-large', file: 'content/big.md' }]);
    expect(diagnostics[0]!.hint).toMatch(/maxFileBytes/);
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
