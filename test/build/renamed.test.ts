/**
 * A file renamed gets a new slug, so a new id, and readers show its article as new again: the
 * build that publishes it warns at the article, with the line that keeps the old id
 * (src/build/renamed.ts), from the items the last publication recorded beside its manifest.
 */
import { copyFile, readFile, rename, rm, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { build } from '../../src/build/build.js';
import { article, baseConfig, makeSite, NOW } from '../helpers/site.js';

/** A site made of `files` and published once; the options that build it again. */
async function publishedSite(files: Record<string, string>) {
  const s = await makeSite(files);
  const opts = { config: baseConfig, contentDir: s.contentDir, outDir: s.outDir, now: NOW, cwd: s.root };
  return { ...s, opts, first: await build(opts) };
}

describe('an article whose id changed since the last publication', () => {
  it('is warned about once, at its file, with the id line that keeps the old id; each item is recorded beside the manifest', async () => {
    const { opts, first, ...s } = await publishedSite({
      'election-night.md': article({ title: 'Election night', date: '2026-11-03T21:00:00Z' }),
      'other.md': article({ title: 'Other', date: '2026-11-01T09:00:00Z' }),
    });
    expect(first.diagnostics).toEqual([]);
    const recorded = JSON.parse(await readFile(path.join(s.outDir, '.feedpipe-items.json'), 'utf8')) as Record<string, string[]>;
    expect(recorded['tag:news.example.com,2000:election-night']).toEqual(['election-night.md', 'Election night', '2026-11-03T21:00:00.000Z']);

    await rename(path.join(s.contentDir, 'election-night.md'), path.join(s.contentDir, 'election-results.md'));
    const renamed = await build(opts);
    expect(renamed.ok).toBe(true);
    expect(renamed.diagnostics).toEqual([
      expect.objectContaining({
        code: 'id-changed',
        severity: 'warning',
        file: 'content/election-results.md',
        line: 2,
        column: 1,
        field: 'id',
        message: 'this article was published with the id "tag:news.example.com,2000:election-night" (from election-night.md); its id is now "tag:news.example.com,2000:election-results", so feed readers will show it as new again',
        hint: 'to keep the id readers know, add this line to its frontmatter: slug: election-night',
      }),
    ]);
    // Said once: the next build compares with what this one published.
    expect((await build(opts)).diagnostics).toEqual([]);
    // A record lost (dist/ wiped) is written again by the next publication, even with nothing changed.
    await rm(path.join(s.outDir, '.feedpipe-items.json'));
    await build(opts);
    expect(JSON.parse(await readFile(path.join(s.outDir, '.feedpipe-items.json'), 'utf8'))).toHaveProperty(['tag:news.example.com,2000:election-results']);
  });

  it('in a one-off build with its proofs: the warned build proves nothing, so the next does not replay the warning', async () => {
    const s = await makeSite({ 'a.md': article({ title: 'A', date: '2026-11-03T21:00:00Z' }) });
    const opts = { config: baseConfig, contentDir: s.contentDir, outDir: s.outDir, now: NOW, cwd: s.root, cacheDir: path.join(s.root, '.cache'), reuseLastResult: true };
    await build(opts);
    await rename(path.join(s.contentDir, 'a.md'), path.join(s.contentDir, 'b.md'));
    // Stats old enough to be trusted: a proof can be taken from them (a fresh file's never is).
    const old = new Date(Date.now() - 60_000);
    await utimes(path.join(s.contentDir, 'b.md'), old, old);
    expect((await build(opts)).diagnostics.map((d) => d.code)).toEqual(['id-changed']);
    const next = await build(opts);
    expect(next.diagnostics).toEqual([]);
    const after = await build(opts);
    expect(after.kind).toBe('stands'); // from what the build after the warned one proved
    expect(after.diagnostics).toEqual([]);
  });

  it('names the old id itself where no slug gives it back, and guesses nothing when two new articles could be the one', async () => {
    const { opts, ...s } = await publishedSite({
      'a.md': article({ title: 'A', date: '2026-11-03T21:00:00Z', id: 'urn:x:a-1' }),
      'b.md': article({ title: 'B', date: '2026-11-02T21:00:00Z' }),
    });
    // a.md loses its explicit id; b.md is renamed and copied: both copies could be it.
    await writeFile(path.join(s.contentDir, 'a.md'), article({ title: 'A', date: '2026-11-03T21:00:00Z' }));
    await rename(path.join(s.contentDir, 'b.md'), path.join(s.contentDir, 'b2.md'));
    await copyFile(path.join(s.contentDir, 'b2.md'), path.join(s.contentDir, 'b3.md'));
    const r = await build(opts);
    expect(r.diagnostics.filter((d) => d.code === 'id-changed').map((d) => [d.file, d.hint])).toEqual([['content/a.md', 'to keep the id readers know, add this line to its frontmatter: id: "urn:x:a-1"']]);
  });

  it('is not warned about when the frontmatter keeps the id, or when nothing published matches its title and date', async () => {
    const { opts, ...s } = await publishedSite({
      'kept.md': article({ title: 'Kept', date: '2026-11-03T21:00:00Z', id: 'story-1' }),
      'retitled.md': article({ title: 'First title', date: '2026-11-02T21:00:00Z' }),
    });
    await rename(path.join(s.contentDir, 'kept.md'), path.join(s.contentDir, 'kept-renamed.md'));
    // Renamed and retitled: another article as far as anyone can tell.
    await rename(path.join(s.contentDir, 'retitled.md'), path.join(s.contentDir, 'new-name.md'));
    await writeFile(path.join(s.contentDir, 'new-name.md'), article({ title: 'Second title', date: '2026-11-02T21:00:00Z' }));
    const r = await build(opts);
    expect(r.ok).toBe(true);
    expect(r.diagnostics).toEqual([]);
  });
});
