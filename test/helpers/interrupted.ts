/**
 * An output folder as a publisher killed mid-publication leaves it: publication A in place,
 * publication B staged beside it (temps and backups), with or without its journal, and the lock
 * file of a process that no longer exists.
 */
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MANIFEST } from '../../src/publish/files.js';
import { stageFile, writeJournal, type StagedFile } from '../../src/publish/journal.js';
import { publishFiles } from '../../src/publish/write.js';
import { LOCK_FILE } from '../../src/start/lock.js';
import { sha256 } from '../../src/util/hash.js';

export const PUBLICATION_A = new Map([
  ['feed.xml', '<rss>A</rss>'],
  ['tags/old/feed.xml', '<rss>old</rss>'],
]);
export const PUBLICATION_B = new Map([
  ['feed.xml', '<rss>B</rss>'],
  ['tags/new/feed.xml', '<rss>new</rss>'],
]);

/** A pid that names no process here (above Linux's pid_max ceiling). */
export const DEAD_PID = 4_194_305;

export async function leaveInterrupted(outDir: string, options: { journal: boolean; lock?: { pid: number; command: string } }): Promise<void> {
  await publishFiles(outDir, PUBLICATION_A, { now: new Date('2026-01-01T00:00:00Z') });
  const staged: StagedFile[] = [];
  for (const [rel, text] of PUBLICATION_B) staged.push(await stageFile(outDir, rel, Buffer.from(text)));
  const files = [...PUBLICATION_B.keys()].sort();
  const published = Object.fromEntries(files.map((rel) => [rel, { sha256: sha256(PUBLICATION_B.get(rel)!), lastModified: '2026-02-01T00:00:00.000Z' }]));
  const manifest = await stageFile(outDir, MANIFEST, Buffer.from(JSON.stringify({ files, published }, null, 2) + '\n'), undefined, false);
  if (options.journal) await writeJournal(outDir, { files: staged, manifest, remove: ['tags/old/feed.xml'] });
  const lock = options.lock ?? { pid: DEAD_PID, command: 'feedpipe start' };
  await writeFile(path.join(outDir, LOCK_FILE), JSON.stringify({ pid: lock.pid, hostname: os.hostname(), started: new Date().toISOString(), command: lock.command }) + '\n');
}
