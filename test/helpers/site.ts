import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ConfigInput } from '../../src/config/config.js';

/** Folders made by makeSite in this test file; test/helpers/cleanup.ts removes them after the file. */
export const madeSites: string[] = [];

/** A fresh site folder per test: content files, and an output folder path. Nothing is shared between tests. */
export async function makeSite(files: Record<string, string | Buffer>): Promise<{ root: string; contentDir: string; outDir: string }> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'feedpipe-test-'));
  madeSites.push(root);
  const contentDir = path.join(root, 'content');
  await mkdir(contentDir, { recursive: true });
  for (const [rel, text] of Object.entries(files)) {
    const full = path.join(contentDir, rel);
    await mkdir(path.dirname(full), { recursive: true });
    await writeFile(full, text);
  }
  return { root, contentDir, outDir: path.join(root, 'dist') };
}

export const baseConfig: ConfigInput = {
  site: { title: 'Test Times', url: 'https://news.example.com/', description: 'Test news', timezone: 'UTC', author: { name: 'Newsroom' } },
};

export function article(fields: Record<string, unknown>, body = 'Body text.'): string {
  const yaml = Object.entries(fields)
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join('\n');
  return `---\n${yaml}\n---\n${body}\n`;
}

export const NOW = new Date('2026-11-25T12:00:00Z');
