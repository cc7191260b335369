/** `feedpipe start` on a folder a killed publisher left: the publication is finished before the first build reads the folder. */
import { mkdir, readdir, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { JOURNAL } from '../../src/publish/files.js';
import { RECOVERING_COMMAND } from '../../src/publish/journal.js';
import { readManifest } from '../../src/publish/manifest.js';
import { LOCK_FILE } from '../../src/start/lock.js';
import { isTempName } from '../../src/util/atomic.js';
import { leaveInterrupted } from '../helpers/interrupted.js';
import { launch } from '../helpers/publisher.js';
import { article, makeSite } from '../helpers/site.js';

async function site() {
  const s = await makeSite({ 'a.md': article({ title: 'Hello', date: '2026-01-01', tags: ['x'] }) });
  await writeFile(path.join(s.root, 'feedpipe.config.yaml'), 'site:\n  title: Start Times\n  url: https://start.example.com/\n');
  return s;
}

describe('feedpipe start after a publisher was killed', () => {
  it('finishes the interrupted publication, removes the temp files, then publishes from a whole folder', async () => {
    const s = await site();
    await leaveInterrupted(s.outDir, { journal: true });
    await writeFile(path.join(s.outDir, 'tags', 'new', '.feed.json.77.0123abcd.tmp'), 'half'); // a temp the journal does not list
    const p = launch(s.root, { logFormat: 'json' });
    try {
      await p.until(() => /"event":"run"/.test(p.out.stdout));
      const events = p.out.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { event: string; action?: string; staleTemps?: number });
      const recover = events.find((e) => e.event === 'recover');
      expect(recover).toMatchObject({ action: 'forward', staleTemps: 1 });
      expect(events.findIndex((e) => e.event === 'recover')).toBeLessThan(events.findIndex((e) => e.event === 'run'));
      // The first run compared with the finished publication: tags/new went (no article has it), its temp too.
      const files = (await readdir(s.outDir, { recursive: true })).map(String);
      expect(files.filter((f) => isTempName(path.basename(f)) || f === JOURNAL)).toEqual([]);
      expect((await readManifest(s.outDir)).files).toEqual(['atom.xml', 'feed.json', 'feed.xml', 'feed.xsl', 'index.html', 'tags/x/atom.xml', 'tags/x/feed.json', 'tags/x/feed.xml']);
      expect(files.filter((f) => f.startsWith('tags/new') || f.startsWith('tags/old'))).toEqual([]);
    } finally {
      await p.stop();
    }
  });

  it('waits the moment a serve holds the lock to finish a publication, instead of refusing to start', async () => {
    const s = await site();
    await leaveInterrupted(s.outDir, { journal: false, lock: { pid: process.ppid, command: RECOVERING_COMMAND } });
    const started = Date.now();
    const p = launch(s.root);
    await new Promise((r) => setTimeout(r, 300));
    await unlink(path.join(s.outDir, LOCK_FILE)); // the serve is done
    try {
      await p.until(() => p.runs().length === 1);
      expect(Date.now() - started).toBeGreaterThanOrEqual(300);
      expect(p.out.stderr).not.toContain('cannot start');
    } finally {
      await p.stop();
    }
  });

  it('refuses at once when the holder is another publisher', async () => {
    const s = await site();
    await mkdir(s.outDir, { recursive: true });
    await writeFile(path.join(s.outDir, LOCK_FILE), JSON.stringify({ pid: process.ppid, hostname: os.hostname(), started: new Date().toISOString(), command: 'feedpipe start' }));
    const started = Date.now();
    expect(await launch(s.root).done).toMatchObject({ failed: 'lock' });
    expect(Date.now() - started).toBeLessThan(3000);
  });
});
